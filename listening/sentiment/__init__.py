"""Sentiment for Indonesian, Malay and English text: one model per language family, offline, on CPU.

``id`` and ``ms`` (and text whose language is unknown) go to the SmSA-trained linear model,
Malay after its slang map; ``en`` to VADER. Each answer names the model version that gave it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from listening.models import Sentiment
from listening.sentiment.english import EnglishModel
from listening.sentiment.indonesian import IndonesianModel

ENGLISH = frozenset({"en"})


class Scorer:
    def __init__(self, indonesian: IndonesianModel, english: EnglishModel) -> None:
        self.indonesian = indonesian
        self.english = english

    @property
    def versions(self) -> dict[str, str]:
        return {"id": self.indonesian.version, "ms": self.indonesian.version, "en": self.english.version}

    def score(self, texts: Sequence[str], languages: Sequence[str]) -> list[Sentiment]:
        """One sentiment per text, in order; ``languages`` are ISO 639-1 codes (``und`` when unknown)."""
        en = [i for i, lang in enumerate(languages) if lang in ENGLISH]
        rest = [i for i, lang in enumerate(languages) if lang not in ENGLISH]
        out: list[Sentiment | None] = [None] * len(texts)
        for i, s in zip(en, self.english.score([texts[i] for i in en]), strict=True):
            out[i] = s
        for i, s in zip(rest, self.indonesian.score([texts[i] for i in rest]), strict=True):
            out[i] = s
        return [s for s in out if s is not None]


@functools.cache
def default_scorer() -> Scorer:
    return Scorer(IndonesianModel.load(), EnglishModel())
