from __future__ import annotations

import pytest

from listening.rules import Matcher, Terms, is_paid
from sql.errors import ValidationError

BRAND = Terms(name="Sorot", any=["sorot", "#sorotapp", "@sorot"], none=["lowongan"])
RIVAL = Terms(name="Lensa", any=["lensa kita"], all=[])


def subjects(text: str, hashtags: tuple[str, ...] = ()) -> list[str]:
    return [name for name, _ in Matcher(BRAND, [RIVAL]).match(text, hashtags)]


class TestMatching:
    @pytest.mark.parametrize(
        "text",
        ["Sorot is great", "pakai SOROT!", "love #SorotApp", "thanks @sorot", "ask @sorot@example.social", "sórot"],
    )
    def test_brand_terms_match(self, text: str) -> None:
        assert subjects(text) == ["brand"]

    @pytest.mark.parametrize(
        "text",
        ["sorotan kamera", "#sorotapp2", "@sorot_fake says hi", "lowongan kerja di Sorot", "disorot media"],
    )
    def test_near_misses_and_excluded_contexts_do_not(self, text: str) -> None:
        assert subjects(text) == []

    def test_phrase_across_punctuation_and_both_subjects(self) -> None:
        assert subjects("Sorot vs Lensa-Kita, mana yang lebih baik?") == ["brand", "Lensa"]
        assert subjects("lensa untuk kita") == []

    def test_hashtag_from_the_platform_list(self) -> None:
        assert subjects("no tag in the text", ("SorotApp",)) == ["brand"]

    def test_all_terms_must_all_match_and_the_rule_is_recorded(self) -> None:
        matcher = Matcher(Terms(name="x", any=["kopi"], all=["susu"]), [])
        assert matcher.match("kopi tanpa gula") == []
        assert matcher.match("kopi susu gula aren") == [("brand", 'any "kopi" + all "susu"')]

    @pytest.mark.parametrize(
        "terms",
        [Terms(name="x"), Terms(name="", any=["a"]), Terms(name="x", any=["#"]), Terms(name="x", any=["@a b"])],
    )
    def test_bad_terms_are_refused(self, terms: Terms) -> None:
        with pytest.raises(ValidationError):
            Matcher(terms, [])

    def test_competitor_named_brand_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Matcher(BRAND, [Terms(name="brand", any=["x"])])


@pytest.mark.parametrize(
    ("text", "paid"),
    [("Enak! #ad", True), ("ditaja oleh Sorot", True), ("#iklan kopi", True), ("adik saya suka", False)],
)
def test_paid_disclosure(text: str, paid: bool) -> None:
    assert is_paid(text) is paid
