"""Per-host pacing from the server's own rate-limit headers.

Mastodon-API servers send ``X-RateLimit-Limit/Remaining/Reset`` (Reset an ISO 8601
time); Bluesky sends ``RateLimit-Limit/Remaining/Reset`` (Reset in Unix seconds).
The pacer spreads the requests still allowed evenly over what is left of the window,
counting requests in flight, so a crawl runs close to the allowed rate without a 429.
"""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime
from typing import Protocol

from discovery.text import parse_time

CLOCK_SKEW_TOLERANCE = 2.0  # seconds; beyond this the server's Date header is trusted over ours
SAME_RESET = 0.01  # seconds: two Reset times closer than this name the same window


class HeaderMap(Protocol):
    def get(self, key: str, default: None = None) -> str | None: ...


def read_limits(headers: HeaderMap, now: float) -> tuple[int, int, float] | None:
    """(limit, remaining, reset as a time.time() value) from either header family."""
    for prefix in ("x-ratelimit-", "ratelimit-"):
        limit, remaining, reset = (headers.get(prefix + k) for k in ("limit", "remaining", "reset"))
        if limit and remaining and reset:
            try:
                lim, rem = int(limit.split(";")[0]), int(remaining)
            except ValueError:
                return None
            at = _reset_time(reset, now)
            if at is None:
                return None
            return lim, rem, _correct_skew(at, headers.get("date"), now)
    return None


def _reset_time(value: str, now: float) -> float | None:
    if value.isdigit():
        seconds = int(value)
        return float(seconds) if seconds > 1_000_000_000 else now + seconds  # epoch, or delta-seconds
    when = parse_time(value)
    return when.timestamp() if when else None


def _correct_skew(reset: float, date: str | None, now: float) -> float:
    if not date:
        return reset
    try:
        server_now = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return reset
    skew = now - server_now
    return reset + skew if abs(skew) > CLOCK_SKEW_TOLERANCE else reset


def retry_after(headers: HeaderMap, now: float) -> float | None:
    value = headers.get("retry-after")
    if value and value.strip().isdigit():
        return float(value)
    limits = read_limits(headers, now)
    return max(0.0, limits[2] - now) if limits else None


class Pacer:
    """One host's budget. ``acquire`` before a request, ``observe`` every response."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at = 0.0
        self.next_slot = 0.0
        self.in_flight = 0
        self.waits = 0
        self.window: float | None = None  # learned from two consecutive Reset times
        self.known_reset: float | None = None  # the latest Reset a server answer named
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.time()
                if self.remaining is None or self.limit is None:
                    break
                if now >= self.reset_at:
                    # A new window began; until its first answer, assume it is as long as the last one.
                    self.remaining = max(0, self.limit - self.in_flight)
                    self.reset_at = self.reset_at + self.window if self.window else now + 1.0
                    while self.reset_at <= now:
                        self.reset_at += self.window or 1.0
                if self.remaining > 0:
                    gap = max(0.0, self.reset_at - now) / (self.remaining + 1)
                    start = max(now, self.next_slot)
                    self.next_slot = start + gap
                    # Reserved now, so an answer arriving while we wait for our slot counts this request.
                    self.remaining -= 1
                    self.in_flight += 1
                    if start > now:
                        await asyncio.sleep(start - now)
                    return
                self.waits += 1
                await asyncio.sleep(max(0.01, self.reset_at - now + 0.05))
            self.in_flight += 1

    def release(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def observe(self, headers: HeaderMap) -> None:
        now = time.time()
        limits = read_limits(headers, now)
        if limits is None:
            return
        limit, remaining, reset = limits
        if reset <= now:
            return  # a late answer from a window that is already over
        # Requests sent after this one may not be counted by the server yet: assume they are not.
        server_view = max(0, remaining - max(0, self.in_flight - 1))
        if self.known_reset is None or reset > self.known_reset + SAME_RESET:
            if self.known_reset is not None:
                step = reset - self.known_reset
                self.window = step if self.window is None else min(self.window, step)
            self.known_reset = reset
            self.remaining = server_view
        else:
            self.remaining = server_view if self.remaining is None else min(self.remaining, server_view)
        self.limit, self.reset_at = limit, reset

    def blocked_until(self, reset: float) -> None:
        """After a 429: nothing more until ``reset``."""
        self.remaining = 0
        self.reset_at = max(self.reset_at, reset)
        self.waits += 1
