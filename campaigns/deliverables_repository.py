"""SQL of briefs, deliverables and their status history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sql import Conn, Q, fetch_one


async def get_brief(conn: Conn, org_id: UUID, campaign_id: UUID) -> Any:
    return await conn.fetchrow(Q["deliverables.get_brief"], org_id, campaign_id)


async def put_brief(conn: Conn, org_id: UUID, campaign_id: UUID, values: list[Any]) -> Any:
    return await fetch_one(conn, Q["deliverables.put_brief"], org_id, campaign_id, *values)


async def create(conn: Conn, org_id: UUID, campaign_id: UUID, values: list[Any]) -> Any:
    return await fetch_one(conn, Q["deliverables.create"], org_id, campaign_id, *values)


async def fee_share_total(conn: Conn, creator_id: UUID) -> Decimal:
    total: Decimal = await conn.fetchval(Q["deliverables.fee_share_total"], creator_id)
    return total


async def get(conn: Conn, org_id: UUID, deliverable_id: UUID, *, lock: bool = False) -> Any:
    query = Q["deliverables.get_for_update"] if lock else Q["deliverables.get"]
    return await conn.fetchrow(query, org_id, deliverable_id)


async def set_status(conn: Conn, org_id: UUID, deliverable_id: UUID, status: str, post_url: str | None) -> Any:
    return await fetch_one(conn, Q["deliverables.set_status"], org_id, deliverable_id, status, post_url)


async def add_event(conn: Conn, org_id: UUID, deliverable_id: UUID, values: list[Any]) -> Any:
    return await fetch_one(conn, Q["deliverables.add_event"], org_id, deliverable_id, *values)


async def events(conn: Conn, org_id: UUID, ids: list[UUID]) -> list[Any]:
    return list(await conn.fetch(Q["deliverables.events"], org_id, ids))


async def list_for_campaign(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["deliverables.list_for_campaign"], org_id, campaign_id))


async def overdue(conn: Conn, org_id: UUID, now: datetime, campaign_id: UUID | None, limit: int) -> list[Any]:
    return list(await conn.fetch(Q["deliverables.overdue"], org_id, now, campaign_id, limit))
