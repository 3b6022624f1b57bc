"""Shared by the security tests: a campaign with one creator, a store integration, signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

import asyncpg
import httpx

from tests.conftest import Tenant

SECRET = "whsec-test-secret"


def shopify_sig(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def campaign(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"name": f"c-{uuid.uuid4().hex[:6]}", "currency": "EUR", "destination_url": "https://shop.example/"}
    r = await client.post("/v1/campaigns", headers=tenant.headers(), json={**body, **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def creator(
    client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, **campaign_fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A campaign and one creator on a bare stored account."""
    account = await conn.fetchval(
        "INSERT INTO accounts (platform, host, external_id, handle, shared) "
        "VALUES ('mastodon', 'x.test', $1, $1, true) RETURNING id",
        uuid.uuid4().hex[:10],
    )
    made = await campaign(client, tenant, **campaign_fields)
    path = f"/v1/campaigns/{made['id']}/creators"
    r = await client.post(path, headers=tenant.headers(), json={"account_id": account})
    assert r.status_code == 201, r.text
    return made, r.json()


async def integration(client: httpx.AsyncClient, tenant: Tenant, source: str) -> str:
    r = await client.post("/v1/integrations", headers=tenant.headers(), json={"source": source, "secret": SECRET})
    assert r.status_code == 201, r.text
    return str(r.json()["webhook_path"])
