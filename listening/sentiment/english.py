"""English sentiment: VADER (vaderSentiment 3.3.2), a lexicon and rule model made for social media text.

Labels follow VADER's published thresholds on the compound score (>= 0.05 positive,
<= -0.05 negative). Confidence is VADER's own share for the label's polarity rescaled by the
strength of the compound score, so a flat "ok" is a confident neutral and "love it!!" a
confident positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from listening.models import Sentiment

THRESHOLD = 0.05
VERSION = f"en-vader-{version('vaderSentiment')}"


class EnglishModel:
    version = VERSION

    def __init__(self) -> None:
        self._analyzer = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str]) -> list[Sentiment]:
        out: list[Sentiment] = []
        for text in texts:
            s = self._analyzer.polarity_scores(text)
            compound = float(s["compound"])
            if compound >= THRESHOLD:
                out.append(Sentiment("positive", round(0.5 + compound / 2, 4), VERSION))
            elif compound <= -THRESHOLD:
                out.append(Sentiment("negative", round(0.5 - compound / 2, 4), VERSION))
            else:
                out.append(Sentiment("neutral", round(max(0.5, 1 - abs(compound) * 10), 4), VERSION))
        return out
