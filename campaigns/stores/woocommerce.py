"""WooCommerce: the order (with its refunds) as sent on every order webhook topic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from campaigns import money
from campaigns.stores.common import (
    Event,
    OrderEvent,
    RefundEvent,
    Status,
    amount,
    click_and_ref,
    landing_params,
    require,
    time,
    verify_base64_hmac,
)

PAID = ("processing", "completed", "refunded", "cancelled")
PENDING = ("pending", "on-hold", "checkout-draft")


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> None:
    verify_base64_hmac(secret, body, headers.get("x-wc-webhook-signature"))


def delivery_id(headers: dict[str, str], payload: Any) -> str | None:
    return headers.get("x-wc-webhook-delivery-id")


def status(value: Any) -> Status:
    """processing/completed are paid; pending, on-hold and drafts are not yet; failed is voided.
    refunded and cancelled orders are counted as paid and refunded in full (a refund event)."""
    if value in PENDING:
        return "pending"
    if value == "failed":
        return "voided"
    return "paid" if value in PAID or value is None else "pending"


def parse(headers: dict[str, str], payload: Any) -> list[Event]:
    o = require(payload, "id", "total", "currency")
    code = money.currency(o["currency"])
    meta = {str(m.get("key")): str(m.get("value")) for m in o.get("meta_data") or [] if isinstance(m, dict)}
    landing = meta.get("_wc_order_attribution_session_entry")
    click, ref = click_and_ref({**landing_params(landing), **meta})
    when = o.get("date_created_gmt") or o.get("date_created")
    modified = time(o.get("date_modified_gmt") or when, "date_modified_gmt")
    events: list[Event] = [
        OrderEvent(
            order_id=str(o["id"]),
            occurred_at=time(when, "date_created_gmt"),
            amount=amount(o["total"], code, "total"),
            currency=code,
            status=status(o.get("status")),
            promo_codes=[str(c["code"]) for c in o.get("coupon_lines") or [] if isinstance(c, dict) and c.get("code")],
            click_id=click,
            ref=ref,
            customer_id=str(o["customer_id"]) if o.get("customer_id") else None,
        )
    ]
    for r in o.get("refunds") or []:
        if isinstance(r, dict) and r.get("id"):
            value = str(r.get("total") or "0").lstrip("-")
            refunded = amount(value, code, "refunds.total")
            if refunded > 0:
                events.append(
                    RefundEvent(refund_id=str(r["id"]), order_id=str(o["id"]), amount=refunded, occurred_at=modified)
                )
    if o.get("status") in ("cancelled", "refunded"):
        # Whatever the listed refunds leave is refunded too: applied after them, it is idempotent.
        events.append(
            RefundEvent(
                refund_id=f"{o['status']}-{o['id']}",
                order_id=str(o["id"]),
                amount=Decimal(0),
                occurred_at=modified,
                remaining=True,
            )
        )
    return events
