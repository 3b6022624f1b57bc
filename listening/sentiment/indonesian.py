"""The Indonesian sentiment model (trained on SmSA by ``listening.train``), scored with numpy only.

Malay text goes through the same model after ``normalise`` maps common Malay words to their
Indonesian equivalents; ``tests/fixtures/sentiment-ms.tsv`` measures how well that works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from listening.models import Label, Sentiment
from listening.sentiment import features

LABELS: tuple[Label, ...] = ("positive", "neutral", "negative")
VERSION = "id-smsa-lr-1"
MODEL_PATH = Path(__file__).parent / "sentiment-id.npz"


class IndonesianModel:
    def __init__(self, arrays: Mapping[str, NDArray[np.generic]]) -> None:
        self.idf_words = np.asarray(arrays["idf_words"], dtype=np.float32)
        self.idf_chars = np.asarray(arrays["idf_chars"], dtype=np.float32)
        self.weights = np.ascontiguousarray(np.asarray(arrays["coef"], dtype=np.float32).T)
        self.intercept = np.asarray(arrays["intercept"], dtype=np.float32)
        self.version = str(arrays["version"])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> IndonesianModel:
        with np.load(path, allow_pickle=False) as arrays:
            return cls({k: arrays[k] for k in arrays.files})

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, len(LABELS)), np.float32)
        logits = features.transform(texts, self.idf_words, self.idf_chars) @ self.weights + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float32)

    def score(self, texts: Sequence[str]) -> list[Sentiment]:
        p = self.probabilities(texts)
        best = p.argmax(axis=1)
        return [
            Sentiment(label=LABELS[int(b)], confidence=round(float(row[b]), 4), model=self.version)
            for b, row in zip(best, p, strict=True)
        ]
