"""One adapter module per store, all with the same interface; adding a store is adding a file."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from campaigns.stores import shopify, stripe, woocommerce
from campaigns.stores.common import Event, OrderEvent, RefundEvent, SignatureError, Status


class Store(Protocol):
    verify: Callable[[str, dict[str, str], bytes, float], None]
    delivery_id: Callable[[dict[str, str], Any], str | None]
    parse: Callable[[dict[str, str], Any], list[Event]]


STORES: dict[str, ModuleType] = {"shopify": shopify, "woocommerce": woocommerce, "stripe": stripe}
# The header that names the topic, where the store has one (its signature does not cover it).
TOPIC_HEADERS = {"shopify": "x-shopify-topic", "woocommerce": "x-wc-webhook-topic"}

__all__ = ["STORES", "TOPIC_HEADERS", "Event", "OrderEvent", "RefundEvent", "SignatureError", "Status", "Store"]
