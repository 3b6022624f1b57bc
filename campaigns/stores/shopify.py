"""Shopify: orders, refunds and cancellations from ``X-Shopify-Topic`` webhooks.

Shopify signs only the body, not the topic header or the webhook id, so a captured body can
be replayed under another topic. Each event therefore needs the body's own evidence: a
cancellation needs ``cancelled_at``; a refund needs successful refund transactions.
"""

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

ORDER_TOPICS = ("orders/create", "orders/paid", "orders/updated")


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> None:
    verify_base64_hmac(secret, body, headers.get("x-shopify-hmac-sha256"))


def topic(headers: dict[str, str]) -> str:
    return headers.get("x-shopify-topic", "orders/create")


def delivery_id(headers: dict[str, str], payload: Any) -> str | None:
    return headers.get("x-shopify-webhook-id")


def status(order: dict[str, Any]) -> Status:
    """``financial_status``: paid (also when partly or wholly refunded later: refunds are events of
    their own), pending/authorized (not captured yet), voided. Test orders never count."""
    if order.get("test") is True:
        return "test"
    financial = order.get("financial_status")
    if financial in ("pending", "authorized", "expired"):
        return "pending"
    if financial == "voided":
        return "voided"
    return "paid"


def _order(o: dict[str, Any]) -> OrderEvent:
    require(o, "id", "total_price", "currency")
    code = money.currency(o["currency"])
    pairs = {
        **landing_params(o.get("landing_site")),
        **{str(a.get("name")): str(a.get("value")) for a in o.get("note_attributes") or [] if isinstance(a, dict)},
    }
    click, ref = click_and_ref(pairs)
    raw_customer = o.get("customer")
    customer: dict[str, Any] = raw_customer if isinstance(raw_customer, dict) else {}
    return OrderEvent(
        order_id=str(o["id"]),
        occurred_at=time(o.get("processed_at") or o.get("created_at"), "created_at"),
        amount=amount(o["total_price"], code, "total_price"),
        currency=code,
        status=status(o),
        promo_codes=[str(d["code"]) for d in o.get("discount_codes") or [] if isinstance(d, dict) and d.get("code")],
        click_id=click,
        ref=ref,
        customer_id=str(customer["id"]) if customer.get("id") else None,
        new_customer=(customer.get("orders_count") in (0, 1)) if "orders_count" in customer else None,
    )


def _refund(r: dict[str, Any]) -> list[Event]:
    require(r, "id", "order_id")
    total = Decimal(0)
    for t in r.get("transactions") or []:
        if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status") in (None, "success"):
            # The order's currency is checked when the refund is applied to it.
            code = money.currency(t["currency"]) if t.get("currency") else None
            total += amount(t.get("amount"), code, "transactions.amount")
    if total <= 0:
        return []  # a refund of nothing (a restock only, or a replayed order body) changes no revenue
    return [
        RefundEvent(
            refund_id=str(r["id"]),
            order_id=str(r["order_id"]),
            amount=total,
            occurred_at=time(r.get("processed_at") or r.get("created_at"), "created_at"),
        )
    ]


def parse(headers: dict[str, str], payload: Any) -> list[Event]:
    kind = topic(headers)
    if kind in ORDER_TOPICS:
        return [_order(require(payload, "id"))]
    if kind == "refunds/create":
        return _refund(require(payload, "id"))
    if kind == "orders/cancelled":
        o = require(payload, "id")
        if not o.get("cancelled_at"):
            return []  # no evidence of a cancellation in the signed body: a replayed order, say
        return [
            RefundEvent(
                refund_id=f"cancel-{o['id']}",
                order_id=str(o["id"]),
                amount=Decimal(0),
                occurred_at=time(o["cancelled_at"], "cancelled_at"),
                remaining=True,
            )
        ]
    return []
