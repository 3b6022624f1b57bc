"""Orders, refunds and store webhooks as they arrive: deduplicated, in any order, never lost.

Everything about one order is serialised by a transaction-scoped advisory lock on
(org, source, order), so concurrent deliveries in several processes see each other. A refund or
cancellation for an order not seen yet is parked and applied when the order arrives; a refund
larger than what is left of the order is clamped (store webhooks) or refused (the API).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from campaigns import money
from campaigns import repository as repo
from campaigns.attribution import attribute
from campaigns.models import (
    Conversion,
    ConversionIn,
    ConversionPage,
    Credit,
    EventOutcome,
    RefundIn,
    RefundLine,
    WebhookResult,
)
from campaigns.stores import STORES, TOPIC_HEADERS, OrderEvent, RefundEvent, SignatureError
from outbound import events
from sql import Conn
from sql.errors import AuthenticationError, NotFoundError, ValidationError

DEFAULT_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Applied:
    outcome: str  # as EventOutcome.outcome
    conversion_id: UUID | None
    detail: str


async def _lock(conn: Conn, org_id: UUID, source: str, *keys: str) -> None:
    for key in sorted(set(keys)):
        await repo.lock_order(conn, org_id, source, key)


async def record_order(
    conn: Conn, org_id: UUID, source: str, order: OrderEvent, skew: timedelta = DEFAULT_SKEW
) -> Applied:
    """Store an order once and attribute it; the same order again can only raise its status."""
    code = money.currency(order.currency)
    money.parse_amount(order.amount, code, "amount")
    keys = [order.order_id] + ([f"ref:{order.external_ref}"] if order.external_ref else [])
    await _lock(conn, org_id, source, *keys)
    values = {**msgspec.structs.asdict(order), "currency": code}
    new_id = await repo.insert_conversion(conn, org_id, source, values)
    if new_id is None:
        row = await repo.conversion_row(conn, org_id, source=source, order_id=order.order_id)
        raised = await repo.raise_status(conn, row["id"], order.status)
        outcome = "updated" if raised else "duplicate"
        return Applied(outcome, row["id"], f"order {order.order_id} seen before" + (f"; now {order.status}" * raised))
    codes, slugs = await repo.codes_and_slugs(conn, org_id)
    journey = await repo.journey(conn, org_id, order.click_id, order.occurred_at, skew) if order.click_id else []
    credits, reason = attribute(
        order.occurred_at, order.promo_codes, order.click_id, order.ref, codes, slugs, journey, skew
    )
    await repo.insert_credits(conn, org_id, new_id, credits)
    parked = await repo.take_parked(conn, org_id, source, keys)
    for raw in parked:
        await apply_refund(conn, org_id, source, msgspec.json.decode(raw, type=RefundEvent), clamp=True, locked=True)
    detail = f"order {order.order_id} recorded ({order.status}): {reason}"
    await events.emit(
        conn,
        org_id,
        "conversion.created",
        {
            "conversion_id": str(new_id),
            "source": source,
            "order_id": order.order_id,
            "amount": str(order.amount),
            "currency": code,
            "status": order.status,
            "attribution": reason,
        },
    )
    return Applied("recorded", new_id, detail + (f"; {len(parked)} parked refund(s) applied" if parked else ""))


async def apply_refund(
    conn: Conn, org_id: UUID, source: str, event: RefundEvent, *, clamp: bool, locked: bool = False
) -> Applied:
    """Apply a refund to its order: park it when the order is not here yet; clamp or refuse more than is left."""
    if not locked:
        await _lock(conn, org_id, source, event.order_key)
    if event.external_ref:
        row = await repo.conversion_row(conn, org_id, source=source, external_ref=event.external_ref)
    else:
        row = await repo.conversion_row(conn, org_id, source=source, order_id=event.order_id)
    if row is None:
        await repo.park(conn, org_id, source, event.order_key, msgspec.json.encode(event))
        return Applied("parked", None, f"order {event.order_key} not seen yet: kept until it arrives")
    row = await repo.lock_conversion(conn, row["id"])
    code = row["currency"].strip()
    left = row["amount"] - await repo.refunded_total(conn, row["id"])
    if event.remaining:
        requested = left
    elif event.cumulative:
        requested = max(money.parse_amount(event.amount, code, "amount") - (row["amount"] - left), Decimal(0))
    else:
        requested = money.parse_amount(event.amount, code, "amount")
    applied = min(requested, left)
    if applied < requested and not clamp:
        raise ValidationError(f"refund of {requested} exceeds what is left of the order ({left})", field="amount")
    if not await repo.insert_refund(conn, org_id, row["id"], event.refund_id, applied, requested, event.occurred_at):
        return Applied("duplicate", row["id"], f"refund {event.refund_id} seen before")
    refund = {
        "conversion_id": str(row["id"]),
        "refund_id": event.refund_id,
        "amount": str(applied),
        "requested": str(requested),
        "currency": code,
    }
    await events.emit(conn, org_id, "refund.created", refund)
    if applied < requested:
        return Applied("clamped", row["id"], f"refund of {requested} {code} clamped to the {applied} left")
    return Applied("applied", row["id"], f"{applied} {code} refunded")


# ---- reading ----


def _credits(rows: list[Any], amount: Decimal, code: str) -> list[Credit]:
    out = []
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model]
        parts = money.allocate(money.Money(amount, code), [r["share"] for r in mine])
        out += [
            Credit(
                campaign_id=r["campaign_id"],
                creator_id=r["creator_id"],
                model=r["model"],
                method=r["method"],
                share=str(r["share"]),
                amount=str(money.quantize(p.amount, code)),
                reason=r["reason"],
            )
            for r, p in zip(mine, parts, strict=True)
        ]
    return out


async def conversion(conn: Conn, row: Any, duplicate: bool = False) -> Conversion:
    code = row["currency"].strip()
    refunds = await repo.refunds_of(conn, row["id"])
    q = money.quantize
    return Conversion(
        id=row["id"],
        source=row["source"],
        order_id=row["order_id"],
        occurred_at=row["occurred_at"],
        amount=str(q(row["amount"], code)),
        currency=money.Currency(code),
        status=row["status"],
        promo_codes=list(row["promo_codes"]),
        click_id=row["click_id"],
        ref=row["ref"],
        customer_id=row["customer_id"],
        new_customer=row["new_customer"],
        refunded=str(q(sum((r["amount"] for r in refunds), Decimal(0)), code)),
        refunds=[
            RefundLine(
                refund_id=r["refund_id"],
                amount=str(q(r["amount"], code)),
                requested=str(q(r["requested"], code)),
                clamped=r["amount"] < r["requested"],
                occurred_at=r["occurred_at"],
            )
            for r in refunds
        ],
        credits=_credits(await repo.credits_of(conn, row["id"]), row["amount"], code),
        duplicate=duplicate,
    )


async def get_conversion(conn: Conn, org_id: UUID, conversion_id: UUID) -> Conversion:
    row = await repo.conversion_row(conn, org_id, conversion_id=conversion_id)
    if row is None:
        raise NotFoundError(f"conversion {conversion_id} not found")
    return await conversion(conn, row)


def _cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(f"{row['occurred_at'].isoformat()}|{row['id']}".encode()).decode()


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        at, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(at), UUID(ident)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValidationError("cursor is not one this API gave out", field="cursor") from e


async def list_conversions(
    conn: Conn, org_id: UUID, filters: dict[str, Any], cursor: str | None, limit: int
) -> ConversionPage:
    rows = await repo.list_conversions(conn, org_id, {**filters, "after": _after(cursor)}, limit + 1)
    page = rows[:limit]
    items = [await conversion(conn, r) for r in page]
    return ConversionPage(items=items, next_cursor=_cursor(page[-1]) if len(rows) > limit else None)


# ---- the API ----


async def create_conversion(conn: Conn, org_id: UUID, data: ConversionIn, skew: timedelta = DEFAULT_SKEW) -> Conversion:
    if not data.order_id.strip():
        raise ValidationError("order_id must not be empty", field="order_id")
    code = money.currency(data.currency)
    money.parse_amount(data.amount, code, "amount")
    occurred = data.occurred_at if data.occurred_at.tzinfo else data.occurred_at.replace(tzinfo=UTC)
    order = OrderEvent(
        order_id=data.order_id,
        occurred_at=occurred,
        amount=data.amount,
        currency=code,
        status=data.status,
        promo_codes=data.promo_codes,
        click_id=data.click_id,
        ref=data.ref,
        customer_id=data.customer_id,
        new_customer=data.new_customer,
        external_ref=data.external_ref,
    )
    applied = await record_order(conn, org_id, data.source, order, skew)
    row = await repo.conversion_row(conn, org_id, conversion_id=applied.conversion_id)
    return await conversion(conn, row, duplicate=applied.outcome != "recorded")


async def create_refund(conn: Conn, org_id: UUID, order_id: str, data: RefundIn) -> Conversion:
    row = await repo.conversion_row(conn, org_id, source=data.source, order_id=order_id)
    if row is None:
        raise NotFoundError(f"order {order_id} not found")
    money.parse_amount(data.amount, row["currency"].strip(), "amount", positive=True)
    event = RefundEvent(
        refund_id=data.refund_id or f"api-{secrets.token_hex(8)}",
        order_id=order_id,
        amount=data.amount,
        occurred_at=data.occurred_at or datetime.now(UTC),
    )
    await apply_refund(conn, org_id, data.source, event, clamp=False)
    return await conversion(conn, await repo.conversion_row(conn, org_id, conversion_id=row["id"]))


# ---- webhooks ----


async def webhook(
    conn: Conn,
    integration_id: UUID,
    source: str,
    headers: dict[str, str],
    body: bytes,
    skew: timedelta = DEFAULT_SKEW,
) -> WebhookResult:
    """Verify, dedupe and apply one store delivery. Anything validly signed gets a 2xx: what cannot be
    applied yet is parked, what would over-refund is clamped; the reply names the conversions touched."""
    integration = await repo.integration(conn, integration_id)
    store = STORES.get(source)
    if integration is None or integration["source"] != source or store is None:
        raise NotFoundError("no such integration")
    try:
        store.verify(integration["secret"], headers, body, time.time())
    except SignatureError as e:
        raise AuthenticationError(f"webhook signature rejected: {e}") from e
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as e:
        raise ValidationError(f"the body is not JSON: {e}", field="body") from e
    topic = headers.get(TOPIC_HEADERS.get(source, ""), "")
    digest = hashlib.sha256(topic.encode() + b"\n" + body).digest()
    delivery = store.delivery_id(headers, payload)
    seen_body = not await repo.record_payload(conn, integration_id, digest)
    seen_id = bool(delivery) and not await repo.record_delivery(conn, integration_id, str(delivery))
    if seen_body or seen_id:
        return WebhookResult(result="duplicate delivery ignored", conversion_ids=[], events=[])
    org_id = integration["org_id"]
    outcomes = []
    for item in store.parse(headers, payload):
        if isinstance(item, OrderEvent):
            done = await record_order(conn, org_id, source, item, skew)
            kind, order_id = "order", item.order_id
        else:
            done = await apply_refund(conn, org_id, source, item, clamp=True)
            kind, order_id = ("cancellation" if item.remaining else "refund"), item.order_key
        outcomes.append(EventOutcome(kind, order_id, done.outcome, done.conversion_id, done.detail))  # type: ignore[arg-type]
    ids = list(dict.fromkeys(o.conversion_id for o in outcomes if o.conversion_id))
    result = f"{len(outcomes)} event(s) applied" if outcomes else "nothing to record for this event"
    return WebhookResult(result=result, conversion_ids=ids, events=outcomes)
