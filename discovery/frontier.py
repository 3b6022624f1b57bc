"""Crawls and their frontier in PostgreSQL: the only place crawl state is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from discovery.fetcher import Counters
from discovery.models import Platform
from discovery.store import Written
from sql import Conn, Q, fetch_one
from sql.errors import NotFoundError

Status = Literal["queued", "running", "done", "failed", "cancelled"]
ItemKind = Literal["seed", "account", "hashtag"]


class CrawlCounters(msgspec.Struct):
    accounts: int
    follows: int
    posts: int
    interactions: int
    requests: int
    retries: int
    errors: int
    rate_limit_waits: int


class Crawl(msgspec.Struct):
    """A crawl as users see it (the token is write-only and never leaves the database)."""

    id: UUID
    platform: Platform
    base_url: str
    seeds: list[str]
    hashtags: list[str]
    max_accounts: int
    max_depth: int
    max_followers: int
    max_following: int
    posts_per_account: int
    since: datetime | None
    status: Status
    error: str | None
    counters: CrawlCounters
    has_token: bool
    shared: bool  # its data also went to the shared public index (token-less crawl of a listed server)
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class CrawlJob(msgspec.Struct, frozen=True):
    """What a worker needs to run a crawl, token included."""

    id: UUID
    org_id: UUID
    shared: bool  # token-less crawl of a server on the shared list: every org may see its data
    platform: Platform
    base_url: str
    host: str
    token: str | None
    max_depth: int
    max_followers: int
    max_following: int
    posts_per_account: int
    since: datetime | None


class Item(msgspec.Struct, frozen=True):
    kind: ItemKind
    ref: str
    depth: int
    attempts: int


_COUNTERS = CrawlCounters.__struct_fields__


def to_crawl(row: Any) -> Crawl:
    d = dict(row)
    counters = CrawlCounters(**{k: int(d.pop(k)) for k in _COUNTERS})
    d["has_token"] = bool(d.pop("token"))
    for k in ("org_id", "host", "enqueued"):
        d.pop(k)
    return Crawl(counters=counters, **d)


def to_job(row: Any) -> CrawlJob:
    return CrawlJob(**{k: row[k] for k in CrawlJob.__struct_fields__})


async def create(conn: Conn, org_id: UUID, values: dict[str, Any]) -> Crawl:
    row = await fetch_one(
        conn,
        Q["crawls.create"],
        org_id,
        values["platform"],
        values["base_url"],
        values["host"],
        values["token"],
        values["seeds"],
        values["hashtags"],
        values["max_accounts"],
        values["max_depth"],
        values["max_followers"],
        values["max_following"],
        values["posts_per_account"],
        values["since"],
        values.get("shared", False),
    )
    kinds = ["seed"] * len(values["seeds"]) + ["hashtag"] * len(values["hashtags"])
    await conn.execute(Q["crawls.seed_frontier"], row["id"], kinds, [*values["seeds"], *values["hashtags"]])
    await conn.execute(Q["crawls.count_seeds"], row["id"], len(values["seeds"]))
    return to_crawl(await fetch_one(conn, Q["crawls.get"], org_id, row["id"]))


async def get(conn: Conn, org_id: UUID, crawl_id: UUID) -> Crawl:
    row = await conn.fetchrow(Q["crawls.get"], org_id, crawl_id)
    if row is None:
        raise NotFoundError(f"crawl {crawl_id} not found")
    return to_crawl(row)


async def list_crawls(conn: Conn, org_id: UUID, before: datetime | None, limit: int) -> list[Crawl]:
    return [to_crawl(r) for r in await conn.fetch(Q["crawls.list"], org_id, before, limit)]


async def cancel(conn: Conn, org_id: UUID, crawl_id: UUID) -> Crawl:
    row = await conn.fetchrow(Q["crawls.cancel"], org_id, crawl_id)
    if row is None:
        return await get(conn, org_id, crawl_id)  # unknown -> 404; already finished -> as it is
    return to_crawl(row)


async def get_any(conn: Conn, crawl_id: UUID) -> Crawl:
    row = await conn.fetchrow(Q["crawls.get_any"], crawl_id)
    if row is None:
        raise NotFoundError(f"crawl {crawl_id} not found")
    return to_crawl(row)


async def job(conn: Conn, crawl_id: UUID) -> CrawlJob | None:
    row = await conn.fetchrow(Q["crawls.get_any"], crawl_id)
    return to_job(row) if row else None


async def active(conn: Conn) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(Q["crawls.active"])]


async def start(conn: Conn, crawl_id: UUID) -> bool:
    return await conn.fetchval(Q["crawls.start"], crawl_id) is not None


async def finish(conn: Conn, crawl_id: UUID, status: Status, error: str | None = None) -> None:
    await conn.execute(Q["crawls.finish"], crawl_id, status, error)


async def claim(conn: Conn, crawl_id: UUID, limit: int) -> list[Item]:
    return [Item(**dict(r)) for r in await conn.fetch(Q["crawls.claim"], crawl_id, limit)]


async def outstanding(conn: Conn, crawl_id: UUID) -> tuple[int, int]:
    row = await fetch_one(conn, Q["crawls.outstanding"], crawl_id)
    return int(row["pending"]), int(row["taken"])


async def complete(conn: Conn, crawl_id: UUID, item: Item, error: str | None = None) -> None:
    state = "failed" if error else "done"
    await conn.execute(Q["crawls.complete_item"], crawl_id, item.kind, item.ref, state, error)


async def release(conn: Conn, crawl_id: UUID, item: Item) -> None:
    await conn.execute(Q["crawls.release_item"], crawl_id, item.kind, item.ref)


async def status(conn: Conn, crawl_id: UUID) -> Status:
    value: Status = await conn.fetchval(Q["crawls.status"], crawl_id)
    return value


async def mark_seen(conn: Conn, crawl_id: UUID, external_id: str, depth: int) -> None:
    await conn.execute(Q["crawls.mark_account_seen"], crawl_id, external_id, depth)


async def enqueue(conn: Conn, crawl_id: UUID, external_ids: list[str], depth: int) -> None:
    if external_ids:
        await conn.execute(Q["crawls.enqueue_accounts"], crawl_id, list(dict.fromkeys(external_ids)), depth)


async def add_counters(conn: Conn, crawl_id: UUID, written: Written, fetched: Counters) -> None:
    await conn.execute(
        Q["crawls.add_counters"],
        crawl_id,
        written.accounts,
        written.follows,
        written.posts,
        written.interactions,
        fetched.requests,
        fetched.retries,
        fetched.errors,
        fetched.rate_limit_waits,
    )


class Progress(msgspec.Struct):
    status: Status
    counters: CrawlCounters
    items_done: int
    items_known: int


async def progress(conn: Conn, crawl_id: UUID) -> Progress:
    row = await conn.fetchrow(Q["crawls.progress"], crawl_id)
    if row is None:
        raise NotFoundError(f"crawl {crawl_id} not found")
    d = dict(row)
    counters = CrawlCounters(**{k: int(d.pop(k)) for k in _COUNTERS})
    return Progress(counters=counters, **d)


async def expanded(conn: Conn, crawl_id: UUID) -> list[str]:
    return [r["ref"] for r in await conn.fetch(Q["crawls.expanded_accounts"], crawl_id)]
