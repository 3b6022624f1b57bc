"""Every SQL statement of listening; returns Structs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from listening.models import (
    Alert,
    AlertSettings,
    Evidence,
    Mention,
    Monitor,
    MonitorIn,
    SourceIn,
    SourceJob,
    SourceState,
    Spike,
    TermCount,
    TopPost,
    TopVoice,
    Voice,
    VolumePoint,
)
from listening.rules import Terms
from listening.screening import CreatorPost
from sql import Conn, Q, fetch_one
from sql.errors import ConflictError, NotFoundError

SEP = "\x1f"


def _monitor(row: asyncpg.Record, sources: Sequence[SourceState] = ()) -> Monitor:
    return Monitor(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        brand=msgspec.json.decode(row["brand"], type=Terms),
        competitors=msgspec.json.decode(row["competitors"], type=list[Terms]),
        languages=list(row["languages"]),
        flagged_terms=list(row["flagged_terms"]),
        alert=msgspec.json.decode(row["alert"], type=AlertSettings),
        active=row["active"],
        created_at=row["created_at"],
        sources=list(sources),
    )


def _state(row: asyncpg.Record) -> SourceState:
    return SourceState(**{f: row[f] for f in SourceState.__struct_fields__})


async def create_monitor(conn: Conn, org_id: UUID, data: MonitorIn) -> Monitor:
    try:
        row = await fetch_one(
            conn,
            Q["listening.create_monitor"],
            org_id,
            data.name.strip(),
            msgspec.json.encode(data.brand).decode(),
            msgspec.json.encode(data.competitors).decode(),
            data.languages,
            data.flagged_terms,
            msgspec.json.encode(data.alert).decode(),
        )
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"a monitor named {data.name!r} already exists") from e
    states = [await add_source(conn, row["id"], s) for s in data.sources]
    return _monitor(row, states)


async def add_source(conn: Conn, monitor_id: UUID, s: SourceIn) -> SourceState:
    row = await fetch_one(
        conn, Q["listening.insert_source"], monitor_id, s.platform, s.kind, s.base_url, s.stream_url, s.query, s.token
    )
    return _state(row)


async def get_monitor(conn: Conn, org_id: UUID, monitor_id: UUID) -> Monitor:
    row = await conn.fetchrow(Q["listening.get_monitor"], org_id, monitor_id)
    if row is None:
        raise NotFoundError(f"monitor {monitor_id} not found")
    sources = await conn.fetch(Q["listening.monitor_sources"], monitor_id)
    return _monitor(row, [_state(s) for s in sources])


async def monitor_by_id(conn: Conn, monitor_id: UUID) -> Monitor | None:
    row = await conn.fetchrow(Q["listening.monitor_by_id"], monitor_id)
    return _monitor(row) if row is not None else None


async def list_monitors(conn: Conn, org_id: UUID) -> list[Monitor]:
    rows = await conn.fetch(Q["listening.list_monitors"], org_id)
    out = []
    for row in rows:
        sources = await conn.fetch(Q["listening.monitor_sources"], row["id"])
        out.append(_monitor(row, [_state(s) for s in sources]))
    return out


async def set_active(conn: Conn, org_id: UUID, monitor_id: UUID, active: bool) -> None:
    if await conn.fetchrow(Q["listening.set_active"], org_id, monitor_id, active) is None:
        raise NotFoundError(f"monitor {monitor_id} not found")


async def delete_monitor(conn: Conn, org_id: UUID, monitor_id: UUID) -> None:
    if await conn.fetchrow(Q["listening.delete_monitor"], org_id, monitor_id) is None:
        raise NotFoundError(f"monitor {monitor_id} not found")


async def active_sources(conn: Conn) -> list[SourceJob]:
    rows = await conn.fetch(Q["listening.active_sources"])
    return [SourceJob(**{f: r[f] for f in SourceJob.__struct_fields__}) for r in rows]


async def lock_source(conn: Conn, source_id: UUID) -> bool:
    """Lock the source row for this transaction; False when it is gone (its monitor was deleted)."""
    return await conn.fetchrow(Q["listening.lock_source"], source_id) is not None


async def save_progress(
    conn: Conn, source_id: UUID, cursor: str | None, backfilled: bool, seen: int, matched: int, skipped: int
) -> None:
    await conn.execute(Q["listening.save_progress"], source_id, cursor, backfilled, seen, matched, skipped)


async def source_error(conn: Conn, source_id: UUID, error: str) -> None:
    await conn.execute(Q["listening.source_error"], source_id, error[:500])


async def upsert_mentions(
    conn: Conn, org_id: UUID, monitor_id: UUID, platform: str, rows: Sequence[dict[str, Any]]
) -> list[asyncpg.Record]:
    if not rows:
        return []
    columns = [
        "uri",
        "url",
        "author_id",
        "author_handle",
        "followers",
        "text",
        "language",
        "hashtags",
        "created_at",
        "likes",
        "reposts",
        "replies",
        "subjects",
        "rules",
        "sentiment",
        "confidence",
        "model_version",
        "paid",
    ]
    arrays = [[SEP.join(r[c]) if c in ("hashtags", "subjects", "rules") else r[c] for r in rows] for c in columns]
    return list(await conn.fetch(Q["listening.upsert_mentions"], org_id, monitor_id, platform, *arrays))


async def mention_ids(conn: Conn, monitor_id: UUID, platform: str, uris: Sequence[str]) -> dict[str, int]:
    rows = await conn.fetch(Q["listening.mention_ids"], monitor_id, platform, list(uris))
    return {r["uri"]: r["id"] for r in rows}


async def insert_boosts(conn: Conn, boosts: Sequence[tuple[int, str, str, int, datetime]]) -> int:
    if not boosts:
        return 0
    cols = list(zip(*boosts, strict=True))
    rows = await conn.fetch(Q["listening.insert_boosts"], *[list(c) for c in cols])
    return len(rows)


async def alert_points(conn: Conn, monitor_id: UUID, lo: datetime, hi: datetime) -> list[tuple[datetime, bool, int]]:
    rows = await conn.fetch(Q["listening.alert_points"], monitor_id, lo, hi)
    return [(r["created_at"], r["negative"], r["id"]) for r in rows]


async def alert_times(conn: Conn, monitor_id: UUID, lo: datetime, hi: datetime) -> list[tuple[str, datetime]]:
    return [(r["kind"], r["at"]) for r in await conn.fetch(Q["listening.alert_times"], monitor_id, lo, hi)]


async def insert_alert(conn: Conn, org_id: UUID, monitor_id: UUID, s: Spike) -> UUID | None:
    """The new alert's id; None when this alert was stored before."""
    row = await conn.fetchrow(
        Q["listening.insert_alert"],
        org_id,
        monitor_id,
        s.kind,
        s.at,
        s.window_start,
        s.observed,
        s.total,
        s.baseline,
        s.sigma,
        s.z,
        s.evidence,
    )
    return row["id"] if row is not None else None


def _alert(row: asyncpg.Record) -> Alert:
    return msgspec.convert(dict(row), Alert, from_attributes=True)


async def list_alerts(conn: Conn, org_id: UUID, monitor_id: UUID, limit: int) -> list[Alert]:
    return [_alert(r) for r in await conn.fetch(Q["listening.list_alerts"], org_id, monitor_id, limit)]


async def evidence(conn: Conn, org_id: UUID, ids: Sequence[int]) -> list[Evidence]:
    rows = await conn.fetch(Q["listening.evidence"], org_id, list(ids))
    return [Evidence(**{f: r[f] for f in Evidence.__struct_fields__}) for r in rows]


async def mark_delivered(conn: Conn, alert_id: UUID) -> None:
    await conn.execute(Q["listening.mark_delivered"], alert_id)


async def list_mentions(
    conn: Conn,
    org_id: UUID,
    monitor_id: UUID,
    *,
    subject: str | None,
    sentiment: str | None,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Mention]:
    rows = await conn.fetch(
        Q["listening.list_mentions"],
        org_id,
        monitor_id,
        subject,
        sentiment,
        since,
        until,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [msgspec.convert(dict(r), Mention) for r in rows]


async def mentions_for_rescore(
    conn: Conn, org_id: UUID, monitor_id: UUID | None, after: int, limit: int
) -> list[asyncpg.Record]:
    return list(await conn.fetch(Q["listening.mentions_for_rescore"], org_id, monitor_id, after, limit))


async def update_sentiment(conn: Conn, rows: Sequence[tuple[int, str, float, str]]) -> None:
    cols = list(zip(*rows, strict=True))
    await conn.execute(Q["listening.update_sentiment"], *[list(c) for c in cols])


async def volume(
    conn: Conn, org_id: UUID, monitor_id: UUID, bucket: timedelta, since: datetime | None, until: datetime | None
) -> list[VolumePoint]:
    rows = await conn.fetch(Q["listening.volume"], org_id, monitor_id, bucket, since, until)
    return [VolumePoint(**dict(r)) for r in rows]


async def share_of_voice(
    conn: Conn, org_id: UUID, monitor_id: UUID, since: datetime | None, until: datetime | None
) -> list[Voice]:
    rows = await conn.fetch(Q["listening.share_of_voice"], org_id, monitor_id, since, until)
    return [Voice(**dict(r)) for r in rows]


async def top_voices(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[TopVoice]:
    rows = await conn.fetch(Q["listening.top_voices"], org_id, monitor_id, subject, limit)
    return [
        TopVoice(**dict(r), profile=f"/v1/accounts/{r['account_id']}" if r["account_id"] is not None else None)
        for r in rows
    ]


async def top_posts(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[TopPost]:
    rows = await conn.fetch(Q["listening.top_posts"], org_id, monitor_id, subject, limit)
    return [TopPost(**dict(r)) for r in rows]


async def cooccurring_hashtags(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[TermCount]:
    rows = await conn.fetch(Q["listening.cooccurring_hashtags"], org_id, monitor_id, subject, limit)
    return [TermCount(**dict(r)) for r in rows]


async def mention_texts(conn: Conn, org_id: UUID, monitor_id: UUID, subject: str, limit: int) -> list[str]:
    return [r["text"] for r in await conn.fetch(Q["listening.mention_texts"], org_id, monitor_id, subject, limit)]


async def creator_posts(conn: Conn, account_ids: Sequence[int], since: datetime) -> list[CreatorPost]:
    rows = await conn.fetch(Q["listening.creator_posts"], list(account_ids), since)
    return [msgspec.convert(dict(r), CreatorPost) for r in rows]
