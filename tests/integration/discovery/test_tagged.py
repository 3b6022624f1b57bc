"""An account's older posts on a crawl hashtag (Mastodon ``tagged``): read, stored, and deleted again when
the server deletes them, through the simulator over real sockets into a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from discovery import crawler, frontier, service
from discovery.service import CrawlRequest
from discovery.simulator import render
from discovery.simulator.serve import RunningSimulator, simulator_in_thread
from discovery.simulator.server import Answer, Limits, SimulatorApp
from discovery.simulator.world import BUYER, FARM_BOT, World, build_world
from discovery.worker import run_crawl
from sql import tenancy
from tests.integration.discovery.region import KIND, index_of, post_index, stored

pytestmark = pytest.mark.anyio
TAG = "coffee"
PER_ACCOUNT = 5
TIMELINE = 10  # the hashtag timeline's newest posts read (HASHTAG_POSTS, made small: a small world)
BUDGET = {"max_depth": 0, "max_followers": 40, "max_following": 0, "posts_per_account": PER_ACCOUNT}


class Recording(SimulatorApp):
    """The simulator, noting the ``tagged`` parameter ("" for none) of every account statuses request."""

    def __init__(self, world: World, limits: Limits | None = None) -> None:
        super().__init__(world, limits)
        self.tagged: list[str] = []

    def m_statuses(self, external: str, *, query: dict[str, str], base: str) -> Answer:
        self.tagged.append(query.get("tagged", ""))
        return super().m_statuses(external, query=self.understood(query), base=base)

    def understood(self, query: dict[str, str]) -> dict[str, str]:
        return query


class IgnoresTagged(Recording):
    """A server without ``tagged``: it sends the account's plain listing."""

    def understood(self, query: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in query.items() if k != "tagged"}


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=12) as p:
        yield p


@pytest.fixture(autouse=True)
def small_timeline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crawler, "HASHTAG_POSTS", TIMELINE)


def planted(max_age_hours: float = 24 * 150) -> tuple[World, int, int]:
    """A world where one account (not of the coffee community) has a single #coffee post, liked, older than
    its newest PER_ACCOUNT posts and than the hashtag timeline's newest TIMELINE posts (and at most
    ``max_age_hours`` old)."""
    world = build_world(300, seed=5)
    liked = world.engaged["like"]
    creator, post = next(
        (a, int(row[k]))
        for a in sorted(range(world.n), key=lambda i: -world.followers.length(i))
        if world.kind[a] not in (FARM_BOT, BUYER) and world.community[a] != 0 and not world.is_opted_out(a, "mastodon")
        for row in [world.posts_of.row(a)]
        if row.size >= PER_ACCOUNT + 3
        for k in range(row.size - 1, PER_ACCOUNT - 1, -1)  # its oldest liked post first
        if liked.length(int(row[k])) >= 2 and world.post_age_hours[int(row[k])] <= max_age_hours
    )
    for p in world.posts_of.row(creator):
        world.post_tags[int(p)] = tuple(t for t in world.post_tags[int(p)] if t != TAG)
    world.post_tags[post] = (*world.post_tags[post], TAG)
    world.version += 1
    assert post not in world.posts_with_tag(TAG)[:TIMELINE]
    return world, creator, post


def want_posts(world: World, expanded: set[int], honoured: bool) -> tuple[set[int], set[tuple[int, int, str]]]:
    """Posts and interactions a crawl must store: each expanded account's newest posts and, when its listing
    was not complete and the server honours ``tagged``, its newest posts carrying the tag; the hashtag
    timeline's newest posts (without their engagement)."""
    posts: set[int] = set()
    for a in expanded:
        row = [int(p) for p in world.posts_of.row(a)]
        posts.update(row[:PER_ACCOUNT])
        if honoured and len(row) >= PER_ACCOUNT:
            posts.update([p for p in row if TAG in world.post_tags[p]][:PER_ACCOUNT])
    interactions = {
        (int(actor), p, KIND[kind])
        for p in posts
        for kind, csr in world.engaged.items()
        for actor in csr.row(p)
        if not world.is_opted_out(int(actor), "mastodon")
    }
    return posts | set(world.posts_with_tag(TAG)[:TIMELINE]), interactions


async def crawl(pool: asyncpg.Pool, sim: RunningSimulator, creator: int) -> uuid.UUID:
    async with pool.acquire() as conn:
        org = await tenancy.create_org(conn, f"tagged-{uuid.uuid4().hex[:6]}")
        req = CrawlRequest(platform="mastodon", base_url=sim.url, seeds=[f"user{creator}"], hashtags=[TAG], **BUDGET)
        crawl_id = (await service.create(conn, org.id, req, allow_private=True)).id
    before = sim.app.stats.requests  # after the checks creating a crawl makes
    assert await run_crawl(pool, crawl_id, allow_private=True) == "done"
    async with pool.acquire() as conn:
        # Every request is counted, the tagged listings' too.
        assert (await frontier.get_any(conn, crawl_id)).counters.requests == sim.app.stats.requests - before
    return crawl_id


async def expanded_of(pool: asyncpg.Pool, crawl_id: uuid.UUID) -> set[int]:
    async with pool.acquire() as conn:
        return {index_of("mastodon", ref) for ref in await frontier.expanded(conn, crawl_id)}


def incomplete(world: World, expanded: set[int]) -> int:
    return sum(world.posts_of.length(a) >= PER_ACCOUNT for a in expanded)


class TestTaggedPosts:
    async def test_an_older_topical_post_is_stored_with_its_likes_and_its_deletion_propagates(
        self, pool: asyncpg.Pool
    ) -> None:
        world, creator, post = planted()
        with simulator_in_thread(world, app_class=Recording) as sim:
            first = await crawl(pool, sim, creator)
            app = sim.app
            assert isinstance(app, Recording)
            expanded = await expanded_of(pool, first)
            assert creator in expanded and len(expanded) > 3
            # One tagged listing per expanded account whose newest posts were not all it has.
            assert app.tagged.count(TAG) == incomplete(world, expanded) > 1
            async with pool.acquire() as conn:
                got = await stored(conn, "mastodon")
                hashtags = await conn.fetchval(
                    "SELECT p.hashtags FROM posts p JOIN accounts a ON a.id = p.account_id"
                    " WHERE a.external_id = $1 AND p.deleted_at IS NULL AND $2 = ANY (p.hashtags)",
                    render.account_id(creator),
                    TAG,
                )
            posts, interactions = want_posts(world, expanded, honoured=True)
            assert post in got.posts and got.posts == posts
            assert got.interactions == interactions
            likes = {(int(a), post, "like") for a in world.engaged["like"].row(post)}
            assert likes and likes <= got.interactions
            assert hashtags is not None and TAG in hashtags  # the creator is a topic poster now

            world.delete_post(post)  # on the server
            second = await crawl(pool, sim, creator)
        async with pool.acquire() as conn:
            deleted = await conn.fetch("SELECT external_id FROM posts WHERE deleted_at IS NOT NULL")
            on_deleted = await conn.fetchval(
                "SELECT count(*) FROM interactions i JOIN posts p ON p.id = i.post_id WHERE p.deleted_at IS NOT NULL"
            )
            counters = (await frontier.get_any(conn, second)).counters
        assert [post_index("mastodon", r["external_id"]) for r in deleted] == [post]
        assert on_deleted == 0 and counters.posts_deleted == 1 and counters.interactions_ended == 0

    async def test_a_server_ignoring_tagged_stores_nothing_wrong_and_deletes_nothing(self, pool: asyncpg.Pool) -> None:
        world, creator, post = planted()
        with simulator_in_thread(world, app_class=IgnoresTagged) as sim:
            first = await crawl(pool, sim, creator)
            app = sim.app
            assert isinstance(app, IgnoresTagged)
            expanded = await expanded_of(pool, first)
            async with pool.acquire() as conn:
                got = await stored(conn, "mastodon")
            # One request more per account whose newest posts were not all it has, and nothing else stored.
            assert app.tagged.count(TAG) == incomplete(world, expanded) > 1
            posts, interactions = want_posts(world, expanded, honoured=False)
            assert post not in got.posts and got.posts == posts and got.interactions == interactions
        with simulator_in_thread(world) as sim:
            await crawl(pool, sim, creator)  # a server that honours it: the older post is stored
        with simulator_in_thread(world, app_class=IgnoresTagged) as sim:
            third = await crawl(pool, sim, creator)
        async with pool.acquire() as conn:
            got = await stored(conn, "mastodon")
            counters = (await frontier.get_any(conn, third)).counters
        # The plain listing covers only the newest posts: the older #coffee post is not judged by it.
        assert post in got.posts and counters.posts_deleted == 0
