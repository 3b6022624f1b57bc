"""Audience shares with 95% Wilson intervals, an explicit unknown share, and small groups folded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from audience.models import Share
from graph.authenticity import wilson


def share(key: str, name: str, count: float, n: int) -> Share:
    low, high = wilson(round(count), n) if n else (0.0, 1.0)
    return Share(
        key=key,
        name=name,
        followers=round(count, 2),
        share=round(count / n, 6) if n else 0.0,
        low=round(low, 6),
        high=round(high, 6),
    )


def tally(
    labels: Iterable[str | None],
    n: int,
    min_evidence: int,
    name: Callable[[str], str] = str,
    extra: dict[str, float] | None = None,
) -> tuple[list[Share], Share, Share]:
    """Shares of each label among ``n`` followers, largest first, for labels seen at least
    ``min_evidence`` times; the rest as `other`, the None labels as `unknown`. ``extra`` adds
    fractional evidence (a weak prior) to labels that are reported anyway."""
    counts = Counter(labels)
    unknown = float(counts.pop(None, 0))
    extra = extra or {}
    reported = {k: float(c) for k, c in counts.items() if k is not None and c >= min_evidence}
    for key, weight in extra.items():
        if key in reported:
            reported[key] += weight
            unknown -= weight
    other = float(sum(c for k, c in counts.items() if k is not None and k not in reported))
    ordered = sorted(reported.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [share(k, name(k), c, n) for k, c in ordered]
    return rows, share("other", "other", other, n), share("unknown", "unknown", max(unknown, 0.0), n)
