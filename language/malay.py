"""Indonesian vs Malay: a marker-word discriminator.

General detectors (py3langid, lingua) put Indonesian and Malay texts of 20+ words on the
wrong side 10-15% of the time (bench/language.py). The two standard languages share most
of their vocabulary but differ in a stable set of words and spellings (Malaysian `kerana`,
`wang`, `kereta`, `pejabat`, `-iti`, `-syen` against Indonesian `karena`, `uang`, `mobil`,
`kantor`, `-itas`, `-si`) and in their colloquial particles (`nak`, `je`, `dah`, `korang`
against `nggak`, `banget`, `aja`, `gue`). Each marker carries a weight that acts as a
log-likelihood ratio (positive: Malay); the sum moves the detector's own Indonesian/Malay
split. Weights come from the words' standard usage (Kamus Dewan / KBBI spellings), not
from the test texts.
"""

from __future__ import annotations

import math
import re

# Positive: Malay; negative: Indonesian. Roughly: 2 = the word is (almost) never used in the
# other standard; 1 = clearly more common; 0.5 = a lean.
_MS = {
    2.0: """bilion trilion belanjawan pelancongan pengangkutan kemalangan mahkamah sukan kesihatan sihat
        perkhidmatan bekalan elektrik peperiksaan pesakit ubat jururawat cukai perisian bimbit
        bahawa kerana wang awak mahu percuma sahaja korang iaitu baharu pejabat telefon disember ogos julai
        syarikat kenderaan maklumat cikgu encik dorang diorang filem muzik televisyen kempen projek jurulatih
        percutian ringgit seronok jimat teksi polis kasut seluar tandas peratus kewangan pelaburan rosak resipi
        diskaun akaun nombor isnin khamis jumaat longkang jambatan denggi beli-belah selesa sesiapa mengekalkan
        moden bersembang tersadai doktor mesyuarat lebuh kad kadar mencecah""",
    1.5: """berkenaan rm kos didakwa dakwaan awam belia hospital akta rangkaian
        nak faham fikir kedai je dah kat tengok cakap tempoh puan sila perlawanan peminat lawatan cuti bas
        bilik selepas terkini hantar cik oren ahad kabus nipis tasik juadah pelancong talian beratur sepatutnya
        perlukan semula terkawal watak pemandu tambang menjerit pakar rawatan wad rakan hujung kes suspek
        penggalak bertimbun kongsi kongsikan bazir beza berbeza kerajaan pasukan tempatan kenduri kesyukuran
        jom kelmarin bangunan rangup pengakhiran mamak ditahan menahan pengajian ibu-bapa bapa""",
    1.0: """semasa persatuan laman kenyataan
        apabila ialah tu ni kot jemput bandar macam sedap semalam jabatan budak sikit esok alamak bungkusan
        melawat menasihatkan rancangan pengenalan tamat cipta kena guru sandaran tidaklah mesti pesan kanak-kanak
        kanak wayang lepas negeri sebab pelajar berpatutan tuaian terus pengambilan""",
    0.5: """turut kini
        boleh tak bila ramai betul best daripada gembira lah kawasan guna rakyat kepada tetapi""",
}
_ID = {
    2.0: """miliar triliun pariwisata kecelakaan olahraga kesehatan sehat pasokan listrik pasien obat pajak ponsel
        karena bahwa uang mobil nggak gak ngga enggak banget gue gua gw gimana kantor telepon desember agustus
        juli juni maret perusahaan kendaraan kampanye proyek rupiah polisi sepatu celana rusak bikin pengen
        pingin ngobrol gitu bareng doang mbak honorer selokan kabupaten kecamatan kuartal persen bioskop ojek
        jembatan kasus oranye nomor akun diskon dokter danau syukuran kamis senin jumat soalnya ngurus numpuk
        nangis rame jajanan pokoknya wisatawan mancanegara bandara bulu tangkis ngerti ngeluh kemarin
        informasinya mau-nya""",
    1.5: """ujar ujarnya rp biaya transportasi pengadilan layanan karyawan perawat jaringan
        aja udah dong deh emang kapan pikir paham toko provinsi penggemar libur liburan musik televisi kamar
        beda dikit pengemudi sopir teriak nyaman butuh kangen kayak loh lho yuk investasi daring antre antrean
        tersangka mengimbau rawat spesialis berobat warung gedung kabut tipis hemat kabar renyah jago wahana
        ujung pemerintah pelatih pengin ayo besok ngantor nongkrong""",
    1.0: """agar asosiasi situs
        sih kok nih tuh lo lu gratis mahasiswa tim pertandingan kunjungan enak film kirim kerjaan kalian warga
        desa mal pencurian meresahkan rapat tokoh tarif rekan posting mas jalur sisakan harusnya meresap""",
    0.5: """tersebut sejumlah umum harus
        bisa kamu mau pak bu sama lalu ingin nonton menonton siswa kota informasi ya begitu tadi""",
}


def _table() -> dict[str, float]:
    table: dict[str, float] = {}
    for sign, groups in ((1.0, _MS), (-1.0, _ID)):
        for weight, words in groups.items():
            for word in words.split():
                table[word] = sign * weight
    return table


MARKERS: dict[str, float] = _table()
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PARTICLES = ("lah", "nya", "kah")
# Suffix spellings that differ systematically: kualiti/kualitas, televisyen/televisi.
_SUFFIXES = (("iti", 1.5, 6), ("itas", -1.5, 7), ("syen", 2.0, 6))
_MAX_PER_WORD = 2  # a word repeated ten times is one author's habit, not ten pieces of evidence
_SCALE = 0.8  # markers are not independent; damp their sum


def words_of(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _weight(word: str) -> float:
    if word in MARKERS:
        return MARKERS[word]
    if "-" in word:
        # Reduplication (`kanak-kanak`) or compounds: score each distinct part once.
        return sum(_weight(part) for part in dict.fromkeys(word.split("-")))
    for particle in _PARTICLES:
        stem = word[: -len(particle)]
        if word.endswith(particle) and len(stem) >= 3 and stem in MARKERS:
            return MARKERS[stem]
    for suffix, weight, min_len in _SUFFIXES:
        if word.endswith(suffix) and len(word) >= min_len:
            return weight
    return 0.0


def malay_log_odds(words: list[str]) -> float:
    """Log-odds that a text is Malay rather than Indonesian, from markers alone (0 = no evidence)."""
    seen: dict[str, int] = {}
    total = 0.0
    for word in words:
        weight = _weight(word)
        if weight == 0.0:
            continue
        count = seen.get(word, 0)
        if count < _MAX_PER_WORD:
            seen[word] = count + 1
            total += weight
    return total * _SCALE


_ENGLISH_LOOKALIKES = frozenset({"wad", "film", "best", "tim", "mal", "mas", "lo", "bus", "sopir"})


def family_log_odds(words: list[str]) -> float:
    """Evidence that a short text is Indonesian/Malay at all, from distinctive markers (for 3-word posts
    that n-gram models give to Javanese or Acehnese)."""
    distinct = {w for w in words if abs(_weight(w)) >= 1.5 and w not in _ENGLISH_LOOKALIKES}
    return min(6.0, 0.75 * len(distinct))


def split_malay(p_id: float, p_ms: float, words: list[str]) -> tuple[float, float]:
    """Redistribute the Indonesian+Malay mass between the two using the markers as evidence."""
    mass = p_id + p_ms
    if mass <= 0.0:
        return p_id, p_ms
    prior = math.log(max(p_ms, 1e-9) / max(p_id, 1e-9))
    # The n-gram detector leans Indonesian on Malay text; trust its split only a little.
    logit = 0.5 * max(-4.0, min(4.0, prior)) + malay_log_odds(words)
    p = 1.0 / (1.0 + math.exp(-logit))
    return mass * (1.0 - p), mass * p
