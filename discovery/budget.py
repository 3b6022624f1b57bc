"""One rate budget per host shared by every crawl, worker and process, kept in PostgreSQL.

Each reservation and each answer is one short transaction on the host's row
(``SELECT ... FOR UPDATE``, the pure step from ``ratelimit``, ``UPDATE``): no lock is
ever held while waiting. A task that must wait sleeps outside any lock and re-checks
when an answer in this process updates the budget, or after ``RECHECK`` seconds (an
answer in another process). Within the budget, at most ``concurrency`` requests per
host are in flight from one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import asyncpg

from discovery.ratelimit import (
    BudgetState,
    Decision,
    HeaderMap,
    observe,
    read_limits,
    reserve,
    retry_after_seconds,
    rounded_reset,
)
from sql import Q

T = TypeVar("T")
RECHECK = 0.25  # seconds: how long a waiting task may miss an answer another process saw
UNLIMITED_RECHECK = 1.0  # seconds a host without a limit is trusted to stay so before asking again
DEFAULT_HOST_CONCURRENCY = 8  # as scrapy's per-domain default; the rate budget, not this, protects the host


class BudgetStore(Protocol):
    async def update(self, host: str, step: Callable[[BudgetState], T]) -> T: ...


class MemoryStore:
    """A budget for one process only (probes, unit tests)."""

    def __init__(self) -> None:
        self.states: dict[str, BudgetState] = {}

    async def update(self, host: str, step: Callable[[BudgetState], T]) -> T:
        return step(self.states.setdefault(host, BudgetState()))


_COLUMNS = ("limit", "remaining", "reset_at", "known_reset", "window", "hold_until", "next_slot", "leases", "rounded")


def _snapshot(state: BudgetState) -> list[object]:
    return [list(v) if isinstance(v, list) else v for v in (getattr(state, c) for c in _COLUMNS)]


def _state(row: Any) -> BudgetState:
    return BudgetState(
        limit=row["lim"],
        remaining=row["remaining"],
        reset_at=row["reset_at"],
        known_reset=row["known_reset"],
        window=row["window_secs"],
        hold_until=row["hold_until"],
        next_slot=row["next_slot"],
        leases=list(row["leases"]),
        rounded=row["rounded_reset"],
    )


class PgStore:
    """The budget in PostgreSQL: what every process (and a second machine) shares."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def update(self, host: str, step: Callable[[BudgetState], T]) -> T:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(Q["crawls.budget_lock"], host)
            if row is None:
                await conn.execute(Q["crawls.budget_create"], host)
                row = await conn.fetchrow(Q["crawls.budget_lock"], host)
                assert row is not None
            state = _state(row)
            before = _snapshot(state)
            out = step(state)
            if _snapshot(state) != before:
                await conn.execute(
                    Q["crawls.budget_save"],
                    host,
                    state.limit,
                    state.remaining,
                    state.reset_at,
                    state.known_reset,
                    state.window,
                    state.hold_until,
                    state.next_slot,
                    state.leases,
                    state.rounded,
                )
            return out


@dataclass
class Lease:
    reservation: float | None  # None: the host had no limit, nothing to give back
    waited: float


class HostBudget:
    def __init__(self, store: BudgetStore, host: str, concurrency: int) -> None:
        self.store, self.host = store, host
        self.slots = asyncio.Semaphore(concurrency)
        self.changed = asyncio.Event()
        self.unlimited_until = 0.0

    async def acquire(self) -> Lease:
        """Wait for a slot and the budget's permission; the caller must call ``done`` after the request."""
        await self.slots.acquire()
        try:
            return await self._reserve()
        except BaseException:
            self.slots.release()
            raise

    async def _reserve(self) -> Lease:
        started = time.monotonic()
        while True:
            now = time.time()
            if now < self.unlimited_until:
                return Lease(None, time.monotonic() - started)
            decision: Decision = await self.store.update(self.host, functools.partial(reserve, now=now))
            if decision.unlimited:
                self.unlimited_until = now + UNLIMITED_RECHECK
                return Lease(None, time.monotonic() - started)
            if decision.send_at is not None:
                if decision.send_at > now:
                    await asyncio.sleep(decision.send_at - now)
                return Lease(decision.lease, time.monotonic() - started)
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), max(0.0, min(decision.recheck_at - now, RECHECK)))

    async def done(self, lease: Lease, headers: HeaderMap | None, status: int | None) -> None:
        """Fold the answer into the budget (``headers`` None: no answer came) and free the slot."""
        try:
            limits = read_limits(headers, time.time()) if headers is not None else None
            limited = status == 429
            if limits is None and not limited and lease.reservation is None:
                return  # no limit here, nothing reserved: nothing to share
            self.unlimited_until = 0.0
            now = time.time()
            rounded = rounded_reset(headers) if headers is not None else False
            retry = retry_after_seconds(headers) if headers is not None else None
            await self.store.update(
                self.host,
                lambda s: observe(
                    s, now, limits, rounded=rounded, limited=limited, retry=retry, lease=lease.reservation
                ),
            )
            self.changed.set()
        finally:
            self.slots.release()


class Budgets:
    """The process's budgets, one per host, shared by every crawl this process runs."""

    def __init__(self, store: BudgetStore, concurrency: int = DEFAULT_HOST_CONCURRENCY) -> None:
        self.store, self.concurrency = store, concurrency
        self.hosts: dict[str, HostBudget] = {}

    def host(self, host: str) -> HostBudget:
        if host not in self.hosts:
            self.hosts[host] = HostBudget(self.store, host, self.concurrency)
        return self.hosts[host]
