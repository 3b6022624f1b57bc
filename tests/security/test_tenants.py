"""The tenant matrix: every route with an id in its path, called by another org with every role, and
every route that takes account ids in its body. Org A crawls a simulated server (with its token) and
owns a campaign, creator, conversion, shortlist, integration and key; org B crawls a server it runs
itself. B must neither read, rank with, change nor erase anything only A crawled or owns, and B's
accounts must never show up in A's rankings.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from discovery.simulator.serve import RunningSimulator, simulator_in_thread
from discovery.simulator.server import Limits
from discovery.simulator.world import TOPICS, World, build_world
from outbound import events
from sql.tenancy import ROLES
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
TAG = TOPICS[0][0]

# Routes authenticated by something other than an API key, so "another org's key" does not apply.
NOT_KEYED = {"/v1/webhooks/{source}/{integration_id}": "authenticated by the store's HMAC signature, not a key"}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(150, seed=21)


@pytest.fixture
def sim_a(world: World) -> Iterator[RunningSimulator]:
    with simulator_in_thread(world, Limits(token="a-private-token")) as running:
        yield running


@pytest.fixture
def sim_b() -> Iterator[RunningSimulator]:
    """A server org B runs itself (a different world, so a planted account cannot be mistaken)."""
    with simulator_in_thread(build_world(120, seed=22)) as running:
        yield running


async def crawl(client: httpx.AsyncClient, org: Tenant, sim: RunningSimulator, token: str | None) -> dict[str, Any]:
    body = {
        "platform": "mastodon",
        "base_url": sim.url,
        "token": token,
        "seeds": ["user0", "user1", "user2"],
        "hashtags": [TAG],
        "max_accounts": 60,
        "max_depth": 1,
        "max_followers": 40,
        "max_following": 20,
    }
    r = await client.post("/v1/crawls", json=body, headers=org.headers())
    assert r.status_code == 202, r.text
    for _ in range(600):
        found = (await client.get(f"/v1/crawls/{r.json()['id']}", headers=org.headers())).json()
        if found["status"] not in ("queued", "running"):
            assert found["status"] == "done", found
            return found  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError("crawl did not finish")


async def all_accounts(client: httpx.AsyncClient, org: Tenant) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (
            await client.get(
                "/v1/accounts",
                params={"limit": 500, **({"cursor": cursor} if cursor else {})},
                headers=org.headers("analyst"),
            )
        ).json()
        out += page["items"]
        if not (cursor := page["next_cursor"]):
            return out


@dataclass
class OrgA:
    ids: dict[str, str]  # path parameter name -> A's value
    accounts: list[dict[str, Any]]
    bodies: dict[str, dict[str, Any]]  # operation id -> a body A itself could send


async def build_org_a(client: httpx.AsyncClient, conn: asyncpg.Connection, a: Tenant, sim: RunningSimulator) -> OrgA:
    crawled = await crawl(client, a, sim, "a-private-token")
    accounts = await all_accounts(client, a)
    assert len(accounts) > 20
    admin = a.headers()
    campaign = (
        await client.post(
            "/v1/campaigns",
            headers=admin,
            json={"name": "A secret launch", "currency": "EUR", "destination_url": "https://a.example/p"},
        )
    ).json()
    creator_body = {"account_id": accounts[0]["id"], "promo_code": "ASECRET"}
    creator = (await client.post(f"/v1/campaigns/{campaign['id']}/creators", headers=admin, json=creator_body)).json()
    assert "id" in creator, creator
    integration = (
        await client.post("/v1/integrations", headers=admin, json={"source": "shopify", "secret": "s" * 20})
    ).json()

    async def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await client.post(path, headers=admin, json=body)
        assert r.status_code in (200, 201), f"{path}: {r.status_code} {r.text}"
        return r.json()  # type: ignore[no-any-return]

    cid = campaign["id"]
    deliverable = await made(
        f"/v1/campaigns/{cid}/deliverables",
        {"creator_id": creator["id"], "kind": "post", "due_at": "2027-01-01T00:00:00Z"},
    )
    tracked = await made(f"/v1/campaigns/{cid}/content", {"creator_id": creator["id"], "url": "https://a.example/p/1"})
    segment = await made(
        "/v1/segments", {"name": "A segment", "platform": "mastodon", "definition": {"languages": ["en"]}}
    )
    share = await made(f"/v1/campaigns/{cid}/share-links", {})
    monitor = await made("/v1/monitors", {"name": "A monitor", "brand": {"name": "asecret", "any": ["asecret"]}})
    schedule = await made("/v1/report-schedules", {"campaign_id": cid, "recipients": ["cfo@a.example"]})
    subscription = await made(
        "/v1/webhook-subscriptions", {"url": "https://hooks.a.example/in", "events": ["conversion.created"]}
    )
    conversion_body = {
        "order_id": "A-order-1",
        "occurred_at": "2026-01-05T10:00:00Z",
        "amount": "40.00",
        "currency": "EUR",
        "promo_codes": ["ASECRET"],
    }
    r = await client.post("/v1/conversions", headers=admin, json=conversion_body)
    assert r.status_code in (200, 201), r.text
    conversion = r.json()
    await events.emit(conn, a.org.id, "conversion.created", {"order_id": "A-order-1"})
    deliveries = (await client.get("/v1/webhook-deliveries", headers=admin)).json()
    items = deliveries["items"] if isinstance(deliveries, dict) else deliveries
    assert items, "A's conversion should have queued a webhook delivery"
    key = (await client.post("/v1/api-keys", headers=admin, json={"role": "analyst", "name": "a"})).json()
    ranking_body = {"platform": "mastodon", "topic": {"hashtags": [TAG]}, "limit": 20}
    shortlist = await client.post(
        "/v1/shortlists", headers=admin, json={"ranking": ranking_body, "budget": "100000", "k": 3}
    )
    assert shortlist.status_code == 201, shortlist.text
    ids = {
        "crawl_id": crawled["id"],
        "account_id": str(accounts[0]["id"]),
        "campaign_id": campaign["id"],
        "creator_id": creator["id"],
        "conversion_id": conversion["id"],
        "order_id": "A-order-1",
        "key_id": key["id"],
        "shortlist_id": shortlist.json()["id"],
        "integration_id": integration["id"],
        "source": "shopify",
        "deliverable_id": deliverable["id"],
        "post_id": tracked["id"],
        "segment_id": segment["id"],
        "share_id": share["id"],
        "schedule_id": schedule["id"],
        "subscription_id": subscription["id"],
        "delivery_id": items[0]["id"],
        "monitor_id": monitor["id"],
    }
    bodies = {
        "AddCreator": {"account_id": accounts[1]["id"]},
        "AddCampaignPost": {"url": "https://a.example/post/1"},
        "UpdateCampaign": {"name": "hijacked"},
        "UpdateCreatorCosts": {"fee": "1.00"},
        "RecordRefund": {"amount": "40.00"},
        "CreateDeliverable": {"creator_id": creator["id"], "kind": "post", "due_at": "2027-01-01T00:00:00Z"},
        "TransitionDeliverable": {"to": "submitted"},
        "TrackPost": {"creator_id": creator["id"], "url": "https://a.example/p/2"},
        "AddSnapshot": {"likes": 1},
        "PutBrief": {"text": "hijacked"},
        "SetCampaignOperations": {},
        "UpdateCreatorProfile": {"reported_followers": 5},
        "AdjustLedger": {"amount": "1.00", "reason": "x"},
        "RecordPayout": {"reference": "r1"},
        "CreateShareLink": {},
    }
    return OrgA(ids, accounts, bodies)


def keyed_id_routes(app: Litestar) -> list[tuple[str, str, str]]:
    schema = app.openapi_schema.to_schema()
    routes = []
    for path, ops in schema["paths"].items():
        if "{" not in path or path in NOT_KEYED:
            continue
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                routes.append((method.upper(), path, op["operationId"]))
    return routes


class TestTenantMatrix:
    async def test_no_id_route_answers_another_org_with_any_role(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        tenant: Tenant,
        other_tenant: Tenant,
        sim_a: RunningSimulator,
        conn: asyncpg.Connection,
    ) -> None:
        a, b = tenant, other_tenant
        org_a = await build_org_a(client, conn, a, sim_a)
        before = {
            "account": (await client.get(f"/v1/accounts/{org_a.ids['account_id']}", headers=a.headers())).json(),
            "campaign": (await client.get(f"/v1/campaigns/{org_a.ids['campaign_id']}", headers=a.headers())).json(),
            "creators": (
                await client.get(f"/v1/campaigns/{org_a.ids['campaign_id']}/creators", headers=a.headers())
            ).json(),
            "crawl": (await client.get(f"/v1/crawls/{org_a.ids['crawl_id']}", headers=a.headers())).json(),
            "keys": (await client.get("/v1/api-keys", headers=a.headers())).json(),
        }
        routes = keyed_id_routes(app)
        assert len(routes) >= 15
        failures = []
        for method, path, op in routes:
            names = re.findall(r"{(\w+)}", path)
            unknown = [n for n in names if n not in org_a.ids]
            assert not unknown, f"{op}: add A's value for {unknown} to build_org_a (or list it in NOT_KEYED)"
            url = path.format(**org_a.ids)
            for role in ROLES:
                params = {"account_id": org_a.ids["account_id"]} if op == "ScreenCreators" else None
                r = await client.request(method, url, headers=b.headers(role), json=org_a.bodies.get(op), params=params)
                # B's admin passes every role guard, so only the tenant check can stop it: exactly 404.
                expected = {404} if role == "admin" else {403, 404}
                leaked = any(s in r.text for s in ("A secret launch", "ASECRET", org_a.accounts[0]["handle"]))
                if r.status_code not in expected or leaked:
                    failures.append(f"{role:8} {method} {path} -> {r.status_code} {r.text[:120]}")
        assert not failures, "\n".join(failures)
        after = {
            "account": (await client.get(f"/v1/accounts/{org_a.ids['account_id']}", headers=a.headers())).json(),
            "campaign": (await client.get(f"/v1/campaigns/{org_a.ids['campaign_id']}", headers=a.headers())).json(),
            "creators": (
                await client.get(f"/v1/campaigns/{org_a.ids['campaign_id']}/creators", headers=a.headers())
            ).json(),
            "crawl": (await client.get(f"/v1/crawls/{org_a.ids['crawl_id']}", headers=a.headers())).json(),
            "keys": (await client.get("/v1/api-keys", headers=a.headers())).json(),
        }
        assert after == before  # nothing B did changed, archived, revoked, hid or erased A's things


class TestCrawledDataIsTheCrawlersOwn:
    async def test_b_can_neither_read_rank_with_nor_erase_what_only_a_crawled(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, sim_a: RunningSimulator
    ) -> None:
        a, b = tenant, other_tenant
        await crawl(client, a, sim_a, "a-private-token")
        mine = await all_accounts(client, a)
        ids = [x["id"] for x in mine]
        assert await all_accounts(client, b) == []
        assert (await client.get("/v1/accounts", params={"q": "user"}, headers=b.headers())).json()["items"] == []
        for role in ROLES:
            assert (await client.get(f"/v1/accounts/{ids[0]}", headers=b.headers(role))).status_code in (403, 404)
        assert (await client.get(f"/v1/accounts/{ids[0]}/audience", headers=b.headers())).status_code == 404
        assert (await client.delete(f"/v1/accounts/{ids[0]}", headers=b.headers())).status_code == 404
        assert (await client.get(f"/v1/accounts/{ids[0]}", headers=a.headers())).json()["followers_stored"] > 0

        overlap = await client.post("/v1/overlap", json={"account_ids": ids[:3]}, headers=b.headers())
        assert overlap.status_code == 422 and overlap.json()["field"] == "account_ids"
        seeds = {"platform": "mastodon", "target": {"seed_accounts": ids[:2]}}
        assert (await client.post("/v1/rankings", json=seeds, headers=b.headers())).status_code == 422
        handles = {"platform": "mastodon", "target": {"accounts": [mine[0]["handle"]]}}
        assert (await client.post("/v1/rankings", json=handles, headers=b.headers())).status_code == 422
        topic = {"platform": "mastodon", "topic": {"hashtags": [TAG]}}
        assert (await client.post("/v1/rankings", json=topic, headers=b.headers())).status_code == 422
        shortlist = {"ranking": topic, "budget": "1000", "k": 2}
        assert (await client.post("/v1/shortlists", json=shortlist, headers=b.headers())).status_code == 422

        campaign = (
            await client.post(
                "/v1/campaigns",
                headers=b.headers(),
                json={"name": "B", "currency": "EUR", "destination_url": "https://b.example/"},
            )
        ).json()
        r = await client.post(
            f"/v1/campaigns/{campaign['id']}/creators", json={"account_id": ids[0]}, headers=b.headers()
        )
        assert r.status_code == 422 and r.json()["field"] == "account_id", r.text
        # A creator may be named by handle without any crawl, but B's creator is never linked to (or
        # suggested as) A's crawled account.
        body = {"platform": "mastodon", "handle": mine[0]["handle"]}
        r = await client.post(f"/v1/campaigns/{campaign['id']}/creators", json=body, headers=b.headers())
        assert r.status_code == 201 and r.json()["account_id"] is None, r.text
        assert r.json().get("suggested_account_id") is None

        ranked = await client.post("/v1/rankings", json=topic, headers=a.headers())
        assert ranked.status_code == 200 and ranked.json()["creators"]  # A itself ranks with its data

    async def test_accounts_b_plants_on_its_own_server_never_reach_a(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        sim_a: RunningSimulator,
        sim_b: RunningSimulator,
    ) -> None:
        a, b = tenant, other_tenant
        await crawl(client, a, sim_a, "a-private-token")
        await crawl(client, b, sim_b, None)
        a_ids = {x["id"] for x in await all_accounts(client, a)}
        b_ids = {x["id"] for x in await all_accounts(client, b)}
        assert a_ids and b_ids and not a_ids & b_ids
        for org, own in ((a, a_ids), (b, b_ids)):
            r = await client.post(
                "/v1/rankings",
                params={"format": "csv"},
                json={"platform": "mastodon", "topic": {"hashtags": [TAG]}, "limit": 500, "pool": 20000},
                headers=org.headers(),
            )
            assert r.status_code == 200, r.text
            ranked = {int(line.split(",")[1]) for line in r.text.splitlines()[1:]}
            assert ranked and ranked <= own

    async def test_hiding_is_per_org_and_the_shared_index_is_seen_by_all(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        other_tenant: Tenant,
        sim_a: RunningSimulator,
        conn: Any,
    ) -> None:
        from discovery.simulator.load import load_world

        await load_world(conn, build_world(60, seed=3), host="public.example")  # no org: the shared index
        a, b = tenant, other_tenant
        shared_a = await all_accounts(client, a)
        assert {x["id"] for x in shared_a} == {x["id"] for x in await all_accounts(client, b)}
        one = shared_a[0]["id"]
        assert (await client.delete(f"/v1/accounts/{one}", headers=b.headers())).status_code == 204
        assert (await client.get(f"/v1/accounts/{one}", headers=b.headers())).status_code == 404
        assert (await client.get(f"/v1/accounts/{one}", headers=a.headers())).status_code == 200
        assert (await client.delete(f"/v1/accounts/{one}", headers=b.headers())).status_code == 404
