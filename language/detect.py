"""`detect`: the platform's tag when there is one, py3langid on the text, the Malay discriminator."""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from language.malay import family_log_odds, split_malay, words_of
from language.models import CORE, OTHER, UNDETERMINED, LanguageGuess
from language.tags import normalise_tag

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.@-]+|&\w+;")
_MIN_WORDS = 2
_KEEP = 0.05  # languages under this share are folded into `other`
# A platform tag is the author's (or their app's) choice, often a default: trusted, not absolute.
_TAG_WEIGHT = 0.8
_TAG_WEIGHT_CONTRADICTED = 0.3
_CONTRADICTION_WORDS = 8
_CONTRADICTION_CONFIDENCE = 0.9


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _text_shares(text: str, words: list[str]) -> dict[str, float]:
    ranked: list[tuple[str, float]] = _identifier().rank(text)
    shares = {lang: float(p) for lang, p in ranked if p > 1e-6}
    boost = math.exp(family_log_odds(words))
    if boost > 1.0:
        shares["id"] = shares.get("id", 0.0) * boost
        shares["ms"] = shares.get("ms", 0.0) * boost
    p_id, p_ms = split_malay(shares.get("id", 0.0), shares.get("ms", 0.0), words)
    shares["id"], shares["ms"] = p_id, p_ms
    return shares


def _fold(shares: dict[str, float]) -> dict[str, float]:
    total = sum(shares.values()) or 1.0
    out = dict.fromkeys(CORE, 0.0)
    other = 0.0
    for lang, p in shares.items():
        p /= total
        if lang in CORE or (lang != OTHER and p >= _KEEP):
            out[lang] = out.get(lang, 0.0) + p
        else:
            other += p
    if other > 0.0:
        out[OTHER] = other
    return {k: round(v, 6) for k, v in out.items()}


def _guess(shares: dict[str, float], source: str, words: int) -> LanguageGuess:
    folded = _fold(shares)
    best = max((k for k in folded if k != OTHER), key=folded.__getitem__)
    return LanguageGuess(language=best, confidence=folded[best], shares=folded, source=source, words=words)


def detect(text: str, platform_tag: str | None = None) -> LanguageGuess:
    """Languages of one text (a post, a bio), with the platform's language tag when it sent one."""
    clean = _NOISE.sub(" ", text or "")
    words = words_of(clean)
    tag = normalise_tag(platform_tag)
    readable = len(words) >= _MIN_WORDS
    if not readable and tag is None:
        return LanguageGuess(language=UNDETERMINED, confidence=0.0, shares={}, source="none", words=len(words))
    if not readable:
        return _guess({tag: 1.0}, "tag", len(words))  # type: ignore[dict-item]
    text_shares = _text_shares(clean, words)
    if tag is None:
        return _guess(text_shares, "text", len(words))
    top, top_p = max(text_shares.items(), key=lambda kv: kv[1])
    contradicted = top != tag and len(words) >= _CONTRADICTION_WORDS and top_p >= _CONTRADICTION_CONFIDENCE
    weight = _TAG_WEIGHT_CONTRADICTED if contradicted else _TAG_WEIGHT
    blended = {lang: (1 - weight) * p for lang, p in text_shares.items()}
    blended[tag] = blended.get(tag, 0.0) + weight
    return _guess(blended, "tag+text", len(words))
