"""SQL of creator identities and campaign operation settings. Every call takes the org id."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from campaigns.models import Campaign, Creator
from campaigns.repository import to_campaign, to_creator
from sql import Conn, Q
from sql.errors import NotFoundError

# Crawled accounts only as far as the org may see them (see discovery/accounts.py).


async def account_by_id(conn: Conn, org_id: UUID, account_id: int) -> Any:
    return await conn.fetchrow(Q["creators.account_by_id"], account_id, org_id)


async def account_exact(conn: Conn, org_id: UUID, platform: str, handle: str, local: str, host: str) -> Any:
    return await conn.fetchrow(Q["creators.account_exact"], platform, handle, local, host, org_id)


async def account_suggestion(conn: Conn, org_id: UUID, name: str) -> Any:
    return await conn.fetchrow(Q["creators.account_suggestion"], name, org_id)


async def get_creator(conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, base_url: str) -> Creator:
    row = await conn.fetchrow(Q["creators.get_creator"], org_id, campaign_id, creator_id)
    if row is None:
        raise NotFoundError(f"creator {creator_id} not found in this campaign")
    return to_creator(row, base_url)


async def set_profile(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, values: list[Any], base_url: str
) -> Creator:
    row = await conn.fetchrow(Q["creators.set_profile"], org_id, campaign_id, creator_id, *values)
    if row is None:
        raise NotFoundError(f"creator {creator_id} not found in this campaign")
    return to_creator(row, base_url)


async def link_account(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, account_id: int, base_url: str
) -> Creator:
    row = await conn.fetchrow(Q["creators.link_account"], org_id, campaign_id, creator_id, account_id)
    if row is None:
        raise NotFoundError(f"creator {creator_id} not found in this campaign")
    return to_creator(row, base_url)


async def reach_rates(conn: Conn, campaign_id: UUID) -> dict[str, Decimal]:
    return {r["platform"]: r["rate"] for r in await conn.fetch(Q["creators.reach_rates"], campaign_id)}


async def set_reach_rate(conn: Conn, campaign_id: UUID, platform: str, rate: Decimal) -> None:
    await conn.execute(Q["creators.set_reach_rate"], campaign_id, platform, rate)


async def set_operations(
    conn: Conn, org_id: UUID, campaign_id: UUID, hold_days: int | None, milestone: str | None
) -> Campaign:
    row = await conn.fetchrow(Q["creators.set_operations"], org_id, campaign_id, hold_days, milestone)
    if row is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return to_campaign(row)


async def code_orders(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["leaks.code_orders"], org_id, campaign_id))
