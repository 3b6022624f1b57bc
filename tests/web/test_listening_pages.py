"""The listening pages show the API's share of voice and sentiment for a monitor fed by the simulated stream."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from discovery.simulator.stream_server import RunningStream, stream_in_thread
from discovery.simulator.streams import plant
from tests.api.test_listening import monitor_body, wait_for_mentions
from tests.conftest import Tenant
from tests.web.helpers import login, make_user

pytestmark = pytest.mark.anyio


@pytest.fixture
def sim() -> Iterator[RunningStream]:
    with stream_in_thread(plant(seed=4, posts=300, hours=3, burst_hour=2.0, wave_hour=1.0)) as running:
        yield running


async def test_monitor_page_equals_the_api(
    sim: RunningStream, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant
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
    planted = sum(len(e.subjects) for e in sim.stream.planted())
    await wait_for_mentions(client, tenant, monitor_id, planted)
    api = (await client.get(f"/v1/monitors/{monitor_id}/share-of-voice", headers=tenant.headers())).json()
    await login(client, await make_user(conn, tenant, "analyst"))
    listing = await client.get("/app/listening")
    assert f"/app/listening/{monitor_id}" in listing.text
    page = (await client.get(f"/app/listening/{monitor_id}?days=0")).text
    shown = re.findall(r'<th scope="row">([^<]+)</th><td data-col="mentions">(\d+)</td>', page)
    assert {s: int(n) for s, n in shown} == {v["subject"]: v["mentions"] for v in api["subjects"]}
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    volume = (
        await client.get(f"/v1/monitors/{monitor_id}/volume", params={"bucket": "day"}, headers=tenant.headers())
    ).json()
    negative = sum(p["negative"] for p in volume if p["subject"] == "brand")
    assert re.search(rf'data-kpi="negative"><span class="label">negative</span><span class="value">{negative}<', page)
