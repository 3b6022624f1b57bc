"""Crawls and accounts through the HTTP API; the crawl runs in the service's background worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from discovery.simulator.serve import RunningSimulator, simulator_in_thread
from discovery.simulator.server import Limits
from discovery.simulator.world import World, build_world
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(200, seed=5)


@pytest.fixture
def sim(world: World) -> Iterator[RunningSimulator]:
    with simulator_in_thread(world, Limits(token="let-me-in")) as running:
        yield running


def body(sim: RunningSimulator, **extra: object) -> dict[str, object]:
    return {
        "platform": "mastodon",
        "base_url": sim.url,
        "token": "let-me-in",
        "seeds": ["user1"],
        "hashtags": ["coffee"],
        "max_accounts": 40,
        "max_depth": 1,
        "max_followers": 30,
        **extra,
    }


async def wait_done(client: httpx.AsyncClient, tenant: Tenant, crawl_id: str) -> dict[str, object]:
    for _ in range(300):
        crawl = (await client.get(f"/v1/crawls/{crawl_id}", headers=tenant.headers("analyst"))).json()
        if crawl["status"] not in ("queued", "running"):
            return crawl  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"crawl still {crawl['status']}")


class TestCrawlApi:
    async def test_crawl_runs_in_background_and_accounts_are_searchable(
        self, client: httpx.AsyncClient, tenant: Tenant, sim: RunningSimulator, world: World
    ) -> None:
        r = await client.post("/v1/crawls", json=body(sim), headers=tenant.headers("manager"))
        assert r.status_code == 202, r.text
        assert "token" not in r.json() and r.json()["has_token"] is True
        crawl = await wait_done(client, tenant, r.json()["id"])
        assert crawl["status"] == "done", crawl
        counters = crawl["counters"]
        assert counters["accounts_new"] > 10 and counters["follows_new"] > 10 and counters["requests"] > 10  # type: ignore[index]
        assert 0 < counters["accounts_expanded"] <= 40  # type: ignore[index]  # max_accounts bounds what is read
        assert counters["accounts_seen"] >= counters["accounts_new"]  # type: ignore[index]

        page = (
            await client.get(
                "/v1/accounts", params={"hashtag": "coffee", "limit": 5}, headers=tenant.headers("analyst")
            )
        ).json()
        assert 0 < len(page["items"]) <= 5
        seen = [a["id"] for a in page["items"]]
        while page["next_cursor"]:
            page = (
                await client.get(
                    "/v1/accounts",
                    params={"hashtag": "coffee", "limit": 5, "cursor": page["next_cursor"]},
                    headers=tenant.headers("analyst"),
                )
            ).json()
            seen += [a["id"] for a in page["items"]]
        assert len(seen) == len(set(seen)) > 5
        one = (await client.get(f"/v1/accounts/{seen[0]}", headers=tenant.headers("analyst"))).json()
        assert one["id"] == seen[0] and one["opted_out"] is False

    async def test_another_org_cannot_see_or_cancel_a_crawl(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, sim: RunningSimulator
    ) -> None:
        crawl = (await client.post("/v1/crawls", json=body(sim), headers=tenant.headers())).json()
        assert (await client.get(f"/v1/crawls/{crawl['id']}", headers=other_tenant.headers())).status_code == 404
        assert (await client.delete(f"/v1/crawls/{crawl['id']}", headers=other_tenant.headers())).status_code == 404
        assert crawl["id"] not in {
            c["id"] for c in (await client.get("/v1/crawls", headers=other_tenant.headers())).json()
        }
        cancelled = (await client.delete(f"/v1/crawls/{crawl['id']}", headers=tenant.headers())).json()
        assert cancelled["status"] in ("cancelled", "done")

    async def test_analyst_cannot_start_a_crawl(
        self, client: httpx.AsyncClient, tenant: Tenant, sim: RunningSimulator
    ) -> None:
        assert (await client.post("/v1/crawls", json=body(sim), headers=tenant.headers("analyst"))).status_code == 403

    async def test_an_admin_delete_hides_the_account_from_its_own_org_only(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, sim: RunningSimulator
    ) -> None:
        for org in (tenant, other_tenant):
            crawl = (await client.post("/v1/crawls", json=body(sim, hashtags=[]), headers=org.headers())).json()
            assert (await wait_done(client, org, crawl["id"]))["status"] == "done"
        first = (await client.get("/v1/accounts", params={"q": "user1"}, headers=tenant.headers())).json()["items"][0]
        assert (
            await client.delete(f"/v1/accounts/{first['id']}", headers=tenant.headers("manager"))
        ).status_code == 403
        assert (await client.delete(f"/v1/accounts/{first['id']}", headers=tenant.headers())).status_code == 204
        assert (await client.get(f"/v1/accounts/{first['id']}", headers=tenant.headers())).status_code == 404
        listed = (await client.get("/v1/accounts", params={"q": "user1"}, headers=tenant.headers())).json()["items"]
        assert first["id"] not in {a["id"] for a in listed}
        kept = (await client.get(f"/v1/accounts/{first['id']}", headers=other_tenant.headers())).json()
        assert kept["bio"] == first["bio"] and kept["followers_stored"] > 0  # the other org's data is untouched


class TestCrawlBadInput:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"platform": "myspace"}, "platform"),
            ({"seeds": [], "hashtags": []}, "seeds"),
            ({"seeds": ["user999999"]}, "seeds"),
            ({"token": "wrong"}, "token"),
            ({"seeds": [], "token": "wrong"}, "token"),  # hashtags only: probed too
            ({"seeds": [], "token": None}, "token"),
            ({"base_url": "http://127.0.0.1:1"}, "base_url"),
            ({"base_url": "ftp://example.org"}, "base_url"),
            ({"max_depth": 99}, "max_depth"),
            ({"seeds": ["not a handle!"]}, "seeds"),
        ],
    )
    async def test_clear_4xx_naming_the_field_and_nothing_stored(
        self, client: httpx.AsyncClient, tenant: Tenant, sim: RunningSimulator, change: dict[str, object], field: str
    ) -> None:
        r = await client.post("/v1/crawls", json=body(sim, **change), headers=tenant.headers())
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field
        assert (await client.get("/v1/crawls", headers=tenant.headers())).json() == []

    async def test_wrong_types_are_400_with_the_field(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.post(
            "/v1/crawls", json={"platform": "mastodon", "max_depth": "deep"}, headers=tenant.headers()
        )
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "max_depth"

    async def test_private_hosts_are_refused_unless_allowed(
        self, settings: object, sim: RunningSimulator, tenant: Tenant
    ) -> None:
        import msgspec

        from api.app import create_app

        app = create_app(msgspec.structs.replace(settings, allow_private_hosts=False))  # type: ignore[type-var]
        async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/v1/crawls", json=body(sim), headers=tenant.headers())
        assert r.status_code == 422 and "private" in r.json()["detail"]

    async def test_bad_cursor_and_unknown_account(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        assert (await client.get("/v1/accounts", params={"cursor": "x"}, headers=tenant.headers())).status_code == 422
        assert (await client.get("/v1/accounts/123456", headers=tenant.headers())).status_code == 404
        assert (await client.get("/v1/accounts", params={"limit": 0}, headers=tenant.headers())).status_code == 400
