"""Which language one account writes: its posts (the platform's tag when present) and its bio."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from language import detect

# A follower counts for a language only when the evidence says so clearly; the rest is "unknown"
# rather than split between guesses, so the unknown share is honest.
CONFIDENT = 0.6
MAX_GROUP_CHARS = 3000


@dataclass(frozen=True)
class FollowerLanguage:
    shares: dict[str, float]  # the follower's own distribution (empty: nothing readable)
    label: str | None  # the language counted in the audience's shares, None = unknown


def language_of(posts: list[tuple[str, str | None]], bio: str | None) -> FollowerLanguage:
    """``posts``: (text, platform language tag). Posts with the same tag are read together, so one
    detection weighs all of an author's words; each group weighs by its number of posts."""
    groups: dict[str | None, list[str]] = defaultdict(list)
    for text, tag in posts:
        if text.strip():
            groups[tag or None].append(text)
    if bio and bio.strip():
        groups[None].append(bio)
    mixed: dict[str, float] = defaultdict(float)
    total = 0.0
    for tag, texts in groups.items():
        guess = detect(" \n".join(texts)[:MAX_GROUP_CHARS], tag)
        if not guess.shares:
            continue
        for lang, p in guess.shares.items():
            mixed[lang] += p * len(texts)
        total += len(texts)
    if not total:
        return FollowerLanguage({}, None)
    shares = {k: v / total for k, v in mixed.items()}
    best = max((k for k in shares if k != "other"), key=shares.__getitem__, default=None)
    label = best if best is not None and shares[best] >= CONFIDENT else None
    return FollowerLanguage(shares, label)
