"""Objectives on a small planted world where the right order is known by construction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import numpy as np
import pytest

from discovery.simulator.load import load_world
from discovery.simulator.world import NORMAL, OPT_NONE, Csr, World
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio

BRAND, LARGE, TINY, OFF_TARGET, REPOSTER, RIVAL = range(6)
FIRST_PERSON = 10
TARGET, OTHERS = 200, 450


def planted() -> World:
    """A brand followed by 200 people (the target). LARGE reaches 150 of them (and 450 others), TINY only 30
    (all in the target), OFF_TARGET 10 (and 290 others); REPOSTER is followed by 120 of them but posts nothing
    of its own; RIVAL, a competitor, by 180. Every follower likes a quarter of the posts it sees."""
    target = np.arange(FIRST_PERSON, FIRST_PERSON + TARGET)
    others = np.arange(target[-1] + 1, target[-1] + 1 + OTHERS)
    n = int(others[-1]) + 1
    audiences = {
        BRAND: target,
        LARGE: np.concatenate([target[:150], others]),
        TINY: target[150:180],
        OFF_TARGET: np.concatenate([target[180:190], others[:290]]),
        REPOSTER: target[:120],
        RIVAL: target[:180],
    }
    src = np.concatenate(list(audiences.values()))
    dst = np.concatenate([np.full(a.size, c) for c, a in audiences.items()])
    following = Csr.from_pairs(src, dst, n)
    # Five #coffee posts by each account but REPOSTER; one post of its own by everyone else.
    authors = [c for c in audiences if c != REPOSTER for _ in range(5)] + list(range(FIRST_PERSON, n))
    post_author = np.array(authors)
    tags = [("coffee",) if a < FIRST_PERSON else ("misc",) for a in authors]
    order = np.argsort(post_author, kind="stable")
    world = World(
        seed=0,
        n=n,
        now=datetime.now(UTC).replace(microsecond=0),
        community=np.zeros(n, dtype=np.int64),
        kind=np.full(n, NORMAL, dtype=np.int8),
        opt_out=np.full(n, OPT_NONE, dtype=np.int8),
        has_avatar=np.ones(n, dtype=bool),
        created_days_ago=np.full(n, 500),
        following=following,
        post_author=post_author[order],
        post_age_hours=np.arange(post_author.size, dtype=float) % 500 + 1,
        post_tags=[tags[i] for i in order],
        posts_of=Csr.from_pairs(post_author[order], np.arange(post_author.size), n),
    )
    likes_post, likes_who = [], []
    for p, a in enumerate(world.post_author):
        fans = world.followers.row(int(a))
        who = fans[(fans + p) % 4 == 0]
        likes_post.append(np.full(who.size, p))
        likes_who.append(who)
    empty = Csr.from_pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), post_author.size)
    world.engaged = {
        "like": Csr.from_pairs(np.concatenate(likes_post), np.concatenate(likes_who), post_author.size),
        "repost": empty,
        "reply": empty,
    }
    return world


@pytest.fixture
async def ids(conn: asyncpg.Connection) -> dict[int, int]:
    await load_world(conn, planted(), host="planted.test")
    return {int(r["handle"].removeprefix("user")): r["id"] for r in await conn.fetch("SELECT id, handle FROM accounts")}


def request(ids: dict[int, int], **extra: object) -> dict[str, object]:
    return {
        "platform": "mastodon",
        "topic": {"hashtags": ["coffee"]},
        "target": {"seed_accounts": [ids[BRAND]]},
        "exclude": [ids[RIVAL]],
        **extra,
    }


async def ranked(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, object]) -> dict[str, object]:
    r = await client.post("/v1/rankings", json=body, headers=tenant.headers("analyst"))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def order(ranking: dict[str, object], ids: dict[int, int]) -> list[int]:
    back = {v: k for k, v in ids.items()}
    return [back[c["account_id"]] for c in ranking["creators"]]  # type: ignore[attr-defined, index]


class TestPlantedWorld:
    async def test_reach_puts_the_large_creator_first_efficiency_the_tiny_one(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int]
    ) -> None:
        reach = await ranked(client, tenant, request(ids))
        assert order(reach, ids) == [LARGE, TINY, OFF_TARGET]
        assert reach["objective"] == "reach" and reach["target_size"] == TARGET
        first = reach["creators"][0]  # type: ignore[index]
        assert first["expected_reach"]["target_followers"] == 150
        assert first["expected_reach"]["text"].endswith(
            f"of your {TARGET} target accounts (95% interval "
            f"{round(first['expected_reach']['low'])}-{round(first['expected_reach']['high'])})"
        )
        fees = {str(ids[LARGE]): "1000", str(ids[TINY]): "50", str(ids[OFF_TARGET]): "50"}
        efficiency = await ranked(client, tenant, request(ids, objective="efficiency", fees=fees))
        assert order(efficiency, ids) == [TINY, OFF_TARGET, LARGE]
        assert "per 100 of fee" in efficiency["formula"]  # type: ignore[operator]

    async def test_seeds_excluded_and_repost_only_accounts_are_never_candidates(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int]
    ) -> None:
        without_topic = request(ids, limit=500)
        del without_topic["topic"]
        r = await ranked(client, tenant, without_topic)
        listed = set(order(r, ids))
        assert {LARGE, TINY, OFF_TARGET} <= listed
        assert not listed & {BRAND, RIVAL, REPOSTER}
        assert r["excluded"]["seed_or_excluded"] == 2 and r["excluded"]["only_reposts"] >= 1  # type: ignore[index]

    async def test_engagement_and_custom_objectives_say_what_they_did(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int]
    ) -> None:
        engagement = await ranked(client, tenant, request(ids, objective="engagement"))
        assert order(engagement, ids)[0] == LARGE and "K x r" in engagement["formula"]  # type: ignore[operator]
        custom = await ranked(client, tenant, request(ids, weights={"audience_fit": 1}))
        assert custom["objective"] == "custom" and custom["weights"] == {"audience_fit": 1.0}
        assert order(custom, ids)[0] == TINY  # every one of its followers is in the target

    async def test_shortlist_takes_reach_not_the_brand(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int]
    ) -> None:
        body = {"ranking": request(ids), "budget": "100", "k": 2}
        r = await client.post("/v1/shortlists", json=body, headers=tenant.headers("manager"))
        assert r.status_code == 201, r.text
        picks = [p["account_id"] for p in r.json()["picks"]]
        assert picks[0] == ids[LARGE] and ids[BRAND] not in picks and ids[RIVAL] not in picks

    async def test_deleted_posts_no_longer_count(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int], conn: asyncpg.Connection
    ) -> None:
        before = await ranked(client, tenant, request(ids))
        large = before["creators"][0]["expected_reach"]  # type: ignore[index]
        assert large["topical_posts"] == 5 and TINY in order(before, ids)
        # As the crawler marks them: every post of TINY's and one of LARGE's are gone from the server.
        await conn.execute(
            "UPDATE posts SET deleted_at = now(), fetched_at = now() WHERE account_id = $1 "
            "OR id = (SELECT min(id) FROM posts WHERE account_id = $2)",
            ids[TINY],
            ids[LARGE],
        )
        after = await ranked(client, tenant, request(ids))
        assert TINY not in order(after, ids)  # its only topical posts were deleted: no longer a topic poster
        first = after["creators"][0]  # type: ignore[index]
        assert first["account_id"] == ids[LARGE]
        assert first["expected_reach"]["topical_posts"] == 4
        assert first["expected_reach"]["engagements_observed"] < large["engagements_observed"]

    async def test_a_mass_follower_followed_back_by_few_is_a_bot_not_a_creator(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int], conn: asyncpg.Connection
    ) -> None:
        followers = await conn.fetchval("SELECT followers_count FROM accounts WHERE id = $1", ids[OFF_TARGET])
        following = "UPDATE accounts SET following_count = $2 WHERE id = $1"
        await conn.execute(following, ids[OFF_TARGET], 10 * followers - 1)
        r = await ranked(client, tenant, request(ids))
        assert OFF_TARGET in order(r, ids) and r["excluded"]["bot_like"] == 0  # type: ignore[index]
        await conn.execute(following, ids[OFF_TARGET], 10 * followers)
        r = await ranked(client, tenant, request(ids))
        assert OFF_TARGET not in order(r, ids) and r["excluded"]["bot_like"] == 1  # type: ignore[index]

    async def test_a_hidden_follower_list_counts_at_what_is_sure(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int], conn: asyncpg.Connection
    ) -> None:
        # As a server that hides who follows LARGE: nothing stored, 600 followers reported.
        await conn.execute("DELETE FROM follows WHERE followee_id = $1", ids[LARGE])
        r = await ranked(client, tenant, request(ids))  # by default a hidden list is left out
        assert LARGE not in order(r, ids) and r["excluded"]["hidden_followers"] == 1  # type: ignore[index]
        # Asked for: its engagement vouches for it (~150 likes a post).
        r = await ranked(client, tenant, request(ids, filters={"hidden_followers": "engaged"}))
        large = next(c for c in r["creators"] if c["account_id"] == ids[LARGE])  # type: ignore[attr-defined]
        reach = large["expected_reach"]
        assert 0 < reach["low"] < reach["value"] and reach["target_followers"] > 0  # estimated from who engaged
        assert large["score"] == pytest.approx(reach["low"], abs=0.01)  # its followers cannot be checked
        assert r["excluded"]["hidden_followers"] == r["excluded"]["unverified_audience"] == 0  # type: ignore[index]

    async def test_a_bad_hidden_followers_value_is_a_400_and_an_empty_pool_names_its_reasons(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int], conn: asyncpg.Connection
    ) -> None:
        r = await client.post(
            "/v1/rankings", json=request(ids, filters={"hidden_followers": "some"}), headers=tenant.headers("analyst")
        )
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
        assert "hidden_followers" in r.text
        # Every creator's follower list hidden: by default none is a candidate, and a shortlist says why.
        await conn.execute(
            "DELETE FROM follows WHERE followee_id = ANY($1::bigint[])", [ids[LARGE], ids[TINY], ids[OFF_TARGET]]
        )
        body = {"ranking": request(ids), "budget": "1000"}
        r = await client.post("/v1/shortlists", json=body, headers=tenant.headers("manager"))
        assert r.status_code == 422, r.text
        assert "hidden_followers 3" in r.json()["detail"]

    async def test_a_hidden_follower_list_engaging_far_below_its_count_is_left_out(
        self, client: httpx.AsyncClient, tenant: Tenant, ids: dict[int, int], conn: asyncpg.Connection
    ) -> None:
        # The same hidden list, but 6,000 followers reported: its ~150 likes a post are what 600 real ones give,
        # so most of the rest would be bought (or asleep), and nothing shows which.
        await conn.execute("DELETE FROM follows WHERE followee_id = $1", ids[LARGE])
        await conn.execute("UPDATE accounts SET followers_count = 6000 WHERE id = $1", ids[LARGE])
        r = await ranked(client, tenant, request(ids, filters={"hidden_followers": "engaged"}))
        assert LARGE not in order(r, ids)
        assert r["excluded"]["unverified_audience"] == 1  # type: ignore[index]
        r = await ranked(client, tenant, request(ids, filters={"hidden_followers": "all"}))
        assert LARGE in order(r, ids)
