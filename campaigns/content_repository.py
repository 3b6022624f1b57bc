"""SQL of tracked posts, their metric snapshots and the org's disclosure markers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sql import Conn, Q

METRICS = ("views", "reach", "impressions", "likes", "comments", "shares", "saves")


async def upsert_post(conn: Conn, org_id: UUID, creator_id: UUID, url: str, fields: dict[str, Any]) -> UUID:
    row = await conn.fetchrow(
        Q["content.upsert_post"],
        org_id,
        creator_id,
        url,
        fields.get("platform"),
        fields.get("caption"),
        fields.get("posted_at"),
        bool(fields.get("paid_label")),
        fields.get("origin", "manual"),
    )
    assert row is not None
    post_id: UUID = row["id"]
    return post_id


async def upsert_posts(conn: Conn, org_id: UUID, posts: list[dict[str, Any]]) -> dict[tuple[UUID, str], UUID]:
    """``(creator_id, url) -> post id`` for every post of an import."""
    cols = ("creator_id", "url", "platform", "caption", "posted_at", "paid_label")
    rows = await conn.fetch(Q["content.upsert_posts"], org_id, *[[p[c] for p in posts] for c in cols])
    return {(r["creator_id"], r["url"]): r["id"] for r in rows}


async def posts_by_url(conn: Conn, org_id: UUID, campaign_id: UUID) -> dict[str, list[tuple[UUID, UUID]]]:
    """``url -> [(post id, creator id)]`` of the campaign's tracked posts."""
    found: dict[str, list[tuple[UUID, UUID]]] = {}
    for r in await conn.fetch(Q["content.posts_by_url"], org_id, campaign_id):
        found.setdefault(r["url"], []).append((r["id"], r["creator_id"]))
    return found


async def upsert_snapshots(conn: Conn, org_id: UUID, source: str, snaps: list[dict[str, Any]]) -> tuple[int, int]:
    """(inserted, updated); rows identical to what is stored are left alone."""
    columns = [[s["post_id"] for s in snaps], [s["taken_at"] for s in snaps]]
    columns += [[s.get(m) for s in snaps] for m in METRICS]
    rows = await conn.fetch(Q["content.upsert_snapshots"], org_id, source, *columns)
    inserted = sum(1 for r in rows if r["inserted"])
    return inserted, len(rows) - inserted


async def insert_crawled_snapshot(
    conn: Conn, org_id: UUID, post_id: UUID, at: datetime, slot: str, counts: tuple[int, int, int]
) -> bool:
    likes, comments, shares = counts
    got = await conn.fetchval(Q["content.insert_crawled_snapshot"], org_id, post_id, at, slot, likes, comments, shares)
    return got is not None


async def list_posts(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["content.list_posts"], org_id, campaign_id))


async def snapshots_of(conn: Conn, org_id: UUID, campaign_id: UUID, post_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["content.snapshots_of"], org_id, campaign_id, post_id))


async def detect_posts(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[UUID]:
    return [r["id"] for r in await conn.fetch(Q["content.detect_posts"], org_id, campaign_id)]


async def refreshable(conn: Conn, post_ids: list[UUID]) -> list[Any]:
    return list(await conn.fetch(Q["content.refreshable"], post_ids))


async def markers(conn: Conn, org_id: UUID) -> list[str]:
    return [r["marker"] for r in await conn.fetch(Q["content.markers"], org_id)]


async def set_markers(conn: Conn, org_id: UUID, values: list[str]) -> None:
    await conn.execute(Q["content.clear_markers"], org_id)
    await conn.execute(Q["content.add_markers"], org_id, values)


async def active_campaigns(conn: Conn) -> list[tuple[UUID, UUID]]:
    return [(r["org_id"], r["id"]) for r in await conn.fetch(Q["content.active_campaigns"])]
