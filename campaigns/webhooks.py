"""Store webhooks: signature checks and the order and refund events in their bodies. Pure."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

from sql.errors import ValidationError

STRIPE_TOLERANCE = 300  # seconds
ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
CLICK_KEYS = ("sorot_cid", "_sorot_cid")
REF_KEYS = ("ref", "sorot_ref", "utm_content", "_wc_order_attribution_utm_content")


class SignatureError(Exception):
    pass


@dataclass
class OrderEvent:
    order_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    promo_codes: list[str] = field(default_factory=list)
    click_id: UUID | None = None
    ref: str | None = None
    customer_id: str | None = None
    new_customer: bool | None = None
    external_ref: str | None = None


@dataclass
class RefundEvent:
    refund_id: str
    amount: Decimal
    occurred_at: datetime
    order_id: str | None = None
    external_ref: str | None = None  # when the order is only known by it (Stripe payment intent)
    remaining: bool = False  # refund whatever is not refunded yet (a cancelled order)


Event = OrderEvent | RefundEvent | None


def verify_base64_hmac(secret: str, body: bytes, header: str | None) -> None:
    """Shopify and WooCommerce: base64(HMAC-SHA256(secret, raw body))."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may carry any byte.
    if not header or not hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace")):
        raise SignatureError("signature does not match the body")


def verify_stripe(secret: str, body: bytes, header: str | None, now: float) -> None:
    """``Stripe-Signature: t=<unix>,v1=<hex>``; any matching v1 is accepted within the tolerance."""
    if not header:
        raise SignatureError("Stripe-Signature header missing")
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, v in parts if k.strip() == "v1"]
    stamp = stamps[0].strip() if stamps else ""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not signatures:
        raise SignatureError("Stripe-Signature header is malformed")
    t = int(stamp)
    if abs(now - t) > STRIPE_TOLERANCE:
        raise SignatureError(f"timestamp is {int(now - t)} s away from now (tolerance {STRIPE_TOLERANCE} s)")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected.encode(), s.encode("utf-8", "replace")) for s in signatures):
        raise SignatureError("no v1 signature matches the body")


def _money(value: Any, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise ValidationError(f"{what} is not an amount: {value!r}", field=what) from e
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"{what} must be a non-negative amount", field=what)
    return amount


def _time(value: Any, what: str) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError) as e:  # e.g. 10**15: past year 9999
            raise ValidationError(f"{what} is out of range: {value!r}", field=what) from e
    if not isinstance(value, str):
        raise ValidationError(f"{what} is missing", field=what)
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ValidationError(f"{what} is not a time: {value!r}", field=what) from e
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def landing_params(url: object) -> dict[str, str]:
    if not url or not isinstance(url, str):  # stores send what they like: a number, an object
        return {}
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _click_and_ref(pairs: dict[str, str]) -> tuple[UUID | None, str | None]:
    click = next((_uuid(pairs[k]) for k in CLICK_KEYS if pairs.get(k)), None)
    ref = next((pairs[k] for k in REF_KEYS if pairs.get(k)), None)
    return click, ref


def _currency(value: Any) -> str:
    code = str(value or "").upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError(f"currency must be a 3-letter code, got {value!r}", field="currency")
    return code


def _require(body: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    missing = [k for k in keys if body.get(k) in (None, "")]
    if missing:
        raise ValidationError(f"the body lacks {', '.join(missing)}", field=missing[0])
    return body


def shopify(topic: str, body: Any) -> Event:
    if topic in ("orders/create", "orders/paid", "orders/updated"):
        o = _require(body, "id", "total_price", "currency")
        pairs = {
            **landing_params(o.get("landing_site")),
            **{str(a.get("name")): str(a.get("value")) for a in o.get("note_attributes") or [] if isinstance(a, dict)},
        }
        click, ref = _click_and_ref(pairs)
        raw_customer = o.get("customer")
        customer: dict[str, Any] = raw_customer if isinstance(raw_customer, dict) else {}
        return OrderEvent(
            order_id=str(o["id"]),
            occurred_at=_time(o.get("processed_at") or o.get("created_at"), "created_at"),
            amount=_money(o["total_price"], "total_price"),
            currency=_currency(o["currency"]),
            promo_codes=[
                str(d["code"]) for d in o.get("discount_codes") or [] if isinstance(d, dict) and d.get("code")
            ],
            click_id=click,
            ref=ref,
            customer_id=str(customer["id"]) if customer.get("id") else None,
            new_customer=(customer.get("orders_count") in (0, 1)) if "orders_count" in customer else None,
        )
    if topic == "refunds/create":
        r = _require(body, "id", "order_id")
        amount = sum(
            (
                _money(t.get("amount"), "transactions.amount")
                for t in r.get("transactions") or []
                if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status") in (None, "success")
            ),
            Decimal(0),
        )
        if amount <= 0:
            return None  # a refund of nothing (e.g. restock only) changes no revenue
        return RefundEvent(
            refund_id=str(r["id"]),
            order_id=str(r["order_id"]),
            amount=amount,
            occurred_at=_time(r.get("processed_at") or r.get("created_at"), "created_at"),
        )
    if topic == "orders/cancelled":
        o = _require(body, "id")
        return RefundEvent(
            refund_id=f"cancel-{o['id']}",
            order_id=str(o["id"]),
            amount=Decimal(0),
            occurred_at=_time(o.get("cancelled_at") or o.get("updated_at"), "cancelled_at"),
            remaining=True,
        )
    return None


def woocommerce(body: Any) -> list[OrderEvent | RefundEvent]:
    o = _require(body, "id", "total", "currency")
    meta = {str(m.get("key")): str(m.get("value")) for m in o.get("meta_data") or [] if isinstance(m, dict)}
    landing = meta.get("_wc_order_attribution_session_entry")
    click, ref = _click_and_ref({**landing_params(landing), **meta})
    when = o.get("date_created_gmt") or o.get("date_created")
    events: list[OrderEvent | RefundEvent] = [
        OrderEvent(
            order_id=str(o["id"]),
            occurred_at=_time(when, "date_created_gmt"),
            amount=_money(o["total"], "total"),
            currency=_currency(o["currency"]),
            promo_codes=[str(c["code"]) for c in o.get("coupon_lines") or [] if isinstance(c, dict) and c.get("code")],
            click_id=click,
            ref=ref,
            customer_id=str(o["customer_id"]) if o.get("customer_id") else None,
        )
    ]
    for r in o.get("refunds") or []:
        if isinstance(r, dict) and r.get("id"):
            amount = abs(Decimal(str(r.get("total") or "0")))
            if amount > 0:
                events.append(
                    RefundEvent(
                        refund_id=str(r["id"]),
                        order_id=str(o["id"]),
                        amount=amount,
                        occurred_at=_time(o.get("date_modified_gmt") or when, "date_modified_gmt"),
                    )
                )
    if o.get("status") in ("cancelled", "refunded") and not o.get("refunds"):
        events.append(
            RefundEvent(
                refund_id=f"{o['status']}-{o['id']}",
                order_id=str(o["id"]),
                amount=Decimal(0),
                occurred_at=_time(o.get("date_modified_gmt") or when, "date_modified_gmt"),
                remaining=True,
            )
        )
    return events


def _minor(amount: Any, currency: str) -> Decimal:
    units = Decimal(str(int(amount)))
    return units if currency in ZERO_DECIMAL else units / 100


def stripe(body: Any) -> list[OrderEvent | RefundEvent]:
    event = _require(body, "type", "data")
    obj = event["data"].get("object") if isinstance(event["data"], dict) else None
    if not isinstance(obj, dict):
        raise ValidationError("data.object is missing", field="data")
    if event["type"] == "checkout.session.completed":
        if obj.get("amount_total") is None or not obj.get("currency"):
            return []  # a session without a total (setup mode) is no order
        currency = _currency(obj["currency"])
        meta = {str(k): str(v) for k, v in (obj.get("metadata") or {}).items()}
        click, ref = _click_and_ref(meta)
        reference = obj.get("client_reference_id")
        click = click or _uuid(reference)
        ref = ref or (str(reference) if reference and click is None else None)
        codes = [meta[k] for k in ("promo_code", "coupon") if meta.get(k)]
        raw_details = obj.get("customer_details")
        customer: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
        return [
            OrderEvent(
                order_id=str(obj["id"]),
                occurred_at=_time(obj.get("created") or event.get("created"), "created"),
                amount=_minor(obj["amount_total"], currency),
                currency=currency,
                promo_codes=codes,
                click_id=click,
                ref=ref,
                customer_id=str(obj.get("customer") or customer.get("email") or "") or None,
                external_ref=str(obj["payment_intent"]) if obj.get("payment_intent") else None,
            )
        ]
    if event["type"] == "charge.refunded":
        currency = _currency(obj.get("currency"))
        intent = str(obj.get("payment_intent") or "")
        refunds = (obj.get("refunds") or {}).get("data") or []
        out: list[OrderEvent | RefundEvent] = [
            RefundEvent(
                refund_id=str(r["id"]),
                amount=_minor(r["amount"], currency),
                occurred_at=_time(r.get("created") or event.get("created"), "created"),
                external_ref=intent,
            )
            for r in refunds
            if isinstance(r, dict) and r.get("id") and r.get("amount")
        ]
        if not out and obj.get("amount_refunded"):
            out.append(
                RefundEvent(
                    refund_id=f"{obj.get('id')}-{obj['amount_refunded']}",
                    external_ref=intent,
                    amount=_minor(obj["amount_refunded"], currency),
                    occurred_at=_time(event.get("created"), "created"),
                )
            )
        return out
    return []
