"""The host budget against server models: never over the limit, close to it, never stalled."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime

import pytest

from discovery.budget import Budgets, HostBudget, MemoryStore
from discovery.ratelimit import ROUNDED_MARGIN, BudgetState, observe, reserve

pytestmark = pytest.mark.anyio


def iso(t: float, rounded: bool = False) -> str:
    value = datetime.fromtimestamp(math.floor(t) if rounded else t, UTC).isoformat()
    return value.replace("+00:00", "Z")


class WindowServer:
    """Fixed windows aligned to the clock (Mastodon), or GoToSocial's: a window starts with the first
    request after the last one ended, and Reset is rounded down to the second."""

    def __init__(self, limit: int, window: float, gotosocial: bool = False) -> None:
        self.limit, self.window, self.gotosocial = limit, window, gotosocial
        self.counts: dict[float, int] = {}
        self.limited = 0
        self.end = 0.0

    async def handle(self) -> tuple[int, dict[str, str]]:
        await asyncio.sleep(0.003)  # network on the way in
        now = time.time()
        if self.gotosocial:
            if now >= self.end:
                self.end = now + self.window
            start = self.end - self.window
        else:  # aligned to the clock, a quarter second off the whole seconds (a Reset with a fraction)
            start = math.floor((now - 0.25) / self.window) * self.window + 0.25
        self.counts[start] = self.counts.get(start, 0) + 1
        status = 200
        if self.counts[start] > self.limit:
            status, self.limited = 429, self.limited + 1
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self.counts[start])),
            "x-ratelimit-reset": iso(start + self.window, rounded=self.gotosocial),
        }
        await asyncio.sleep(0.003)  # and back
        return status, headers


async def hammer(budget: HostBudget, server: WindowServer, seconds: float, workers: int = 16) -> None:
    deadline = time.time() + seconds

    async def worker() -> None:
        while time.time() < deadline:
            lease = await budget.acquire()
            status, headers = await server.handle()
            await budget.done(lease, headers, status)

    await asyncio.gather(*(worker() for _ in range(workers)))


@pytest.mark.parametrize("gotosocial", [False, True], ids=["aligned", "gotosocial"])
async def test_concurrent_requests_stay_within_every_window(gotosocial: bool) -> None:
    window = 1.5 if gotosocial else 0.5
    server = WindowServer(limit=30, window=window, gotosocial=gotosocial)
    budget = Budgets(MemoryStore(), concurrency=4).host("h")
    await hammer(budget, server, 5.0 if gotosocial else 2.2)
    counts = [server.counts[w] for w in sorted(server.counts)]
    assert max(counts[1:]) <= 30, counts  # no 429 after the first window
    assert sum(counts[1:-1]) >= 0.9 * 30 * len(counts[1:-1]), counts  # full windows used to >= 90%
    assert len(counts) >= 3


def test_a_429_with_a_rounded_reset_holds_past_the_real_reset() -> None:
    # GoToSocial's real 429: Reset 01:47:35.000, which may really be 01:47:35.999.
    state = BudgetState()
    now = 1_000.2
    observe(state, now, (300, 0, 1_000.0), rounded=True, limited=True, retry=None, lease=None)
    assert state.hold_until == pytest.approx(1_000.0 + ROUNDED_MARGIN)
    assert reserve(state, 1_000.5).send_at is None  # the issue: retried 0.05 s after Reset, got 429 again
    assert reserve(state, 1_001.1).send_at is not None


def test_remaining_zero_holds_the_host_until_reset() -> None:
    state = BudgetState()
    observe(state, 10.0, (5, 0, 12.0), rounded=False, limited=False, retry=None, lease=None)
    decision = reserve(state, 10.1)
    assert decision.send_at is None and decision.recheck_at == pytest.approx(12.05)


def test_a_crashed_reservation_stops_counting() -> None:
    state = BudgetState()
    observe(state, 0.0, (2, 2, 100.0), rounded=False, limited=False, retry=None, lease=None)
    assert reserve(state, 0.0).send_at is not None
    assert reserve(state, 0.0).send_at is not None
    assert reserve(state, 0.1).send_at is None  # both reserved, no answers yet
    assert len(state.leases) == 2
    observe(state, 70.0, (2, 1, 100.0), rounded=False, limited=False, retry=None, lease=None)
    assert state.leases == []  # answers never came: their reservations expired


async def test_waiters_wake_when_an_answer_frees_the_budget() -> None:
    """The 5-minute stall: a task waiting on a held host must not sleep through answers that free it."""
    budget = Budgets(MemoryStore()).host("h")
    now = time.time()
    first = await budget.acquire()
    # A 429 that says to come back in 300 s: every request now waits.
    await budget.done(first, {"retry-after": "300"}, 429)
    waiter = asyncio.create_task(budget.acquire())
    await asyncio.sleep(0.3)
    assert not waiter.done()
    # Another process learns the window is open again and writes it; our waiter re-checks and goes.
    state = budget.store.states["h"]  # type: ignore[attr-defined]
    state.hold_until = 0.0
    observe(state, time.time(), (300, 298, now + 300), rounded=True, limited=False, retry=None, lease=None)
    lease = await asyncio.wait_for(waiter, 1.0)
    await budget.done(lease, None, None)
