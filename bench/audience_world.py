"""Planted worlds for audience segments and lookalikes: audiences of known make-up, written straight
into PostgreSQL with COPY (tests and bench/segments.py use them).

Language world: each creator's followers are drawn from a planted language mix and place mix; a
follower writes posts in its language (hand-written sentences from tests/fixtures/language) and says
where it is in its profile location field or its bio. Suspects (mass-following accounts that post in
English from London, silent farm bots) follow the creators too and must never count.

Community world: topics, each with two audience groups of their own creators and followers; creators
post their topic's hashtags. Lookalikes by audience should stay in the group, by content in the topic,
and complementary ones should cross to the topic's other group (new reach).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from sql import Conn

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "language"
HOST = "planted.test"
TOPIC_TAG = "kopi"  # every creator of the language world posts it
PLACE_TEXT = {  # place id -> (location field, bio sentence)
    "ID:jakarta": ("Jakarta Selatan, Indonesia", "Tinggal di Jakarta, suka kopi dan jalan-jalan"),
    "ID:bandung": ("Bandung", "Anak Bandung asli, kerja di bidang desain"),
    "ID:surabaya": ("Surabaya, Jawa Timur", "Arek Surabaya, pecinta sepak bola"),
    "MY:kualalumpur": ("Kuala Lumpur", "Based in KL, coffee and football"),
    "MY:johorbahru": ("Johor Bahru, Johor", "Orang Johor Bahru, suka makan"),
    "GB:london": ("London, UK", "Born and raised in London. Coffee, books and rain."),
    "SG:singapore": ("Singapore City", "Living in Singapore City, runner"),
}
COUNTRY = {"ID:jakarta": "ID", "ID:bandung": "ID", "ID:surabaya": "ID", "MY:kualalumpur": "MY", "MY:johorbahru": "MY"}


def sentences() -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for name in ("id_ms.tsv", "id_ms_heldout.tsv"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                label, text = line.split("\t", 1)
                pools.setdefault(label, []).append(text)
    return pools


@dataclass
class Account:
    handle: str
    bio: str = ""
    location: str | None = None
    following: int = 50
    posts_count: int = 10
    has_avatar: bool = True
    posts: list[tuple[str, list[str]]] = field(default_factory=list)  # (text, hashtags)


@dataclass
class Planted:
    accounts: list[Account] = field(default_factory=list)
    follows: list[tuple[int, int]] = field(default_factory=list)  # (follower, followee) positions
    creators: list[int] = field(default_factory=list)
    # Per creator, the planted labels of its credible followers (None: nothing to read).
    languages: dict[int, list[str | None]] = field(default_factory=dict)
    places: dict[int, list[str | None]] = field(default_factory=dict)
    mixes: dict[int, tuple[dict[str, float], dict[str, float]]] = field(default_factory=dict)
    suspects: dict[int, int] = field(default_factory=dict)
    group: dict[int, tuple[int, int]] = field(default_factory=dict)  # creator -> (topic, audience group)

    def add(self, account: Account) -> int:
        self.accounts.append(account)
        return len(self.accounts) - 1


def language_world(
    seed: int,
    mixes: list[tuple[dict[str, float], dict[str, float]]],
    followers: int = 300,
    unknown_share: float = 0.05,
    suspects: int = 40,
    posts_per_follower: int = 2,
) -> Planted:
    """One creator per (language mix, place mix); its followers drawn from them. A place mix may hold
    None for followers that say nothing of where they are."""
    rng = np.random.default_rng(seed)
    pools = sentences()
    w = Planted()
    for k, (langs, places) in enumerate(mixes):
        c = w.add(Account(f"creator{k}", bio="Creator", following=100, posts_count=50))
        w.accounts[c].posts = [(f"Kopi pagi ini enak sekali #{TOPIC_TAG}", [TOPIC_TAG]) for _ in range(5)]
        w.creators.append(c)
        w.mixes[c] = (langs, places)
        w.languages[c], w.places[c] = [], []
        lang_keys, lang_p = list(langs), np.array(list(langs.values()))
        place_keys, place_p = list(places), np.array(list(places.values()))
        for j in range(followers):
            lang = lang_keys[rng.choice(len(lang_keys), p=lang_p / lang_p.sum())]
            place = place_keys[rng.choice(len(place_keys), p=place_p / place_p.sum())]
            silent = rng.random() < unknown_share
            account = Account(f"c{k}f{j}", posts_count=int(rng.integers(5, 200)))
            if place is not None:
                location, bio = PLACE_TEXT[place]
                if rng.random() < 0.6:
                    account.location = location
                else:
                    account.bio = bio
            if not silent:
                for _ in range(posts_per_follower):
                    account.posts.append((str(rng.choice(pools[lang])), []))
            w.follows.append((w.add(account), c))
            w.languages[c].append(None if silent else lang)
            w.places[c].append(place)
        for j in range(suspects):
            # Mass-following accounts that write English from London, and silent farm bots.
            if j % 2:
                bot = Account(f"c{k}mass{j}", bio="Londoner", location="London", following=5000, posts_count=30)
                bot.posts = [(str(rng.choice(pools["en"])), [])]
            else:
                bot = Account(f"c{k}bot{j}", following=3000, posts_count=0, has_avatar=False)
            w.follows.append((w.add(bot), c))
        w.suspects[c] = suspects
    return w


def community_world(
    seed: int, topics: int = 5, creators_per_group: int = 12, followers_per_group: int = 150, follow_p: float = 0.35
) -> Planted:
    """``topics`` topics x 2 audience groups; each group has its own creators and followers."""
    rng = np.random.default_rng(seed)
    w = Planted()
    groups: list[tuple[list[int], list[int]]] = []
    for t in range(topics):
        tags = [f"topic{t}tag{x}" for x in range(6)]
        for g in range(2):
            creators = []
            for c in range(creators_per_group):
                account = Account(f"t{t}g{g}creator{c}", bio=f"All about topic {t}", following=80, posts_count=40)
                for _ in range(8):
                    chosen = list(rng.choice(tags, size=2, replace=False))
                    account.posts.append((" ".join(f"#{x}" for x in chosen), chosen))
                i = w.add(account)
                creators.append(i)
                w.creators.append(i)
                w.group[i] = (t, g)
            members = []
            for f in range(followers_per_group):
                fan = Account(f"t{t}g{g}fan{f}", posts_count=20)
                fan.posts = [(f"#{x}", [x]) for x in rng.choice(tags, size=2, replace=False)]
                members.append(w.add(fan))
            groups.append((creators, members))
    everyone = [c for cs, _ in groups for c in cs]
    for creators, members in groups:
        for m in members:
            for c in creators:
                if rng.random() < follow_p:
                    w.follows.append((m, c))
            w.follows.append((m, int(rng.choice(everyone))))  # a little noise across the world
    return w


def _csv(rows: list[list[object]]) -> io.BytesIO:
    buf = io.StringIO()
    for row in rows:
        buf.write(",".join("" if v is None else '"' + str(v).replace('"', '""') + '"' for v in row) + "\n")
    return io.BytesIO(buf.getvalue().encode())


async def store(conn: Conn, world: Planted, platform: str = "mastodon", host: str = HOST) -> list[int]:
    """Write the world; return each planted account's id."""
    start = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM accounts")) + 1
    ids = list(range(start, start + len(world.accounts)))
    followers = np.bincount([f for _, f in world.follows], minlength=len(world.accounts))
    created = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    rows: list[list[object]] = [
        [
            ids[k],
            platform,
            host,
            f"x{ids[k]}",
            a.handle,
            a.bio,
            a.location,
            a.has_avatar,
            int(followers[k]),
            a.following,
            a.posts_count,
            created,
        ]
        for k, a in enumerate(world.accounts)
    ]
    columns = [
        "id",
        "platform",
        "host",
        "external_id",
        "handle",
        "bio",
        "location",
        "has_avatar",
        "followers_count",
        "following_count",
        "posts_count",
        "created_at",
    ]
    await conn.copy_to_table("accounts", source=_csv(rows), columns=columns, format="csv")
    await conn.execute("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
    # Planted as the shared public index, which every org sees (see README, Security).
    await conn.execute("UPDATE accounts SET shared = true WHERE id = ANY ($1::bigint[])", ids)
    follows = sorted({(ids[b], ids[a]) for a, b in world.follows if a != b})
    await conn.copy_records_to_table(
        "follows", records=[(a, b) for b, a in follows], columns=["follower_id", "followee_id"]
    )
    now = datetime.now(UTC)
    posts = [
        (ids[k], f"p{ids[k]}-{n}", text, tags, now - timedelta(hours=n + 1))
        for k, a in enumerate(world.accounts)
        for n, (text, tags) in enumerate(a.posts)
    ]
    await conn.copy_records_to_table(
        "posts", records=posts, columns=["account_id", "external_id", "text", "hashtags", "created_at"]
    )
    await conn.execute("ANALYZE accounts; ANALYZE follows; ANALYZE posts")
    return ids
