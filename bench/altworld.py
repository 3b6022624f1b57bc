"""A second evaluation world, built by a different process than bench/evalworld.py and than the ranking.

Follow graph by growth: people arrive over time, follow a few accounts that match their interests
(weighted by the account's appeal, never by its follower count) and then copy whom their followees
follow (triadic closure), so audiences are clustered and popularity comes from copying. Roles: a few
off-topic celebrities with broad appeal (very large, audiences mostly outside coffee, one or two
#coffee posts), coffee micro-creators (small, dense, relevant audiences), mid-size generalists who post
#coffee now and then, other-topic creators, three coffee brands, ordinary people (many near-dormant,
more of them among early arrivals: churn, so the oldest accounts' audiences are partly asleep).

Exposure is a ranked feed, not a chronological one: each person has a session rate and a feed depth;
a session shows the top-N of the candidate posts that arrived from followees since the last session
(at most LIFETIME days old), ranked by author appeal + the viewer's interest in the post's topic +
noise (Gumbel, so one post outranks another with a logistic chance), and an unseen post gets at
most MAX_SESSIONS chances, each older (AGE_PENALTY). Engagement given a view is logistic in the
viewer's propensity, the author's appeal and the viewer's topic interest; reposts show the post to
the reposter's followers (a cascade). The stored likes, reposts and replies come from the same process.

Farms unlike evalworld's: several farms; buyers buy fakes in proportion to their own real audience
(~15% to ~300%); "dressed" farms have avatars, bios, old accounts and a few posts of their own
(rendered as ordinary accounts, kind NORMAL) and follow each other, "bare" farms render as FARM_BOT;
cover follows none, uniform or by popularity. Spam bots (half dressed) post #coffee and mass-follow,
a few people follow back. Every bot is listed in ``bots``. Opt-outs of every Mastodon style (and the
Bluesky label, which does not opt out on Mastodon), hidden follower lists on some creators.

The truth for a creator is the mean over Monte Carlo runs of distinct real, not-opted-out target
people (followers of a brand) who saw one new #coffee post of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from bench.evalworld import COFFEE, SimulatedTruth
from discovery.simulator.world import (
    BUYER,
    FARM_BOT,
    NORMAL,
    OPT_LABEL,
    OPT_NOBOT_BIO,
    OPT_NOINDEX,
    OPT_NONE,
    OPT_UNDISCOVERABLE,
    TOPICS,
    Csr,
    World,
)

HORIZON_DAYS = 80
MAX_POSTS = 30  # newest posts an account has on the server
LIFETIME = 2.0  # days a post stays a feed candidate
MAX_SESSIONS = 3
AGE_PENALTY = 0.8  # score lost per session a post waited
BETA = 1.5  # weight of the viewer's topic interest in the feed score
REPOST_PENALTY = 0.5  # a repost ranks a little lower than the original would
MAX_HOPS = 3
GRID = np.linspace(-9.0, 11.0, 81)
STEP = float(GRID[1] - GRID[0])
E0, APPEAL_W, INTEREST_W = -4.0, 0.4, 2.0  # engagement logit given a view
REPOST_SHARE, REPLY_SHARE = 0.2, 0.1

# Roles (for reports): what each account is in this world.
ROLES = (
    "person",
    "micro-creator",
    "generalist",
    "creator",
    "celebrity",
    "brand",
    "dressed farm bot",
    "bare farm bot",
    "dressed spam bot",
    "bare spam bot",
)
PERSON, MICRO, GENERALIST, CREATOR, CELEBRITY, BRAND, DRESSED, BARE, SPAM_DRESSED, SPAM_BARE = range(len(ROLES))
COVER_MODES = ("none", "uniform", "popularity")


@dataclass(frozen=True)
class AltParams:
    accounts: int = 3000
    engagement: float = 1.0  # scales the odds of engaging with a post seen
    farm_share: float = 0.10  # share of accounts that are farm bots
    dressed_share: float = 0.5  # share of farms whose bots have avatars, bios and posts
    cover: str = "popularity"  # farm bots' cover follows: none, uniform, popularity
    celebrities: int = 4
    hidden_share: float = 0.05  # share of creators hiding who follows them
    dormant_share: float = 0.3  # share of people who rarely open the app
    churn: float = 0.8  # how much more often early arrivals went dormant (0: at random, 1: the earliest twice as often)
    farms: int = 4
    brands: int = 3


@dataclass
class AltWorld(SimulatedTruth):
    RUN_SALT = 199
    world: World
    params: AltParams
    brands: np.ndarray
    buyers: np.ndarray
    bots: np.ndarray  # every bot: farm members (dressed and bare) and spam bots
    spam_bots: np.ndarray
    hidden: np.ndarray
    person: np.ndarray  # real people, who count as reached
    target: np.ndarray  # real people following a brand, not opted out
    role: np.ndarray
    fakes: np.ndarray  # bought followers per account
    appeal: np.ndarray  # log appeal of an author's posts
    sessions: np.ndarray  # per day
    depth: np.ndarray  # posts shown per session
    candidates: np.ndarray  # candidate posts per session, expected
    propensity: np.ndarray
    interest: np.ndarray  # account x topic
    beat: np.ndarray  # account x GRID: share of its feed's candidates that outrank a post of that score
    truth_runs: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def describe(self, i: int) -> str:
        return ROLES[int(self.role[i])]

    def _beat(self, who: np.ndarray, x: np.ndarray) -> np.ndarray:
        pos = np.clip((x - GRID[0]) / STEP, 0, GRID.size - 1.000001)
        lo = pos.astype(np.int64)
        frac = pos - lo
        return np.asarray(self.beat[who, lo] * (1 - frac) + self.beat[who, lo + 1] * frac)

    def see(self, who: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Which of ``who`` see a post scoring ``x`` (per viewer) in one of their next sessions."""
        chances = np.minimum(rng.poisson(self.sessions[who] * LIFETIME), MAX_SESSIONS)
        seen = np.zeros(who.size, dtype=bool)
        for k in range(MAX_SESSIONS):
            active = (chances > k) & ~seen
            if not active.any():
                break
            m = rng.poisson(self.candidates[who])
            outranked_by = rng.binomial(m, np.clip(self._beat(who, x - k * AGE_PENALTY), 0.0, 1.0))
            seen |= active & (outranked_by < self.depth[who])
        return seen

    def engage_probability(self, author: int, who: np.ndarray, topic: int) -> np.ndarray:
        logit = (
            E0
            + np.log(self.params.engagement)
            + self.propensity[who]
            + APPEAL_W * self.appeal[author]
            + INTEREST_W * self.interest[who, topic]
        )
        return np.asarray(1 / (1 + np.exp(-logit)))

    def cascade(self, author: int, topic: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        w = self.world
        seen = np.zeros(w.n, dtype=bool)
        acts: dict[str, list[np.ndarray]] = {"like": [], "repost": [], "reply": []}
        frontier = np.array([author])
        penalty, damp = 0.0, 1.0
        for _hop in range(MAX_HOPS):
            rows = [w.followers.row(int(s)) for s in frontier]
            shown = np.unique(np.concatenate(rows)) if len(rows) > 1 else rows[0]
            shown = shown[self.person[shown] & ~seen[shown]]
            if shown.size == 0:
                break
            x = self.appeal[author] + BETA * self.interest[shown, topic] - penalty
            saw = shown[self.see(shown, x, rng)]
            seen[saw] = True
            p = self.engage_probability(author, saw, topic) * damp
            u = rng.random(saw.size)
            acts["like"].append(saw[u < p])
            reposted = saw[u < REPOST_SHARE * p]
            acts["repost"].append(reposted)
            acts["reply"].append(saw[(u >= REPOST_SHARE * p) & (u < (REPOST_SHARE + REPLY_SHARE) * p)])
            frontier, penalty, damp = reposted, REPOST_PENALTY, damp * 0.7
            if frontier.size == 0:
                break
        seen[author] = False
        empty = np.zeros(0, np.int64)
        return np.flatnonzero(seen), {k: np.unique(np.concatenate(v)) if v else empty for k, v in acts.items()}


def build_alt(params: AltParams, seed: int, now: datetime | None = None) -> AltWorld:
    if params.cover not in COVER_MODES:
        raise ValueError(f"cover must be one of {COVER_MODES}")
    rng = np.random.default_rng((seed, 2024))
    n = params.accounts
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    role, farm_of = _roles(rng, params, n)
    is_bot = np.isin(role, (DRESSED, BARE, SPAM_DRESSED, SPAM_BARE))
    person = ~is_bot
    n_topics = len(TOPICS)

    community = np.where(rng.random(n) < 0.2, COFFEE, rng.integers(1, n_topics, n))
    community[np.isin(role, (MICRO, BRAND))] = COFFEE
    off = np.isin(role, (GENERALIST, CREATOR, CELEBRITY))
    community[off] = rng.integers(1, n_topics, int(off.sum()))
    interest = np.full((n, n_topics), 0.1)
    interest[np.arange(n), community] = 1.0
    second = np.flatnonzero(rng.random(n) < 0.25)  # a second interest
    interest[second, rng.integers(0, n_topics, second.size)] = 0.6
    interest[np.arange(n), community] = 1.0
    interest = np.minimum(interest * rng.lognormal(0, 0.3, (n, 1)), 1.5)

    appeal = rng.normal(-0.5, 0.7, n)
    for r, (mu, sd) in {
        MICRO: (0.8, 0.5),
        GENERALIST: (1.3, 0.5),
        CREATOR: (1.0, 0.5),
        CELEBRITY: (1.7, 0.3),
        BRAND: (1.5, 0.3),
        DRESSED: (-1.5, 0.3),
        SPAM_DRESSED: (-2.5, 0.3),
        SPAM_BARE: (-2.5, 0.3),
    }.items():
        sel = role == r
        appeal[sel] = rng.normal(mu, sd, int(sel.sum()))
    breadth = np.select([role == CELEBRITY, role == GENERALIST], [0.8, 0.45], 0.0)

    # Arrival order: brands and celebrities first, creators early; who arrived early is likelier to have gone
    # dormant since (churn), so the audiences the oldest accounts gathered are partly asleep.
    arrival = rng.random(n)
    arrival[np.isin(role, (MICRO, GENERALIST, CREATOR, CELEBRITY, BRAND))] *= 0.6
    arrival[np.isin(role, (CELEBRITY, BRAND))] *= 0.1
    quantile = np.argsort(np.argsort(arrival)) / max(n - 1, 1)
    dormant = person & (rng.random(n) < params.dormant_share * (1 + params.churn * (1 - 2 * quantile)))
    sessions = rng.lognormal(0.0, 0.9, n) * np.where(dormant, 0.02, 1.0)
    depth = rng.integers(5, 21, n)
    propensity = rng.normal(0, 0.8, n)

    follows = _grow(rng, role, community, interest, appeal, breadth, person, arrival)
    spam = np.flatnonzero(np.isin(role, (SPAM_DRESSED, SPAM_BARE)))
    follows = np.concatenate([follows, _spam(rng, spam, np.flatnonzero(person))])
    real_followers = np.bincount(follows[:, 1], minlength=n)
    creators = np.flatnonzero(np.isin(role, (MICRO, GENERALIST, CREATOR)))
    buyers = rng.choice(creators, max(2, creators.size // 12), replace=False)
    farm_pairs, fakes = _farms(rng, params, role, farm_of, buyers, real_followers, person)
    follows = np.concatenate([follows, farm_pairs])
    follows = follows[follows[:, 0] != follows[:, 1]]
    follows = np.unique(follows, axis=0)
    following = Csr.from_pairs(follows[:, 0], follows[:, 1], n)

    kind = np.full(n, NORMAL, dtype=np.int8)
    kind[np.isin(role, (BARE, SPAM_BARE))] = FARM_BOT
    kind[buyers] = BUYER
    opt_out = np.where(
        person & (rng.random(n) < np.where(np.isin(role, (MICRO, GENERALIST, CREATOR, CELEBRITY)), 0.07, 0.04)),
        rng.choice([OPT_UNDISCOVERABLE, OPT_NOINDEX, OPT_NOBOT_BIO, OPT_LABEL], n, p=[0.3, 0.3, 0.3, 0.1]),
        OPT_NONE,
    ).astype(np.int8)
    brands = np.flatnonzero(role == BRAND)
    opt_out[brands] = OPT_NONE
    has_avatar = np.where(is_bot, np.isin(role, (DRESSED, SPAM_DRESSED)), rng.random(n) < 0.88)
    created = np.where(person, rng.integers(90, 3000, n), rng.integers(120, 1500, n))
    created[np.isin(role, (BARE, SPAM_BARE))] = rng.integers(1, 60, int(np.isin(role, (BARE, SPAM_BARE)).sum()))

    posting = _posting(rng, role)
    author, age, topic_of = _posts(rng, role, posting, community)
    tags = [
        (TOPICS[int(t)][0], TOPICS[int(t)][1]) if e < 0.3 else (TOPICS[int(t)][0],)
        for t, e in zip(topic_of, rng.random(author.size), strict=True)
    ]
    posts_of = Csr.from_pairs(author, np.arange(author.size), n)
    world = World(seed, n, now, community, kind, opt_out, has_avatar, created, following, author, age, tags, posts_of)

    hidden_pool = np.isin(role, (MICRO, GENERALIST, CREATOR, CELEBRITY)) & (opt_out == OPT_NONE)
    hidden = np.flatnonzero(hidden_pool & (rng.random(n) < params.hidden_share))
    brand_followers = np.zeros(n, dtype=bool)
    for b in brands:
        brand_followers[world.followers.row(int(b))] = True
    target = brand_followers & person & ~np.array([world.is_opted_out(i, "mastodon") for i in range(n)])
    target[brands] = False

    # The feed: competitors' scores per viewer, from whom it follows and how often they post.
    src, dst = follows[:, 0], follows[:, 1]
    inflow = np.bincount(src, weights=posting[dst], minlength=n)
    candidates = inflow * np.minimum(1 / np.maximum(sessions, 1e-6), LIFETIME)
    score = appeal[dst] + BETA * interest[src, community[dst]]
    weight = posting[dst]
    beat = np.zeros((n, GRID.size))
    for g, level in enumerate(GRID):
        beat[:, g] = np.bincount(src, weights=weight / (1 + np.exp(level - score)), minlength=n)
    beat /= np.maximum(inflow, 1e-12)[:, None]

    aw = AltWorld(
        world=world,
        params=params,
        brands=brands,
        buyers=np.sort(buyers),
        bots=np.flatnonzero(is_bot),
        spam_bots=spam,
        hidden=hidden,
        person=person,
        target=target,
        role=role,
        fakes=fakes,
        appeal=appeal,
        sessions=sessions,
        depth=depth,
        candidates=candidates,
        propensity=propensity,
        interest=interest,
        beat=beat,
    )
    world.engaged = _history(aw, topic_of)
    return aw


def _roles(rng: np.random.Generator, p: AltParams, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each account's role, and its farm (-1 outside farms)."""
    role = np.full(n, PERSON, dtype=np.int8)
    farm_of = np.full(n, -1, dtype=np.int64)
    order = rng.permutation(n)
    counts = [
        (BRAND, p.brands),
        (CELEBRITY, p.celebrities),
        (MICRO, n * 4 // 100),
        (GENERALIST, n * 3 // 100),
        (CREATOR, n * 4 // 100),
        (SPAM_DRESSED, max(1, n // 600)),
        (SPAM_BARE, max(1, n // 600)),
    ]
    at = 0
    for r, c in counts:
        role[order[at : at + c]] = r
        at += c
    farm = order[at : at + int(n * p.farm_share)]
    # Farms of varied sizes; the first round(dressed_share x farms) are dressed.
    sizes = rng.dirichlet(np.full(p.farms, 2.0)) * farm.size
    bounds = np.concatenate([[0], np.cumsum(sizes)]).round().astype(int)
    dressed = round(p.dressed_share * p.farms)
    for f in range(p.farms):
        role[farm[bounds[f] : bounds[f + 1]]] = DRESSED if f < dressed else BARE
        farm_of[farm[bounds[f] : bounds[f + 1]]] = f
    return role, farm_of


def _grow(
    rng: np.random.Generator,
    role: np.ndarray,
    community: np.ndarray,
    interest: np.ndarray,
    appeal: np.ndarray,
    breadth: np.ndarray,
    person: np.ndarray,
    arrival: np.ndarray,
) -> np.ndarray:
    """People arrive one by one: a few follows by interest x appeal, the rest copied from their followees
    (kept when they match the newcomer's interests)."""
    n = role.size
    posts_a_lot = np.isin(role, (MICRO, GENERALIST, CREATOR, CELEBRITY, BRAND))
    order = [int(i) for i in np.argsort(arrival) if person[i]]
    following: list[list[int]] = [[] for _ in range(n)]
    followed: list[set[int]] = [set() for _ in range(n)]
    arrived_creators = np.zeros(0, np.int64)
    arrived_people = np.zeros(0, np.int64)
    degree = np.minimum(rng.lognormal(3.1, 0.8, n).astype(np.int64) + 2, n // 5)
    discover = np.exp(appeal)
    for step, i in enumerate(order):
        if step > 0:
            d = int(degree[i])
            by_interest = 1 + rng.binomial(d, 0.35)
            chosen: list[int] = []
            for pool, share in ((arrived_creators, 0.8), (arrived_people, 0.2)):
                k = min(pool.size, int(rng.binomial(by_interest, share)) + (pool is arrived_creators))
                if k == 0:
                    continue
                fit = np.maximum(interest[i, community[pool]], breadth[pool]) ** 2
                keys = np.log(discover[pool] * fit) + rng.gumbel(size=pool.size)
                chosen += pool[np.argpartition(-keys, k - 1)[:k]].tolist()
            for j in chosen:
                _follow(i, j, following, followed)
                if role[j] == PERSON and rng.random() < 0.3:
                    _follow(j, i, following, followed)
            tries = 0
            while len(following[i]) < d and tries < 3 * d and following[i]:
                tries += 1
                via = following[i][int(rng.integers(len(following[i])))]
                if following[via]:
                    j = following[via][int(rng.integers(len(following[via])))]
                    # People copy the follows that match their interests (a friend's friends: a looser match).
                    floor = 0.3 if role[j] == PERSON else breadth[j]
                    fit = max(interest[i, community[j]], floor) ** 2
                    if rng.random() < fit:
                        _follow(i, j, following, followed)
        if posts_a_lot[i]:
            arrived_creators = np.append(arrived_creators, i)
        else:
            arrived_people = np.append(arrived_people, i)
    src = np.repeat(np.arange(n), [len(f) for f in following])
    dst = np.concatenate([np.asarray(f, dtype=np.int64) for f in following if f] or [np.zeros(0, np.int64)])
    return np.stack([src, dst], axis=1)


def _follow(i: int, j: int, following: list[list[int]], followed: list[set[int]]) -> None:
    if i != j and j not in followed[i]:
        following[i].append(j)
        followed[i].add(j)


def _spam(rng: np.random.Generator, spam: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Spam bots mass-follow (1,600-2,400 accounts, or 60% of people in a small world); 4% follow back."""
    pairs = [np.zeros((0, 2), np.int64)]
    for s in spam:
        count = min(int(rng.integers(1600, 2400)), int(0.6 * people.size))
        followed = rng.choice(people, count, replace=False)
        back = followed[rng.random(count) < 0.04]
        pairs += [np.stack([np.full(count, s), followed], 1), np.stack([back, np.full(back.size, s)], 1)]
    return np.concatenate(pairs)


def _farms(
    rng: np.random.Generator,
    p: AltParams,
    role: np.ndarray,
    farm_of: np.ndarray,
    buyers: np.ndarray,
    real_followers: np.ndarray,
    person: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each buyer bought fakes in proportion to its real audience (15% to 300%, log-uniform) from one farm
    (more when that farm is too small); dressed farms follow each other; every bot may follow cover accounts."""
    n = role.size
    bots = np.flatnonzero(farm_of >= 0)
    fakes = np.zeros(n, dtype=np.int64)
    if bots.size == 0:
        return np.zeros((0, 2), np.int64), fakes
    farms = [f for f in (np.flatnonzero(farm_of == k) for k in range(p.farms)) if f.size]
    pairs = [np.zeros((0, 2), np.int64)]
    for b in buyers:
        want = max(10, round(np.exp(rng.uniform(np.log(0.15), np.log(3.0))) * real_followers[b]))
        for f in rng.permutation(len(farms)):
            if want <= 0:
                break
            take = rng.choice(farms[f], min(want, farms[f].size), replace=False)
            pairs.append(np.stack([take, np.full(take.size, b)], 1))
            want -= take.size
            fakes[b] += take.size
    for f in farms:
        if role[f[0]] == DRESSED and f.size > 1:
            src = np.repeat(f, 4)
            pairs.append(np.stack([src, rng.choice(f, src.size)], 1))
    people = np.flatnonzero(person)
    if p.cover != "none":
        count = rng.integers(3, 13, bots.size)
        src = np.repeat(bots, count)
        weights = real_followers[people] + 1.0 if p.cover == "popularity" else np.ones(people.size)
        cdf = np.cumsum(weights)
        dst = people[np.searchsorted(cdf, rng.random(src.size) * cdf[-1])]
        pairs.append(np.stack([src, dst], 1))
    return np.concatenate(pairs), fakes


def _posting(rng: np.random.Generator, role: np.ndarray) -> np.ndarray:
    """Posts per day."""
    n = role.size
    rate = rng.lognormal(np.log(0.08), 1.0, n) * (rng.random(n) > 0.3)  # 30% of people never post
    for r, (mu, sd) in {
        MICRO: (1.0, 0.5),
        GENERALIST: (1.5, 0.5),
        CREATOR: (1.2, 0.5),
        CELEBRITY: (2.0, 0.3),
        BRAND: (0.8, 0.3),
        SPAM_DRESSED: (1.5, 0.2),
        SPAM_BARE: (1.5, 0.2),
    }.items():
        sel = role == r
        rate[sel] = rng.lognormal(np.log(mu), sd, int(sel.sum()))
    rate[role == DRESSED] = 0.03
    rate[role == BARE] = 0.0
    return rate


def _posts(
    rng: np.random.Generator, role: np.ndarray, posting: np.ndarray, community: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each account's newest posts (at most MAX_POSTS in the horizon), newest first, and each post's topic."""
    n = role.size
    counts = rng.poisson(posting * HORIZON_DAYS)
    counts[role == DRESSED] = rng.integers(1, 5, int((role == DRESSED).sum()))
    author = np.repeat(np.arange(n), counts)
    age = rng.random(author.size) * 24 * HORIZON_DAYS
    order = np.lexsort((age, author))
    author, age = author[order], age[order]
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    keep = (np.arange(author.size) - np.repeat(first, counts)) < MAX_POSTS
    author, age = author[keep], age[keep]
    share = np.select(
        [role == MICRO, role == GENERALIST, role == BRAND, np.isin(role, (SPAM_DRESSED, SPAM_BARE))],
        [rng.uniform(0.5, 0.9, n), rng.uniform(0.05, 0.2, n), np.full(n, 0.8), np.ones(n)],
        np.where(community == COFFEE, 0.25, 0.0),
    )
    share[role == CREATOR] = 0.0
    topical = rng.random(author.size) < share[author]
    for c in np.flatnonzero(role == CELEBRITY):  # one or two #coffee posts, whatever their community
        mine = np.flatnonzero(author == c)
        topical[mine] = False
        if mine.size:
            topical[rng.choice(mine, min(mine.size, int(rng.integers(1, 3))), replace=False)] = True
    topic = np.where(topical, COFFEE, community[author])
    stray = ~topical & (topic == COFFEE)
    topic[stray] = rng.integers(1, len(TOPICS), int(stray.sum()))
    return author, age, topic


def _history(aw: AltWorld, topic_of: np.ndarray) -> dict[str, Csr]:
    """Each stored post's likes, reposts and replies, drawn from the same feed and engagement process."""
    w = aw.world
    return aw.history(topic_of, np.diff(w.followers.indptr) > 0, np.random.default_rng((w.seed, 2025)))
