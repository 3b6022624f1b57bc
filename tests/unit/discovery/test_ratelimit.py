"""The pacer against a fixed-window server model: never over the limit, close to it."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime

import pytest

from discovery.ratelimit import Pacer

pytestmark = pytest.mark.anyio


class WindowServer:
    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.counts: dict[float, int] = {}

    async def handle(self) -> dict[str, str]:
        await asyncio.sleep(0.003)  # network on the way in
        now = time.time()
        start = math.floor(now / self.window) * self.window
        self.counts[start] = self.counts.get(start, 0) + 1
        reset = datetime.fromtimestamp(start + self.window, UTC).isoformat().replace("+00:00", "Z")
        remaining = max(0, self.limit - self.counts[start])
        await asyncio.sleep(0.003)  # and back
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": reset,
        }


async def test_concurrent_requests_stay_within_every_window() -> None:
    server, pacer = WindowServer(limit=30, window=0.5), Pacer()
    deadline = time.time() + 2.2

    async def worker() -> None:
        while time.time() < deadline:
            await pacer.acquire()
            try:
                pacer.observe(await server.handle())
            finally:
                pacer.release()

    await asyncio.gather(*(worker() for _ in range(16)))
    counts = [server.counts[w] for w in sorted(server.counts)]
    assert max(counts) <= 30, counts
    assert sum(counts[1:-1]) >= 0.9 * 30 * len(counts[1:-1]), counts  # full windows used to >= 90%
