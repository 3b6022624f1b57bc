"""SQL for schedules, digests, share links, subscriptions, events and deliveries."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from outbound.models import WEEKDAYS, Delivery, Schedule, ShareLink, Subscription
from sql import Conn, Q, fetch_one
from sql.errors import NotFoundError


def _schedule(row: Any) -> Schedule:
    values = dict(row)
    values["weekday"] = WEEKDAYS[values["weekday"]]
    values["currency"] = values["currency"].strip() if values["currency"] else None
    return Schedule(**values)


async def create_schedule(conn: Conn, org_id: UUID, v: dict[str, Any], next_run_at: datetime) -> Schedule:
    row = await fetch_one(
        conn,
        Q["outbound.create_schedule"],
        org_id,
        v["campaign_id"],
        v["cadence"],
        WEEKDAYS.index(v["weekday"]),
        v["day_of_month"],
        v["hour"],
        v["minute"],
        v["timezone"],
        v["currency"],
        v["recipients"],
        v["webhook"],
        next_run_at,
    )
    return _schedule(row)


async def list_schedules(conn: Conn, org_id: UUID) -> list[Schedule]:
    return [_schedule(r) for r in await conn.fetch(Q["outbound.list_schedules"], org_id)]


async def revoke_schedule(conn: Conn, org_id: UUID, schedule_id: UUID) -> Schedule:
    row = await conn.fetchrow(Q["outbound.revoke_schedule"], org_id, schedule_id)
    if row is None:
        raise NotFoundError(f"schedule {schedule_id} not found")
    return _schedule(row)


async def get_schedule(conn: Conn, schedule_id: UUID) -> Schedule | None:
    row = await conn.fetchrow(Q["outbound.get_schedule"], schedule_id)
    return _schedule(row) if row is not None else None


async def due_schedules(conn: Conn, now: datetime, limit: int) -> list[Schedule]:
    return [_schedule(r) for r in await conn.fetch(Q["outbound.due_schedules"], now, limit)]


async def advance_schedule(conn: Conn, schedule_id: UUID, next_run_at: datetime) -> None:
    await conn.execute(Q["outbound.advance_schedule"], schedule_id, next_run_at)


async def claim_digest(conn: Conn, schedule_id: UUID, start: date, end: date, now: datetime) -> bool:
    return await conn.fetchval(Q["outbound.claim_digest"], schedule_id, start, end, now) is not None


async def unsent_digests(conn: Conn, now: datetime, limit: int) -> list[tuple[UUID, date, date]]:
    rows = await conn.fetch(Q["outbound.unsent_digests"], now, limit)
    return [(r["schedule_id"], r["period_start"], r["period_end"]) for r in rows]


async def digest_sent(conn: Conn, schedule_id: UUID, start: date) -> None:
    await conn.execute(Q["outbound.digest_sent"], schedule_id, start)


async def digest_failed(conn: Conn, schedule_id: UUID, start: date, error: str, retry_at: datetime) -> None:
    await conn.execute(Q["outbound.digest_failed"], schedule_id, start, error[:500], retry_at)


async def list_digests(conn: Conn, org_id: UUID, schedule_id: UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(Q["outbound.list_digests"], org_id, schedule_id)]


async def create_subscription(conn: Conn, org_id: UUID, url: str, secret: str, events: list[str]) -> Subscription:
    row = await fetch_one(conn, Q["outbound.create_subscription"], org_id, url, secret, events)
    return Subscription(**dict(row), secret=secret)


async def list_subscriptions(conn: Conn, org_id: UUID) -> list[Subscription]:
    return [Subscription(**dict(r)) for r in await conn.fetch(Q["outbound.list_subscriptions"], org_id)]


async def disable_subscription(conn: Conn, org_id: UUID, subscription_id: UUID) -> Subscription:
    row = await conn.fetchrow(Q["outbound.disable_subscription"], org_id, subscription_id)
    if row is None:
        raise NotFoundError(f"webhook subscription {subscription_id} not found")
    return Subscription(**dict(row))


async def insert_event(conn: Conn, org_id: UUID, event_type: str, payload: dict[str, Any]) -> UUID:
    event_id: UUID = await conn.fetchval(
        Q["outbound.insert_event"], org_id, event_type, json.dumps(payload, default=str)
    )
    return event_id


async def due_deliveries(conn: Conn, now: datetime, limit: int) -> list[Any]:
    return list(await conn.fetch(Q["outbound.due_deliveries"], now, limit))


async def delivery_result(
    conn: Conn,
    delivery_id: UUID,
    status: str,
    next_attempt_at: datetime,
    http_status: int | None,
    response: str | None,
    error: str | None,
) -> None:
    await conn.execute(
        Q["outbound.delivery_result"], delivery_id, status, next_attempt_at, http_status, response, error
    )


async def list_deliveries(
    conn: Conn, org_id: UUID, status: str | None, after: tuple[datetime, UUID] | None, limit: int
) -> list[Delivery]:
    at, last = after if after else (None, None)
    rows = await conn.fetch(Q["outbound.list_deliveries"], org_id, status, at, last, limit)
    return [Delivery(**dict(r)) for r in rows]


async def replay_delivery(conn: Conn, org_id: UUID, delivery_id: UUID) -> None:
    if await conn.fetchval(Q["outbound.replay_delivery"], org_id, delivery_id) is None:
        raise NotFoundError(f"webhook delivery {delivery_id} not found")


def _share(row: Any) -> ShareLink:
    return ShareLink(**{k: row[k] for k in ShareLink.__struct_fields__ if k != "url"})


async def create_share(
    conn: Conn, org_id: UUID, campaign_id: UUID, token_hash: bytes, costs: bool, by: UUID | None, expires: datetime
) -> ShareLink:
    row = await fetch_one(conn, Q["outbound.create_share"], org_id, campaign_id, token_hash, costs, by, expires)
    return _share(row)


async def list_shares(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[ShareLink]:
    return [_share(r) for r in await conn.fetch(Q["outbound.list_shares"], org_id, campaign_id)]


async def revoke_share(conn: Conn, org_id: UUID, share_id: UUID) -> ShareLink:
    row = await conn.fetchrow(Q["outbound.revoke_share"], org_id, share_id)
    if row is None:
        raise NotFoundError(f"share link {share_id} not found")
    return _share(row)


async def share_by_token(conn: Conn, token_hash: bytes) -> tuple[UUID, ShareLink] | None:
    row = await conn.fetchrow(Q["outbound.share_by_token"], token_hash)
    return (row["org_id"], _share(row)) if row is not None else None
