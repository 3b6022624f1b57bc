"""Creators on any platform: Instagram, TikTok and YouTube creators beside a crawled Mastodon one, through
the API: codes, links, clicks, orders and the report work for all four, and reach and engagement say how each
figure was obtained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar

from discovery.simulator.load import load_world
from discovery.simulator.world import World, build_world
from tests.api.test_campaigns import credible_reach
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(150, seed=5)


async def campaign(client: httpx.AsyncClient, tenant: Tenant, **extra: Any) -> dict[str, Any]:
    body = {"name": "Kopi Pagi", "currency": "IDR", "destination_url": "https://toko.example/kopi", **extra}
    r = await client.post("/v1/campaigns", headers=tenant.headers(), json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def add(client: httpx.AsyncClient, tenant: Tenant, cid: str, **body: Any) -> dict[str, Any]:
    r = await client.post(f"/v1/campaigns/{cid}/creators", headers=tenant.headers("manager"), json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


class TestCreatorsOnAnyPlatform:
    async def test_four_platforms_codes_links_orders_and_report(
        self, client: httpx.AsyncClient, app: Litestar, tenant: Tenant, conn: asyncpg.Connection, world: World
    ) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        await load_world(conn, world, host="sim.test")
        star = max(
            (i for i in range(world.n) if not world.is_opted_out(i, "mastodon")),
            key=lambda i: world.followers.length(i),
        )
        c = await campaign(client, tenant)
        cid = c["id"]
        ig = await add(
            client,
            tenant,
            cid,
            platform="instagram",
            handle="@ayu.ngopi",
            fee="1500000",
            commission_pct="10",
            reported_followers=48_000,
            reported_followers_source="media kit",
            reported_followers_at="2026-11-01T00:00:00Z",
        )
        tt = await add(client, tenant, cid, platform="tiktok", handle="budi.brew", reported_followers=120_000)
        yt = await add(client, tenant, cid, platform="youtube", handle="KopiChannel", promo_code="KOPIYT")
        md = await add(client, tenant, cid, platform="mastodon", handle=f"user{star}@sim.test", fee="500000")

        assert ig["account_id"] is None and ig["platform"] == "instagram" and ig["handle"] == "ayu.ngopi"
        assert ig["profile_url"] == "https://www.instagram.com/ayu.ngopi/"
        assert ig["reported_followers"] == 48_000 and ig["reported_followers_source"] == "media kit"
        assert tt["profile_url"] == "https://www.tiktok.com/@budi.brew"
        assert yt["promo_code"] == "KOPIYT" and yt["profile_url"] == "https://www.youtube.com/@KopiChannel"
        account = await conn.fetchval("SELECT id FROM accounts WHERE handle = $1", f"user{star}")
        assert md["account_id"] == account  # matched exactly: linked without asking
        creators = [ig, tt, yt, md]

        # Links: a click on each, with the platform as utm_source.
        click_ids = {}
        for cr in creators:
            r = await client.get(f"/r/{cr['slug']}", headers={"User-Agent": f"Mozilla/5.0 {cr['handle']}"})
            assert r.status_code == 302
            params = parse_qs(urlsplit(r.headers["location"]).query)
            assert params["utm_source"] == [cr["platform"]]
            click_ids[cr["id"]] = params["sorot_cid"][0]
        await app.state.clicks.flush()

        # Orders: by code for IG, TikTok, YouTube; by click for Mastodon.
        amounts = {ig["id"]: "250000", tt["id"]: "120000", yt["id"]: "99000", md["id"]: "310000"}
        for n, cr in enumerate(creators):
            order: dict[str, Any] = {
                "order_id": f"K-{n}",
                "occurred_at": (now + timedelta(minutes=1)).isoformat(),
                "amount": amounts[cr["id"]],
                "currency": "IDR",
            }
            if cr is md:
                order["click_id"] = click_ids[cr["id"]]
            else:
                order["promo_codes"] = [cr["promo_code"].lower()]
            r = await client.post("/v1/conversions", headers=tenant.headers(), json=order)
            assert r.status_code == 201, r.text
            assert [x["creator_id"] for x in r.json()["credits"] if x["model"] == "last_click"] == [cr["id"]]

        # Content: a YouTube video with reported reach; the Mastodon creator's crawled post.
        r = await client.post(
            f"/v1/campaigns/{cid}/content",
            headers=tenant.headers(),
            json={"creator_id": yt["id"], "url": "https://www.youtube.com/watch?v=abc123", "caption": "#iklan kopi"},
        )
        assert r.status_code == 201, r.text
        video = r.json()
        for taken, reach, likes in ((now - timedelta(days=1), 3000, 100), (now, 5200, 180)):
            r = await client.post(
                f"/v1/campaigns/{cid}/content/{video['id']}/snapshots",
                headers=tenant.headers(),
                json={"taken_at": taken.isoformat(), "views": reach * 2, "reach": reach, "likes": likes, "comments": 7},
            )
            assert r.status_code == 201, r.text
        post_url, likes, reposts, replies = await conn.fetchrow(
            "SELECT url, like_count, repost_count, reply_count FROM posts WHERE account_id = $1 ORDER BY id LIMIT 1",
            account,
        )
        r = await client.post(
            f"/v1/campaigns/{cid}/content", headers=tenant.headers(), json={"creator_id": md["id"], "url": post_url}
        )
        assert r.status_code == 201 and r.json()["crawled_post_id"] is not None

        report = (await client.get(f"/v1/campaigns/{cid}/report", headers=tenant.headers("finance"))).json()
        rows = {row["creator_id"]: row for row in report["creators"]}
        for cr in creators:
            row = rows[cr["id"]]
            assert Decimal(row["conversions"]) == 1 and Decimal(row["gross_revenue"]) == Decimal(amounts[cr["id"]])
            assert row["clicks"] == 1
        assert rows[ig["id"]]["reach_method"] == "estimated" and rows[ig["id"]]["reach"] == 9600  # 48,000 x 0.20
        assert "48000 reported followers (media kit, as of 2026-11-01)" in rows[ig["id"]]["reach_basis"]
        assert rows[tt["id"]]["reach_method"] == "estimated" and rows[tt["id"]]["reach"] == 30000  # x 0.25
        assert rows[yt["id"]]["reach_method"] == "reported" and rows[yt["id"]]["reach"] == 5200  # latest snapshot
        assert rows[yt["id"]]["engagement_method"] == "reported" and rows[yt["id"]]["engagements"] == 187
        assert rows[md["id"]]["reach_method"] == "measured"
        assert rows[md["id"]]["reach"] == len(credible_reach(world, star))
        assert rows[md["id"]]["engagement_method"] == "measured"
        assert rows[md["id"]]["engagements"] == likes + reposts + replies
        assert rows[ig["id"]]["engagement_method"] == "none"
        assert Decimal(rows[ig["id"]]["cost_commission"]) == Decimal("25000.00")
        total = report["total"]
        assert total["reach"] == 9600 + 30000 + 5200 + len(credible_reach(world, star))
        assert total["reach_method"] == "mixed" and "reference_cpm" in report["emv_formula"]

        # A campaign override of a platform's reach rate changes the estimate and says so.
        r = await client.put(
            f"/v1/campaigns/{cid}/operations", headers=tenant.headers(), json={"reach_rates": {"instagram": "0.5"}}
        )
        assert r.status_code == 200, r.text
        report = (await client.get(f"/v1/campaigns/{cid}/report", headers=tenant.headers())).json()
        row = next(x for x in report["creators"] if x["creator_id"] == ig["id"])
        assert row["reach"] == 24000 and "campaign override" in row["reach_basis"]

    async def test_a_same_named_crawled_account_is_suggested_not_linked(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        account = await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, followers_count, shared) "
            "VALUES ('mastodon', 'kopi.social', '9', 'ayu', 900, true) RETURNING id"
        )
        c = await campaign(client, tenant)
        cr = await add(client, tenant, c["id"], platform="instagram", handle="ayu")
        assert cr["account_id"] is None and cr["suggested_account_id"] == account
        path = f"/v1/campaigns/{c['id']}/creators/{cr['id']}/profile"
        r = await client.patch(path, headers=tenant.headers(), json={"accept_suggestion": True})
        assert r.status_code == 200, r.text
        assert r.json()["account_id"] == account and r.json()["suggested_account_id"] is None

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"platform": "myspace", "handle": "x"}, "platform"),
            ({"platform": "instagram", "handle": "has space"}, "handle"),
            ({"platform": "instagram"}, "handle"),
            ({"platform": "tiktok", "handle": "ok", "reported_followers": -1}, "reported_followers"),
            ({"platform": "tiktok", "handle": "ok", "profile_url": "javascript:alert(1)"}, "profile_url"),
            ({"platform": "tiktok", "handle": "ok", "payout_currency": "rupiah"}, "payout_currency"),
            ({"account_id": 987654321}, "account_id"),
        ],
    )
    async def test_bad_creators_are_refused_and_nothing_is_stored(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, body: dict[str, Any], field: str
    ) -> None:
        c = await campaign(client, tenant)
        r = await client.post(f"/v1/campaigns/{c['id']}/creators", headers=tenant.headers(), json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json().get("field") == field or field in r.text
        assert await conn.fetchval("SELECT count(*) FROM campaign_creators") == 0
