"""A creator whose only post on the topic is older than its newest posts: after a crawl with the hashtag
(which reads its posts carrying it), it is a candidate of a ranking for the topic."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from discovery import crawler
from discovery.simulator.serve import simulator_in_thread
from tests.conftest import Tenant
from tests.integration.discovery.test_tagged import BUDGET, TAG, TIMELINE, planted

pytestmark = pytest.mark.anyio


async def test_an_older_topical_post_makes_its_author_a_ranking_candidate(
    client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crawler, "HASHTAG_POSTS", TIMELINE)
    world, creator, _ = planted(max_age_hours=24 * 60)  # within the ranking's 90-day window
    with simulator_in_thread(world) as sim:
        body = {"platform": "mastodon", "base_url": sim.url, "seeds": [f"user{creator}"], "hashtags": [TAG], **BUDGET}
        r = await client.post("/v1/crawls", json=body, headers=tenant.headers("manager"))
        assert r.status_code == 202, r.text
        for _ in range(300):
            crawl = (await client.get(f"/v1/crawls/{r.json()['id']}", headers=tenant.headers("analyst"))).json()
            if crawl["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.1)
        assert crawl["status"] == "done", crawl
    accounts = (
        await client.get("/v1/accounts", params={"hashtag": TAG, "limit": 100}, headers=tenant.headers("analyst"))
    ).json()["items"]
    ids = {a["handle"]: a["id"] for a in accounts}
    assert f"user{creator}" in ids, "the creator's older #coffee post was not stored"
    ranking = await client.post(
        "/v1/rankings",
        json={"platform": "mastodon", "topic": {"hashtags": [TAG]}, "limit": 100},
        headers=tenant.headers("analyst"),
    )
    assert ranking.status_code == 200, ranking.text
    candidates = [c["account_id"] for c in ranking.json()["creators"]]
    assert ids[f"user{creator}"] in candidates
