"""Shared steps of the web tests: a person who can log in, a campaign with one order, a login."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.conftest import Tenant
from users import service as users

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make_user(conn: asyncpg.Connection, tenant: Tenant, role: str = "admin", email: str | None = None) -> str:
    email = email or f"{role}-{tenant.org.name}@example.com"
    await users.create_user(conn, tenant.org.id, email, PASSWORD, role)
    return email


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/login")
    token = CSRF.search(form.text)
    assert token is not None
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/app"}
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "page has no form token"
    return found.group(1)


async def campaign_with_order(
    client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, name: str = "Kopi Week"
) -> dict[str, Any]:
    """A EUR campaign with one creator (fee 40.00) and one 100.00 EUR order on its promo code."""
    h = tenant.headers()
    account = await conn.fetchval(
        "INSERT INTO accounts (platform, host, external_id, handle, shared) "
        "VALUES ('mastodon', 'x.test', $1, $2, true) "
        "RETURNING id",
        name,
        f"creator_{abs(hash(name)) % 10_000}",
    )
    start = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    campaign = (
        await client.post(
            "/v1/campaigns",
            headers=h,
            json={
                "name": name,
                "currency": "EUR",
                "destination_url": "https://shop.example/",
                "starts_at": start.isoformat(),
            },
        )
    ).json()
    creator = await client.post(
        f"/v1/campaigns/{campaign['id']}/creators",
        headers=h,
        json={"account_id": account, "fee": "40.00", "promo_code": f"KOPI{abs(hash(name)) % 1000}"},
    )
    assert creator.status_code == 201, creator.text
    order = {
        "order_id": f"O-{name}",
        "occurred_at": (start + timedelta(days=1)).isoformat(),
        "amount": "100.00",
        "currency": "EUR",
        "promo_codes": [creator.json()["promo_code"]],
    }
    r = await client.post("/v1/conversions", json=order, headers=h)
    assert r.status_code in (200, 201), r.text
    return dict(campaign)
