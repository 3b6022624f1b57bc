"""Workers of the job queue.

Each job runs inside the transaction that claimed it (``FOR UPDATE SKIP LOCKED``) and marks it done in
that same transaction. A worker killed mid-job (kill -9, power loss) therefore leaves nothing behind:
PostgreSQL rolls its transaction back when the connection drops, the row lock goes with it, and the next
worker runs the job from the start. Nothing is lost (the job is still queued) and nothing is written twice
(the half-done writes were rolled back). Jobs must be short: they hold a row lock while they run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from jobs import repository as repo
from sql import Conn

log = logging.getLogger("sorot.jobs")
MAX_ATTEMPTS = 5


@dataclass
class Context:
    """What handlers may use besides their connection."""

    client: httpx.AsyncClient
    allow_private: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Conn, dict[str, Any], Context], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2**attempts))


async def run_one(pool: asyncpg.Pool, handlers: Mapping[str, Handler], ctx: Context) -> bool:
    """Run the oldest due job; False when none is due."""
    async with pool.acquire() as conn, conn.transaction():
        job = await repo.claim(conn)
        if job is None:
            return False
        handler = handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            async with conn.transaction():  # a savepoint: a failing job's writes go, its claim stays
                await handler(conn, job.args, ctx)
        except Exception as e:  # any failure is recorded on the job and retried later
            log.warning("job failed", extra={"job": job.key, "error": str(e)})
            await repo.retry(conn, job.id, f"{type(e).__name__}: {e}", backoff(job.attempts), MAX_ATTEMPTS)
        else:
            await repo.complete(conn, job.id)
        return True


async def drain(pool: asyncpg.Pool, handlers: Mapping[str, Handler], ctx: Context, workers: int = 2) -> None:
    """Run due jobs until none is left (``sorot jobs --once``)."""

    async def worker() -> None:
        while await run_one(pool, handlers, ctx):
            pass

    await asyncio.gather(*(worker() for _ in range(workers)))


async def enqueue_periodic(
    pool: asyncpg.Pool, periodic: Sequence[tuple[str, timedelta]], now: datetime, done: dict[str, int]
) -> int:
    """Queue each periodic job once per interval: the key names the interval, so many workers queue it once.
    ``done`` remembers the intervals this process already queued."""
    new = 0
    for kind, every in periodic:
        bucket = int(now.timestamp() // every.total_seconds())
        if done.get(kind) == bucket:
            continue
        async with pool.acquire() as conn:
            new += await repo.enqueue(conn, kind, f"{kind}:{bucket}", {}, now)
        done[kind] = bucket
    return new


async def serve(
    pool: asyncpg.Pool,
    handlers: Mapping[str, Handler],
    ctx: Context,
    *,
    workers: int = 2,
    poll: float = 1.0,
    periodic: Sequence[tuple[str, timedelta]] = (),
) -> None:
    """Run jobs as they fall due, until cancelled."""
    queued: dict[str, int] = {}

    async def worker() -> None:
        await asyncio.sleep(poll)  # let the process finish starting before the first job
        while True:
            try:
                await enqueue_periodic(pool, periodic, datetime.now(UTC), queued)
                busy = await run_one(pool, handlers, ctx)
            except (OSError, asyncpg.PostgresError) as e:
                log.warning("job queue unavailable", extra={"error": str(e)})
                busy = False
            if not busy:
                await asyncio.sleep(poll)

    await asyncio.gather(*(worker() for _ in range(workers)))
