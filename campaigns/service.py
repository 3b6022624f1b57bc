"""Campaigns, creators, conversions, refunds, webhooks, FX and reports as users ask for them."""

from __future__ import annotations

import re
import secrets
import string
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from campaigns import audience, content, creators, webhooks
from campaigns import repository as repo
from campaigns.attribution import attribute
from campaigns.metrics import Report, report
from campaigns.models import (
    MODELS,
    Campaign,
    CampaignIn,
    CampaignPatch,
    Conversion,
    ConversionIn,
    CostsPatch,
    Creator,
    CreatorIn,
    FxRateIn,
    RefundIn,
)
from sql import Conn
from sql.errors import AuthenticationError, NotFoundError, ValidationError

CODE_ALPHABET = string.ascii_uppercase + string.digits
SLUG_ALPHABET = string.ascii_lowercase + string.digits
_CODE = re.compile(r"^[A-Za-z0-9_-]{3,40}$")


def _currency(code: str, field: str = "currency") -> str:
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValidationError(f"{field} must be a 3-letter ISO 4217 code", field=field)
    return code


MAX_MONEY = Decimal("1e12")  # NUMERIC(14, 2)


def _money(value: Decimal, field: str, allow_zero: bool = True) -> Decimal:
    exponent = value.as_tuple().exponent
    if (
        not value.is_finite()
        or value < 0
        or value >= MAX_MONEY
        or (value == 0 and not allow_zero)
        or not isinstance(exponent, int)
        or exponent < -2
    ):
        raise ValidationError(
            f"{field} must be a {'non-negative' if allow_zero else 'positive'} amount with at most 2 decimals",
            field=field,
        )
    return value


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
    values.update(
        name=data.name.strip(),
        currency=_currency(data.currency),
        destination_url=validate_url(data.destination_url),
        budget=_money(data.budget, "budget"),
        hashtag=data.hashtag.lstrip("#").lower() if data.hashtag else None,
    )
    slug = f"{slugify(data.name)}-{''.join(secrets.choice(SLUG_ALPHABET) for _ in range(4))}"
    return await repo.create_campaign(conn, org_id, slug, values)


async def update_campaign(conn: Conn, org_id: UUID, campaign_id: UUID, data: CampaignPatch) -> Campaign:
    values = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    if "budget" in values:
        _money(values["budget"], "budget")
    if "attribution_days" in values and not 1 <= values["attribution_days"] <= 365:
        raise ValidationError("attribution_days must be between 1 and 365", field="attribution_days")
    return await repo.update_campaign(conn, org_id, campaign_id, values)


def _costs(data: CreatorIn | CostsPatch) -> None:
    for name in ("fee", "gifted", "other_costs"):
        value = getattr(data, name)
        if value is not None:
            _money(value, name)
    if data.commission_pct is not None and not 0 <= data.commission_pct <= 100:
        raise ValidationError("commission_pct must be between 0 and 100", field="commission_pct")


async def add_creator(conn: Conn, org_id: UUID, campaign_id: UUID, data: CreatorIn, base_url: str) -> Creator:
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    if campaign.archived_at:
        raise ValidationError("the campaign is archived", field="campaign_id")
    _costs(data)
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
    _costs(data)
    return await repo.update_costs(conn, org_id, campaign_id, creator_id, msgspec.structs.asdict(data), base_url)


# ---- conversions ----


async def record_order(conn: Conn, org_id: UUID, source: str, order: webhooks.OrderEvent) -> Conversion:
    """Store an order once and attribute it; the same order again returns the stored one."""
    _money(order.amount, "amount")
    values = {
        "order_id": order.order_id,
        "external_ref": order.external_ref,
        "occurred_at": order.occurred_at,
        "amount": order.amount,
        "currency": _currency(order.currency),
        "promo_codes": order.promo_codes,
        "click_id": order.click_id,
        "ref": order.ref,
        "customer_id": order.customer_id,
        "new_customer": order.new_customer,
    }
    new_id = await repo.insert_conversion(conn, org_id, source, values)
    if new_id is not None:
        codes, slugs = await repo.codes_and_slugs(conn, org_id)
        journey = await repo.journey(conn, org_id, order.click_id, order.occurred_at) if order.click_id else []
        credits, _ = attribute(order.occurred_at, order.promo_codes, order.click_id, order.ref, codes, slugs, journey)
        await repo.insert_credits(conn, org_id, new_id, credits)
    row = await repo.conversion_row(conn, org_id, source=source, order_id=order.order_id)
    return await _conversion(conn, row, duplicate=new_id is None)


async def _conversion(conn: Conn, row: Any, duplicate: bool = False) -> Conversion:
    return Conversion(
        id=row["id"],
        source=row["source"],
        order_id=row["order_id"],
        occurred_at=row["occurred_at"],
        amount=row["amount"],
        currency=row["currency"].strip(),
        promo_codes=list(row["promo_codes"]),
        click_id=row["click_id"],
        ref=row["ref"],
        customer_id=row["customer_id"],
        new_customer=row["new_customer"],
        refunded=await repo.refunded_total(conn, row["id"]),
        credits=await repo.credits_of(conn, row["id"]),
        duplicate=duplicate,
    )


async def create_conversion(conn: Conn, org_id: UUID, data: ConversionIn) -> Conversion:
    if not data.order_id.strip():
        raise ValidationError("order_id must not be empty", field="order_id")
    _money(data.amount, "amount")
    occurred = data.occurred_at if data.occurred_at.tzinfo else data.occurred_at.replace(tzinfo=UTC)
    order = webhooks.OrderEvent(
        order_id=data.order_id,
        occurred_at=occurred,
        amount=data.amount,
        currency=data.currency,
        promo_codes=data.promo_codes,
        click_id=data.click_id,
        ref=data.ref,
        customer_id=data.customer_id,
        new_customer=data.new_customer,
    )
    return await record_order(conn, org_id, "api", order)


async def get_conversion(conn: Conn, org_id: UUID, conversion_id: UUID) -> Conversion:
    row = await repo.conversion_row(conn, org_id, conversion_id=conversion_id)
    if row is None:
        raise NotFoundError(f"conversion {conversion_id} not found")
    return await _conversion(conn, row)


async def record_refund(conn: Conn, org_id: UUID, source: str, event: webhooks.RefundEvent) -> Conversion | None:
    if event.external_ref:
        row = await repo.conversion_row(conn, org_id, source=source, external_ref=event.external_ref)
    else:
        row = await repo.conversion_row(conn, org_id, source=source, order_id=event.order_id)
    if row is None:
        return None
    already = await repo.refunded_total(conn, row["id"])
    amount = row["amount"] - already if event.remaining else event.amount
    if amount > row["amount"] - already:
        raise ValidationError(
            f"refund of {amount} exceeds what is left of the order ({row['amount'] - already})", field="amount"
        )
    if amount > 0:
        await repo.insert_refund(conn, org_id, row["id"], event.refund_id, amount, event.occurred_at)
    return await _conversion(conn, row)


async def create_refund(conn: Conn, org_id: UUID, order_id: str, data: RefundIn) -> Conversion:
    _money(data.amount, "amount", allow_zero=False)
    event = webhooks.RefundEvent(
        refund_id=data.refund_id or f"api-{secrets.token_hex(8)}",
        order_id=order_id,
        amount=data.amount,
        occurred_at=data.occurred_at or datetime.now(UTC),
    )
    result = await record_refund(conn, org_id, "api", event)
    if result is None:
        raise NotFoundError(f"order {order_id} not found")
    return result


# ---- webhooks ----


async def webhook(conn: Conn, integration_id: UUID, source: str, headers: dict[str, str], body: bytes) -> str:
    """Verify, dedupe and apply one store webhook; returns what happened, in words."""
    integration = await repo.integration(conn, integration_id)
    if integration is None or integration["source"] != source:
        raise NotFoundError("no such integration")
    try:
        if source == "stripe":
            webhooks.verify_stripe(integration["secret"], body, headers.get("stripe-signature"), time.time())
        else:
            header = "x-shopify-hmac-sha256" if source == "shopify" else "x-wc-webhook-signature"
            webhooks.verify_base64_hmac(integration["secret"], body, headers.get(header))
    except webhooks.SignatureError as e:
        raise AuthenticationError(f"webhook signature rejected: {e}") from e
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as e:
        raise ValidationError(f"the body is not JSON: {e}", field="body") from e
    delivery = (
        headers.get("x-shopify-webhook-id")
        or headers.get("x-wc-webhook-delivery-id")
        or (payload.get("id") if source == "stripe" and isinstance(payload, dict) else None)
    )
    if delivery and not await repo.record_delivery(conn, integration_id, str(delivery)):
        return "duplicate delivery ignored"
    org_id = integration["org_id"]
    if source == "shopify":
        event = webhooks.shopify(headers.get("x-shopify-topic", "orders/create"), payload)
        events = [event] if event else []
    elif source == "woocommerce":
        events = list(webhooks.woocommerce(payload))
    else:
        events = webhooks.stripe(payload)
    for item in events:
        if isinstance(item, webhooks.OrderEvent):
            await record_order(conn, org_id, source, item)
        else:
            await record_refund(conn, org_id, source, item)
    return f"{len(events)} event(s) applied" if events else "nothing to record for this event"


# ---- FX ----


def parse_fx_csv(text: str) -> list[FxRateIn]:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"day", "base", "quote", "rate"} <= set(rows[0]):
        raise ValidationError("CSV needs a header row: day,base,quote,rate", field="body")
    try:
        return [
            FxRateIn(day=date.fromisoformat(r["day"]), base=r["base"], quote=r["quote"], rate=Decimal(r["rate"]))
            for r in rows
        ]
    except (ValueError, ArithmeticError) as e:
        raise ValidationError(f"bad FX row: {e}", field="body") from e


async def set_fx(conn: Conn, org_id: UUID, rates: list[FxRateIn]) -> int:
    rows = []
    for r in rates:
        if not r.rate.is_finite() or r.rate <= 0:
            raise ValidationError("rate must be positive", field="rate")
        rows.append((r.day, _currency(r.base, "base"), _currency(r.quote, "quote"), r.rate))
    await repo.upsert_fx(conn, org_id, rows)
    return len(rows)


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
) -> Report:
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    model = model or campaign.model
    if model not in MODELS:
        raise ValidationError(f"model must be one of {', '.join(MODELS)}", field="model")
    currency = _currency(currency or campaign.currency)
    start = start or (campaign.starts_at.date() if campaign.starts_at else campaign.created_at.date())
    end = end or datetime.now(UTC).date() + timedelta(days=1)
    if end < start:
        raise ValidationError("to is before from", field="to")
    creators = await repo.list_creators(conn, org_id, campaign_id, True, base_url)
    inputs = await repo.report_inputs(conn, campaign_id, model, start, end)
    per = await content.report_audience(conn, org_id, campaign, creators, inputs)  # reach/engagement + method
    bases = sorted({c["currency"].strip() for c in inputs["credits"]} - {currency})
    fx = await repo.fx_rates(conn, org_id, currency, bases) if bases else {}
    result = report(campaign, creators, inputs, currency, model, start, end, fx)
    return audience.annotate(result, per, campaign.reference_cpm, campaign.reference_cpe)


async def timeseries(
    conn: Conn, org_id: UUID, campaign_id: UUID, start: date | None, end: date | None
) -> list[dict[str, Any]]:
    campaign = await repo.get_campaign(conn, org_id, campaign_id)
    start = start or campaign.created_at.date()
    end = end or datetime.now(UTC).date() + timedelta(days=1)
    clicks = {r["day"]: r for r in await repo.timeseries_clicks(conn, campaign_id, start, end)}
    daily = await repo.daily_conversions(conn, campaign_id, campaign.model, start, end)
    days = sorted(set(clicks) | set(daily))
    return [
        {
            "day": d,
            "clicks": int(clicks[d]["clicks"]) if d in clicks else 0,
            "human_clicks": int(clicks[d]["human"]) if d in clicks else 0,
            "unique_clicks": int(clicks[d]["uniq"]) if d in clicks else 0,
            "conversions": daily.get(d, Decimal(0)),
        }
        for d in days
    ]
