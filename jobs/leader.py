"""Loops that must run in one process at a time, however many serve: the holder of an advisory lock runs
them. The lock lives on a connection of its own, so it goes with its process (a crash included) and
another process takes over within ``retry`` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from jobs import repository as repo

log = logging.getLogger("sorot.jobs")


async def while_leader(dsn: str, name: str, work: Callable[[], Awaitable[None]], *, retry: float = 5.0) -> None:
    """Run ``work`` while this process holds the lock ``name``; until cancelled."""
    while True:
        conn = None
        try:
            conn = await repo.connect(dsn)
            if await repo.try_leader(conn, name):
                log.info("leading", extra={"loop": name})
                await _lead(conn, work, retry)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            log.warning("leader election failed", extra={"loop": name, "error": str(e)})
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
        await asyncio.sleep(retry)


async def _lead(conn: asyncpg.Connection, work: Callable[[], Awaitable[None]], retry: float) -> None:
    task = asyncio.ensure_future(work())
    try:
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=retry)
            if not done:
                await repo.alive(conn)  # a lost connection is a lost lock: stop leading
        if not task.cancelled() and task.exception() is not None:
            log.error("leader loop failed", exc_info=task.exception())
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
