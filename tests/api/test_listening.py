"""Listening through the HTTP API: analyze, monitors, and a monitor run by the service on the simulated stream."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api import cli
from discovery.simulator.stream_server import RunningStream, stream_in_thread
from discovery.simulator.streams import plant
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim() -> Iterator[RunningStream]:
    with stream_in_thread(plant(seed=11, posts=600, hours=4, burst_hour=3.0, wave_hour=1.5)) as running:
        yield running


def monitor_body(sim: RunningStream, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Kopi",
        "brand": sim.stream.brand,
        "competitors": sim.stream.competitors,
        "sources": [
            {"platform": "mastodon", "kind": "public", "base_url": sim.url},
            {"platform": "bluesky", "kind": "jetstream", "base_url": sim.url, "stream_url": sim.url},
        ],
        **extra,
    }


class TestAnalyze:
    async def test_batch_in_order_with_language_label_confidence_and_model(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        texts = ["pelayanannya lambat banget, kecewa berat", "I love this coffee, amazing!", "teruk betul servis ni"]
        r = await client.post("/v1/analyze", json={"texts": texts}, headers=tenant.headers("analyst"))
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["label"] for x in results] == ["negative", "positive", "negative"]
        assert [x["language"] for x in results] == ["id", "en", "ms"]
        assert all(0 <= x["confidence"] <= 1 and x["model_version"] for x in results)
        assert results[0]["model_version"] != results[1]["model_version"]

    async def test_a_thousand_texts_pass_and_one_more_is_refused(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        r = await client.post("/v1/analyze", json={"texts": ["enak sekali"] * 1000}, headers=tenant.headers())
        assert r.status_code == 200
        assert len(r.json()["results"]) == 1000
        r = await client.post("/v1/analyze", json={"texts": ["enak"] * 1001}, headers=tenant.headers())
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")

    @pytest.mark.parametrize(
        "body", [{"texts": []}, {"texts": [1, 2]}, {"text": "x"}, {"texts": ["a"], "languages": []}]
    )
    async def test_bad_bodies_are_4xx(self, client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> None:
        r = await client.post("/v1/analyze", json=body, headers=tenant.headers())
        assert 400 <= r.status_code < 500

    async def test_needs_a_key(self, client: httpx.AsyncClient) -> None:
        assert (await client.post("/v1/analyze", json={"texts": ["a"]})).status_code == 401


class TestMonitors:
    async def test_bad_monitors_are_refused_and_nothing_is_stored(
        self, sim: RunningStream, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        bad = [
            monitor_body(sim, brand={"name": "x"}),
            monitor_body(sim, brand={"name": "x", "any": ["#"]}),
            monitor_body(sim, sources=[{"platform": "bluesky", "kind": "public", "base_url": sim.url}]),
            monitor_body(sim, sources=[{"platform": "mastodon", "kind": "hashtag", "base_url": sim.url}]),
            monitor_body(sim, sources=[{"platform": "mastodon", "kind": "public", "base_url": "ftp://x"}]),
            monitor_body(sim, languages=["Indonesian"]),
        ]
        for body in bad:
            r = await client.post("/v1/monitors", json=body, headers=tenant.headers())
            assert r.status_code == 422, (body, r.text)
        assert (await client.get("/v1/monitors", headers=tenant.headers())).json() == []

    async def test_tenants_do_not_see_each_others_monitors(
        self, sim: RunningStream, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        r = await client.post("/v1/monitors", json=monitor_body(sim), headers=tenant.headers("manager"))
        assert r.status_code == 201, r.text
        monitor = r.json()
        assert "token" not in monitor["sources"][0]
        assert (await client.post("/v1/monitors", json=monitor_body(sim), headers=tenant.headers())).status_code == 409
        path = f"/v1/monitors/{monitor['id']}"
        for suffix in ("", "/mentions", "/share-of-voice", "/alerts"):
            assert (await client.get(path + suffix, headers=other_tenant.headers())).status_code == 404
        assert (await client.delete(path, headers=other_tenant.headers())).status_code == 404
        assert (
            await client.post("/v1/monitors", json=monitor_body(sim), headers=tenant.headers("analyst"))
        ).status_code == 403
        r = await client.post(path + "/pause", headers=tenant.headers())
        assert r.json()["active"] is False
        assert (await client.delete(path, headers=tenant.headers())).status_code == 204
        assert (await client.get(path, headers=tenant.headers())).status_code == 404


async def wait_for_mentions(client: httpx.AsyncClient, tenant: Tenant, monitor_id: str, expected: int) -> None:
    for _ in range(600):
        r = await client.get(f"/v1/monitors/{monitor_id}/share-of-voice", headers=tenant.headers())
        if r.json()["total_mentions"] >= expected:
            sources = (await client.get(f"/v1/monitors/{monitor_id}", headers=tenant.headers())).json()["sources"]
            if all(s["cursor"] for s in sources):
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the monitor did not store the stream's mentions")


async def test_the_service_listens_and_answers_analytics(
    sim: RunningStream,
    client: httpx.AsyncClient,
    tenant: Tenant,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    r = await client.post("/v1/monitors", json=monitor_body(sim), headers=tenant.headers())
    assert r.status_code == 201, r.text
    monitor_id = r.json()["id"]
    for _ in range(300):  # the service's runner picks the monitor up and stores its first cursors
        sources = (await client.get(f"/v1/monitors/{monitor_id}", headers=tenant.headers())).json()["sources"]
        if all(s["cursor"] for s in sources):
            break
        await asyncio.sleep(0.1)
    sim.release()
    planted = sim.stream.planted()
    subjects = Counter(s for e in planted for s in e.subjects)
    await wait_for_mentions(client, tenant, monitor_id, sum(subjects.values()))
    base = f"/v1/monitors/{monitor_id}"
    h = tenant.headers("analyst")

    sov = (await client.get(base + "/share-of-voice", headers=h)).json()
    assert {v["subject"]: v["mentions"] for v in sov["subjects"]} == {
        "brand": subjects["brand"],
        **{c["name"]: subjects[c["name"]] for c in sim.stream.competitors},
    }
    assert sum(v["share_mentions"] for v in sov["subjects"]) == pytest.approx(1.0, abs=1e-5)

    uris: list[str] = []
    cursor = None
    while True:
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(base + "/mentions", params=params, headers=h)).json()
        uris += [m["uri"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(uris) == sorted(e.uri for e in planted)
    m = page["items"][0] if page["items"] else None
    assert m is None or {"sentiment", "confidence", "model_version", "rules", "language"} <= m.keys()

    r = await client.get(base + "/mentions", params={"format": "csv", "subject": "brand"}, headers=h)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == min(100, subjects["brand"]) and {"sentiment", "url", "text"} <= rows[0].keys()

    volume = (await client.get(base + "/volume", params={"bucket": "hour"}, headers=h)).json()
    assert sum(p["mentions"] for p in volume) == sum(subjects.values())
    assert (await client.get(base + "/volume", params={"bucket": "fortnight"}, headers=h)).status_code == 422

    alerts = (await client.get(base + "/alerts", headers=h)).json()
    assert [a["alert"]["kind"] for a in alerts] == ["negative"]
    assert alerts[0]["posts"] and all(p["sentiment"] == "negative" for p in alerts[0]["posts"])

    voices = (await client.get(base + "/top-voices", headers=h)).json()
    assert voices and voices[0]["mentions"] >= 1
    co = (await client.get(base + "/cooccurrence", headers=h)).json()
    assert co["terms"] and all(t["term"] not in ("kopi", "nusantara") for t in co["terms"])
    assert (await client.get(base + "/top-posts", params={"subject": "nobody"}, headers=h)).status_code == 422

    r = await client.post(base + "/rescore", headers=tenant.headers())
    assert r.json()["rescored"] == len(planted)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(cli.main, ["listening", "rescore", "--org", "acme"]) == 0
    assert f"re-scored {len(planted)} mentions" in capsys.readouterr().out


async def test_screening_splits_paid_and_organic_competitor_posts_and_flags_terms(
    sim: RunningStream, client: httpx.AsyncClient, tenant: Tenant, conn: Any
) -> None:
    body = monitor_body(sim, sources=[], flagged_terms=["judi online", "#slot"])
    monitor_id = (await client.post("/v1/monitors", json=body, headers=tenant.headers())).json()["id"]
    ids = []
    for handle, opted_out in (("creator1", False), ("creator2", False), ("hidden", True)):
        ids.append(
            await conn.fetchval(
                "INSERT INTO accounts (platform, host, external_id, handle, opted_out)"
                " VALUES ('mastodon', 'm.test', $1, $1, $2) RETURNING id",
                handle,
                opted_out,
            )
        )
    posts = [
        (ids[0], "Teh Senja enak banget #ad", "https://m.test/1"),
        (ids[0], "pagi ini minum teh senja lagi", "https://m.test/2"),
        (ids[0], "main judi online itu bahaya", "https://m.test/3"),
        (ids[1], "Kopi Nusantara favorit saya", "https://m.test/4"),
        (ids[2], "teh senja #ad", "https://m.test/5"),
    ]
    for i, (account, text, url) in enumerate(posts):
        await conn.execute(
            "INSERT INTO posts (account_id, external_id, text, url, created_at) VALUES ($1, $2, $3, $4, now())",
            account,
            str(i),
            text,
            url,
        )
    r = await client.get(
        f"/v1/monitors/{monitor_id}/screening",
        params=[("account_id", ids[0]), ("account_id", ids[1]), ("account_id", ids[2])],
        headers=tenant.headers("analyst"),
    )
    assert r.status_code == 200, r.text
    first, second, hidden = r.json()
    assert (first["competitor_paid"], first["competitor_organic"], first["flagged"]) == (1, 1, 1)
    assert {f["url"] for f in first["findings"]} == {"https://m.test/1", "https://m.test/2", "https://m.test/3"}
    assert (second["competitor_paid"], second["competitor_organic"], second["flagged"]) == (0, 0, 0)
    assert hidden["posts_screened"] == 0  # an opted-out account's posts are never read
    r = await client.get(
        f"/v1/monitors/{monitor_id}/screening",
        params={"account_id": ids[0], "format": "csv"},
        headers=tenant.headers("analyst"),
    )
    assert len(list(csv.DictReader(io.StringIO(r.text)))) == 3
    assert (await client.get(f"/v1/monitors/{monitor_id}/screening", headers=tenant.headers())).status_code == 400
