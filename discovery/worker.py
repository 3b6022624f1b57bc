"""Runs crawls in the background: in the service process, or in `sorot worker` processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from uuid import UUID

import asyncpg

from discovery import frontier
from discovery.budget import DEFAULT_HOST_CONCURRENCY, Budgets, PgStore
from discovery.crawler import Crawler
from discovery.fetcher import Counters, Fetcher, build_client
from discovery.frontier import Status
from discovery.netguard import check_host
from discovery.platforms import make_connector
from sql.errors import AppError

log = logging.getLogger("sorot.worker")


async def run_crawl(
    pool: asyncpg.Pool,
    crawl_id: UUID,
    *,
    allow_private: bool,
    concurrency: int = 8,
    budgets: Budgets | None = None,
    on_progress: Callable[[], None] | None = None,
) -> Status:
    """Run one crawl to its end. How many requests are in flight per host is the budgets' business (shared
    by every crawl of this process); items are worked on ``concurrency`` at once, and at least twice the
    host's requests in flight, so the crawl can keep them all busy (each item asks one thing at a time)."""
    budgets = budgets or Budgets(PgStore(pool))
    concurrency = max(concurrency, 2 * budgets.concurrency)
    async with pool.acquire() as conn:
        job = await frontier.job(conn, crawl_id)
        if job is None:
            raise LookupError(f"crawl {crawl_id} not found")
        try:
            await check_host(job.base_url, allow_private)
        except AppError as e:
            await frontier.finish(conn, crawl_id, "failed", e.detail)
            return "failed"
    async with build_client(allow_private=allow_private) as client:
        fetcher = Fetcher(client, Counters(), job.token, budgets=budgets)
        crawler = Crawler(
            pool, job, make_connector(job.platform, job.base_url, fetcher), fetcher, concurrency, on_progress
        )
        status = await crawler.run()
    log.info("crawl finished", extra={"crawl_id": str(crawl_id), "status": status})
    return status


async def serve(
    pool: asyncpg.Pool,
    *,
    allow_private: bool,
    concurrency: int = 8,
    host_concurrency: int = DEFAULT_HOST_CONCURRENCY,
    poll: float = 1.0,
    max_crawls: int = 4,
) -> None:
    """Pick up queued and running crawls (also ones a killed process left) until cancelled. Every crawl
    this process runs shares one budget per host with each other and with other processes."""
    budgets = Budgets(PgStore(pool), host_concurrency)
    running: dict[UUID, asyncio.Task[Status]] = {}
    while True:
        try:
            async with pool.acquire() as conn:
                ids = await frontier.active(conn)
        except (OSError, asyncpg.PostgresError) as e:
            log.warning("cannot list crawls", extra={"error": str(e)})
            ids = []
        for crawl_id in ids:
            if crawl_id not in running and len(running) < max_crawls:
                running[crawl_id] = asyncio.create_task(
                    run_crawl(pool, crawl_id, allow_private=allow_private, concurrency=concurrency, budgets=budgets)
                )
        for crawl_id, task in list(running.items()):
            if task.done():
                del running[crawl_id]
                if not task.cancelled() and task.exception():
                    log.error("crawl worker failed", exc_info=task.exception(), extra={"crawl_id": str(crawl_id)})
        try:
            await asyncio.sleep(poll)
        except asyncio.CancelledError:
            for task in running.values():
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)
            raise
