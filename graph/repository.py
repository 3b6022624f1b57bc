"""Everything graph work reads from or writes to PostgreSQL."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import polars as pl

from graph import store
from graph.models import Shortlist, ShortlistPick
from sql import Conn, Q, fetch_one
from sql.errors import NotFoundError


@dataclass(frozen=True)
class Mark:
    """What the per-request freshness check reads (graph.snapshot_mark)."""

    seq: int  # the change log's last seq
    running: tuple[str, ...]  # transactions in flight now (xids as text)
    finished: int  # of the transactions in flight at the last refresh, how many have ended since
    own: bool  # this transaction changed the graph (not committed: never persisted)
    me: str | None  # this transaction's xid, if it has one


async def _frame(conn: Conn, query: str, schema: dict[str, Any], *args: object) -> pl.DataFrame:
    """A query's rows through COPY (CSV) straight into polars: no Python object per row."""
    buf = io.BytesIO()
    await conn.copy_from_query(query, *args, output=buf, format="csv", header=True)
    if buf.tell() == 0:
        return pl.DataFrame(schema=schema)
    buf.seek(0)
    return pl.read_csv(buf, schema=schema)


# Snapshot tables as COPY reads them: booleans as text, times as integer microseconds (graph/store.py
# has the file contract these become).
_READ = {name: {**schema} for name, schema in store.SCHEMAS.items()}
_READ["interactions"]["at"] = pl.Int64
_PRESENT = {"present": pl.Boolean}


def _typed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    if name == "interactions":
        frame = frame.with_columns(pl.col("at").cast(pl.Datetime("us", "UTC")))
    return frame


async def snapshot_identity(conn: Conn) -> tuple[store.Identity, int]:
    """This database's identity, and the seq up to which the change log was pruned."""
    row = await fetch_one(conn, Q["graph.snapshot_identity"])
    return store.Identity(row["system"], row["name"], int(row["oid"]), row["instance"]), int(row["pruned_through"])


async def snapshot_mark(conn: Conn, running: tuple[str, ...]) -> Mark:
    row = await fetch_one(conn, Q["graph.snapshot_mark"], list(running))
    return Mark(int(row["seq"]), tuple(row["running"]), int(row["finished"]), bool(row["own"]), row["me"])


async def load_store(conn: Conn, platform: str) -> dict[str, pl.DataFrame]:
    """A platform's whole snapshot, read from the tables."""
    out = {}
    for name in store.TABLES:
        out[name] = _typed(name, await _frame(conn, Q[f"graph.store_{name}"], _READ[name], platform))
    return out


async def load_delta(conn: Conn, platform: str, since: store.Watermark) -> store.Delta:
    """The current rows of every key changed after ``since`` (present = false: gone from the platform)."""
    out = {}
    for name in store.TABLES:
        schema = {**_READ[name], **_PRESENT}
        # Edges are cut to the platform in memory, against the snapshot's accounts.
        args = (since.seq, list(since.running), *((platform,) if name in ("accounts", "visibility") else ()))
        out[name] = _typed(name, await _frame(conn, Q[f"graph.changed_{name}"], schema, *args))
    return store.Delta(**out)


async def changes_since(conn: Conn, since: store.Watermark) -> tuple[int, bool]:
    """How many changes were logged after ``since``, and whether a table was truncated meanwhile."""
    args = (since.seq, list(since.running))
    count = int(await conn.fetchval(Q["graph.changes_count"], *args))
    return count, bool(await conn.fetchval(Q["graph.changes_truncated"], *args))


async def topic_counts(conn: Conn, hashtags: list[str], keywords: list[str]) -> pl.DataFrame:
    """Topical posts per account, of every account: keep only the ones in the caller's snapshot."""
    patterns = [f"%{k.replace('%', '').replace('_', '')}%" for k in keywords]
    return await _frame(conn, Q["graph.topic_counts"], {"account_id": pl.Int64, "n": pl.Float64}, hashtags, patterns)


async def engagement(conn: Conn, account_ids: list[int], since: datetime) -> dict[int, tuple[float, int]]:
    rows = await conn.fetch(Q["graph.engagement"], account_ids, since)
    return {r["account_id"]: (float(r["median_engagements"]), int(r["posts"])) for r in rows}


async def candidate_posts(
    conn: Conn, account_ids: list[int], since: datetime, hashtags: list[str], keywords: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The candidates' original posts in the window (with a topical flag) and the interactions on them."""
    patterns = [f"%{k.replace('%', '').replace('_', '')}%" for k in keywords]
    posts = await _frame(
        conn,
        Q["graph.candidate_posts"],
        {"post_id": pl.Int64, "account_id": pl.Int64, "topical": pl.Boolean},
        account_ids,
        since,
        hashtags,
        patterns,
    )
    interactions = await _frame(
        conn,
        Q["graph.candidate_post_interactions"],
        {"post_id": pl.Int64, "actor_id": pl.Int64, "kind": pl.String},
        account_ids,
        since,
    )
    return posts, interactions


async def bot_accounts(conn: Conn, account_ids: list[int]) -> set[int]:
    return {r["id"] for r in await conn.fetch(Q["graph.bot_accounts"], account_ids)}


async def handles(conn: Conn, org_id: UUID | None, account_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {r["id"]: dict(r) for r in await conn.fetch(Q["graph.handles"], account_ids, org_id)}


async def resolve(conn: Conn, org_id: UUID | None, platform: str, handles_: list[str]) -> dict[str, int]:
    rows = await conn.fetch(Q["graph.resolve"], platform, [h.lower().lstrip("@") for h in handles_], org_id)
    return {r["handle"]: r["id"] for r in rows}


async def existing(conn: Conn, org_id: UUID | None, account_ids: list[int]) -> set[int]:
    return {r["id"] for r in await conn.fetch(Q["graph.existing"], account_ids, org_id)}


async def community_hashtags(conn: Conn, members: list[tuple[int, int]], per: int = 3) -> dict[int, list[str]]:
    """Top ``per`` hashtags of each community, from (community, account id) pairs."""
    out: dict[int, list[str]] = {}
    if members:
        communities, ids = zip(*members, strict=True)
        for r in await conn.fetch(Q["graph.community_hashtags"], list(communities), list(ids)):
            tags = out.setdefault(r["community"], [])
            if len(tags) < per:
                tags.append(r["tag"])
    return out


async def follower_hashtags(conn: Conn, org_id: UUID | None, account_id: int) -> list[dict[str, object]]:
    return [dict(r) for r in await conn.fetch(Q["graph.follower_hashtags"], account_id, org_id)]


def _shortlist(row: Any) -> Shortlist:
    picks = msgspec.convert(json.loads(row["picks"]), list[ShortlistPick], strict=False)
    return Shortlist(
        id=row["id"],
        created_at=row["created_at"],
        platform=row["platform"],
        budget=row["budget"],
        total_fee=row["total_fee"],
        reach=row["reach"],
        baseline_reach=row["baseline_reach"],
        method=row["method"],
        picks=picks,
    )


async def save_shortlist(
    conn: Conn,
    org_id: UUID,
    platform: str,
    request: object,
    budget: Decimal,
    total_fee: Decimal,
    reach: int,
    method: str,
    picks: list[ShortlistPick],
    baseline: int,
) -> Shortlist:
    row = await fetch_one(
        conn,
        Q["graph.save_shortlist"],
        org_id,
        platform,
        msgspec.json.encode(request).decode(),
        budget,
        total_fee,
        reach,
        method,
        msgspec.json.encode(picks).decode(),
        baseline,
    )
    return Shortlist(
        id=row["id"],
        created_at=row["created_at"],
        platform=platform,
        budget=budget,
        total_fee=total_fee,
        reach=reach,
        baseline_reach=baseline,
        method=method,
        picks=picks,
    )


async def get_shortlist(conn: Conn, org_id: UUID, shortlist_id: UUID) -> Shortlist:
    row = await conn.fetchrow(Q["graph.get_shortlist"], org_id, shortlist_id)
    if row is None:
        raise NotFoundError(f"shortlist {shortlist_id} not found")
    return _shortlist(row)


async def list_shortlists(conn: Conn, org_id: UUID, before: datetime | None, limit: int) -> list[Shortlist]:
    return [_shortlist(r) for r in await conn.fetch(Q["graph.list_shortlists"], org_id, before, limit)]
