"""Ranking, overlap, audience and shortlists through the API, on a whole simulated world."""

from __future__ import annotations

import csv
import io

import asyncpg
import httpx
import numpy as np
import pytest

from discovery.simulator.load import load_world
from discovery.simulator.world import BUYER, FARM_BOT, TOPICS, World, build_world
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
TOPIC = 0  # the "coffee" community


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(2000, seed=11)


@pytest.fixture
async def loaded(conn: asyncpg.Connection, world: World) -> dict[str, int]:
    await load_world(conn, world, host="sim.test")
    rows = await conn.fetch("SELECT id, handle FROM accounts")
    return {r["handle"]: r["id"] for r in rows}


def target_handles(world: World) -> list[str]:
    return [f"user{i}" for i in range(world.n) if world.community[i] == TOPIC and world.kind[i] != FARM_BOT]


def index(handle: str) -> int:
    return int(handle.removeprefix("user"))


def campaign_reach(world: World, creators: list[int], target: set[int]) -> int:
    """People of the target audience who actually engaged with the creators' posts in the world."""
    reached: set[int] = set()
    for c in creators:
        for p in world.posts_of.row(c):
            for csr in world.engaged.values():
                reached.update(int(x) for x in csr.row(int(p)))
    return len(reached & target)


def ranking_request(world: World, **extra: object) -> dict[str, object]:
    return {
        "platform": "mastodon",
        "topic": {"hashtags": [TOPICS[TOPIC][0]]},
        "target": {"accounts": target_handles(world)},
        **extra,
    }


class TestQualityOnTheSimulator:
    async def test_ranking_beats_follower_count_and_keeps_farms_out(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        r = await client.post("/v1/rankings", json=ranking_request(world, limit=50), headers=tenant.headers("analyst"))
        assert r.status_code == 200, r.text
        ranking = r.json()
        creators = [index(c["handle"]) for c in ranking["creators"]]
        assert len(creators) == 50
        assert ranking["objective"] == "reach" and "K x v + S" in ranking["formula"] and ranking["weights"] == {}
        first = ranking["creators"][0]
        assert set(first["components"]["topic_rank"]) == {"raw", "percentile"}
        reach = first["expected_reach"]
        assert first["score"] == pytest.approx(reach["low"], abs=0.1)  # ranked as a set, at what is sure
        assert "ranked as a set" in ranking["formula"]
        assert reach["low"] <= reach["value"] <= reach["high"] <= ranking["target_size"]
        assert f"of your {ranking['target_size']:,} target accounts" in reach["text"]
        scores = [c["score"] for c in ranking["creators"]]
        assert scores == sorted(scores, reverse=True)

        target = {index(h) for h in target_handles(world)}
        eligible = [i for i in range(world.n) if not world.is_opted_out(i, "mastodon")]
        by_followers = sorted(eligible, key=lambda i: -world.followers.length(i))[:20]
        ours, theirs = campaign_reach(world, creators[:20], target), campaign_reach(world, by_followers, target)
        assert ours > theirs, (ours, theirs)

        followers = world.followers
        farmed = [
            i
            for i in np.flatnonzero(world.kind == BUYER)
            if (world.kind[followers.row(int(i))] == FARM_BOT).mean() > 0.5
        ]
        assert farmed, "the world has farm-fed accounts"
        kept_out = sum(1 for i in farmed if int(i) not in creators)
        assert kept_out / len(farmed) >= 0.95

    async def test_shortlist_reach_is_at_least_greedy_by_score(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        body = {"ranking": ranking_request(world), "budget": "1500", "k": 8, "candidates": 60}
        r = await client.post("/v1/shortlists", json=body, headers=tenant.headers("manager"))
        assert r.status_code == 201, r.text
        s = r.json()
        assert s["reach"] >= s["baseline_reach"] > 0
        assert float(s["total_fee"]) <= 1500 and 0 < len(s["picks"]) <= 8
        assert sum(p["marginal_reach"] for p in s["picks"]) == pytest.approx(s["reach"], abs=1)
        listed = (await client.get("/v1/shortlists", headers=tenant.headers("analyst"))).json()
        assert [x["id"] for x in listed] == [s["id"]]
        text = (await client.get(f"/v1/shortlists/{s['id']}", params={"format": "csv"}, headers=tenant.headers())).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [int(row["account_id"]) for row in rows] == [p["account_id"] for p in s["picks"]]


class TestEndpoints:
    async def test_overlap_is_exact(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        creators = sorted(range(world.n), key=lambda i: -world.followers.length(i))[:6]
        creators = [c for c in creators if not world.is_opted_out(c, "mastodon")][:5]
        ids = [loaded[f"user{c}"] for c in creators]
        report = (await client.post("/v1/overlap", json={"account_ids": ids}, headers=tenant.headers())).json()
        audiences = {
            loaded[f"user{c}"]: {int(f) for f in world.followers.row(c) if not world.is_opted_out(int(f), "mastodon")}
            for c in creators
        }
        for pair in report["pairs"]:
            a, b = audiences[pair["a"]], audiences[pair["b"]]
            assert pair["shared"] == len(a & b)
            assert pair["jaccard"] == pytest.approx(len(a & b) / len(a | b), abs=1e-6)
        for c in report["creators"]:
            others = set().union(*[v for k, v in audiences.items() if k != c["account_id"]])
            assert c["unique"] == len(audiences[c["account_id"]] - others)
        assert report["union"] == len(set().union(*audiences.values()))

    async def test_audience_report_names_farm_followers(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        buyer = int(np.flatnonzero(world.kind == BUYER)[0])
        r = (await client.get(f"/v1/accounts/{loaded[f'user{buyer}']}/audience", headers=tenant.headers())).json()
        bots = int((world.kind[world.followers.row(buyer)] == FARM_BOT).sum())
        assert r["suspect_reasons"]["farm_member"] >= 0.9 * bots > 0
        assert r["authenticity_low"] <= r["authenticity"] <= r["authenticity_high"]
        assert r["top_hashtags"]

    async def test_audience_report_finds_the_communities_of_followers(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        coffee = [
            i
            for i in range(world.n)
            if world.community[i] == TOPIC and world.kind[i] != FARM_BOT and not world.is_opted_out(i, "mastodon")
        ]
        creator = max(coffee, key=lambda i: world.followers.length(i))
        r = (await client.get(f"/v1/accounts/{loaded[f'user{creator}']}/audience", headers=tenant.headers())).json()
        communities = r["communities"]
        assert communities and sum(c["share"] for c in communities) <= 1
        assert [c["followers"] for c in communities] == sorted((c["followers"] for c in communities), reverse=True)
        assert set(communities[0]["top_hashtags"]) & set(TOPICS[TOPIC])

    async def test_ranking_csv_has_a_header_row(
        self, client: httpx.AsyncClient, tenant: Tenant, world: World, loaded: dict[str, int]
    ) -> None:
        r = await client.post(
            "/v1/rankings", params={"format": "csv"}, json=ranking_request(world, limit=10), headers=tenant.headers()
        )
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert len(rows) == 10 and rows[0]["rank"] == "1" and "topic_rank_percentile" in rows[0]

    @pytest.mark.parametrize(
        ("path", "body", "field"),
        [
            ("/v1/rankings", {"platform": "mastodon"}, "topic"),
            ("/v1/rankings", {"platform": "myspace", "topic": {"hashtags": ["coffee"]}}, "platform"),
            ("/v1/rankings", {"platform": "mastodon", "topic": {"hashtags": ["nosuchtag"]}}, "topic"),
            ("/v1/rankings", {"platform": "mastodon", "target": {"seed_accounts": ["nobody"]}}, "target.seed_accounts"),
            ("/v1/overlap", {"account_ids": [999999999, 999999998]}, "account_ids"),
            ("/v1/overlap", {"account_ids": list(range(1, 202))}, "account_ids"),
            (
                "/v1/shortlists",
                {"ranking": {"platform": "mastodon", "topic": {"hashtags": ["coffee"]}}, "budget": "1"},
                "budget",
            ),
            (
                "/v1/shortlists",
                {"ranking": {"platform": "mastodon", "topic": {"hashtags": ["coffee"]}}, "budget": "-5"},
                "budget",
            ),
        ],
    )
    async def test_bad_input_is_a_clear_4xx(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        loaded: dict[str, int],
        path: str,
        body: dict[str, object],
        field: str,
    ) -> None:
        r = await client.post(path, json=body, headers=tenant.headers())
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field


async def test_openapi_documents_the_ranking_and_shortlist_answers(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    ok = {
        ("/v1/rankings", "post", "200"): "Ranking",
        ("/v1/shortlists", "post", "201"): "Shortlist",
        ("/v1/shortlists/{shortlist_id}", "get", "200"): "Shortlist",
    }
    for (path, method, status), name in ok.items():
        body = schema["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{name}"}
    creator = schema["components"]["schemas"]["RankedCreator"]["properties"]
    assert {"expected_reach", "score", "components", "fee"} <= set(creator)
