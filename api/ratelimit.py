"""Token buckets in memory, per process: per API key on expensive routes, per client IP on failures.

Each class of route has a bucket of ``burst`` tokens refilled at ``burst / period`` tokens a
second; a request takes one, and with none left the answer is 429 with ``Retry-After``. The
buckets live in a bounded LRU map, so a flood of new keys or addresses cannot grow memory.
Several processes each keep their own buckets (see README, Operations).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Route class -> (burst, period in seconds). Overridable with SOROT_RATE_LIMITS="heavy=20/60,...".
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "heavy": (20, 60.0),  # rankings, overlap, audience, shortlists: per key
    "crawl": (10, 60.0),  # crawl creation: per key
    "report": (60, 60.0),  # campaign reports and time series: per key
    "redirect_miss": (120, 60.0),  # /r/ answers 404: per client IP
    "webhook_fail": (30, 60.0),  # webhook signature or integration failures: per client IP
}
# Expensive routes by operation id (stable, documented), so controllers need no change.
ROUTE_CLASSES: dict[str, str] = {
    "RankCreators": "heavy",
    "AudienceOverlap": "heavy",
    "GetAudience": "heavy",
    "CreateShortlist": "heavy",
    "CreateCrawl": "crawl",
    "GetCampaignReport": "report",
    "GetCampaignTimeseries": "report",
}
MAX_BUCKETS = 50_000


def limit_for(path: str, operation_id: object) -> str | None:
    """The rate-limit class of a route (by its path template and operation id), or None."""
    if path == "/r" or path.startswith("/r/"):
        return "redirect_miss"
    if path.startswith("/v1/webhooks"):
        return "webhook_fail"
    return ROUTE_CLASSES.get(operation_id) if isinstance(operation_id, str) else None


def parse_limits(text: str) -> dict[str, tuple[int, float]]:
    """``"heavy=20/60,crawl=5/60"`` over the defaults; a burst of 0 turns a class off."""
    limits = dict(DEFAULT_LIMITS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, spec = part.partition("=")
        burst, _, period = spec.partition("/")
        if name.strip() not in limits or not burst.strip().isdigit():
            raise ValueError(f"SOROT_RATE_LIMITS: cannot read {part!r}; use class=burst/seconds")
        limits[name.strip()] = (int(burst), float(period or 60))
    return limits


@dataclass
class Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Buckets keyed by (class, caller), least recently used dropped past ``max_buckets``."""

    def __init__(
        self,
        limits: Mapping[str, tuple[int, float]] | None = None,
        max_buckets: int = MAX_BUCKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.max_buckets = max_buckets
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], Bucket] = OrderedDict()

    def _bucket(self, kind: str, who: str) -> tuple[Bucket, int, float]:
        burst, period = self.limits[kind]
        now = self.clock()
        key = (kind, who)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(float(burst), now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * burst / period)
            bucket.at = now
        return bucket, burst, period

    def wait(self, kind: str, who: str) -> int:
        """Seconds until one token is there (0: go ahead), without taking it."""
        if self.limits.get(kind, (0, 0.0))[0] <= 0:
            return 0
        bucket, burst, period = self._bucket(kind, who)
        if bucket.tokens >= 1:
            return 0
        return max(1, math.ceil((1 - bucket.tokens) * period / burst))

    def take(self, kind: str, who: str) -> int:
        """Take a token; 0 when there was one, else the seconds to wait (nothing taken)."""
        seconds = self.wait(kind, who)
        if seconds == 0 and self.limits.get(kind, (0, 0.0))[0] > 0:
            self._buckets[(kind, who)].tokens -= 1
        return seconds

    def __len__(self) -> int:
        return len(self._buckets)
