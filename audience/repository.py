"""Everything audience work reads from or writes to PostgreSQL."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
import polars as pl

from audience.models import Segment, SegmentDefinition
from sql import Conn, Q, fetch_one
from sql.errors import ConflictError, NotFoundError

POSTS_PER_ACCOUNT = 10


@dataclass(frozen=True)
class AccountText:
    id: int
    host: str
    bio: str | None
    location: str | None
    posts: list[tuple[str, str | None]]  # (text, platform language tag)
    tags: frozenset[str]


async def account_texts(conn: Conn, account_ids: list[int]) -> list[AccountText]:
    rows = await conn.fetch(Q["audience.account_texts"], account_ids, POSTS_PER_ACCOUNT)
    return [
        AccountText(
            id=r["id"],
            host=r["host"],
            bio=r["bio"],
            location=r["location"],
            posts=[(t, lang or None) for t, lang in zip(r["texts"], r["langs"], strict=True)],
            tags=frozenset(r["tags"]),
        )
        for r in rows
    ]


async def _frame(conn: Conn, query: str, schema: dict[str, Any], *args: object) -> pl.DataFrame:
    buf = io.BytesIO()
    await conn.copy_from_query(query, *args, output=buf, format="csv", header=True)
    if buf.tell() == 0:
        return pl.DataFrame(schema=schema)
    buf.seek(0)
    return pl.read_csv(buf, schema=schema)


async def hashtag_usage(conn: Conn, platform: str) -> pl.DataFrame:
    return await _frame(conn, Q["audience.hashtag_usage"], {"account_id": pl.Int64, "tag": pl.String}, platform)


async def hashtag_counts(conn: Conn, platform: str) -> pl.DataFrame:
    schema = {"account_id": pl.Int64, "tag": pl.String, "n": pl.Float64}
    return await _frame(conn, Q["audience.hashtag_counts"], schema, platform)


async def text_accounts(conn: Conn, platform: str, limit: int) -> list[int]:
    return [r["id"] for r in await conn.fetch(Q["audience.text_accounts"], platform, limit)]


def _segment(row: Any) -> Segment:
    return Segment(
        id=row["id"],
        name=row["name"],
        platform=row["platform"],
        definition=msgspec.json.decode(row["definition"], type=SegmentDefinition),
        created_at=row["created_at"],
    )


async def create_segment(conn: Conn, org_id: UUID, name: str, platform: str, definition: SegmentDefinition) -> Segment:
    try:
        row = await fetch_one(
            conn, Q["audience.create_segment"], org_id, name, platform, msgspec.json.encode(definition).decode()
        )
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"a segment named {name!r} already exists") from e
    return _segment(row)


async def get_segment(conn: Conn, org_id: UUID, segment_id: UUID) -> Segment:
    row = await conn.fetchrow(Q["audience.get_segment"], org_id, segment_id)
    if row is None:
        raise NotFoundError(f"segment {segment_id} not found")
    return _segment(row)


async def list_segments(conn: Conn, org_id: UUID, before: datetime | None, limit: int) -> list[Segment]:
    return [_segment(r) for r in await conn.fetch(Q["audience.list_segments"], org_id, before, limit)]


async def delete_segment(conn: Conn, org_id: UUID, segment_id: UUID) -> None:
    if await conn.fetchval(Q["audience.delete_segment"], org_id, segment_id) is None:
        raise NotFoundError(f"segment {segment_id} not found")
