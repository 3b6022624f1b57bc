"""What a language detection returns."""

from __future__ import annotations

import msgspec

UNDETERMINED = "und"
OTHER = "other"
CORE = ("id", "ms", "en")


class LanguageGuess(msgspec.Struct, frozen=True):
    """A distribution over languages for one text.

    `shares` always holds `id`, `ms` and `en` (possibly 0), any other language with at
    least 5%, and `other` for the remainder; it sums to 1, or is empty when nothing could
    be read (`language == "und"`). `confidence` is the top share. `source` says what
    decided it: `tag` (the platform's language tag), `text` (the detector), `tag+text`,
    or `none`.
    """

    language: str
    confidence: float
    shares: dict[str, float]
    source: str
    words: int

    @property
    def known(self) -> bool:
        return self.language != UNDETERMINED
