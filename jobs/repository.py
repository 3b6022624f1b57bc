"""SQL of the job queue. The claim and the job's own writes share one transaction (see ``runner``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sql import Conn, Q


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    key: str
    args: dict[str, Any]
    attempts: int


async def enqueue(conn: Conn, kind: str, key: str, args: dict[str, Any], run_at: datetime) -> bool:
    """True when the job is new; a key enqueued before is left as it is."""
    return await conn.fetchval(Q["jobs.enqueue"], kind, key, json.dumps(args), run_at) is not None


async def claim(conn: Conn) -> Job | None:
    row = await conn.fetchrow(Q["jobs.claim"])
    if row is None:
        return None
    return Job(row["id"], row["kind"], row["key"], json.loads(row["args"]), row["attempts"])


async def complete(conn: Conn, job_id: int) -> None:
    await conn.execute(Q["jobs.complete"], job_id)


async def retry(conn: Conn, job_id: int, error: str, delay: timedelta, max_attempts: int) -> None:
    await conn.execute(Q["jobs.retry"], job_id, error[:1000], delay, max_attempts)


async def counts(conn: Conn) -> dict[str, int]:
    return {r["status"]: int(r["n"]) for r in await conn.fetch(Q["jobs.counts"])}


async def due(conn: Conn) -> int:
    return int(await conn.fetchval(Q["jobs.pending_due"]))


async def try_leader(conn: Conn, name: str) -> bool:
    return bool(await conn.fetchval(Q["jobs.try_leader"], name))


async def alive(conn: Conn) -> None:
    await conn.fetchval(Q["jobs.alive"])


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection of its own (a session lock must not go back to a pool, which unlocks on release)."""
    return await asyncpg.connect(dsn)
