"""Stripe: Checkout sessions are orders; ``charge.refunded`` carries what was refunded so far.

Amounts are integers in Stripe's minor units (``money.stripe_exponent``: three decimals for
BHD, JOD, KWD, OMR, TND; none for Stripe's zero-decimal list). A charge's refund events are
applied as "refunded so far = ``amount_refunded``" so their order, repeats and whether the
event lists ``refunds.data`` (recent API versions do not) never change the total.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

from campaigns import money
from campaigns.stores.common import (
    Event,
    OrderEvent,
    RefundEvent,
    SignatureError,
    Status,
    click_and_ref,
    require,
    time,
    uuid_or_none,
)
from sql.errors import ValidationError

TOLERANCE = 300  # seconds
SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
)


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> None:
    """``Stripe-Signature: t=<unix>,v1=<hex>``; any matching v1 is accepted within the tolerance."""
    header = headers.get("stripe-signature")
    if not header:
        raise SignatureError("Stripe-Signature header missing")
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
    stamp = stamps[0].strip() if stamps else ""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not signatures:
        raise SignatureError("Stripe-Signature header is malformed")
    t = int(stamp)
    if abs(now - t) > TOLERANCE:
        raise SignatureError(f"timestamp is {int(now - t)} s away from now (tolerance {TOLERANCE} s)")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), s.encode("utf-8", "replace")) for s in signatures):
        raise SignatureError("no v1 signature matches the body")


def delivery_id(headers: dict[str, str], payload: Any) -> str | None:
    return str(payload["id"]) if isinstance(payload, dict) and payload.get("id") else None


def status(event_type: str, session: dict[str, Any]) -> Status:
    if event_type == "checkout.session.async_payment_failed":
        return "voided"
    if event_type == "checkout.session.async_payment_succeeded":
        return "paid"
    return "pending" if session.get("payment_status") == "unpaid" else "paid"


def _session(event_type: str, event: dict[str, Any], obj: dict[str, Any]) -> list[Event]:
    if obj.get("amount_total") is None or not obj.get("currency"):
        return []  # a session without a total (setup mode) is no order
    code = money.currency(obj["currency"])
    meta = {str(k): str(v) for k, v in (obj.get("metadata") or {}).items()}
    click, ref = click_and_ref(meta)
    reference = obj.get("client_reference_id")
    click = click or uuid_or_none(reference)
    ref = ref or (str(reference) if reference and click is None else None)
    raw_details = obj.get("customer_details")
    customer: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    return [
        OrderEvent(
            order_id=str(obj["id"]),
            occurred_at=time(obj.get("created") or event.get("created"), "created"),
            amount=money.from_stripe_minor(obj["amount_total"], code, "amount_total"),
            currency=code,
            status=status(event_type, obj),
            promo_codes=[meta[k] for k in ("promo_code", "coupon") if meta.get(k)],
            click_id=click,
            ref=ref,
            customer_id=str(obj.get("customer") or customer.get("email") or "") or None,
            external_ref=str(obj["payment_intent"]) if obj.get("payment_intent") else None,
        )
    ]


def _refunded(event: dict[str, Any], obj: dict[str, Any]) -> list[Event]:
    code = money.currency(obj.get("currency"))
    intent = str(obj.get("payment_intent") or "")
    if not intent:
        return []  # a charge made outside Checkout (no payment intent) refunds no order of ours
    listed = [r for r in (obj.get("refunds") or {}).get("data") or [] if isinstance(r, dict)]
    if obj.get("amount_refunded") is not None:
        so_far = money.from_stripe_minor(obj["amount_refunded"], code, "amount_refunded")
    else:
        so_far = sum((money.from_stripe_minor(r.get("amount"), code, "refunds.amount") for r in listed), Decimal(0))
    if so_far <= 0:
        return []
    return [
        RefundEvent(
            refund_id=f"{obj.get('id')}:{so_far}",
            external_ref=intent,
            amount=so_far,
            occurred_at=time(event.get("created") or obj.get("created"), "created"),
            cumulative=True,
        )
    ]


def parse(headers: dict[str, str], payload: Any) -> list[Event]:
    event = require(payload, "type", "data")
    obj = event["data"].get("object") if isinstance(event["data"], dict) else None
    if not isinstance(obj, dict):
        raise ValidationError("data.object is missing", field="data")
    if event["type"] in SESSION_EVENTS:
        return _session(event["type"], event, obj)
    if event["type"] == "charge.refunded":
        return _refunded(event, obj)
    return []
