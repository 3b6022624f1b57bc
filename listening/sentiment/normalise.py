"""Text normalisation shared by training and scoring: social-media noise and Indonesian/Malay slang.

The same function runs when the model is trained and when it scores, so a word the map rewrites
is seen in one form only. The slang lists are the common informal spellings of everyday
Indonesian (``gak``, ``bgt``) and the Malay words whose Indonesian equivalent the model knows
(``tak`` -> ``tidak``, ``sedap`` -> ``enak``).
"""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@[\w.-]+")
_REPEAT = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"\w+|[!?]")

SLANG_ID: dict[str, str] = {
    "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "tdk": "tidak", "ndak": "tidak", "kagak": "tidak",
    "bgt": "banget", "bngt": "banget", "bgd": "banget", "yg": "yang", "dgn": "dengan", "dg": "dengan",
    "utk": "untuk", "untk": "untuk", "krn": "karena", "karna": "karena", "sy": "saya", "aku": "saya",
    "gue": "saya", "gw": "saya", "lo": "kamu", "lu": "kamu", "elo": "kamu", "udh": "sudah", "udah": "sudah",
    "sdh": "sudah", "blm": "belum", "blum": "belum", "jg": "juga", "jgn": "jangan", "lg": "lagi",
    "aja": "saja", "aj": "saja", "bs": "bisa", "bisa2": "bisa", "tp": "tapi", "tpi": "tapi", "sm": "sama",
    "bener": "benar", "bnr": "benar", "mantul": "mantap", "mantab": "mantap", "mntp": "mantap",
    "recomended": "rekomendasi", "recommended": "rekomendasi", "rekomen": "rekomendasi",
    "jelek": "jelek", "parah": "parah", "kecewa": "kecewa", "kcewa": "kecewa", "tlg": "tolong",
    "emg": "memang", "emang": "memang", "dr": "dari", "dri": "dari", "pd": "pada", "kalo": "kalau",
    "klo": "kalau", "kl": "kalau", "bkn": "bukan", "gimana": "bagaimana", "gmn": "bagaimana",
    "trs": "terus", "trus": "terus", "sampe": "sampai", "ampe": "sampai", "skrg": "sekarang",
    "skrang": "sekarang", "bikin": "membuat", "bkin": "membuat", "ok": "oke", "okey": "oke",
    "thx": "terima kasih", "makasih": "terima kasih", "mksh": "terima kasih", "trims": "terima kasih",
}
SLANG_MS: dict[str, str] = {
    "tak": "tidak", "x": "tidak", "tk": "tidak", "idak": "tidak", "sgt": "sangat", "sangatlah": "sangat",
    "teruk": "buruk", "sedap": "enak", "best": "bagus", "terbaik": "terbaik", "cantik": "bagus",
    "boleh": "bisa", "kerana": "karena", "sebab": "karena", "sahaja": "saja", "je": "saja", "jer": "saja",
    "sikit": "sedikit", "ramai": "banyak", "macam": "seperti", "mcm": "seperti", "kat": "di",
    "dah": "sudah", "sudah": "sudah", "tu": "itu", "ni": "ini", "nak": "mau", "hendak": "mau",
    "awak": "kamu", "korang": "kalian", "kau": "kamu", "lambat": "lama", "lembap": "lambat",
    "bengang": "marah", "geram": "marah", "menyampah": "benci", "syok": "senang", "seronok": "senang",
    "gembira": "senang", "puas hati": "puas", "berbaloi": "sepadan", "murah": "murah", "mahal": "mahal",
    "rosak": "rusak", "tipu": "bohong", "penipu": "penipu", "pelik": "aneh", "takde": "tidak ada",
    "tiada": "tidak ada", "xde": "tidak ada", "xbest": "tidak bagus", "xsedap": "tidak enak",
    "kedai": "toko", "pekerja": "karyawan", "perkhidmatan": "pelayanan", "servis": "pelayanan",
    "layanan": "pelayanan", "wang": "uang", "duit": "uang", "harga": "harga", "betul": "benar",
    "memang": "memang", "mmg": "memang", "tapi": "tapi", "tp": "tapi", "pastu": "lalu", "lepas": "setelah",
}
SLANG: dict[str, str] = {**SLANG_ID, **SLANG_MS}


def words(text: str) -> list[str]:
    """Lower-cased word tokens with URLs and handles replaced, stretched letters shortened and slang mapped."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _HANDLE.sub(" xuser ", _URL.sub(" xurl ", text))
    text = _REPEAT.sub(r"\1\1", text)
    out: list[str] = []
    for token in _WORD.findall(text):
        out.extend(SLANG.get(token, token).split())
    return out
