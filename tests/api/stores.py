"""Helpers for money tests: a campaign with creators, and signed deliveries as each store sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import asyncpg
import httpx

from tests.conftest import Tenant

SECRET = "store-secret-1"


def b64_sig(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def stripe_sig(secret: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


async def campaign_with_creators(
    client: httpx.AsyncClient,
    tenant: Tenant,
    conn: asyncpg.Connection,
    currency: str = "EUR",
    creators: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A campaign and its creators (each on a bare stored account); ``creators`` are AddCreator bodies."""
    h = tenant.headers()
    campaign = (
        await client.post(
            "/v1/campaigns",
            headers=h,
            json={
                "name": f"c-{uuid.uuid4().hex[:6]}",
                "currency": currency,
                "destination_url": "https://shop.example/",
            },
        )
    ).json()
    out = []
    for body in creators or [{}]:
        account = await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, shared) "
            "VALUES ('mastodon', 'x.test', $1, $1, true) "
            "RETURNING id",
            uuid.uuid4().hex[:10],
        )
        r = await client.post(
            f"/v1/campaigns/{campaign['id']}/creators", headers=h, json={"account_id": account, **body}
        )
        assert r.status_code == 201, r.text
        out.append(r.json())
    return campaign, out


class Stores:
    """One integration per store for a tenant, and a way to deliver to each."""

    def __init__(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        self.paths: dict[str, str] = {}
        self.n = 0

    async def setup(self) -> Stores:
        for source in ("shopify", "woocommerce", "stripe"):
            r = await self.client.post(
                "/v1/integrations", headers=self.tenant.headers(), json={"source": source, "secret": SECRET}
            )
            self.paths[source] = r.json()["webhook_path"]
        return self

    def _delivery(self) -> str:
        self.n += 1
        return f"d-{uuid.uuid4().hex[:8]}-{self.n}"

    async def shopify(self, topic: str, payload: dict[str, Any], delivery: str | None = None) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "X-Shopify-Hmac-Sha256": b64_sig(SECRET, body),
            "X-Shopify-Topic": topic,
            "X-Shopify-Webhook-Id": delivery or self._delivery(),
            "content-type": "application/json",
        }
        return await self.client.post(self.paths["shopify"], content=body, headers=headers)

    async def woocommerce(
        self, payload: dict[str, Any], topic: str = "order.updated", delivery: str | None = None
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "X-WC-Webhook-Signature": b64_sig(SECRET, body),
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-Id": delivery or self._delivery(),
            "content-type": "application/json",
        }
        return await self.client.post(self.paths["woocommerce"], content=body, headers=headers)

    async def stripe(self, event_type: str, obj: dict[str, Any], event_id: str | None = None) -> httpx.Response:
        event = {"id": event_id or f"evt_{self._delivery()}", "type": event_type, "data": {"object": obj}}
        event["created"] = obj.get("created", int(time.time()))
        body = json.dumps(event).encode()
        headers = {"Stripe-Signature": stripe_sig(SECRET, body), "content-type": "application/json"}
        return await self.client.post(self.paths["stripe"], content=body, headers=headers)


def shopify_order(order_id: int, amount: str, currency: str, at: str, codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "total_price": amount,
        "currency": currency,
        "created_at": at,
        "financial_status": "paid",
        "discount_codes": [{"code": c} for c in codes],
        "cancelled_at": None,
        **extra,
    }


def woo_order(order_id: int, total: str, currency: str, at: str, codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "status": "processing",
        "total": total,
        "currency": currency,
        "date_created_gmt": at,
        "date_modified_gmt": at,
        "coupon_lines": [{"code": c} for c in codes],
        "refunds": [],
        **extra,
    }


def stripe_session(session_id: str, minor: int, currency: str, created: int, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": minor,
        "currency": currency.lower(),
        "created": created,
        "payment_status": "paid",
        "payment_intent": f"pi_{session_id}",
        "metadata": {"promo_code": code},
        **extra,
    }


def stripe_charge(
    session_id: str, currency: str, refunded_minor: int, refunds: list[tuple[str, int]] | None = None
) -> dict[str, Any]:
    charge: dict[str, Any] = {
        "id": f"ch_{session_id}",
        "object": "charge",
        "currency": currency.lower(),
        "payment_intent": f"pi_{session_id}",
        "amount_refunded": refunded_minor,
    }
    if refunds is not None:
        charge["refunds"] = {"data": [{"id": i, "amount": a} for i, a in refunds]}
    return charge
