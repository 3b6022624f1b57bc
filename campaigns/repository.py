"""All campaign SQL. Every call takes the org id: one org never reads another's rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from campaigns.attribution import CreatorRef, CreditDraft, JourneyClick
from campaigns.fx import StoredRate
from campaigns.models import Campaign, CampaignPost, Creator
from campaigns.tracking import Click, LinkInfo
from sql import Conn, Q, fetch_one
from sql.errors import ConflictError, NotFoundError


def to_campaign(row: Any) -> Campaign:
    d = dict(row)
    d.pop("org_id")
    d["currency"] = d["currency"].strip()
    return Campaign(**d)


def to_creator(row: Any, base_url: str) -> Creator:
    d = dict(row)
    d.pop("org_id")
    return Creator(**d, link=f"{base_url}/r/{d['slug']}")


async def create_campaign(conn: Conn, org_id: UUID, slug: str, v: dict[str, Any]) -> Campaign:
    try:
        row = await fetch_one(
            conn,
            Q["campaigns.create_campaign"],
            org_id,
            v["name"],
            slug,
            v["currency"],
            v["budget"],
            v["starts_at"],
            v["ends_at"],
            v["destination_url"],
            v["hashtag"],
            v["attribution_days"],
            v["model"],
            v["reference_cpm"],
            v["reference_cpe"],
        )
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"a campaign with slug {slug!r} exists") from e
    return to_campaign(row)


async def get_campaign(conn: Conn, org_id: UUID, campaign_id: UUID) -> Campaign:
    row = await conn.fetchrow(Q["campaigns.get_campaign"], org_id, campaign_id)
    if row is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return to_campaign(row)


async def list_campaigns(conn: Conn, org_id: UUID, before: datetime | None, limit: int) -> list[Campaign]:
    return [to_campaign(r) for r in await conn.fetch(Q["campaigns.list_campaigns"], org_id, before, limit)]


async def update_campaign(conn: Conn, org_id: UUID, campaign_id: UUID, p: dict[str, Any]) -> Campaign:
    row = await conn.fetchrow(
        Q["campaigns.update_campaign"],
        org_id,
        campaign_id,
        p.get("name"),
        p.get("budget"),
        p.get("starts_at"),
        p.get("ends_at"),
        p.get("hashtag"),
        p.get("attribution_days"),
        p.get("model"),
        p.get("reference_cpm"),
        p.get("reference_cpe"),
    )
    if row is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    return to_campaign(row)


async def archive_campaign(conn: Conn, org_id: UUID, campaign_id: UUID) -> Campaign:
    row = await conn.fetchrow(Q["campaigns.archive_campaign"], org_id, campaign_id)
    if row is None:
        raise NotFoundError(f"campaign {campaign_id} not found")
    await conn.execute(Q["campaigns.notify_link"], f"campaign:{campaign_id}")
    return to_campaign(row)


async def find_account(
    conn: Conn, org_id: UUID, account_id: int | None, platform: str | None, handle: str | None
) -> Any:
    """A crawled account the org may see (see discovery/accounts.py), or None."""
    if account_id is not None:
        return await conn.fetchrow(Q["campaigns.find_account"], account_id, org_id)
    return await conn.fetchrow(Q["campaigns.find_account_by_handle"], platform, (handle or "").lstrip("@"), org_id)


async def add_creator(conn: Conn, org_id: UUID, campaign_id: UUID, values: list[Any], base_url: str) -> Creator:
    try:
        row = await fetch_one(conn, Q["campaigns.add_creator"], org_id, campaign_id, *values)
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"promo code {values[-2]!r} is already used in this org", field="promo_code") from e
    await conn.execute(Q["campaigns.notify_link"], f"slug:{row['slug']}")  # a cached "not found" goes
    return to_creator(row, base_url)


async def list_creators(conn: Conn, org_id: UUID, campaign_id: UUID, removed: bool, base_url: str) -> list[Creator]:
    rows = await conn.fetch(Q["campaigns.list_creators"], org_id, campaign_id, removed)
    return [to_creator(r, base_url) for r in rows]


async def update_costs(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, p: dict[str, Any], base_url: str
) -> Creator:
    row = await conn.fetchrow(
        Q["campaigns.update_costs"],
        org_id,
        campaign_id,
        creator_id,
        p.get("fee"),
        p.get("gifted"),
        p.get("commission_pct"),
        p.get("other_costs"),
    )
    if row is None:
        raise NotFoundError(f"creator {creator_id} not found in this campaign")
    return to_creator(row, base_url)


async def remove_creator(conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, base_url: str) -> Creator:
    row = await conn.fetchrow(Q["campaigns.remove_creator"], org_id, campaign_id, creator_id)
    if row is None:
        raise NotFoundError(f"creator {creator_id} not found in this campaign")
    await conn.execute(Q["campaigns.notify_link"], f"slug:{row['slug']}")
    return to_creator(row, base_url)


async def listen_links(dsn: str, on_change: Callable[[str], None]) -> asyncpg.Connection:
    """A connection of its own that calls ``on_change`` with each link change any process commits."""
    conn = await asyncpg.connect(dsn)
    await conn.add_listener("sorot_links", lambda _conn, _pid, _channel, payload: on_change(payload))
    return conn


async def link(conn: Conn, slug: str) -> LinkInfo | None:
    row = await conn.fetchrow(Q["campaigns.link_by_slug"], slug)
    return LinkInfo(**dict(row)) if row else None


async def insert_clicks(conn: Conn, clicks: list[Click]) -> None:
    cols = list(
        zip(
            *[(c.org_id, c.campaign_id, c.creator_id, c.click_id, c.at, c.visitor, c.referrer, c.bot) for c in clicks],
            strict=True,
        )
    )
    await conn.execute(Q["campaigns.insert_clicks"], *[list(c) for c in cols])


async def visitor_salt(conn: Conn) -> bytes:
    return bytes(await conn.fetchval(Q["campaigns.visitor_salt"]))


async def create_integration(conn: Conn, org_id: UUID, source: str, name: str, secret: str) -> Any:
    return await fetch_one(conn, Q["campaigns.create_integration"], org_id, source, name, secret)


async def list_integrations(conn: Conn, org_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["campaigns.list_integrations"], org_id))


async def integration(conn: Conn, integration_id: UUID) -> Any:
    return await conn.fetchrow(Q["campaigns.integration_for_webhook"], integration_id)


async def record_delivery(conn: Conn, integration_id: UUID, delivery_id: str) -> bool:
    """False when this delivery was seen before."""
    return await conn.fetchval(Q["campaigns.record_delivery"], integration_id, delivery_id) is not None


async def record_payload(conn: Conn, integration_id: UUID, digest: bytes) -> bool:
    """False when this body (with its topic) was seen before."""
    return await conn.fetchval(Q["campaigns.record_payload"], integration_id, digest) is not None


async def lock_order(conn: Conn, org_id: UUID, source: str, key: str) -> None:
    await conn.execute(Q["campaigns.lock_order"], str(org_id), source, key)


async def park(conn: Conn, org_id: UUID, source: str, key: str, event: bytes) -> None:
    await conn.execute(Q["campaigns.park_event"], org_id, source, key, event.decode())


async def take_parked(conn: Conn, org_id: UUID, source: str, keys: list[str]) -> list[bytes]:
    rows = await conn.fetch(Q["campaigns.take_parked"], org_id, source, keys)
    return [r["event"].encode() for r in sorted(rows, key=lambda r: r["id"])]


async def parked_count(conn: Conn, org_id: UUID) -> int:
    return int(await conn.fetchval(Q["campaigns.parked_count"], org_id))


async def upsert_fx(conn: Conn, org_id: UUID, rates: list[StoredRate]) -> None:
    await conn.execute(
        Q["campaigns.upsert_fx"],
        org_id,
        [r.day for r in rates],
        [r.base for r in rates],
        [r.quote for r in rates],
        [r.rate for r in rates],
        [r.source for r in rates],
    )


async def fx_rates(conn: Conn, org_id: UUID, since: date, until: date) -> list[StoredRate]:
    return [StoredRate(**dict(r)) for r in await conn.fetch(Q["campaigns.fx_for_org"], org_id, since, until)]


async def list_fx(
    conn: Conn, org_id: UUID, since: date | None, until: date | None, currency: str | None, limit: int
) -> list[StoredRate]:
    rows = await conn.fetch(Q["campaigns.list_fx"], org_id, since, until, currency, limit)
    return [StoredRate(**dict(r)) for r in rows]


async def insert_conversion(conn: Conn, org_id: UUID, source: str, v: dict[str, Any]) -> UUID | None:
    """The new conversion's id, or None when (org, source, order id) was stored before."""
    result: UUID | None = await conn.fetchval(
        Q["campaigns.insert_conversion"],
        org_id,
        source,
        v["order_id"],
        v.get("external_ref"),
        v["occurred_at"],
        v["amount"],
        v["currency"],
        v["promo_codes"],
        v.get("click_id"),
        v.get("ref"),
        v.get("customer_id"),
        v.get("new_customer"),
        v.get("status", "paid"),
    )
    return result


async def raise_status(conn: Conn, conversion_id: UUID, status: str) -> bool:
    return await conn.fetchval(Q["campaigns.raise_status"], conversion_id, status) is not None


async def lock_conversion(conn: Conn, conversion_id: UUID) -> Any:
    return await conn.fetchrow(Q["campaigns.lock_conversion"], conversion_id)


async def list_conversions(conn: Conn, org_id: UUID, f: dict[str, Any], limit: int) -> list[Any]:
    after = f.get("after") or (None, None)
    return list(
        await conn.fetch(
            Q["campaigns.list_conversions"],
            org_id,
            f.get("campaign_id"),
            f.get("creator_id"),
            f.get("source"),
            f.get("since"),
            f.get("until"),
            f.get("attributed"),
            f.get("status"),
            after[0],
            after[1],
            limit,
        )
    )


async def conversion_row(
    conn: Conn,
    org_id: UUID,
    *,
    source: str | None = None,
    order_id: str | None = None,
    external_ref: str | None = None,
    conversion_id: UUID | None = None,
) -> Any:
    if conversion_id is not None:
        return await conn.fetchrow(Q["campaigns.get_conversion"], org_id, conversion_id)
    if external_ref is not None:
        return await conn.fetchrow(Q["campaigns.conversion_by_external"], org_id, source, external_ref)
    return await conn.fetchrow(Q["campaigns.conversion_by_order"], org_id, source, order_id)


async def codes_and_slugs(conn: Conn, org_id: UUID) -> tuple[dict[str, CreatorRef], dict[str, CreatorRef]]:
    codes, slugs = {}, {}
    for r in await conn.fetch(Q["campaigns.codes_and_slugs"], org_id):
        ref = CreatorRef(r["campaign_id"], r["creator_id"], r["attribution_days"])
        codes[r["code"]] = ref
        slugs[r["slug"]] = ref
    return codes, slugs


async def journey(conn: Conn, org_id: UUID, click_id: UUID, until: datetime, skew: timedelta) -> list[JourneyClick]:
    rows = await conn.fetch(Q["campaigns.journey"], org_id, click_id, until, skew)
    return [
        JourneyClick(r["click_id"], r["at"], CreatorRef(r["campaign_id"], r["creator_id"], r["attribution_days"]))
        for r in rows
    ]


async def insert_credits(conn: Conn, org_id: UUID, conversion_id: UUID, credits: list[CreditDraft]) -> None:
    await conn.executemany(
        Q["campaigns.insert_attribution"],
        [(conversion_id, org_id, c.campaign_id, c.creator_id, c.model, c.method, c.share, c.reason) for c in credits],
    )


async def credits_of(conn: Conn, conversion_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["campaigns.credits_of"], conversion_id))


async def refunds_of(conn: Conn, conversion_id: UUID) -> list[Any]:
    return list(await conn.fetch(Q["campaigns.refunds_of"], conversion_id))


async def refunded_total(conn: Conn, conversion_id: UUID) -> Decimal:
    total: Decimal = await conn.fetchval(Q["campaigns.refunded_total"], conversion_id)
    return total


async def insert_refund(
    conn: Conn, org_id: UUID, conversion_id: UUID, refund_id: str, amount: Decimal, requested: Decimal, at: datetime
) -> bool:
    """False when this refund id was recorded for the conversion before."""
    row = await conn.fetchval(Q["campaigns.insert_refund"], org_id, conversion_id, refund_id, amount, requested, at)
    return row is not None


async def report_inputs(conn: Conn, campaign_id: UUID, model: str, start: date, end: date) -> dict[str, Any]:
    clicks = {
        r["creator_id"]: (int(r["clicks"]), int(r["human"]), int(r["uniq"]))
        for r in await conn.fetch(Q["campaigns.report_clicks"], campaign_id, start, end)
    }
    credits = list(await conn.fetch(Q["campaigns.report_credits"], campaign_id, model, start, end))
    reach: dict[UUID | None, int] = {
        r["creator_id"]: int(r["reach"]) for r in await conn.fetch(Q["campaigns.report_reach"], campaign_id)
    }
    engagements = {
        r["creator_id"]: int(r["engagements"]) for r in await conn.fetch(Q["campaigns.report_engagements"], campaign_id)
    }
    return {"clicks": clicks, "credits": credits, "reach": reach, "engagements": engagements}


async def report_credits_raw(conn: Conn, campaign_id: UUID, model: str, start: date, end: date) -> list[Any]:
    """The report's credits recomputed from the raw rows: what the rollup must equal (a check, not a read path)."""
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    return list(await conn.fetch(Q["campaigns.report_credits_raw"], campaign_id, model, since, until))


async def timeseries_clicks(conn: Conn, campaign_id: UUID, start: date, end: date) -> list[Any]:
    return list(await conn.fetch(Q["campaigns.timeseries_clicks"], campaign_id, start, end))


async def add_post(conn: Conn, org_id: UUID, creator_id: UUID, url: str) -> None:
    await conn.execute(Q["campaigns.add_post"], org_id, creator_id, url)


async def detect_posts(conn: Conn, campaign_id: UUID) -> int:
    status = await conn.execute(Q["campaigns.detect_posts"], campaign_id)
    return int(status.rsplit(" ", 1)[-1])


async def list_posts(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[CampaignPost]:
    return [CampaignPost(**dict(r)) for r in await conn.fetch(Q["campaigns.list_posts"], org_id, campaign_id)]


async def daily_conversions(conn: Conn, campaign_id: UUID, model: str, start: date, end: date) -> dict[date, Decimal]:
    rows = await conn.fetch(Q["campaigns.daily_conversions"], campaign_id, model, start, end)
    return {r["day"]: r["conversions"] for r in rows}
