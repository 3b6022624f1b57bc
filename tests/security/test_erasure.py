"""Erasure: for everyone only by the operator (``sorot erase``, a real process), always logged; an org
admin's DELETE only hides an account from that org, is logged too, and leaves other orgs' data alone.
"""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import httpx
import pytest

from discovery.simulator.load import load_world
from discovery.simulator.world import build_world
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


def sorot(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "api", *args], env=env, capture_output=True, text=True, timeout=120)


async def data_of(conn: asyncpg.Connection, account_id: int) -> tuple[int, int, int]:
    return (
        await conn.fetchval("SELECT count(*) FROM follows WHERE follower_id = $1 OR followee_id = $1", account_id),
        await conn.fetchval("SELECT count(*) FROM posts WHERE account_id = $1", account_id),
        await conn.fetchval("SELECT count(*) FROM interactions WHERE actor_id = $1", account_id),
    )


@pytest.fixture
async def crawled_by_both(conn: asyncpg.Connection, tenant: Tenant, other_tenant: Tenant) -> dict[str, int]:
    world = build_world(120, seed=41)
    for org in (tenant, other_tenant):
        await load_world(conn, world, host="social.test", org_id=org.org.id)
    rows = await conn.fetch("SELECT id, handle FROM accounts WHERE NOT opted_out ORDER BY followers_count DESC")
    return {r["handle"]: r["id"] for r in rows}


class TestOperatorErasure:
    async def test_sorot_erase_removes_the_data_for_every_org_and_logs_it(
        self,
        client: httpx.AsyncClient,
        conn: asyncpg.Connection,
        database_url: str,
        tenant: Tenant,
        other_tenant: Tenant,
        crawled_by_both: dict[str, int],
    ) -> None:
        handle, account = next(iter(crawled_by_both.items()))
        assert all(n > 0 for n in (await data_of(conn, account))[:2])
        done = sorot(database_url, "erase", str(account), "--reason", "GDPR request 2026-117", "--by", "dpo")
        assert done.returncode == 0, done.stderr
        assert f"erased account {account}" in done.stdout
        assert await data_of(conn, account) == (0, 0, 0)
        for org in (tenant, other_tenant):
            seen = (await client.get(f"/v1/accounts/{account}", headers=org.headers())).json()
            assert seen["opted_out"] is True and seen["bio"] is None and seen["followers_stored"] == 0
            found = (await client.get("/v1/accounts", params={"q": handle}, headers=org.headers())).json()["items"]
            assert account not in {a["id"] for a in found}
        log = await conn.fetch("SELECT * FROM account_erasures WHERE account_id = $1", account)
        assert [(r["scope"], r["actor"], r["reason"], r["handle"], r["org_id"]) for r in log] == [
            ("everyone", "operator:dpo", "GDPR request 2026-117", handle, None)
        ]
        listed = sorot(database_url, "erasures", "--account", str(account))
        assert listed.returncode == 0 and "everyone" in listed.stdout and "GDPR request 2026-117" in listed.stdout

    async def test_erase_by_handle_and_all_or_nothing_on_an_unknown_id(
        self, conn: asyncpg.Connection, database_url: str, crawled_by_both: dict[str, int]
    ) -> None:
        (first, a), (_, b) = list(crawled_by_both.items())[:2]
        failed = sorot(database_url, "erase", str(b), "999999999", "--reason", "x")
        assert failed.returncode != 0 and "999999999" in failed.stderr
        assert (await data_of(conn, b))[0] > 0  # nothing erased
        assert await conn.fetchval("SELECT count(*) FROM account_erasures") == 0
        done = sorot(database_url, "erase", "--handle", first.upper(), "--reason", "request by e-mail")
        assert done.returncode == 0, done.stderr
        assert await data_of(conn, a) == (0, 0, 0)
        assert sorot(database_url, "erase", "--reason", "x").returncode != 0  # nothing named

    async def test_erase_needs_a_reason(self, database_url: str) -> None:
        r = sorot(database_url, "erase", "1")
        assert r.returncode == 2 and "--reason" in r.stderr


class TestOrgHide:
    async def test_an_org_admin_hides_for_its_org_only_and_the_hide_is_logged(
        self,
        client: httpx.AsyncClient,
        conn: asyncpg.Connection,
        tenant: Tenant,
        other_tenant: Tenant,
        crawled_by_both: dict[str, int],
    ) -> None:
        handle, account = next(iter(crawled_by_both.items()))
        before = await data_of(conn, account)
        b_ranking = {"platform": "mastodon", "target": {"seed_accounts": [account]}, "limit": 5}
        assert (await client.post("/v1/rankings", json=b_ranking, headers=other_tenant.headers())).status_code == 200
        assert (await client.delete(f"/v1/accounts/{account}", headers=other_tenant.headers())).status_code == 204
        assert await data_of(conn, account) == before  # nothing erased
        assert (await client.get(f"/v1/accounts/{account}", headers=other_tenant.headers())).status_code == 404
        assert (await client.post("/v1/rankings", json=b_ranking, headers=other_tenant.headers())).status_code == 422
        assert (await client.get(f"/v1/accounts/{account}", headers=tenant.headers())).json()["handle"] == handle
        ranked = await client.post(
            "/v1/rankings", json={**b_ranking, "limit": 200, "pool": 20000}, headers=tenant.headers()
        )
        assert ranked.status_code == 200
        # B's later crawl of the same account does not bring it back for B.
        await load_world(conn, build_world(120, seed=41), host="social.test", org_id=other_tenant.org.id)
        assert (await client.get(f"/v1/accounts/{account}", headers=other_tenant.headers())).status_code == 404
        log = await conn.fetchrow("SELECT * FROM account_erasures WHERE account_id = $1", account)
        assert log["scope"] == "org" and log["org_id"] == other_tenant.org.id and log["actor"].startswith("key:")
