"""Automatic detection: crawled posts of linked creators with the campaign hashtag, a required mention or a
tagged link are tracked within the campaign's dates only, by a periodic job queued once per interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from campaigns import briefs, refresh, service
from campaigns.briefs import BriefIn
from campaigns.models import CampaignIn, CreatorIn
from jobs.handlers import HANDLERS, PERIODIC
from jobs.runner import Context, enqueue_periodic, run_one
from sql import tenancy

pytestmark = pytest.mark.anyio


async def post(conn: asyncpg.Connection, account: int, n: int, text: str, tags: list[str], at: datetime) -> None:
    await conn.execute(
        "INSERT INTO posts (account_id, external_id, text, hashtags, mentions, created_at, url) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        account,
        str(n),
        text,
        tags,
        [m.lstrip("@").replace("tokokopi", "TokoKopi@toko.social") for m in text.split() if m.startswith("@")],
        at,
        f"https://kopi.social/@ayu/{n}",
    )


class TestDetection:
    async def test_only_campaign_posts_inside_its_dates_are_tracked(
        self, conn: asyncpg.Connection, database_url: str
    ) -> None:
        now = datetime.now(UTC)
        org = await tenancy.create_org(conn, "detect")
        account = await conn.fetchval(
            "INSERT INTO accounts (platform, host, external_id, handle, shared) "
            "VALUES ('mastodon', 'kopi.social', '1', 'ayu', true) "
            "RETURNING id"
        )
        data = CampaignIn(
            name="Kopi",
            currency="IDR",
            destination_url="https://toko.example/",
            hashtag="KopiPagi",
            starts_at=now - timedelta(days=10),
            ends_at=now + timedelta(days=10),
        )
        campaign = await service.create_campaign(conn, org.id, data)
        await briefs.put(conn, org.id, campaign.id, BriefIn(required_mentions=["@tokokopi"]))
        creator = await service.add_creator(conn, org.id, campaign.id, CreatorIn(account_id=account), "https://s.test")
        await post(conn, account, 1, "pagi #kopipagi", ["kopipagi"], now - timedelta(days=2))  # hashtag
        await post(conn, account, 2, "makasih @tokokopi", [], now - timedelta(days=1))  # mention
        await post(conn, account, 3, f"beli di https://s.test/r/{creator.slug}", [], now - timedelta(hours=3))  # link
        await post(conn, account, 4, "lama #kopipagi", ["kopipagi"], now - timedelta(days=30))  # before the start
        await post(conn, account, 5, "kopi biasa", ["kopi"], now - timedelta(days=1))  # not about the campaign

        async with asyncpg.create_pool(database_url, min_size=1, max_size=2) as pool:
            done_a: dict[str, int] = {}
            done_b: dict[str, int] = {}
            assert await enqueue_periodic(pool, PERIODIC, now, done_a) == 1
            assert await enqueue_periodic(pool, PERIODIC, now, done_b) == 0  # another worker: same interval
            assert await enqueue_periodic(pool, PERIODIC, now, done_a) == 0
            async with httpx.AsyncClient() as client:
                assert await run_one(pool, HANDLERS, Context(client)) is True
        tracked = await conn.fetch("SELECT url, origin FROM campaign_posts ORDER BY url")
        assert [r["url"].rsplit("/", 1)[1] for r in tracked] == ["1", "2", "3"]
        assert {r["origin"] for r in tracked} == {"detected"}
        assert await conn.fetchval("SELECT count(*) FROM jobs WHERE kind = $1", refresh.KIND) == 9  # 3 slots each
        assert await conn.fetchval("SELECT status FROM jobs WHERE kind = $1", refresh.DETECT_KIND) == "done"
