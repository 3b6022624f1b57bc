"""The scheduled refresh of crawlable posts survives kill -9 of its worker, mid-job, without losing or
duplicating a snapshot. The worker is a real ``python -m jobs`` process; the posts' server is the simulator
on a real socket, holding one request open so the kill lands while a job's transaction is in flight."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from typing import Any
from uuid import UUID

import anyio
import asyncpg
import pytest
import uvicorn

from campaigns import content, service
from campaigns.models import CampaignIn, CreatorIn
from discovery.simulator.load import load_world
from discovery.simulator.serve import free_port
from discovery.simulator.server import SimulatorApp
from discovery.simulator.world import build_world
from sql import tenancy

pytestmark = pytest.mark.anyio
HOLD_AT = 25  # the request held open until the worker is killed


class HoldingServer:
    """The simulator behind a door: every request is a little slow, request ``HOLD_AT`` waits for release."""

    def __init__(self, app: SimulatorApp) -> None:
        self.app = app
        self.requests = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
            if self.requests == HOLD_AT:
                self.holding.set()
                await asyncio.to_thread(self.release.wait, 120)
            else:
                await asyncio.sleep(0.01)
        await self.app(scope, receive, send)


def start(app: HoldingServer) -> tuple[uvicorn.Server, threading.Thread, int]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    return server, thread, port


def worker(database_url: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SOROT_ALLOW_PRIVATE_HOSTS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "--database-url", database_url, "--workers", "2", *extra], env=env
    )


async def counts(conn: asyncpg.Connection) -> tuple[int, int, int]:
    row = await conn.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT (post_id, slot)) AS distinct_slots,"
        " (SELECT count(*) FROM jobs WHERE status = 'done' AND kind = 'refresh_post') AS done FROM post_snapshots"
    )
    assert row is not None
    return int(row["n"]), int(row["distinct_slots"]), int(row["done"])


class TestRefreshSurvivesKill:
    async def test_kill_9_mid_run_loses_and_duplicates_nothing(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        world = build_world(80, seed=13)
        door = HoldingServer(SimulatorApp(world))
        server, thread, port = start(door)
        try:
            await load_world(conn, world, host=f"127.0.0.1:{port}", posts_per_account=3)
            org = await tenancy.create_org(conn, "refresh")
            campaign = await service.create_campaign(
                conn, org.id, CampaignIn(name="Refresh", currency="EUR", destination_url="https://shop.example/")
            )
            accounts = await conn.fetch(
                "SELECT a.id, min(p.url) AS url FROM accounts a JOIN posts p ON p.account_id = a.id "
                "WHERE NOT a.opted_out GROUP BY a.id ORDER BY a.id LIMIT 20"
            )
            for a in accounts:
                creator = await service.add_creator(
                    conn, org.id, campaign.id, CreatorIn(account_id=a["id"]), "http://sorot.test"
                )
                await content.register(conn, org.id, campaign.id, content.TrackedPostIn(creator.id, a["url"]))
            jobs = await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = 'refresh_post'")
            assert jobs == 3 * len(accounts) == 60
            # Time passes: every refresh (+1 h, +24 h, +7 d) is due.
            await conn.execute("UPDATE jobs SET run_at = now() - interval '1 minute'")

            first = worker(database_url)
            try:
                assert await anyio.to_thread.run_sync(door.holding.wait, 60), "the worker never reached the door"
                before_kill, _, done_before = await counts(conn)
                first.kill()  # SIGKILL: no cleanup, the held job's transaction is open
                first.wait(10)
            finally:
                if first.poll() is None:
                    first.kill()
            door.release.set()
            assert 0 < before_kill < jobs and done_before == before_kill

            second = worker(database_url, "--once")
            assert await anyio.to_thread.run_sync(lambda: second.wait(120)) == 0
        finally:
            server.should_exit = True
            thread.join(timeout=10)

        n, distinct_slots, done = await counts(conn)
        assert (n, distinct_slots, done) == (jobs, jobs, jobs)  # every slot once: none lost, none twice
        per_post = await conn.fetch(
            "SELECT post_id, array_agg(slot ORDER BY slot) AS slots FROM post_snapshots GROUP BY 1"
        )
        assert len(per_post) == len(accounts) and all(r["slots"] == ["+1h", "+24h", "+7d"] for r in per_post)
        assert door.requests > jobs  # the job killed mid-request ran again from the start
        # The snapshots carry the server's counts.
        row = await conn.fetchrow(
            "SELECT s.likes, p.like_count FROM post_snapshots s JOIN campaign_posts cp ON cp.id = s.post_id "
            "JOIN posts p ON p.id = cp.post_id LIMIT 1"
        )
        assert row is not None and row["likes"] == row["like_count"]
        assert isinstance(per_post[0]["post_id"], UUID)
