"""Keeps every active monitor's sources listening: in the service process, from their stored cursors.

Each source runs as a producer (the platform adapter, reading ahead into a small queue) and a
consumer that stores what it read in batches. Stopping the process at any point loses nothing:
the next start resumes each source from the cursor stored with its last batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

import asyncpg
import httpx

from discovery.fetcher import Counters, Fetcher
from discovery.netguard import guarded_client
from listening import repository
from listening.ingest import Outcome, ingest
from listening.models import Batch, SourceJob
from listening.rules import Matcher
from listening.sentiment import Scorer, default_scorer
from listening.sources.base import Source, check_url
from listening.sources.bluesky import BlueskySearchSource
from listening.sources.jetstream import JetstreamSource
from listening.sources.mastodon import MastodonSource
from sql.errors import AppError

log = logging.getLogger("sorot.listening")
MAX_MERGE = 1000
READ_AHEAD = 8


def make_source(job: SourceJob, fetcher: Fetcher, poll_interval: float = 30.0) -> Source:
    if job.platform == "mastodon" and job.kind in ("public", "hashtag", "search"):
        return MastodonSource(fetcher, job.base_url, job.kind, job.query, job.stream_url, poll_interval=poll_interval)
    if job.platform == "bluesky" and job.kind == "search":
        return BlueskySearchSource(fetcher, job.base_url, job.query, poll_interval=poll_interval)
    if job.platform == "bluesky" and job.kind == "jetstream" and job.stream_url:
        return JetstreamSource(fetcher, job.base_url, job.stream_url)
    raise ValueError(f"no source for {job.platform} {job.kind}")


def _merge(batches: list[Batch]) -> Batch:
    return Batch(
        [s for b in batches for s in b.seen],
        next((b.cursor for b in reversed(batches) if b.cursor is not None), None),
        any(b.backfill for b in batches),
    )


async def run_source(
    pool: asyncpg.Pool,
    job: SourceJob,
    *,
    allow_private: bool,
    scorer: Scorer | None = None,
    poll_interval: float = 30.0,
    on_batch: Callable[[Outcome], None] | None = None,
) -> None:
    """Listen to one source until cancelled (or until its monitor is deleted)."""
    async with pool.acquire() as conn:
        monitor = await repository.monitor_by_id(conn, job.monitor_id)
    if monitor is None:
        return
    matcher = Matcher(monitor.brand, monitor.competitors)
    scoring: Scorer = scorer if scorer is not None else await asyncio.to_thread(default_scorer)
    for url in (job.base_url, job.stream_url):
        if url:
            await asyncio.to_thread(check_url, url, allow_private)
    # unbounded, so the producer can always hand over its error; it reads at most READ_AHEAD batches ahead
    queue: asyncio.Queue[Batch | BaseException] = asyncio.Queue()
    room = asyncio.Semaphore(READ_AHEAD)
    async with guarded_client(allow_private, timeout=httpx.Timeout(15.0, connect=5.0)) as client:
        source = make_source(job, Fetcher(client, Counters(), job.token), poll_interval)

        async def produce() -> None:
            try:
                async for batch in source.run(job.cursor):
                    await room.acquire()
                    queue.put_nowait(batch)
            except Exception as e:  # handed to the consumer, which records it on the source
                queue.put_nowait(e)

        producer = asyncio.create_task(produce())
        try:
            while True:
                items = [await queue.get()]
                while not queue.empty() and sum(len(b.seen) for b in items if isinstance(b, Batch)) < MAX_MERGE:
                    items.append(queue.get_nowait())
                for item in items:
                    if isinstance(item, Batch):
                        room.release()
                batches = [b for b in items if isinstance(b, Batch)]
                if batches:
                    outcome = await ingest(pool, monitor, matcher, job, source, scoring, _merge(batches))
                    if on_batch is not None:
                        on_batch(outcome)
                    if outcome.gone:
                        return
                errors = [e for e in items if not isinstance(e, Batch)]
                if errors:
                    raise errors[0]
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await producer


async def serve(pool: asyncpg.Pool, *, allow_private: bool, poll: float = 2.0, poll_interval: float = 30.0) -> None:
    """Run every active source (also ones a killed process left running) until cancelled."""
    running: dict[UUID, asyncio.Task[None]] = {}
    retry_at: dict[UUID, float] = {}
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                async with pool.acquire() as conn:
                    jobs = {j.id: j for j in await repository.active_sources(conn)}
            except (OSError, asyncpg.PostgresError) as e:
                log.warning("cannot list listening sources", extra={"error": str(e)})
                jobs = {}
            for source_id, task in list(running.items()):
                if source_id not in jobs:
                    task.cancel()
                if task.done():
                    del running[source_id]
                    error = None if task.cancelled() else task.exception()
                    if error is not None:
                        await _record_error(pool, source_id, error)
                        retry_at[source_id] = loop.time() + 30.0
            for source_id, job in jobs.items():
                if source_id not in running and retry_at.get(source_id, 0.0) <= loop.time():
                    running[source_id] = asyncio.create_task(
                        run_source(pool, job, allow_private=allow_private, poll_interval=poll_interval)
                    )
            await asyncio.sleep(poll)
    finally:
        for task in running.values():
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)


async def _record_error(pool: asyncpg.Pool, source_id: UUID, error: BaseException) -> None:
    detail = error.detail if isinstance(error, AppError) else f"{type(error).__name__}: {error}"
    log.warning("listening source failed", extra={"source_id": str(source_id), "error": detail})
    with contextlib.suppress(OSError, asyncpg.PostgresError):
        async with pool.acquire() as conn:
            await repository.source_error(conn, source_id, detail)
