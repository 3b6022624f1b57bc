"""SOROT_GRAPH_ENGINE=spark through the API: the same ranking as the in-process engine, with the Spark
job's metrics stored in PostgreSQL and reused while the graph is unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest

from discovery.simulator.load import load_world
from discovery.simulator.world import TOPICS, World, build_world
from tests.conftest import Tenant

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.anyio
TOPIC = 0


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(500, seed=23)


def body(world: World, **extra: object) -> dict[str, object]:
    targets = [f"user{i}" for i in range(world.n) if world.community[i] == TOPIC][:150]
    return {
        "platform": "mastodon",
        "topic": {"hashtags": [TOPICS[TOPIC][0]]},
        "target": {"accounts": targets},
        "limit": 40,
        **extra,
    }


CUSTOM = {"pagerank": 0.3, "topic_rank": 0.3, "audience_fit": 0.2, "authenticity": 0.2}


async def ranked(client: httpx.AsyncClient, tenant: Tenant, payload: dict[str, object]) -> dict[str, Any]:
    r = await client.post("/v1/rankings", json=payload, headers=tenant.headers("analyst"))
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


def same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert [c["account_id"] for c in a["creators"]] == [c["account_id"] for c in b["creators"]]
    for x, y in zip(a["creators"], b["creators"], strict=True):
        assert x["score"] == pytest.approx(y["score"], abs=1e-3)
        assert (x["in_degree"], x["core_number"], x["sample_size"]) == (
            y["in_degree"],
            y["core_number"],
            y["sample_size"],
        )
        for name, comp in x["components"].items():
            other = y["components"][name]
            assert comp["percentile"] == pytest.approx(other["percentile"], abs=1e-6), name
            if comp["raw"] is None:
                assert other["raw"] is None, name
            else:
                assert comp["raw"] == pytest.approx(other["raw"], rel=1e-5, abs=1e-7), name
    assert a["excluded"] == b["excluded"] and a["candidates_considered"] == b["candidates_considered"]


class TestSparkEngine:
    async def test_same_ranking_as_in_process(
        self,
        spark: SparkSession,
        client: httpx.AsyncClient,
        tenant: Tenant,
        conn: asyncpg.Connection,
        world: World,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        await load_world(conn, world, host="sim.test")
        monkeypatch.setenv("SOROT_SPARK_WORKDIR", str(tmp_path))
        monkeypatch.setenv("SOROT_GRAPH_ENGINE", "inprocess")
        reach_in, custom_in = (
            await ranked(client, tenant, body(world)),
            await ranked(client, tenant, body(world, weights=CUSTOM)),
        )
        assert await conn.fetchval("SELECT count(*) FROM graph_metric_runs") == 0
        assert len(custom_in["creators"]) >= 20

        monkeypatch.setenv("SOROT_GRAPH_ENGINE", "spark")
        custom_spark = await ranked(client, tenant, body(world, weights=CUSTOM))
        same(custom_in, custom_spark)
        runs = await conn.fetch("SELECT topic_key, nodes, edges FROM graph_metric_runs ORDER BY topic_key")
        assert [r["topic_key"] == "" for r in runs] == [True, False]  # the global metrics, and one topic
        assert runs[0]["nodes"] == custom_in["accounts_in_graph"] and runs[0]["edges"] == custom_in["edges_in_graph"]
        stored = await conn.fetchval("SELECT count(DISTINCT account_id) FROM graph_metrics")
        opted_out = await conn.fetchval(
            "SELECT count(*) FROM graph_metrics m JOIN accounts a ON a.id = m.account_id WHERE a.opted_out"
        )
        assert stored > 0 and opted_out == 0

        # The same graph and topic again: the stored runs are read back, none is added.
        reach_spark = await ranked(client, tenant, body(world))
        same(reach_in, reach_spark)
        assert await conn.fetchval("SELECT count(*) FROM graph_metric_runs") == 2

        # An account that opts out keeps no stored metric.
        first = reach_spark["creators"][0]["account_id"]
        assert await conn.fetchval("SELECT count(*) FROM graph_metrics WHERE account_id = $1", first) > 0
        await conn.execute("UPDATE accounts SET opted_out = true WHERE id = $1", first)
        assert await conn.fetchval("SELECT count(*) FROM graph_metrics WHERE account_id = $1", first) == 0

    async def test_unknown_engine_is_a_clear_422(
        self, client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SOROT_GRAPH_ENGINE", "hadoop")
        r = await client.post(
            "/v1/rankings",
            json={"platform": "mastodon", "topic": {"hashtags": ["x"]}},
            headers=tenant.headers("analyst"),
        )
        assert r.status_code == 422 and "SOROT_GRAPH_ENGINE" in r.text

    async def test_spark_that_cannot_start_is_a_clear_502(
        self,
        client: httpx.AsyncClient,
        tenant: Tenant,
        conn: asyncpg.Connection,
        world: World,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        from graph.spark import session

        def unavailable() -> None:
            raise session.SparkUnavailableError("no Java runtime: install one")

        await load_world(conn, world, host="sim.test")
        monkeypatch.setenv("SOROT_SPARK_WORKDIR", str(tmp_path))
        monkeypatch.setenv("SOROT_GRAPH_ENGINE", "spark")
        monkeypatch.setattr(session, "get", unavailable)
        r = await client.post("/v1/rankings", json=body(world), headers=tenant.headers("analyst"))
        assert r.status_code == 502, r.text
        assert "SOROT_GRAPH_ENGINE=spark" in r.json()["detail"] and "no Java runtime" in r.json()["detail"]
        assert await conn.fetchval("SELECT count(*) FROM graph_metric_runs") == 0
