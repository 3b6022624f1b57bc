"""Crawls and their frontier in PostgreSQL: the only place crawl state is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from discovery.fetcher import Counters
from discovery.models import Platform
from discovery.store import Written
from outbound import events
from sql import Conn, Q, fetch_one
from sql.errors import NotFoundError

Status = Literal["queued", "running", "done", "failed", "cancelled", "stopped"]
ItemKind = Literal["seed", "account", "hashtag"]


class CrawlCounters(msgspec.Struct):
    """What a crawl did; each counter means one thing (the README defines them)."""

    accounts_expanded: int  # accounts whose followers, follows and posts were read (<= max_accounts)
    accounts_fresh: int  # accounts not read again: read within fresh_for seconds
    accounts_seen: int  # account views written, one per account per expanded account or hashtag
    accounts_new: int  # accounts stored for the first time
    accounts_updated: int  # stored accounts whose handle, counts, name, bio or opt-out changed
    accounts_opted_out: int  # account views skipped as opted out (only the handle is kept)
    follows_new: int
    follows_known: int  # follows seen again
    follows_ended: int  # follows a complete list no longer showed
    posts_new: int
    posts_updated: int  # counts or text changed
    posts_deleted: int
    interactions_new: int
    interactions_ended: int  # likes, reposts, replies a complete list no longer showed
    requests: int  # HTTP requests sent, 429s and retries included
    retries: int
    errors: int  # items that failed for good (404, gone, repeated 5xx)
    rate_limited: int  # 429 answers
    wait_seconds: float  # time requests waited for the host's rate budget


# Columns of version one keep their names; each now means the counter it maps to.
_COLUMN = {
    "accounts_new": "accounts",
    "follows_new": "follows",
    "posts_new": "posts",
    "interactions_new": "interactions",
    "rate_limited": "rate_limit_waits",
}


def counters_of(row: Any) -> CrawlCounters:
    return CrawlCounters(**{k: row[_COLUMN.get(k, k)] for k in CrawlCounters.__struct_fields__})


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
    fresh_for: int | None
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
    fresh_for: int | None
    hashtags: list[str]  # lowercase, no '#'


class Item(msgspec.Struct, frozen=True):
    kind: ItemKind
    ref: str
    depth: int
    attempts: int


def to_crawl(row: Any) -> Crawl:
    d = {k: row[k] for k in Crawl.__struct_fields__ if k not in ("counters", "has_token")}
    return Crawl(counters=counters_of(row), has_token=bool(row["token"]), **d)


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
        values.get("fresh_for"),
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


async def resume(conn: Conn, crawl_id: UUID) -> Status:
    """Queue a stopped, cancelled or failed crawl again; answers the status it has now."""
    await conn.execute(Q["crawls.resume"], crawl_id)
    return await status(conn, crawl_id)


async def stop(conn: Conn, crawl_id: UUID) -> None:
    """Ctrl-C: the crawl stays stopped (no worker picks it up) until resumed."""
    await conn.execute(Q["crawls.stop"], crawl_id)


async def release_mine(conn: Conn, crawl_id: UUID) -> None:
    """Give back every item this connection's backend holds."""
    await conn.execute(Q["crawls.release_mine"], crawl_id)


async def fresh_neighbours(
    conn: Conn, job: CrawlJob, external_id: str, followers: int, following: int
) -> list[str] | None:
    row = await conn.fetchrow(Q["store.fresh_account"], job.platform, job.host, external_id, followers, following)
    if row is None or row["age"] is None or job.fresh_for is None or float(row["age"]) > job.fresh_for:
        return None
    return [*row["followers"], *row["following"]]


async def finish(conn: Conn, crawl_id: UUID, status: Status, error: str | None = None) -> None:
    org_id = await conn.fetchval(Q["crawls.finish"], crawl_id, status, error)
    if org_id is not None and status in ("done", "failed", "cancelled"):
        await events.emit(conn, org_id, "crawl.finished", {"crawl_id": str(crawl_id), "status": status, "error": error})


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


async def add_counters(
    conn: Conn, crawl_id: UUID, written: Written, fetched: Counters, *, expanded: int = 0, fresh: int = 0
) -> None:
    await conn.execute(
        Q["crawls.add_counters"],
        crawl_id,
        expanded,
        fresh,
        written.accounts_seen,
        written.accounts_new,
        written.accounts_updated,
        written.accounts_opted_out,
        written.follows_new,
        written.follows_known,
        written.follows_ended,
        written.posts_new,
        written.posts_updated,
        written.posts_deleted,
        written.interactions_new,
        written.interactions_ended,
        fetched.requests,
        fetched.retries,
        fetched.errors,
        fetched.rate_limited,
        fetched.wait_seconds,
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
    return Progress(
        status=row["status"], counters=counters_of(row), items_done=row["items_done"], items_known=row["items_known"]
    )


async def expanded(conn: Conn, crawl_id: UUID) -> list[str]:
    return [r["ref"] for r in await conn.fetch(Q["crawls.expanded_accounts"], crawl_id)]
