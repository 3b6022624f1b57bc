"""Demo data for one org of a running instance, on request (the web app's "Load demo data" button).

A simulated world is stored as if crawled, then everything else goes through the instance's own
HTTP API in-process (a short-lived admin key, revoked at the end): a ranking, a shortlist, a
campaign with its creators, visitors following the tagged links, signed Shopify orders spread
over the last two weeks, an FX rate. The pages then show the same figures the API gives.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from discovery.simulator.load import load_world
from discovery.simulator.world import TOPICS, build_world
from sql import tenancy

TOPIC = TOPICS[0][0]
WORLD_SIZE = 800
HOST = "demo.sorot.invalid"  # a name that never resolves: nothing is ever fetched from it


async def load(app: Any, org_id: UUID, accounts: int = WORLD_SIZE, seed: int = 3) -> str:
    """Load the demo into ``org_id``; returns the new campaign's id."""
    world = await asyncio.to_thread(build_world, accounts, seed)
    async with app.state.pool.acquire() as conn:
        await load_world(conn, world, host=HOST, posts_per_account=5)
        key = await tenancy.create_key(conn, org_id, "admin", name="demo loader")
    try:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key.secret}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://sorot.local", headers=headers) as api:
            return await _campaign(api, random.Random(seed))
    finally:
        async with app.state.pool.acquire() as conn:
            await tenancy.revoke_key(conn, org_id, key.key.id)


def _ok(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise RuntimeError(f"demo step {r.request.method} {r.request.url.path} failed: {r.status_code} {r.text[:200]}")
    return r.json() if r.content else None


async def _campaign(api: httpx.AsyncClient, rng: random.Random) -> str:
    brands = _ok(await api.get("/v1/accounts", params={"hashtag": TOPIC, "limit": 3}))["items"]
    ranking = {
        "platform": "mastodon",
        "topic": {"hashtags": [TOPIC]},
        "target": {"seed_accounts": [b["id"] for b in brands]},
    }
    shortlist = _ok(
        await api.post("/v1/shortlists", json={"ranking": ranking, "budget": "1500", "k": 4, "candidates": 40})
    )
    start = datetime.now(UTC) - timedelta(days=14)
    campaign = _ok(
        await api.post(
            "/v1/campaigns",
            json={
                "name": f"#{TOPIC} launch (demo)",
                "currency": "EUR",
                "destination_url": "https://shop.example/coffee",
                "starts_at": start.isoformat(),
            },
        )
    )
    creators = [
        _ok(
            await api.post(
                f"/v1/campaigns/{campaign['id']}/creators",
                json={"account_id": p["account_id"], "fee": p["fee"], "commission_pct": "5"},
            )
        )
        for p in shortlist["picks"]
    ]
    rates = [
        {"day": (start + timedelta(days=d)).date().isoformat(), "base": "USD", "quote": "EUR", "rate": "0.92"}
        for d in range(16)
    ]
    _ok(await api.post("/v1/fx-rates", json=rates))
    secret = secrets.token_urlsafe(24)
    shop = _ok(await api.post("/v1/integrations", json={"source": "shopify", "secret": secret}))
    bought: list[tuple[str, str]] = []
    for v in range(rng.randint(150, 250)):
        creator = rng.choice(creators)
        agent = "Twitterbot/1.0" if rng.random() < 0.1 else f"Mozilla/5.0 (demo visitor {v})"
        r = await api.get(f"/r/{creator['slug']}", headers={"User-Agent": agent})
        cid = httpx.URL(r.headers["location"]).params["sorot_cid"]
        if "demo visitor" in agent and rng.random() < 0.15:
            bought.append((cid, creator["promo_code"] if rng.random() < 0.3 else ""))
    await asyncio.sleep(0.3)  # clicks are written in short batches
    for n, (cid, code) in enumerate(bought):
        at = start + timedelta(days=rng.uniform(0, 13.9))
        order = {
            "id": 7000 + n,
            "total_price": f"{rng.randint(15, 120)}.{rng.randint(0, 99):02d}",
            "currency": "USD" if n % 4 == 0 else "EUR",
            "created_at": at.isoformat(),
            "financial_status": "paid",
            "discount_codes": [{"code": code}] if code else [],
            "landing_site": f"/shop?sorot_cid={cid}",
            "note_attributes": [],
        }
        body = json.dumps(order).encode()
        sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        headers = {
            "X-Shopify-Hmac-Sha256": sig,
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": f"demo-{n}",
        }
        _ok(await api.post(shop["webhook_path"], content=body, headers=headers))
    return str(campaign["id"])
