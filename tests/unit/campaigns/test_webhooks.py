"""Store webhook payloads: every real sample parses; signatures are checked as the stores sign."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest

from campaigns import webhooks
from tests.fixtures.samples import SAMPLES


def sample(name: str) -> dict[str, object]:
    return json.loads((SAMPLES / "webhooks" / name).read_text())  # type: ignore[no-any-return]


class TestSamples:
    def test_shopify_order(self) -> None:
        event = webhooks.shopify("orders/create", sample("shopify_order.json")["order"])
        assert isinstance(event, webhooks.OrderEvent)
        assert (event.order_id, event.amount, event.currency, event.promo_codes) == (
            "450789469",
            Decimal("409.94"),
            "USD",
            ["TENOFF"],
        )

    def test_woocommerce_order(self) -> None:
        [order] = webhooks.woocommerce(sample("woocommerce_order.json"))
        assert isinstance(order, webhooks.OrderEvent)
        assert (order.order_id, order.amount, order.currency) == ("727", Decimal("29.35"), "USD")

    def test_stripe_session_without_a_total_is_no_order(self) -> None:
        event = {
            "id": "evt_x",
            "type": "checkout.session.completed",
            "data": {"object": sample("stripe_checkout_session.json")},
        }
        assert webhooks.stripe(event) == []

    def test_stripe_event_of_another_type_is_ignored(self) -> None:
        assert webhooks.stripe(sample("stripe_event.json")) == []

    def test_stripe_zero_decimal_currency(self) -> None:
        session = {
            **sample("stripe_checkout_session.json"),
            "amount_total": 1200,
            "currency": "jpy",
            "created": 1700000000,
        }
        [order] = webhooks.stripe({"type": "checkout.session.completed", "data": {"object": session}})
        assert isinstance(order, webhooks.OrderEvent) and order.amount == Decimal(1200)


class TestSignatures:
    def test_base64_hmac(self) -> None:
        body = b'{"id": 1}'
        good = base64.b64encode(hmac.new(b"k", body, hashlib.sha256).digest()).decode()
        webhooks.verify_base64_hmac("k", body, good)
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify_base64_hmac("k", body + b" ", good)
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify_base64_hmac("k", body, None)

    def test_stripe_any_v1_within_tolerance(self) -> None:
        body, now = b"{}", int(time.time())
        sig = hmac.new(b"whsec", f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        webhooks.verify_stripe("whsec", body, f"t={now},v1=deadbeef,v1={sig}", now)
        with pytest.raises(webhooks.SignatureError, match="tolerance"):
            webhooks.verify_stripe("whsec", body, f"t={now},v1={sig}", now + 301)
        with pytest.raises(webhooks.SignatureError, match="malformed"):
            webhooks.verify_stripe("whsec", body, "v1=abc", now)
