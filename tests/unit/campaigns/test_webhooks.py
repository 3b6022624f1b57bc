"""Store webhook payloads: every real sample parses; signatures are checked as the stores sign."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest

from campaigns.stores import OrderEvent, SignatureError, shopify, stripe, woocommerce
from campaigns.stores.common import verify_base64_hmac
from tests.fixtures.samples import SAMPLES


def sample(name: str) -> dict[str, object]:
    return json.loads((SAMPLES / "webhooks" / name).read_text())  # type: ignore[no-any-return]


class TestSamples:
    def test_shopify_order(self) -> None:
        [event] = shopify.parse({"x-shopify-topic": "orders/create"}, sample("shopify_order.json")["order"])
        assert isinstance(event, OrderEvent)
        assert (event.order_id, event.amount, event.currency, event.promo_codes) == (
            "450789469",
            Decimal("409.94"),
            "USD",
            ["TENOFF"],
        )

    def test_woocommerce_order(self) -> None:
        [order] = woocommerce.parse({}, sample("woocommerce_order.json"))
        assert isinstance(order, OrderEvent)
        assert (order.order_id, order.amount, order.currency) == ("727", Decimal("29.35"), "USD")

    def test_stripe_session_without_a_total_is_no_order(self) -> None:
        event = {
            "id": "evt_x",
            "type": "checkout.session.completed",
            "data": {"object": sample("stripe_checkout_session.json")},
        }
        assert stripe.parse({}, event) == []

    def test_stripe_event_of_another_type_is_ignored(self) -> None:
        assert stripe.parse({}, sample("stripe_event.json")) == []

    def test_stripe_zero_decimal_currency(self) -> None:
        session = {
            **sample("stripe_checkout_session.json"),
            "amount_total": 1200,
            "currency": "jpy",
            "created": 1700000000,
        }
        [order] = stripe.parse({}, {"type": "checkout.session.completed", "data": {"object": session}})
        assert isinstance(order, OrderEvent) and order.amount == Decimal(1200)


class TestSignatures:
    def test_base64_hmac(self) -> None:
        body = b'{"id": 1}'
        good = base64.b64encode(hmac.new(b"k", body, hashlib.sha256).digest()).decode()
        verify_base64_hmac("k", body, good)
        with pytest.raises(SignatureError):
            verify_base64_hmac("k", body + b" ", good)
        with pytest.raises(SignatureError):
            verify_base64_hmac("k", body, None)

    def test_stripe_any_v1_within_tolerance(self) -> None:
        body, now = b"{}", int(time.time())
        sig = hmac.new(b"whsec", f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        stripe.verify("whsec", {"stripe-signature": f"t={now},v1=deadbeef,v1={sig}"}, body, now)
        with pytest.raises(SignatureError, match="tolerance"):
            stripe.verify("whsec", {"stripe-signature": f"t={now},v1={sig}"}, body, now + 301)
        with pytest.raises(SignatureError, match="malformed"):
            stripe.verify("whsec", {"stripe-signature": "v1=abc"}, body, now)
