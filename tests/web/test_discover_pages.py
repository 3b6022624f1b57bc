"""Discover, creator, compare and shortlist pages show exactly the API's figures for the same query."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest

from discovery.simulator.load import load_world
from discovery.simulator.world import TOPICS, World, build_world
from tests.conftest import Tenant
from tests.web.helpers import csrf_of, login, make_user

pytestmark = pytest.mark.anyio
TOPIC = 0


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(600, seed=5)


@pytest.fixture
async def loaded(conn: asyncpg.Connection, world: World) -> dict[str, int]:
    await load_world(conn, world, host="sim.test")
    return {r["handle"]: r["id"] for r in await conn.fetch("SELECT id, handle FROM accounts")}


def column(html: str, name: str) -> list[str]:
    return re.findall(rf'<td data-col="{name}">([^<]*)</td>', html)


class TestDiscoverPages:
    async def test_ranking_page_equals_the_api_and_explains_each_creator(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant, loaded: dict[str, int]
    ) -> None:
        seed = next(h for h in loaded if h.startswith("user"))
        tag = TOPICS[TOPIC][0]
        api = await client.post(
            "/v1/rankings",
            headers=tenant.headers("analyst"),
            json={
                "platform": "mastodon",
                "topic": {"hashtags": [tag]},
                "target": {"seed_accounts": [loaded[seed]]},
                "limit": 10,
            },
        )
        assert api.status_code == 200, api.text
        expected = api.json()["creators"]
        await login(client, await make_user(conn, tenant, "analyst"))
        query = urlencode({"platform": "mastodon", "hashtags": tag, "seeds": str(loaded[seed]), "limit": "10"})
        page = await client.get(f"/app/discover?{query}")
        assert page.status_code == 200, page.text
        assert column(page.text, "score") == [str(c["score"]) for c in expected]
        assert column(page.text, "expected_reach") == [str(c["expected_reach"]["value"]) for c in expected]
        assert expected[0]["expected_reach"]["text"] in page.text
        assert "share of followers that look like real people" in page.text

        audience = (
            await client.get(f"/v1/accounts/{expected[0]['account_id']}/audience", headers=tenant.headers())
        ).json()
        creator = (await client.get(f"/app/accounts/{expected[0]['account_id']}?with={expected[1]['account_id']}")).text
        assert f">{audience['authenticity']} (95% interval {audience['authenticity_low']}-" in creator
        overlap = (
            await client.post(
                "/v1/overlap",
                headers=tenant.headers(),
                json={"account_ids": [expected[0]["account_id"], expected[1]["account_id"]]},
            )
        ).json()
        assert f"reach {overlap['union']} distinct followers" in creator
        assert f"<td>{overlap['pairs'][0]['shared']} ({overlap['pairs'][0]['jaccard']})</td>" in creator

    async def test_shortlist_built_on_a_page_is_the_api_shortlist(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant, loaded: dict[str, int]
    ) -> None:
        await login(client, await make_user(conn, tenant, "manager"))
        form = await client.get("/app/shortlists")
        tag = TOPICS[TOPIC][0]
        r = await client.post(
            "/app/shortlists",
            data={
                "csrf_token": csrf_of(form.text),
                "platform": "mastodon",
                "hashtags": tag,
                "budget": "2000",
                "k": "4",
            },
        )
        assert r.status_code == 303, r.text
        shortlist_id = r.headers["location"].rsplit("/", 1)[1]
        api = (await client.get(f"/v1/shortlists/{shortlist_id}", headers=tenant.headers())).json()
        page = (await client.get(r.headers["location"])).text
        assert column(page, "fee") == [str(p["fee"]) for p in api["picks"]]
        assert column(page, "marginal_reach") == [str(p["marginal_reach"]) for p in api["picks"]]
        assert f'data-fact="reach">{api["reach"]}<' in page
        export = await client.get(f"/app/shortlists/{shortlist_id}/export.csv")
        api_csv = await client.get(f"/v1/shortlists/{shortlist_id}", params={"format": "csv"}, headers=tenant.headers())
        assert export.text == api_csv.text

    async def test_bad_ranking_input_is_a_clear_page_not_a_500(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        await login(client, await make_user(conn, tenant, "analyst"))
        r = await client.get("/app/discover?hashtags=x&objective=nonsense")
        assert r.status_code == 422 and "objective must be one of" in r.text
        r = await client.get("/app/discover?hashtags=x&limit=many")
        assert r.status_code == 422
        form = await client.get("/app/shortlists")
        finance = await make_user(conn, tenant, "finance")
        await login(client, finance)
        r = await client.post("/app/shortlists", data={"csrf_token": csrf_of(form.text), "budget": "1"})
        assert r.status_code == 403
