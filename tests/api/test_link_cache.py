"""The redirect answers cached links without the database, and forgets a link the moment it changes:
removing a creator or archiving a campaign stops its link at once (not after the cache's minute), a
link made for a slug that was asked for before works at once, and a lookup racing a change does not put
the old link back."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.controllers.tracking import Link, LinkCache
from campaigns import service
from campaigns.service import SLUG_ALPHABET
from campaigns.tracking import LinkInfo
from tests.api.stores import campaign_with_creators
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
UA = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}


async def status_within(client: httpx.AsyncClient, path: str, expected: int, seconds: float = 3.0) -> list[int]:
    """The statuses seen until ``expected`` came (or the time ran out)."""
    seen: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.append((await client.get(path, headers=UA)).status_code)
        if seen[-1] == expected:
            break
        await asyncio.sleep(0.02)
    return seen


async def linked(client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection) -> tuple[Any, Any]:
    campaign, creators = await campaign_with_creators(client, tenant, conn)
    r = await client.get(f"/r/{creators[0]['slug']}", headers=UA)
    assert r.status_code == 302 and r.headers["x-request-id"]
    return campaign, creators[0]


class TestInvalidation:
    async def test_removing_a_creator_stops_its_link_at_once(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, app: Litestar
    ) -> None:
        campaign, creator = await linked(client, tenant, conn)
        assert creator["slug"] in app.state.links._items  # cached: the next click needs no query
        path = f"/v1/campaigns/{campaign['id']}/creators/{creator['id']}"
        assert (await client.delete(path, headers=tenant.headers())).status_code == 200
        seen = await status_within(client, f"/r/{creator['slug']}", 404)
        assert seen[-1] == 404 and len(seen) < 50, seen

    async def test_archiving_a_campaign_stops_all_its_links(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, creator = await linked(client, tenant, conn)
        _, others = await campaign_with_creators(client, tenant, conn)
        assert (await client.delete(f"/v1/campaigns/{campaign['id']}", headers=tenant.headers())).status_code == 200
        assert (await status_within(client, f"/r/{creator['slug']}", 404))[-1] == 404
        assert (await client.get(f"/r/{others[0]['slug']}", headers=UA)).status_code == 302  # other campaigns stay

    async def test_a_slug_asked_for_before_it_existed_works_once_created(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        campaign, _ = await linked(client, tenant, conn)
        slug = SLUG_ALPHABET[-1] * 10  # the slug the next creator will get (random choice pinned below)
        assert (await client.get(f"/r/{slug}", headers=UA)).status_code == 404  # "not found" is cached too
        account = await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, shared) VALUES ('mastodon', 'x.test', 'early', "
            "'early', true) RETURNING id"
        )
        monkeypatch.setattr(service.secrets, "choice", lambda seq: seq[-1])
        r = await client.post(
            f"/v1/campaigns/{campaign['id']}/creators", headers=tenant.headers(), json={"account_id": account}
        )
        monkeypatch.undo()
        assert r.status_code == 201 and r.json()["slug"] == slug, r.text
        assert (await status_within(client, f"/r/{slug}", 302))[-1] == 302


class TestLinkCache:
    def link(self, campaign: uuid.UUID) -> Link:
        info = LinkInfo(uuid.uuid4(), campaign, uuid.uuid4(), "https://shop.example/", "mastodon", "c", "s")
        return Link(info, info.prefix, "")

    def test_changes_drop_the_slug_or_the_campaigns_links(self) -> None:
        cache, a, b = LinkCache(10), uuid.uuid4(), uuid.uuid4()
        for slug, campaign in (("a1", a), ("a2", a), ("b1", b)):
            cache.put(slug, self.link(campaign), 1e12)
        cache.put("gone", None, 1e12)
        cache.invalidate(f"campaign:{a}")
        assert sorted(cache._items) == ["b1", "gone"]
        cache.invalidate("slug:gone")
        assert sorted(cache._items) == ["b1"]
        version = cache.version
        cache.invalidate("all")
        assert len(cache) == 0 and cache.version == version + 1
