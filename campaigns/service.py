"""Campaigns, creators, conversions, refunds, webhooks, FX and reports as users ask for them."""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from campaigns import audience, content, creators, fx, money
from campaigns import repository as repo
from campaigns.metrics import Report, report
from campaigns.models import (
    MODELS,
    Campaign,
    CampaignIn,
    CampaignPatch,
    CostsPatch,
    Creator,
    CreatorIn,
    DayFigures,
    FxRate,
    FxRateIn,
)

# Orders and refunds live in campaigns/orders.py; the names stay here for callers written against the service.
from campaigns.orders import create_conversion as create_conversion
from campaigns.orders import create_refund as create_refund
from campaigns.orders import get_conversion as get_conversion
from sql import Conn, tenancy
from sql.errors import ValidationError

CODE_ALPHABET = string.ascii_uppercase + string.digits
SLUG_ALPHABET = string.ascii_lowercase + string.digits
_CODE = re.compile(r"^[A-Za-z0-9_-]{3,40}$")


def _money(value: Decimal, code: str, field: str) -> Decimal:
    return money.parse_amount(value, code, field)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "campaign"


def validate_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("destination_url must be an absolute http(s) URL", field="destination_url")
    return url


async def create_campaign(conn: Conn, org_id: UUID, data: CampaignIn) -> Campaign:
    if not data.name.strip():
        raise ValidationError("name must not be empty", field="name")
    if data.starts_at and data.ends_at and data.ends_at < data.starts_at:
        raise ValidationError("ends_at is before starts_at", field="ends_at")
    if not 1 <= data.attribution_days <= 365:
        raise ValidationError("attribution_days must be between 1 and 365", field="attribution_days")
    values = msgspec.structs.asdict(data)
    code = money.currency(data.currency) if data.currency else (await tenancy.get_org(conn, org_id)).reporting_currency
    values.update(
        name=data.name.strip(),
        currency=code,
        destination_url=validate_url(data.destination_url),
        budget=_money(data.budget, code, "budget"),
        hashtag=data.hashtag.lstrip("#").lower() if data.hashtag else None,
    )
    slug = f"{slugify(data.name)}-{''.join(secrets.choice(SLUG_ALPHABET) for _ in range(4))}"
    return await repo.create_campaign(conn, org_id, slug, values)


async def update_campaign(conn: Conn, org_id: UUID, campaign_id: UUID, data: CampaignPatch) -> Campaign:
    values = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if "budget" in values:
        _money(values["budget"], (await repo.get_campaign(conn, org_id, campaign_id)).currency, "budget")
    if "attribution_days" in values and not 1 <= values["attribution_days"] <= 365:
        raise ValidationError("attribution_days must be between 1 and 365", field="attribution_days")
    return await repo.update_campaign(conn, org_id, campaign_id, values)


def _costs(data: CreatorIn | CostsPatch, code: str) -> None:
    """Costs are in the campaign's currency, with its decimals."""
    for name in ("fee", "gifted", "other_costs"):
        value = getattr(data, name)
        if value is not None:
            _money(value, code, name)
    if data.commission_pct is not None and not 0 <= data.commission_pct <= 100:
        raise ValidationError("commission_pct must be between 0 and 100", field="commission_pct")


async def add_creator(conn: Conn, org_id: UUID, campaign_id: UUID, data: CreatorIn, base_url: str) -> Creator:
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    if campaign.archived_at:
        raise ValidationError("the campaign is archived", field="campaign_id")
    _costs(data, campaign.currency)
    who = await creators.resolve(conn, org_id, data)  # any platform; a crawled account is linked or suggested
    code = data.promo_code or _generate_code(who.handle)
    if not _CODE.match(code):
        raise ValidationError("promo_code: 3-40 letters, digits, '-' or '_'", field="promo_code")
    slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(10))
    values = [
        who.account_id,
        who.platform,
        who.handle,
        data.fee,
        data.gifted,
        data.commission_pct,
        data.other_costs,
        code,
        slug,
    ]
    created = await repo.add_creator(conn, org_id, campaign_id, values, base_url)
    return await creators.save_profile(conn, org_id, created, who, data, base_url)


def _generate_code(handle: str) -> str:
    stem = re.sub(r"[^A-Z0-9]", "", handle.split("@")[0].split(".")[0].upper())[:12] or "CREATOR"
    return f"{stem}-{''.join(secrets.choice(CODE_ALPHABET) for _ in range(4))}"


async def update_costs(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, data: CostsPatch, base_url: str
) -> Creator:
    _costs(data, (await repo.get_campaign(conn, org_id, campaign_id)).currency)
    return await repo.update_costs(conn, org_id, campaign_id, creator_id, msgspec.structs.asdict(data), base_url)


# ---- FX ----


def parse_fx_csv(text: str) -> list[FxRateIn]:
    """``day,base,quote,rate`` rows or the ECB reference-rate file as published."""
    return [FxRateIn(r.day, r.base, r.quote, r.rate, r.source) for r in fx.parse_csv(text)]


async def set_fx(conn: Conn, org_id: UUID, rates: list[FxRateIn]) -> int:
    stored = fx.validate(fx.StoredRate(r.day, r.base, r.quote, r.rate, r.source or "api") for r in rates)
    if stored:
        await repo.upsert_fx(conn, org_id, stored)
    return len(stored)


async def list_fx(
    conn: Conn, org_id: UUID, since: date | None, until: date | None, code: str | None, limit: int
) -> list[FxRate]:
    code = money.currency(code) if code else None
    rates = await repo.list_fx(conn, org_id, since, until, code, limit)
    return [FxRate(r.day, money.Currency(r.base), money.Currency(r.quote), str(r.rate), r.source) for r in rates]


# ---- reports ----


async def campaign_report(
    conn: Conn,
    org_id: UUID,
    campaign_id: UUID,
    currency: str | None,
    model: str | None,
    start: date | None,
    end: date | None,
    base_url: str,
    max_fx_age_days: int = fx.DEFAULT_MAX_AGE_DAYS,
) -> Report:
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    chosen = model or campaign.model
    if chosen not in MODELS:
        raise ValidationError(f"model must be one of {', '.join(MODELS)}", field="model")
    if not 0 <= max_fx_age_days <= 366:
        raise ValidationError("max_fx_age_days must be between 0 and 366", field="max_fx_age_days")
    code = money.currency(currency) if currency else campaign.currency
    start = start or (campaign.starts_at.date() if campaign.starts_at else campaign.created_at.date())
    end = end or datetime.now(UTC).date() + timedelta(days=1)
    if end < start:
        raise ValidationError("to is before from", field="to")
    if end >= date.max - timedelta(days=1):  # the period ends at the start of the day after ``to``
        raise ValidationError("to is out of range", field="to")
    # Costs are converted at the rate of the report's last day, or today's when the period runs on.
    cost_day = min(end, datetime.now(UTC).date())
    people = await repo.list_creators(conn, org_id, campaign_id, True, base_url)
    inputs = await repo.report_inputs(conn, campaign_id, chosen, start, end)
    per = await content.report_audience(conn, org_id, campaign, people, inputs)  # reach/engagement + method
    days = [c["day"] for c in inputs["credits"]] + [cost_day]
    rates = await repo.fx_rates(conn, org_id, min(days) - timedelta(days=max_fx_age_days), max(days))
    table = fx.FxTable(rates, max_fx_age_days)
    result = report(campaign, people, inputs, code, chosen, (start, end), table, cost_day)  # type: ignore[arg-type]
    return audience.annotate(result, per, campaign.reference_cpm, campaign.reference_cpe)


async def timeseries(
    conn: Conn, org_id: UUID, campaign_id: UUID, start: date | None, end: date | None
) -> list[dict[str, Any]]:
    """Clicks and attributed paid conversions per day (UTC), as plain values."""
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    start = start or campaign.created_at.date()
    end = end or datetime.now(UTC).date() + timedelta(days=1)
    clicks = {r["day"]: r for r in await repo.timeseries_clicks(conn, campaign_id, start, end)}
    daily = await repo.daily_conversions(conn, campaign_id, campaign.model, start, end)
    return [
        {
            "day": d,
            "clicks": int(clicks[d]["clicks"]) if d in clicks else 0,
            "human_clicks": int(clicks[d]["human"]) if d in clicks else 0,
            "unique_clicks": int(clicks[d]["uniq"]) if d in clicks else 0,
            "conversions": daily.get(d, Decimal(0)),
        }
        for d in sorted(set(clicks) | set(daily))
    ]


async def timeseries_days(
    conn: Conn, org_id: UUID, campaign_id: UUID, start: date | None, end: date | None
) -> list[DayFigures]:
    """The same, typed for the API."""
    points = await timeseries(conn, org_id, campaign_id, start, end)
    return [DayFigures(**{**p, "conversions": str(p["conversions"])}) for p in points]
