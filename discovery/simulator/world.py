"""A deterministic synthetic social network: the simulator's ground truth.

Communities have topic hashtags; follower counts are heavy-tailed (preferential
choice by a Pareto popularity); posts carry their community's hashtags; likes,
reposts and replies come only from an author's followers, more often from the same
community. Follower farms are bot accounts that follow "buyers" (accounts that paid
for followers) and never post or engage. A few accounts opt out of indexing in each
of the ways platforms allow. Everything follows from ``(seed, accounts)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

import numpy as np

TOPICS: tuple[tuple[str, str], ...] = (
    ("coffee", "espresso"),
    ("running", "marathon"),
    ("vegan", "plantbased"),
    ("gaming", "indiedev"),
    ("photography", "filmphotography"),
    ("personalfinance", "investing"),
    ("fashion", "streetstyle"),
    ("travel", "vanlife"),
)

NORMAL, FARM_BOT, BUYER = 0, 1, 2
# Opt-out styles: none, discoverable=false, noindex=true, "#nobot" in bio, Bluesky label.
OPT_NONE, OPT_UNDISCOVERABLE, OPT_NOINDEX, OPT_NOBOT_BIO, OPT_LABEL = range(5)
LIKE, REPOST, REPLY = "like", "repost", "reply"


@dataclass(frozen=True)
class Csr:
    """Rows of integer lists: ``row(i)`` is ``indices[indptr[i]:indptr[i+1]]``."""

    indptr: np.ndarray
    indices: np.ndarray

    def row(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def length(self, i: int) -> int:
        return int(self.indptr[i + 1] - self.indptr[i])

    def without(self, row: int, col: int, n_rows: int) -> Csr:
        """The same rows with ``col`` taken out of row ``row`` (order kept)."""
        start, end = int(self.indptr[row]), int(self.indptr[row + 1])
        hit = np.flatnonzero(self.indices[start:end] == col)
        if hit.size == 0:
            return self
        at = start + int(hit[0])
        indptr = self.indptr.copy()
        indptr[row + 1 :] -= 1
        return Csr(indptr, np.delete(self.indices, at))

    @classmethod
    def from_pairs(cls, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> Csr:
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(indptr, cols.astype(np.int64))


@dataclass
class World:
    seed: int
    n: int
    now: datetime
    community: np.ndarray
    kind: np.ndarray
    opt_out: np.ndarray
    has_avatar: np.ndarray
    created_days_ago: np.ndarray
    following: Csr  # account -> accounts it follows
    post_author: np.ndarray
    post_age_hours: np.ndarray
    post_tags: list[tuple[str, ...]]
    posts_of: Csr  # account -> its posts, newest first
    engaged: dict[str, Csr] = field(default_factory=dict)  # kind -> post -> accounts
    deleted: set[int] = field(default_factory=set)  # posts deleted on the server
    version: int = 0  # bumped by every change, so servers drop what they rendered before

    # ---- changes on the server (tests of re-crawls) ----
    def unfollow(self, follower: int, followee: int) -> None:
        self.following = self.following.without(follower, followee, self.n)
        self.__dict__.pop("followers", None)
        self.version += 1

    def unengage(self, kind: str, post: int, actor: int) -> None:
        """Undo a like or repost, or delete a reply."""
        self.engaged[kind] = self.engaged[kind].without(post, actor, self.post_author.size)
        self.version += 1

    def delete_post(self, p: int) -> None:
        self.deleted.add(p)
        author = int(self.post_author[p])
        self.posts_of = self.posts_of.without(author, p, self.n)
        self.version += 1

    @cached_property
    def followers(self) -> Csr:
        rows = np.repeat(np.arange(self.n), np.diff(self.following.indptr))
        return Csr.from_pairs(self.following.indices, rows, self.n)

    def bio(self, i: int) -> str:
        if self.kind[i] == FARM_BOT:
            return ""
        tag, second = TOPICS[int(self.community[i])]
        text = f"All about #{tag} and #{second}. Account {i}."
        if self.opt_out[i] == OPT_NOBOT_BIO:
            text += " #nobot"
        return text

    def post_text(self, p: int) -> str:
        tags = " ".join(f"#{t}" for t in self.post_tags[p])
        return f"Post {p} by user{int(self.post_author[p])}. {tags}".strip()

    def post_time(self, p: int) -> datetime:
        return self.now - timedelta(hours=float(self.post_age_hours[p]))

    def created_at(self, i: int) -> datetime:
        return self.now - timedelta(days=int(self.created_days_ago[i]))

    def is_opted_out(self, i: int, platform: str) -> bool:
        style = int(self.opt_out[i])
        return style != OPT_NONE and (style != OPT_LABEL or platform == "bluesky")

    def posts_with_tag(self, tag: str) -> list[int]:
        """Newest first, as a hashtag timeline lists them."""
        tag = tag.lower().lstrip("#")
        hits = [p for p, tags in enumerate(self.post_tags) if tag in tags and p not in self.deleted]
        return sorted(hits, key=lambda p: (float(self.post_age_hours[p]), p))


def _pick(rng: np.random.Generator, weights: np.ndarray, pool: np.ndarray, count: int) -> np.ndarray:
    cdf = np.cumsum(weights[pool])
    picked: np.ndarray = pool[np.searchsorted(cdf, rng.random(count) * cdf[-1])]
    return picked


def build_world(accounts: int, seed: int = 1, now: datetime | None = None) -> World:
    """Generate a world of ``accounts`` accounts; the same inputs give the same world."""
    n = int(accounts)
    if n < 20:
        raise ValueError("a world needs at least 20 accounts")
    rng = np.random.default_rng(seed)
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    community = rng.integers(0, len(TOPICS), n)
    kind = np.full(n, NORMAL, dtype=np.int8)
    n_bots, n_buyers = max(2, n * 4 // 100), max(1, n // 200)
    order = rng.permutation(n)
    kind[order[:n_bots]] = FARM_BOT
    kind[order[n_bots : n_bots + n_buyers]] = BUYER
    opt_out = np.where(rng.random(n) < 0.04, rng.integers(1, 5, n), OPT_NONE).astype(np.int8)
    opt_out[kind == FARM_BOT] = OPT_NONE
    popularity = rng.pareto(1.2, n) + 1.0
    popularity[kind == FARM_BOT] = 1e-3
    has_avatar = (rng.random(n) < 0.85) & (kind != FARM_BOT)
    created_days_ago = np.where(kind == FARM_BOT, rng.integers(1, 30, n), rng.integers(60, 3000, n))

    follows = _follow_edges(rng, n, community, kind, popularity)
    following = Csr.from_pairs(follows[:, 0], follows[:, 1], n)
    post_author, post_age, post_tags, posts_of = _posts(rng, n, community, kind)
    world = World(
        seed,
        n,
        now,
        community,
        kind,
        opt_out,
        has_avatar,
        created_days_ago,
        following,
        post_author,
        post_age,
        post_tags,
        posts_of,
    )
    world.engaged = _engagement(rng, world)
    return world


def _follow_edges(
    rng: np.random.Generator, n: int, community: np.ndarray, kind: np.ndarray, popularity: np.ndarray
) -> np.ndarray:
    outdeg = np.minimum(np.maximum(1, rng.lognormal(2.8, 0.9, n).astype(np.int64)), n // 3)
    src = np.repeat(np.arange(n), outdeg)
    same = rng.random(src.size) < 0.8
    dst = np.empty(src.size, dtype=np.int64)
    everyone = np.flatnonzero(kind != FARM_BOT)
    dst[~same] = _pick(rng, popularity, everyone, int((~same).sum()))
    for c in range(len(TOPICS)):
        members = np.flatnonzero((community == c) & (kind != FARM_BOT))
        sel = same & (community[src] == c)
        dst[sel] = _pick(rng, popularity, members, int(sel.sum()))
    bots = np.flatnonzero(kind == FARM_BOT)
    buyers = np.flatnonzero(kind == BUYER)
    # Farms: every bot follows every buyer and a handful of popular accounts as cover.
    farm_src = np.concatenate([np.repeat(bots, buyers.size), np.repeat(bots, 5)])
    farm_dst = np.concatenate([np.tile(buyers, bots.size), _pick(rng, popularity, everyone, bots.size * 5)])
    is_bot_src = kind[src] == FARM_BOT
    edges = np.stack([np.concatenate([src[~is_bot_src], farm_src]), np.concatenate([dst[~is_bot_src], farm_dst])], 1)
    edges = edges[edges[:, 0] != edges[:, 1]]
    return np.unique(edges, axis=0)


def _posts(
    rng: np.random.Generator, n: int, community: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]], Csr]:
    counts = np.where(kind == FARM_BOT, 0, np.minimum(rng.poisson(rng.lognormal(1.2, 0.8, n)), 40))
    author = np.repeat(np.arange(n), counts)
    age = np.sort(rng.random(author.size)) * 24 * 150  # up to 150 days old
    age = age[np.lexsort((age, author))]
    tags: list[tuple[str, ...]] = []
    roll = rng.random((author.size, 2))
    other = rng.integers(0, len(TOPICS), author.size)
    for p, a in enumerate(author):
        primary, secondary = TOPICS[int(community[a])]
        chosen = [primary] if roll[p, 0] < 0.6 else []
        if roll[p, 1] < 0.3:
            chosen.append(secondary)
        if roll[p, 0] > 0.95:
            chosen.append(TOPICS[int(other[p])][0])
        tags.append(tuple(dict.fromkeys(chosen)))
    posts_of = Csr.from_pairs(author, np.arange(author.size), n)
    return author, age, tags, posts_of


def _engagement(rng: np.random.Generator, world: World) -> dict[str, Csr]:
    """Who liked, reposted and replied to each post: only followers, never farm bots."""
    followers = world.followers
    activity = rng.beta(1.2, 6.0, world.n)
    activity[world.kind == FARM_BOT] = 0.0
    pairs: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {k: ([], []) for k in (LIKE, REPOST, REPLY)}
    scale = {LIKE: 1.0, REPOST: 0.25, REPLY: 0.12}
    for p, author in enumerate(world.post_author):
        fans = followers.row(int(author))
        if fans.size == 0:
            continue
        affinity = np.where(world.community[fans] == world.community[author], 1.0, 0.3)
        u = rng.random(fans.size)
        for k, s in scale.items():
            who = fans[u < activity[fans] * affinity * s]
            pairs[k][0].append(np.full(who.size, p))
            pairs[k][1].append(who)
    n_posts = world.post_author.size
    return {
        k: Csr.from_pairs(
            np.concatenate(r or [np.empty(0, np.int64)]), np.concatenate(c or [np.empty(0, np.int64)]), n_posts
        )
        for k, (r, c) in pairs.items()
    }
