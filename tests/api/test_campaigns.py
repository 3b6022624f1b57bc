"""A campaign end to end through the API: links, clicks, signed store webhooks, refunds, FX, the report.

Every figure of the report is recomputed here from the raw events the test itself sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar

from discovery.simulator.load import load_world
from discovery.simulator.world import World, build_world
from tests.conftest import Tenant
from tests.fixtures.samples import SAMPLES

pytestmark = pytest.mark.anyio
CENT, RATIO = Decimal("0.01"), Decimal("0.0001")
# Orders come a little after the clicks that led to them.
ORDER_TIME = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
ORDER_DAY = ORDER_TIME.isoformat()


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(300, seed=21)


def shopify_sig(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def stripe_sig(secret: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


def q(x: Decimal, unit: Decimal = CENT) -> Decimal:
    return x.quantize(unit, ROUND_HALF_UP)


def ratio(a: Decimal | int, b: Decimal | int, unit: Decimal = RATIO) -> str | None:
    return None if not b else str(q(Decimal(a) / Decimal(b), unit))


def credible_reach(world: World, index: int) -> set[int]:
    """The report's reach rule, from the world itself: followers that follow <= 1500, posted, have a face."""
    return {
        int(f)
        for f in world.followers.row(index)
        if not world.is_opted_out(int(f), "mastodon")
        and world.following.length(int(f)) <= 1500
        and world.posts_of.length(int(f)) > 0
        and (world.has_avatar[int(f)] or world.bio(int(f)))
    }


class TestCampaignEndToEnd:
    async def test_report_equals_figures_computed_from_raw_events(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        tenant: Tenant,
        other_tenant: Tenant,
        world: World,
        conn: asyncpg.Connection,
    ) -> None:
        await load_world(conn, world, host="sim.test")
        admin = tenant.headers()
        picks = sorted(
            (i for i in range(world.n) if not world.is_opted_out(i, "mastodon")),
            key=lambda i: -world.followers.length(i),
        )[:3]
        ids = {i: await conn.fetchval("SELECT id FROM accounts WHERE handle = $1", f"user{i}") for i in picks}

        campaign = (
            await client.post(
                "/v1/campaigns",
                headers=admin,
                json={
                    "name": "Winter Roast",
                    "currency": "EUR",
                    "destination_url": "https://shop.example/roast?lang=en",
                    "budget": "5000",
                    "reference_cpm": "12.50",
                    "reference_cpe": "0.20",
                },
            )
        ).json()
        cid = campaign["id"]
        costs = [("300.00", "25.00", "10", "5.00"), ("150.00", "0", "0", "0"), ("80.00", "10.00", "5", "2.50")]
        creators = []
        for (fee, gifted, pct, other), i, code in zip(costs, picks, ["ROAST10", None, "BEANS"], strict=True):
            body = {"account_id": ids[i], "fee": fee, "gifted": gifted, "commission_pct": pct, "other_costs": other}
            if code:
                body["promo_code"] = code
            r = await client.post(f"/v1/campaigns/{cid}/creators", headers=tenant.headers("manager"), json=body)
            assert r.status_code == 201, r.text
            creators.append(r.json())
        c1, c2, _ = creators
        assert (
            await client.post(
                f"/v1/campaigns/{cid}/creators",
                headers=admin,
                json={"account_id": ids[picks[0]], "promo_code": "roast10"},
            )
        ).status_code == 409

        # Clicks: (creator, user agent); the ASGI client's address is the same for all, so the agent is the visitor.
        plan = [
            (0, "Mozilla/5.0 A"),
            (0, "Mozilla/5.0 A"),
            (0, "Mozilla/5.0 B"),
            (0, "Twitterbot/1.0"),
            (1, "Mozilla/5.0 C"),
            (1, "curl/8.4.0"),
            (1, "Mozilla/5.0 C"),
            (2, "Mozilla/5.0 D"),
            (2, "facebookexternalhit/1.1"),
            (2, "Mozilla/5.0 E"),
            (2, "Mozilla/5.0 D"),
        ]
        click_ids: dict[int, list[str]] = {0: [], 1: [], 2: []}
        for k, agent in plan:
            r = await client.get(f"/r/{creators[k]['slug']}", headers={"User-Agent": agent})
            assert r.status_code == 302
            target = urlsplit(r.headers["location"])
            params = parse_qs(target.query)
            assert target.netloc == "shop.example" and params["lang"] == ["en"]
            assert params["utm_medium"] == ["influencer"] and params["utm_content"] == [creators[k]["slug"]]
            assert params["utm_source"] == ["mastodon"] and params["utm_campaign"] == [campaign["slug"]]
            click_ids[k].append(params["sorot_cid"][0])
        assert (await client.head(f"/r/{c1['slug']}")).status_code == 302  # answered, not a click
        assert (await client.get("/r/no-such-link")).status_code == 404
        await app.state.clicks.flush()

        # Stores.
        shop = (
            await client.post("/v1/integrations", headers=admin, json={"source": "shopify", "secret": "shpss_secret_1"})
        ).json()
        stripe = (
            await client.post("/v1/integrations", headers=admin, json={"source": "stripe", "secret": "whsec_test_2"})
        ).json()
        assert "secret" not in shop
        r = await client.post(
            "/v1/fx-rates",
            headers={**admin, "content-type": "text/csv"},
            content=f"day,base,quote,rate\n{ORDER_TIME.date()},USD,EUR,0.9\n".encode(),
        )
        assert r.json() == {"stored": 1}

        async def shopify(
            topic: str,
            payload: dict[str, object],
            delivery: str,
            secret: str = "shpss_secret_1",
        ) -> httpx.Response:
            body = json.dumps(payload).encode()
            return await client.post(
                shop["webhook_path"],
                content=body,
                headers={
                    "X-Shopify-Hmac-Sha256": shopify_sig(secret, body),
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Webhook-Id": delivery,
                    "content-type": "application/json",
                },
            )

        sample = json.loads((SAMPLES / "webhooks" / "shopify_order.json").read_text())["order"]
        order_a = {
            **sample,
            "id": 1001,
            "financial_status": "paid",  # the sample's order is only authorized: not revenue yet
            "total_price": "100.00",
            "currency": "USD",
            "created_at": ORDER_DAY,
            "discount_codes": [{"code": "roast10", "amount": "10.00"}],
        }
        assert (await shopify("orders/create", order_a, "d-1")).status_code == 200
        assert (await shopify("orders/create", order_a, "d-1")).json()["result"] == "duplicate delivery ignored"
        assert (await shopify("orders/paid", order_a, "d-2")).status_code == 200  # same order: counted once
        order_b = {
            **sample,
            "id": 1002,
            "financial_status": "paid",
            "total_price": "50.00",
            "currency": "EUR",
            "created_at": ORDER_DAY,
            "discount_codes": [],
            "landing_site": f"/roast?sorot_cid={click_ids[1][0]}",
        }
        assert (await shopify("orders/create", order_b, "d-3")).status_code == 200
        bad = await shopify("orders/create", {**order_b, "id": 1003}, "d-4", secret="wrong-secret")
        assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
        refund = {
            "id": 555,
            "order_id": 1001,
            "created_at": ORDER_DAY,
            "transactions": [{"amount": "30.00", "kind": "refund", "status": "success"}],
        }
        assert (await shopify("refunds/create", refund, "d-5")).status_code == 200

        async def stripe_event(event: dict[str, object], t: int | None = None) -> httpx.Response:
            body = json.dumps(event).encode()
            return await client.post(
                stripe["webhook_path"],
                content=body,
                headers={"Stripe-Signature": stripe_sig("whsec_test_2", body, t), "content-type": "application/json"},
            )

        session = {
            **json.loads((SAMPLES / "webhooks" / "stripe_checkout_session.json").read_text()),
            "id": "cs_1",
            "payment_status": "paid",  # the sample's session is unpaid (an asynchronous payment not made yet)
            "amount_total": 8000,
            "currency": "eur",
            "client_reference_id": click_ids[2][0],
            "payment_intent": "pi_1",
            "created": int(datetime.fromisoformat(ORDER_DAY).timestamp()),
        }
        completed = {
            "id": "evt_1",
            "type": "checkout.session.completed",
            "data": {"object": session},
            "created": session["created"],
        }
        old = await stripe_event({**completed, "id": "evt_0"}, t=int(time.time()) - 301)
        assert old.status_code == 401  # a replay outside the 300 s tolerance
        assert (await stripe_event(completed)).status_code == 200
        refunded = {
            "id": "evt_2",
            "type": "charge.refunded",
            "created": session["created"],
            "data": {
                "object": {
                    "id": "ch_1",
                    "object": "charge",
                    "currency": "eur",
                    "payment_intent": "pi_1",
                    "amount_refunded": 2000,
                    "refunds": {"data": [{"id": "re_1", "amount": 2000, "created": session["created"]}]},
                }
            },
        }
        assert (await stripe_event(refunded)).status_code == 200
        sample_event = json.loads((SAMPLES / "webhooks" / "stripe_event.json").read_text())
        assert (await stripe_event(sample_event)).json()["result"] == "nothing to record for this event"
        assert await conn.fetchval("SELECT count(*) FROM conversions") == 3

        # A post of a creator with its engagement, registered by URL.
        found = [
            (
                k,
                await conn.fetchrow(
                    "SELECT url, like_count + repost_count + reply_count AS e FROM posts "
                    "WHERE account_id = $1 ORDER BY id LIMIT 1",
                    ids[picks[k]],
                ),
            )
            for k in range(3)
        ]
        posted, post = next((k, p) for k, p in found if p is not None)
        r = await client.post(
            f"/v1/campaigns/{cid}/creators/{creators[posted]['id']}/posts", headers=admin, json={"url": post["url"]}
        )
        assert r.status_code == 201 and r.json()[0]["post_id"] is not None

        report = (
            await client.get(
                f"/v1/campaigns/{cid}/report",
                params={"from": "2026-11-01", "to": "2030-01-01"},
                headers=tenant.headers("finance"),
            )
        ).json()
        assert report["complete"] and report["currency"] == "EUR" and report["model"] == "last_click"

        # --- the same figures, from the raw events above ---
        usd = Decimal("0.9")
        revenue = {
            0: (Decimal("100.00") * usd, Decimal("30.00") * usd),
            1: (Decimal("50.00"), Decimal(0)),
            2: (Decimal("80.00"), Decimal("20.00")),
        }
        reach = {k: credible_reach(world, picks[k]) for k in range(3)}
        engagements = {k: int(post["e"]) if k == posted else 0 for k in range(3)}
        rows = {r["creator_id"]: r for r in report["creators"]}
        for k, creator in enumerate(creators):
            row = rows[creator["id"]]
            mine = [agent for j, agent in plan if j == k]
            humans = [a for a in mine if a.startswith("Mozilla")]
            assert (row["clicks"], row["human_clicks"], row["unique_clicks"]) == (
                len(mine),
                len(humans),
                len(set(humans)),
            )
            gross, refunds = q(revenue[k][0]), q(revenue[k][1])
            net = gross - refunds
            fee, gifted, pct, other = (Decimal(x) for x in costs[k])
            commission = q(net * pct / 100)
            cost = fee + gifted + commission + other
            assert Decimal(row["conversions"]) == 1
            assert (Decimal(row["gross_revenue"]), Decimal(row["refunds"]), Decimal(row["net_revenue"])) == (
                gross,
                refunds,
                net,
            )
            assert (Decimal(row["cost_commission"]), Decimal(row["cost"])) == (commission, cost)
            assert row["roi"] == ratio(net - cost, cost) and row["roas"] == ratio(net, cost)
            assert row["cpa"] == ratio(cost, 1, CENT) and row["cpc"] == ratio(cost, len(humans), CENT)
            assert row["cvr"] == ratio(1, len(set(humans))) and row["epc"] == ratio(net, len(humans), CENT)
            assert row["aov"] == ratio(gross, 1, CENT)
            assert row["reach"] == len(reach[k]) > 0
            assert row["cpm"] == ratio(cost * 1000, len(reach[k]), CENT)
            assert row["engagements"] == engagements[k]
            emv = q(Decimal(len(reach[k])) * Decimal("12.50") / 1000 + engagements[k] * Decimal("0.20"))
            assert Decimal(row["emv"]) == emv
        total = report["total"]
        assert total["reach"] == len(set().union(*reach.values()))
        assert Decimal(total["net_revenue"]) == sum(q(g) - q(r) for g, r in revenue.values())
        assert total["clicks"] == len(plan)

        # Why each conversion was credited where it was.
        conv = await conn.fetchval("SELECT id FROM conversions WHERE order_id = '1002'")
        detail = (await client.get(f"/v1/conversions/{conv}", headers=admin)).json()
        last = next(c for c in detail["credits"] if c["model"] == "last_click")
        assert last["creator_id"] == c2["id"] and last["method"] == "click_id" and "click id" in last["reason"]

        # Exports, roles and tenants.
        csv_text = (await client.get(f"/v1/campaigns/{cid}/report", params={"format": "csv"}, headers=admin)).text
        assert csv_text.splitlines()[0].startswith("creator_id,handle,promo_code,clicks")
        parquet = await client.get(f"/v1/campaigns/{cid}/report", params={"format": "parquet"}, headers=admin)
        assert parquet.content[:4] == b"PAR1"
        assert (await client.get(f"/v1/campaigns/{cid}", headers=tenant.headers("finance"))).status_code == 200
        assert (
            await client.post(
                "/v1/campaigns",
                headers=tenant.headers("finance"),
                json={"name": "x", "currency": "EUR", "destination_url": "https://x.example"},
            )
        ).status_code == 403
        assert (await client.get(f"/v1/campaigns/{cid}/report", headers=other_tenant.headers())).status_code == 404
        series = (
            await client.get(
                f"/v1/campaigns/{cid}/timeseries", params={"from": "2026-11-01"}, headers=tenant.headers("finance")
            )
        ).json()
        assert sum(d["clicks"] for d in series) == len(plan)


class TestCampaignBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "x", "currency": "EURO", "destination_url": "https://x.example"}, "currency"),
            ({"name": "x", "currency": "EUR", "destination_url": "javascript:alert(1)"}, "destination_url"),
            ({"name": "x", "currency": "EUR", "destination_url": "https://x.example", "budget": "-1"}, "budget"),
            ({"name": "x", "currency": "EUR", "destination_url": "https://x.example", "budget": "1.001"}, "budget"),
            ({"name": " ", "currency": "EUR", "destination_url": "https://x.example"}, "name"),
        ],
    )
    async def test_campaign_fields(
        self, client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object], field: str
    ) -> None:
        r = await client.post("/v1/campaigns", json=body, headers=tenant.headers())
        assert r.status_code == 422 and r.json()["field"] == field
        assert (await client.get("/v1/campaigns", headers=tenant.headers())).json() == []

    async def test_conversions_and_refunds(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        h = tenant.headers()
        order = {"order_id": "A-1", "occurred_at": ORDER_DAY, "amount": "20.00", "currency": "EUR"}
        first = (await client.post("/v1/conversions", json=order, headers=h)).json()
        again = (await client.post("/v1/conversions", json=order, headers=h)).json()
        assert again["id"] == first["id"] and again["duplicate"] is True
        assert (
            await client.post("/v1/conversions", json={**order, "order_id": "A-2", "amount": "1e999"}, headers=h)
        ).status_code in (400, 422)
        assert (
            await client.post("/v1/conversions", json={**order, "order_id": "A-3", "amount": 12.5}, headers=h)
        ).status_code in (201, 400, 422)
        r = await client.post("/v1/conversions/A-1/refunds", json={"amount": "25.00"}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "amount"  # more than the order
        ok = (await client.post("/v1/conversions/A-1/refunds", json={"amount": "5.00"}, headers=h)).json()
        assert Decimal(ok["refunded"]) == Decimal("5.00")
        assert (await client.post("/v1/conversions/NOPE/refunds", json={"amount": "1"}, headers=h)).status_code == 404

    async def test_webhooks_refuse_bad_bodies_and_sizes(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        shop = (
            await client.post(
                "/v1/integrations", headers=tenant.headers(), json={"source": "shopify", "secret": "s3cret-s3cret"}
            )
        ).json()
        body = b"{not json"
        r = await client.post(
            shop["webhook_path"], content=body, headers={"X-Shopify-Hmac-Sha256": shopify_sig("s3cret-s3cret", body)}
        )
        assert r.status_code == 422
        big = b"{" + b" " * (1024 * 1024 + 1) + b"}"
        r = await client.post(
            shop["webhook_path"], content=big, headers={"X-Shopify-Hmac-Sha256": shopify_sig("s3cret-s3cret", big)}
        )
        assert r.status_code == 413
        unsigned = await client.post(shop["webhook_path"], content=b"{}")
        assert unsigned.status_code == 401
        missing = {"id": 9, "currency": "EUR"}
        raw = json.dumps(missing).encode()
        r = await client.post(
            shop["webhook_path"],
            content=raw,
            headers={"X-Shopify-Hmac-Sha256": shopify_sig("s3cret-s3cret", raw), "X-Shopify-Topic": "orders/create"},
        )
        assert r.status_code == 422 and "total_price" in r.json()["detail"]
        assert await conn.fetchval("SELECT count(*) FROM conversions") == 0
        other = f"/v1/webhooks/stripe/{uuid.uuid4()}"
        assert (await client.post(other, content=b"{}")).status_code == 404


async def one_creator(client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, name: str) -> dict[str, Any]:
    """A campaign with one creator (on a bare stored account), as the API returns the creator."""
    h = tenant.headers()
    account = await conn.fetchval(
        "INSERT INTO accounts (platform, host, external_id, handle, shared) "
        "VALUES ('mastodon', 'x.test', '1', 'c', true) RETURNING id"  # shared: every org may see it
    )
    campaign = (
        await client.post(
            "/v1/campaigns",
            headers=h,
            json={"name": name, "currency": "EUR", "destination_url": "https://shop.example/"},
        )
    ).json()
    r = await client.post(f"/v1/campaigns/{campaign['id']}/creators", headers=h, json={"account_id": account})
    return r.json()  # type: ignore[no-any-return]


class TestRedirectPaths:
    @pytest.mark.parametrize("path", ["/r/", "/r", "/robots.txt", "/r/a/b", "/rabc"])
    async def test_paths_that_are_no_link_get_the_404_page(self, client: httpx.AsyncClient, path: str) -> None:
        r = await client.get(path)
        assert r.status_code == 404 and "location" not in r.headers

    async def test_slugs_starting_with_r_resolve(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, app: Litestar
    ) -> None:
        creator = await one_creator(client, tenant, conn, "r")
        await conn.execute("UPDATE campaign_creators SET slug = 'rrr123' WHERE id = $1", uuid.UUID(creator["id"]))
        assert (await client.get("/r/rrr123")).status_code == 302
        assert (await client.post("/r/rrr123")).status_code == 405


class TestClickThenOrder:
    async def test_an_order_right_after_its_click_is_credited(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        h = tenant.headers()
        creator = await one_creator(client, tenant, conn, "fast")
        r = await client.get(f"/r/{creator['slug']}", headers={"User-Agent": "Mozilla/5.0"})
        cid = parse_qs(urlsplit(r.headers["location"]).query)["sorot_cid"][0]
        order = {
            "order_id": "F-1",
            "occurred_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            "amount": "10.00",
            "currency": "EUR",
            "click_id": cid,
        }
        conversion = (await client.post("/v1/conversions", json=order, headers=h)).json()
        assert {(c["creator_id"], c["method"]) for c in conversion["credits"]} == {(creator["id"], "click_id")}
