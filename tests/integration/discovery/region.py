"""What a crawl of the simulator must have stored, computed from the world itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import asyncpg

from discovery.simulator import render
from discovery.simulator.world import LIKE, REPLY, REPOST, World

KIND = {LIKE: "like", REPOST: "repost", REPLY: "reply"}


def index_of(platform: str, external_id: str) -> int:
    if platform == "mastodon":
        return int(external_id) - render.MASTODON_ID_BASE
    m = re.fullmatch(r"did:plc:sim(\d{8})", external_id)
    assert m, external_id
    return int(m.group(1))


def post_index(platform: str, external_id: str) -> int:
    if platform == "mastodon":
        return int(external_id) - render.STATUS_ID_BASE
    return int(external_id.rsplit("/p", 1)[1])


@dataclass
class Region:
    accounts: set[int] = field(default_factory=set)
    opted_out: set[int] = field(default_factory=set)
    follows: set[tuple[int, int]] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)
    interactions: set[tuple[int, int, str]] = field(default_factory=set)


def expected(
    world: World, platform: str, expanded: set[int], max_followers: int, max_following: int, posts_per_account: int
) -> Region:
    r = Region()
    out = world.is_opted_out

    def see(i: int) -> bool:
        (r.opted_out if out(i, platform) else r.accounts).add(i)
        return not out(i, platform)

    for a in expanded:
        if not see(a):
            continue
        for f in world.followers.row(a)[:max_followers]:
            if see(int(f)):
                r.follows.add((int(f), a))
        for g in world.following.row(a)[:max_following]:
            if see(int(g)):
                r.follows.add((a, int(g)))
        for p in world.posts_of.row(a)[:posts_per_account]:
            r.posts.add(int(p))
            for kind, csr in world.engaged.items():
                for actor in csr.row(int(p)):
                    if see(int(actor)):
                        r.interactions.add((int(actor), int(p), KIND[kind]))
    return r


def bfs(world: World, platform: str, seeds: list[int], depth: int, max_followers: int, max_following: int) -> set[int]:
    """Accounts a crawl expands when its max_accounts budget never binds."""
    seen, layer = set(seeds), list(seeds)
    for _ in range(depth):
        nxt = []
        for a in layer:
            if world.is_opted_out(a, platform):
                continue
            nbrs = [*world.followers.row(a)[:max_followers], *world.following.row(a)[:max_following]]
            for b in map(int, nbrs):
                if b not in seen and not world.is_opted_out(b, platform):
                    seen.add(b)
                    nxt.append(b)
        layer = nxt
    return seen


async def stored(conn: asyncpg.Connection, platform: str) -> Region:
    r = Region()
    ext = {}
    for row in await conn.fetch("SELECT id, external_id, opted_out, bio, followers_count FROM accounts"):
        i = index_of(platform, row["external_id"])
        ext[row["id"]] = i
        if row["opted_out"]:
            assert row["bio"] is None and row["followers_count"] is None, "opted-out account stored beyond handle"
            r.opted_out.add(i)
        else:
            r.accounts.add(i)
    for row in await conn.fetch("SELECT follower_id, followee_id FROM follows"):
        r.follows.add((ext[row["follower_id"]], ext[row["followee_id"]]))
    posts = {}
    for row in await conn.fetch("SELECT id, external_id FROM posts WHERE deleted_at IS NULL"):
        posts[row["id"]] = post_index(platform, row["external_id"])
        r.posts.add(posts[row["id"]])
    for row in await conn.fetch("SELECT actor_id, post_id, kind FROM interactions"):
        assert row["post_id"] in posts, "an interaction on a deleted post"
        r.interactions.add((ext[row["actor_id"]], posts[row["post_id"]], row["kind"]))
    return r
