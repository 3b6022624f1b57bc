"""Evaluation worlds for ranking quality, with a ground truth from an agent-based exposure simulation.

Not the discovery simulator's model, and not the ranking's: people have their own activity
(sessions a day), a chronological home feed of limited depth (how much arrives decides how long a
post stays in view), interests, and lurkers who never post; creators have a quality (how engaging a
post is once seen), a posting rate and a share of topical posts; some creators' audiences went
dormant; brands have followers who are the target audience; follower farms sell followers to
buyers; spam bots post the topic and mass-follow for follow-backs; some accounts opt out or hide
their follower lists. Who saw a post is drawn per post and per person (Monte Carlo), who engaged
is drawn from who saw, and reposts show the post to the reposter's followers (a cascade).

The crawler sees only the outcome (follows, posts, likes, reposts, replies) through the simulator's
HTTP API. The truth for a creator is the mean, over runs, of distinct real target people who saw a
new topical post of theirs; a set's truth is the mean size of the union of its members' runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from discovery.simulator.world import (
    BUYER,
    FARM_BOT,
    NORMAL,
    OPT_NOBOT_BIO,
    OPT_NOINDEX,
    OPT_NONE,
    OPT_UNDISCOVERABLE,
    TOPICS,
    Csr,
    World,
)

COFFEE = 0
FEED_DEPTH = 3.0  # posts a person scrolls through per session
HORIZON_DAYS = 80  # history of posts, inside the ranking's default 90-day window
MAX_HOPS = 3


@dataclass(frozen=True)
class Params:
    """What varies between worlds; defaults are the tuning world's."""

    accounts: int = 2500
    engagement: float = 1.0  # scales how often people engage with what they see
    farm_share: float = 0.10  # share of accounts that are farm bots
    bought: float = 0.75  # mean share of the farm each buyer bought (± 0.25): blocks that put buyers among the largest
    concentration: float = 0.75  # share of follows that go to accounts of the follower's own interest
    dormant_share: float = 0.2  # share of people who rarely open the app
    creator_share: float = 0.12
    hidden_share: float = 0.04  # share of creators hiding who follows them
    brands: int = 3


class SimulatedTruth:
    """Set reach and the greedy oracle over a world's Monte Carlo runs (``runs(creator)``: target people who saw
    one new topical post, per run); shared by the evaluation worlds."""

    world: World
    target: np.ndarray
    truth_runs: dict[int, list[np.ndarray]]
    RUN_SALT = 99  # seeds each creator's runs, so each generator's runs differ from its stored history's

    def runs(self, creator: int, count: int = 24) -> list[np.ndarray]:
        """Target people who saw one new topical post, per run (cached: the same runs for every ranking)."""
        if creator not in self.truth_runs:
            rng = np.random.default_rng((self.world.seed, creator, self.RUN_SALT))
            out = []
            for _ in range(count):
                seen, _acts = self.cascade(creator, COFFEE, rng)
                out.append(seen[self.target[seen]])
            self.truth_runs[creator] = out
        return self.truth_runs[creator]

    def cascade(self, author: int, topic: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError

    def history(self, topic_of: np.ndarray, authors: np.ndarray, rng: np.random.Generator) -> dict[str, Csr]:
        """The stored past: each post whose author is in ``authors`` (a mask) gets the likes, reposts and replies
        of one cascade of the world's own exposure process."""
        w = self.world
        rows: dict[str, list[np.ndarray]] = {"like": [], "repost": [], "reply": []}
        cols: dict[str, list[np.ndarray]] = {"like": [], "repost": [], "reply": []}
        for p, author in enumerate(w.post_author):
            if not authors[author]:
                continue
            _seen, acts = self.cascade(int(author), int(topic_of[p]), rng)
            for k, who in acts.items():
                rows[k].append(np.full(who.size, p))
                cols[k].append(who)
        n_posts = w.post_author.size
        return {
            k: Csr.from_pairs(
                np.concatenate(rows[k] or [np.zeros(0, np.int64)]),
                np.concatenate(cols[k] or [np.zeros(0, np.int64)]),
                n_posts,
            )
            for k in rows
        }

    def expected_reach(self, creator: int) -> float:
        return float(np.mean([r.size for r in self.runs(creator)]))

    def set_reach(self, creators: list[int]) -> float:
        if not creators:
            return 0.0
        runs = [self.runs(c) for c in creators]
        return float(np.mean([np.unique(np.concatenate(parts)).size for parts in zip(*runs, strict=True)]))

    def greedy_oracle(self, pool: list[int], k: int) -> tuple[list[int], float]:
        """Greedy on the simulated union: within (1 - 1/e) of the best set of k on these runs."""
        runs = {c: self.runs(c) for c in pool}
        n_runs = len(next(iter(runs.values()))) if runs else 0
        covered = [np.zeros(self.world.n, dtype=bool) for _ in range(n_runs)]
        chosen: list[int] = []
        total = 0.0
        for _ in range(min(k, len(pool))):
            best, gain = -1, -1.0
            for c, rs in runs.items():
                if c in chosen:
                    continue
                g = sum(int((~cov[r]).sum()) for cov, r in zip(covered, rs, strict=True)) / max(n_runs, 1)
                if g > gain:
                    best, gain = c, g
            chosen.append(best)
            total += gain
            for cov, r in zip(covered, runs[best], strict=True):
                cov[r] = True
        return chosen, total

    def topic_posters(self) -> list[int]:
        w = self.world
        authors = {int(w.post_author[p]) for p, tags in enumerate(w.post_tags) if TOPICS[COFFEE][0] in tags}
        return sorted(authors)


@dataclass
class EvalWorld(SimulatedTruth):
    world: World
    params: Params
    brands: np.ndarray
    buyers: np.ndarray
    spam_bots: np.ndarray
    hidden: np.ndarray  # accounts whose follower lists the server does not show
    person: np.ndarray  # real people (not bots), who count as reached
    target: np.ndarray  # real people following a brand, not opted out
    activity: np.ndarray
    inflow: np.ndarray
    interest: np.ndarray  # account x topic
    quality: np.ndarray
    rng: np.random.Generator
    truth_runs: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def see_probability(self, who: np.ndarray) -> np.ndarray:
        """Chance a person sees a given post of someone they follow: a session while it is in their feed."""
        days_in_view = FEED_DEPTH / np.maximum(self.inflow[who], 0.05)
        return np.asarray(1 - np.exp(-self.activity[who] * days_in_view))

    def engage_probability(self, author: int, who: np.ndarray, topic: int) -> np.ndarray:
        return np.asarray(
            np.minimum(0.9, 0.15 * self.params.engagement * self.quality[author] * self.interest[who, topic])
        )

    def cascade(self, author: int, topic: int, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One post: everyone who saw it, and who liked, reposted or replied."""
        w = self.world
        seen = np.zeros(w.n, dtype=bool)
        acts: dict[str, list[np.ndarray]] = {"like": [], "repost": [], "reply": []}
        frontier = np.array([author])
        damp = 1.0
        for _hop in range(MAX_HOPS):
            shown = np.unique(np.concatenate([w.followers.row(int(s)) for s in frontier]))
            shown = shown[self.person[shown] & ~seen[shown]]
            saw = shown[rng.random(shown.size) < self.see_probability(shown)]
            seen[saw] = True
            p = self.engage_probability(author, saw, topic) * damp
            u = rng.random(saw.size)
            acts["like"].append(saw[u < p])
            reposted = saw[u < 0.18 * p]
            acts["repost"].append(reposted)
            acts["reply"].append(saw[(u >= 0.18 * p) & (u < 0.28 * p)])
            frontier, damp = reposted, damp * 0.7
            if frontier.size == 0:
                break
        seen[author] = False
        return np.flatnonzero(seen), {k: np.unique(np.concatenate(v)) for k, v in acts.items()}

    @property
    def bots(self) -> np.ndarray:
        """Every bot account: spam bots and farm bots."""
        return np.union1d(self.spam_bots, np.flatnonzero(self.world.kind == FARM_BOT))


def build(params: Params, seed: int, now: datetime | None = None) -> EvalWorld:
    rng = np.random.default_rng((seed, 7))
    n = params.accounts
    now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    kind = np.full(n, NORMAL, dtype=np.int8)
    order = rng.permutation(n)
    n_farm = int(n * params.farm_share)
    n_spam = max(2, n // 400)
    farm = order[:n_farm]
    spam = order[n_farm : n_farm + n_spam]
    kind[farm] = FARM_BOT
    kind[spam] = FARM_BOT  # renders as a bare profile: no display name, no bio
    person = kind != FARM_BOT
    people = np.flatnonzero(person)
    community = np.where(rng.random(n) < 0.22, COFFEE, rng.integers(1, len(TOPICS), n))
    interest = np.full((n, len(TOPICS)), 0.15)
    interest[np.arange(n), community] = 1.0
    interest *= rng.lognormal(0, 0.4, (n, 1))

    creators = people[rng.random(people.size) < params.creator_share]
    brands = rng.choice(creators, params.brands, replace=False)
    community[brands] = COFFEE
    buyers = rng.choice(np.setdiff1d(creators, brands), max(2, creators.size // 15), replace=False)
    kind[buyers] = BUYER
    old = np.zeros(n, dtype=bool)  # creators whose audience went dormant
    old[rng.choice(creators, creators.size // 5, replace=False)] = True
    old[brands] = False

    dormant = person & (rng.random(n) < params.dormant_share)
    activity = rng.lognormal(-1.5, 0.9, n) * np.where(dormant, 0.03, 1.0)
    lurker = person & (rng.random(n) < 0.15)
    posting = np.where(lurker | ~person, 0.0, rng.lognormal(-3.5, 1.0, n))
    is_creator = np.zeros(n, dtype=bool)
    is_creator[creators] = True
    posting[is_creator] = rng.lognormal(-1.7, 0.6, creators.size)
    posting[spam] = 0.5
    quality = np.where(is_creator, rng.lognormal(0, 0.5, n), rng.lognormal(-0.3, 0.5, n))
    quality[spam] = 0.05
    topical_share = np.where(community == COFFEE, rng.uniform(0.3, 0.9, n), 0.0)
    generalists = is_creator & (community != COFFEE) & (rng.random(n) < 0.35)
    topical_share[generalists] = rng.uniform(0.03, 0.2, int(generalists.sum()))
    topical_share[spam] = 1.0
    topical_share[brands] = 0.8

    popularity = np.where(is_creator, (rng.pareto(1.1, n) + 1) * 8, rng.pareto(1.5, n) + 1)
    popularity[brands] = np.maximum(popularity[brands], np.quantile(popularity[creators], 0.97))
    popularity[~person] = 0.0
    follows = _follows(rng, params, person, people, community, popularity, dormant, old, is_creator)
    bought = _farms(rng, farm, buyers, people, popularity, params.bought)
    follows = np.concatenate([follows, bought, _spam(rng, spam, people)])
    follows = follows[follows[:, 0] != follows[:, 1]]
    follows = np.unique(follows, axis=0)
    following = Csr.from_pairs(follows[:, 0], follows[:, 1], n)
    inflow = np.bincount(follows[:, 0], weights=posting[follows[:, 1]], minlength=n)

    opt_out = np.where(
        person & (rng.random(n) < 0.04),
        rng.choice([OPT_UNDISCOVERABLE, OPT_NOINDEX, OPT_NOBOT_BIO], n),
        OPT_NONE,
    ).astype(np.int8)
    opt_out[brands] = OPT_NONE
    hidden = np.flatnonzero(is_creator & (rng.random(n) < params.hidden_share) & (opt_out == OPT_NONE))
    hidden = np.setdiff1d(hidden, brands)
    has_avatar = person & (rng.random(n) < 0.88)
    created = np.where(person, rng.integers(90, 3000, n), rng.integers(1, 60, n))
    author, age, tags, topic_of = _posts(rng, n, posting, topical_share, community)
    posts_of = Csr.from_pairs(author, np.arange(author.size), n)
    world = World(seed, n, now, community, kind, opt_out, has_avatar, created, following, author, age, tags, posts_of)
    brand_followers = np.zeros(n, dtype=bool)
    for b in brands:
        brand_followers[world.followers.row(int(b))] = True
    target = brand_followers & person & (opt_out == OPT_NONE)
    target[brands] = False
    ew = EvalWorld(
        world,
        params,
        brands,
        buyers,
        spam,
        hidden,
        person,
        target,
        activity,
        inflow,
        interest,
        quality,
        rng,
    )
    world.engaged = _history(ew, topic_of)
    return ew


def _follows(
    rng: np.random.Generator,
    params: Params,
    person: np.ndarray,
    people: np.ndarray,
    community: np.ndarray,
    popularity: np.ndarray,
    dormant: np.ndarray,
    old: np.ndarray,
    is_creator: np.ndarray,
) -> np.ndarray:
    n = person.size
    outdeg = np.where(person, np.minimum(rng.lognormal(3.3, 0.8, n).astype(np.int64) + 1, n // 4), 0)
    src = np.repeat(np.arange(n), outdeg)
    own = rng.random(src.size) < params.concentration
    dst = np.empty(src.size, dtype=np.int64)
    # Dormant people followed in the past, when the old creators were the ones to follow.
    for sleepy in (False, True):
        weight = popularity * np.where(old, 6.0 if sleepy else 0.4, 1.0)
        mine = dormant[src] == sleepy
        sel = mine & ~own
        dst[sel] = _pick(rng, weight, people, int(sel.sum()))
        for c in range(len(TOPICS)):
            members = people[community[people] == c]
            sel = mine & own & (community[src] == c)
            dst[sel] = _pick(rng, weight, members, int(sel.sum()))
    return np.stack([src, dst], axis=1)


def _farms(
    rng: np.random.Generator,
    farm: np.ndarray,
    buyers: np.ndarray,
    people: np.ndarray,
    popularity: np.ndarray,
    share: float,
) -> np.ndarray:
    """Each buyer bought a share of the farm; every bot also follows a few popular accounts as cover."""
    pairs = []
    for b in buyers:
        bought = farm[rng.random(farm.size) < rng.uniform(max(0.05, share - 0.25), min(1.0, share + 0.25))]
        pairs.append(np.stack([bought, np.full(bought.size, b)], axis=1))
    cover = np.stack([np.repeat(farm, 4), _pick(rng, popularity, people, farm.size * 4)], axis=1)
    return np.concatenate([*pairs, cover]) if pairs else cover


def _spam(rng: np.random.Generator, spam: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Spam bots mass-follow (over 1,500 accounts when the world is big enough); a few people follow back."""
    pairs = []
    for s in spam:
        followed = rng.choice(people, min(people.size, 1600), replace=False)
        back = followed[rng.random(followed.size) < 0.04]
        pairs += [np.stack([np.full(followed.size, s), followed], 1), np.stack([back, np.full(back.size, s)], 1)]
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)


def _pick(rng: np.random.Generator, weights: np.ndarray, pool: np.ndarray, count: int) -> np.ndarray:
    cdf = np.cumsum(weights[pool])
    picked: np.ndarray = pool[np.searchsorted(cdf, rng.random(count) * cdf[-1])]
    return picked


def _posts(
    rng: np.random.Generator, n: int, posting: np.ndarray, topical_share: np.ndarray, community: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]], np.ndarray]:
    counts = np.minimum(rng.poisson(posting * HORIZON_DAYS), 60)
    author = np.repeat(np.arange(n), counts)
    age = rng.random(author.size) * 24 * HORIZON_DAYS
    order = np.lexsort((age, author))  # newest first within each author, as the server lists them
    author, age = author[order], age[order]
    topical = rng.random(author.size) < topical_share[author]
    topic_of = np.where(topical, COFFEE, community[author])
    topic_of = np.where(~topical & (topic_of == COFFEE), rng.integers(1, len(TOPICS), author.size), topic_of)
    tags: list[tuple[str, ...]] = []
    extra = rng.random(author.size)
    for t, e in zip(topic_of, extra, strict=True):
        first, second = TOPICS[int(t)]
        tags.append((first, second) if e < 0.3 else (first,))
    return author, age, tags, topic_of


def _history(ew: EvalWorld, topic_of: np.ndarray) -> dict[str, Csr]:
    """The stored past, drawn from the same exposure process (people's posts, not the spam bots')."""
    return ew.history(topic_of, ew.person & (ew.quality >= 0.1), np.random.default_rng((ew.world.seed, 13)))
