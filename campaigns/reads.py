"""Read-side calls the web pages and digests share with the API: one place for each lookup rule."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from campaigns import repository as repo
from campaigns.models import Campaign, CampaignPost, Creator
from sql import Conn


async def list_campaigns(conn: Conn, org_id: UUID, before: datetime | None = None, limit: int = 50) -> list[Campaign]:
    return await repo.list_campaigns(conn, org_id, before, limit)


async def get_campaign(conn: Conn, org_id: UUID, campaign_id: UUID) -> Campaign:
    return await repo.get_campaign(conn, org_id, campaign_id)


async def list_creators(conn: Conn, org_id: UUID, campaign_id: UUID, base_url: str) -> list[Creator]:
    await repo.get_campaign(conn, org_id, campaign_id)
    return await repo.list_creators(conn, org_id, campaign_id, False, base_url)


async def list_posts(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[CampaignPost]:
    await repo.get_campaign(conn, org_id, campaign_id)
    return await repo.list_posts(conn, org_id, campaign_id)
