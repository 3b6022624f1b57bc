"""What every store adapter shares: the events it yields and the small parsing helpers. Pure.

An adapter is one module with the same small interface (see ``campaigns.stores``):
``verify(secret, headers, body, now)``, ``delivery_id(headers, payload)``,
``parse(headers, payload) -> list[Event]`` and ``status(...)`` mapping the store's own
order states onto ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import msgspec

from campaigns import money
from sql.errors import ValidationError

# Only 'paid' counts as revenue. Later deliveries move an order up this order, never down, so
# any interleaving of the same order's deliveries ends in the same state: an unpaid order
# (pending) can fail (voided) and still be paid on a retry; a test order never counts.
Status = Literal["pending", "voided", "paid", "test"]
STATUS_RANK: dict[str, int] = {"pending": 0, "voided": 1, "paid": 2, "test": 3}
CLICK_KEYS = ("sorot_cid", "_sorot_cid")
REF_KEYS = ("ref", "sorot_ref", "utm_content", "_wc_order_attribution_utm_content")


class SignatureError(Exception):
    pass


class OrderEvent(msgspec.Struct, kw_only=True):
    order_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    status: Status = "paid"
    promo_codes: list[str] = []
    click_id: UUID | None = None
    ref: str | None = None
    customer_id: str | None = None
    new_customer: bool | None = None
    external_ref: str | None = None


class RefundEvent(msgspec.Struct, kw_only=True):
    refund_id: str
    amount: Decimal
    occurred_at: datetime
    order_id: str | None = None
    external_ref: str | None = None  # when the order is only known by it (a Stripe payment intent)
    remaining: bool = False  # refund whatever is not refunded yet (a cancelled order)
    # ``amount`` is the total refunded so far (Stripe's ``amount_refunded``): record only what is new.
    cumulative: bool = False

    @property
    def order_key(self) -> str:
        return f"ref:{self.external_ref}" if self.external_ref else str(self.order_id)


Event = OrderEvent | RefundEvent


def verify_base64_hmac(secret: str, body: bytes, header: str | None) -> None:
    """Shopify and WooCommerce: base64(HMAC-SHA256(secret, raw body))."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    # Bytes, not str: compare_digest refuses non-ASCII str, and a header may carry any byte.
    if not header or not hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace")):
        raise SignatureError("signature does not match the body")


def amount(value: Any, code: str | None, what: str) -> Decimal:
    """A non-negative amount; with no currency known yet, at most 4 decimals (the most ISO has)."""
    return money.parse_amount(value, code, what)


def time(value: Any, what: str) -> datetime:
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


def uuid_or_none(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def landing_params(url: object) -> dict[str, str]:
    if not url or not isinstance(url, str):  # stores send what they like: a number, an object
        return {}
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def click_and_ref(pairs: dict[str, str]) -> tuple[UUID | None, str | None]:
    click = next((uuid_or_none(pairs[k]) for k in CLICK_KEYS if pairs.get(k)), None)
    ref = next((pairs[k] for k in REF_KEYS if pairs.get(k)), None)
    return click, ref


def require(body: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field="body")
    missing = [k for k in keys if body.get(k) in (None, "")]
    if missing:
        raise ValidationError(f"the body lacks {', '.join(missing)}", field=missing[0])
    return body
