"""Spike detection on a monitor's brand mentions: pure functions over (time, negative?) points.

At each new mention's time ``t`` the current window is ``(t - w, t]``; the baseline is the
``baseline_windows`` windows of the same length just before it (only those after the first
mention the monitor has). With ``m`` the baseline median and ``sigma = max(1.4826 * MAD,
sqrt(max(m, 1)))`` (a Poisson floor, so a quiet baseline does not make every blip a spike):

- ``negative``: negative mentions ``c`` in the window reach ``min_count``, ``(c - m) / sigma``
  reaches ``threshold``, and the negative *share* is above the baseline's too: with the
  baseline's pooled negative share ``p`` and ``n`` mentions in the window,
  ``(c - n p) / sqrt(n p (1 - p))`` reaches ``threshold``. A wave of ordinary mentions raises
  the count but not the share, so it is no reputation alert;
- ``volume`` (opt-in): all mentions, the count test only.

No two alerts of a kind closer than ``cooldown_minutes`` (either way: mentions can arrive out of order).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from listening.models import AlertSettings, Spike

MAX_EVIDENCE = 50


class Points:
    """Mentions sorted by time, with prefix counts of negatives, for window counts in O(log n)."""

    def __init__(self, points: Sequence[tuple[datetime, bool, int]]) -> None:
        ordered = sorted(points, key=lambda p: (p[0], p[2]))
        self.times = [p[0].timestamp() for p in ordered]
        self.ids = [p[2] for p in ordered]
        self.negative = [p[1] for p in ordered]
        self.prefix = [0]
        for negative in self.negative:
            self.prefix.append(self.prefix[-1] + int(negative))

    def count(self, lo: float, hi: float) -> tuple[int, int]:
        """(all, negative) in (lo, hi]."""
        a, b = bisect.bisect_right(self.times, lo), bisect.bisect_right(self.times, hi)
        return b - a, self.prefix[b] - self.prefix[a]

    def ids_in(self, lo: float, hi: float, negative_only: bool) -> list[int]:
        a, b = bisect.bisect_right(self.times, lo), bisect.bisect_right(self.times, hi)
        return [self.ids[i] for i in range(a, b) if self.negative[i] or not negative_only][:MAX_EVIDENCE]


def _sigma(values: list[int]) -> tuple[float, float]:
    median = float(statistics.median(values))
    mad = float(statistics.median([abs(v - median) for v in values]))
    return median, max(1.4826 * mad, math.sqrt(max(median, 1.0)))


def evaluate(
    points: Points, at: datetime, settings: AlertSettings, kind: Literal["negative", "volume"]
) -> Spike | None:
    if not points.times:
        return None
    w = settings.window_minutes * 60.0
    t = at.timestamp()
    first = points.times[0]
    total, negative = points.count(t - w, t)
    baseline = [
        points.count(t - (k + 1) * w, t - k * w) for k in range(1, settings.baseline_windows + 1) if t - k * w > first
    ]
    if len(baseline) < settings.min_baseline_windows:
        return None
    if kind == "volume":
        observed, series = total, [b[0] for b in baseline]
    else:
        observed, series = negative, [b[1] for b in baseline]
    if observed < settings.min_count:
        return None
    median, sigma = _sigma(series)
    z = (observed - median) / sigma
    if z < settings.threshold:
        return None
    if kind == "negative":
        base_total, base_negative = sum(b[0] for b in baseline), sum(b[1] for b in baseline)
        p = min(0.9, max(0.02, base_negative / base_total if base_total else 0.02))
        share_z = (negative - total * p) / math.sqrt(total * p * (1 - p))
        if share_z < settings.threshold:
            return None
    return Spike(
        kind=kind,
        at=at,
        window_start=at - timedelta(seconds=w),
        observed=observed,
        total=total,
        baseline=median,
        sigma=round(sigma, 4),
        z=round(z, 3),
        evidence=points.ids_in(t - w, t, negative_only=kind == "negative"),
    )


def detect(
    points: Points, new_times: Sequence[datetime], settings: AlertSettings, earlier: Sequence[tuple[str, datetime]]
) -> list[Spike]:
    """Spikes at each new mention's time, in order. No spike of a kind within ``cooldown_minutes`` of another
    of that kind, before or after it: mentions arrive out of order (two sources, a catch-up after a restart),
    and a burst seen in two parts is still one burst."""
    kinds: list[Literal["negative", "volume"]] = ["negative", "volume"] if settings.volume else ["negative"]
    cooldown = timedelta(minutes=settings.cooldown_minutes)
    raised = list(earlier)
    out: list[Spike] = []
    for at in sorted(set(new_times)):
        for kind in kinds:
            if any(k == kind and abs(at - t) < cooldown for k, t in raised):
                continue
            spike = evaluate(points, at, settings, kind)
            if spike is not None:
                out.append(spike)
                raised.append((kind, at))
    return out
