"""language.detect: Indonesian vs Malay on hand-written labelled texts, tags, short and empty input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from language import detect
from language.tags import normalise_tag

FIXTURES = Path(__file__).parents[2] / "fixtures" / "language"


def _rows(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label, text))
    return rows


def _accuracy(rows: list[tuple[str, str]]) -> float:
    return sum(detect(text).language == label for label, text in rows) / len(rows)


class TestIndonesianVsMalay:
    @pytest.mark.parametrize("name", ["id_ms.tsv", "id_ms_heldout.tsv"])
    def test_at_least_90_percent_on_20_plus_words(self, name: str) -> None:
        rows = [(lab, t) for lab, t in _rows(name) if lab in {"id", "ms"} and len(t.split()) >= 20]
        assert len(rows) >= 40
        assert {lab for lab, _ in rows} == {"id", "ms"}
        assert _accuracy(rows) >= 0.9

    def test_each_side_at_least_85_percent_held_out(self) -> None:
        rows = _rows("id_ms_heldout.tsv")
        for lang in ("id", "ms"):
            assert _accuracy([r for r in rows if r[0] == lang]) >= 0.85

    def test_markers_decide_a_neutral_sentence(self) -> None:
        base = "saya pergi ke pasar pagi ini untuk membeli sayur dan buah untuk keluarga"
        assert detect(base + " kerana wang saya cukup, tak payah risau").shares["ms"] > 0.8
        assert detect(base + " karena uang saya cukup, nggak usah khawatir").shares["id"] > 0.8

    def test_english_texts_are_english(self) -> None:
        for label, text in _rows("id_ms.tsv"):
            if label == "en":
                assert detect(text).language == "en"


class TestShape:
    def test_shares_sum_to_one_and_hold_core_languages(self) -> None:
        guess = detect("Ich habe heute keine Zeit, weil ich arbeiten muss und morgen früh fliege.")
        assert guess.language == "de"
        assert {"id", "ms", "en"} <= guess.shares.keys()
        assert sum(guess.shares.values()) == pytest.approx(1.0, abs=1e-4)
        assert guess.confidence == guess.shares["de"]

    def test_empty_or_noise_is_undetermined(self) -> None:
        for text in ("", "   ", "https://example.com @someone #hashtag", "😀😀", "12345"):
            guess = detect(text)
            assert guess.language == "und" and guess.shares == {} and guess.source == "none"

    def test_short_text_is_less_confident_than_long(self) -> None:
        short = detect("saya suka kopi")
        long = detect("saya suka kopi " + "dan saya minum kopi setiap pagi sebelum pergi bekerja di pejabat " * 2)
        assert short.confidence < long.confidence

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=200), st.one_of(st.none(), st.sampled_from(["id", "ms", "en-US", "in", "xx-YY", ""])))
    def test_any_input_gives_a_valid_distribution(self, text: str, tag: str | None) -> None:
        guess = detect(text, tag)
        if guess.shares:
            assert sum(guess.shares.values()) == pytest.approx(1.0, abs=1e-4)
            assert all(0.0 <= p <= 1.0 for p in guess.shares.values())
            assert guess.language in guess.shares
        else:
            assert guess.language == "und"


class TestPlatformTag:
    def test_tag_decides_when_text_is_too_short(self) -> None:
        guess = detect("ok", "ms")
        assert (guess.language, guess.source, guess.confidence) == ("ms", "tag", 1.0)

    def test_tag_is_trusted_over_an_unsure_text(self) -> None:
        guess = detect("Terima kasih banyak semua", "ms")
        assert guess.language == "ms" and guess.source == "tag+text"

    def test_long_text_clearly_in_another_language_overrides_a_default_tag(self) -> None:
        text = "Spent the whole weekend hiking with friends near the lake and the weather was perfect for it"
        assert detect(text, "id").language == "en"

    @pytest.mark.parametrize(
        ("tag", "code"),
        [("en-US", "en"), ("in", "id"), ("zsm", "ms"), ("ms_MY", "ms"), ("und", None), ("", None), ("!!", None)],
    )
    def test_normalise_tag(self, tag: str, code: str | None) -> None:
        assert normalise_tag(tag) == code


class TestLexicon:
    def test_no_marker_is_listed_twice(self) -> None:
        from collections import Counter

        from language.malay import _ID, _MS

        counts = Counter(w for table in (_MS, _ID) for words in table.values() for w in words.split())
        assert [w for w, n in counts.items() if n > 1] == []

    @pytest.mark.parametrize(
        ("text", "lang"),
        [
            (
                "Kementerian Kesihatan berkata jumlah pesakit yang dirawat di hospital kerajaan meningkat semasa "
                "musim perayaan dan orang awam dinasihatkan supaya mendapatkan rawatan awal di klinik berhampiran.",
                "ms",
            ),
            (
                "Kementerian Kesehatan mengatakan jumlah pasien yang dirawat di rumah sakit pemerintah meningkat "
                "selama musim liburan dan masyarakat diimbau agar segera berobat ke puskesmas terdekat.",
                "id",
            ),
        ],
    )
    def test_formal_news_register(self, text: str, lang: str) -> None:
        assert detect(text).language == lang
