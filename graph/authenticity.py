"""Audience credibility: which accounts look fake, which form follower farms, Wilson intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from graph.build import Snapshot

MASS_FOLLOWING = 1500
NEW_ACCOUNT_DAYS = 30
NEW_HIGH_FOLLOWING = 500
# An inactive account: never engaged with a stored post, at most this many posts and followers of its own.
# Dressed farm bots (avatar, bio, a few posts, following each other a little) look like this, and so do some
# real abandoned accounts: it is judged only relative to peers (``bought_blocks``), never as a share.
INACTIVE_POSTS = 5
INACTIVE_FOLLOWERS = 5
FARM_TARGET_MIN_FOLLOWERS = 5
FARM_TARGET_BOT_SHARE = 0.5
FARM_MEMBER_TARGET_SHARE = 0.25
REASONS = ("mass_following", "no_posts", "default_profile", "new_high_following", "farm_member")


@dataclass
class Suspicion:
    """Per account (dense index): a boolean array per reason, and any of them."""

    reasons: dict[str, np.ndarray]
    suspect: np.ndarray
    farm_member: np.ndarray
    fake: np.ndarray  # what a bought follower looks like: a farm member, or a silent account with a bare profile
    inactive: np.ndarray  # what a dressed bought follower looks like (and an abandoned account): see INACTIVE_POSTS
    audience: np.ndarray  # counted as a person in reach: suspect for no reason but having no posts (lurkers are people)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def farm_members(snap: Snapshot, silent: np.ndarray) -> np.ndarray:
    """Silent accounts (no posts, never engage) that cluster on the same targets.

    A farm target is an account at least half of whose followers are silent; a farm
    member is a silent account for which such targets are a quarter or more of what it follows.
    """
    n = snap.n
    follower_count = np.bincount(snap.follow_dst, minlength=n)
    silent_followers = np.bincount(snap.follow_dst, weights=silent[snap.follow_src].astype(float), minlength=n)
    share = np.divide(silent_followers, follower_count, out=np.zeros(n), where=follower_count > 0)
    target = (silent_followers >= FARM_TARGET_MIN_FOLLOWERS) & (share >= FARM_TARGET_BOT_SHARE)
    following = np.bincount(snap.follow_src, minlength=n)
    on_target = np.bincount(snap.follow_src, weights=target[snap.follow_dst].astype(float), minlength=n)
    target_share = np.divide(on_target, following, out=np.zeros(n), where=following > 0)
    member: np.ndarray = silent & (on_target >= 1) & (target_share >= FARM_MEMBER_TARGET_SHARE)
    return member


def suspicion(snap: Snapshot) -> Suspicion:
    if "suspicion" in snap.cache:
        cached: Suspicion = snap.cache["suspicion"]
        return cached
    a = snap.accounts
    following = a["following_count"].fill_null(0).to_numpy()
    posts = a["posts_count"].fill_null(-1).to_numpy()
    no_avatar = ~a["has_avatar"].fill_null(True).to_numpy()
    empty_bio = a["empty_bio"].fill_null(False).to_numpy()
    cutoff = (snap.built_at - timedelta(days=NEW_ACCOUNT_DAYS)).timestamp()
    new = a["created_epoch"].fill_null(0).to_numpy() > cutoff
    engaged = np.zeros(snap.n, dtype=bool)
    engaged[snap.actors] = True
    no_posts = posts == 0
    reasons = {
        "mass_following": following > MASS_FOLLOWING,
        "no_posts": no_posts,
        "default_profile": no_avatar & empty_bio,
        "new_high_following": new & (following > NEW_HIGH_FOLLOWING),
    }
    silent = no_posts & ~engaged & (following > 0)
    reasons["farm_member"] = farm_members(snap, silent)
    suspect = np.logical_or.reduce(list(reasons.values()))
    fake = reasons["farm_member"] | (silent & (reasons["default_profile"] | reasons["new_high_following"]))
    followers = a["followers_count"].fill_null(0).to_numpy()
    inactive = ~engaged & (posts >= 0) & (posts <= INACTIVE_POSTS) & (followers <= INACTIVE_FOLLOWERS)
    audience = ~np.logical_or.reduce([m for r, m in reasons.items() if r != "no_posts"])
    result = Suspicion(reasons, suspect, reasons["farm_member"], fake, inactive, audience)
    snap.cache["suspicion"] = result
    return result


BOUGHT_MIN = 8  # fake followers: fewer is noise
# A block: this many times the fake followers farms' cover gives accounts of its size, at this share of its
# followers or more. The most popular account's cover alone reached 4-8x its peers' at 9-17% of its followers on
# the evaluation worlds: it is judged by max_bought_share only (bought_blocks); the next largest have peers their
# size, and buyers among them had 2.9x at 9.6%.
BOUGHT_TIERS = ((2.5, 0.08), (4.5, 0.06))
BOUGHT_Z = 4.0  # and this many standard deviations above it (Poisson)
COVER_MIN_REAL = 30  # accounts this large say what the cover rate is
COVER_PEERS = 5  # at least this many accounts of its size or larger to compare with
COVER_PEERS_MAX = 2000


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    middle = np.searchsorted(np.cumsum(weights[order]), weights.sum() / 2)
    return float(values[order][min(middle, order.size - 1)])


def bought_blocks(snap: Snapshot, fake: np.ndarray, min_stored: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Which accounts got a block of fake followers, and each account's share of fake followers.

    Farms follow popular accounts as cover, so a large account has fake followers too, and the
    most popular get more than their size says. An account is judged against its peers: the
    accounts with at least half its real followers (at least ``COVER_PEERS`` of them, else the
    largest), whose cover rate (fake per real follower, the median over their real follows) says
    what cover alone would give it. It bought followers when its fake followers are at least
    ``BOUGHT_MIN``, ``BOUGHT_Z`` Poisson deviations above that, and a block by ``BOUGHT_TIERS``
    (2.5x at 8% of its followers, or 4.5x at 6%): judged against the account's size, not only a
    large share of it (``max_bought_share`` handles that). The largest account has no peer its size and
    is judged by ``max_bought_share`` alone.
    """
    stored = np.diff(snap.followers.indptr).astype(float)
    fakes = np.asarray(snap.followers @ fake.astype(np.float32), dtype=float)
    real = stored - fakes
    share = np.divide(fakes, stored, out=np.zeros(snap.n), where=stored > 0)
    block = np.zeros(snap.n, dtype=bool)
    suspects = np.flatnonzero(
        (fakes >= BOUGHT_MIN) & (share >= min(t[1] for t in BOUGHT_TIERS)) & (stored >= min_stored)
    )
    sized = np.flatnonzero(real >= COVER_MIN_REAL)
    if suspects.size == 0 or sized.size <= COVER_PEERS:
        return block, share
    by_size = sized[np.argsort(-real[sized], kind="stable")]
    sizes = real[by_size]
    ratio = fakes[by_size] / sizes
    for j in suspects:
        if j == by_size[0]:
            # The largest account has no peer its size, and farms' cover grows faster than size at the top:
            # only ``max_bought_share`` judges it (a fresh world lost its best creator to a 4x-cover "block").
            continue
        peers = max(int(np.searchsorted(-sizes, -real[j] / 2, side="right")), COVER_PEERS + 1)
        near = slice(max(0, peers - COVER_PEERS_MAX), peers)  # the closest in size, at most COVER_PEERS_MAX
        others = by_size[near] != j
        rate = _weighted_median(ratio[near][others], sizes[near][others])
        expected = rate * real[j]
        excess = any(fakes[j] >= times * expected and share[j] >= floor for times, floor in BOUGHT_TIERS)
        block[j] = excess and fakes[j] >= expected + BOUGHT_Z * np.sqrt(max(expected, 1))
    return block, share


INACTIVE_EXCESS = 0.06  # an outlier's share of inactive followers is this far above its peers' median or more
INACTIVE_Z = 4.0  # and this many deviations: peers' spread (scaled MAD) and its own binomial noise together


def inactive_outliers(snap: Snapshot, inactive: np.ndarray) -> np.ndarray:
    """Accounts whose share of inactive followers stands out among accounts of their size.

    Real audiences hold abandoned accounts at some base rate that varies between worlds and
    communities, so the share is judged against the account's peers (at least half its stored
    followers, at least ``COVER_PEERS`` of them): at least ``BOUGHT_MIN`` inactive followers, at least
    ``INACTIVE_EXCESS`` above the peers' median share, and ``INACTIVE_Z`` deviations above it, the
    deviation combining how far peers' shares differ beyond their binomial noise (1.4826 x MAD, squared,
    minus the mean binomial variance) with the binomial noise of its own count.
    """
    stored = np.diff(snap.followers.indptr).astype(float)
    hits = np.asarray(snap.followers @ inactive.astype(np.float32), dtype=float)
    share = np.divide(hits, stored, out=np.zeros(snap.n), where=stored > 0)
    out = np.zeros(snap.n, dtype=bool)
    sized = np.flatnonzero(stored >= COVER_MIN_REAL)
    if sized.size <= COVER_PEERS:
        return out
    by_size = sized[np.argsort(-stored[sized], kind="stable")]
    sizes, shares = stored[by_size], share[by_size]
    floor = float(np.median(shares)) + INACTIVE_EXCESS  # no account below this can stand out by the excess
    for j in np.flatnonzero((hits >= BOUGHT_MIN) & (stored >= COVER_MIN_REAL) & (share >= min(floor, 1.0))):
        if j == by_size[0]:
            continue  # the largest account has no peer its size (as in bought_blocks)
        peers = max(int(np.searchsorted(-sizes, -stored[j] / 2, side="right")), COVER_PEERS + 1)
        near = slice(max(0, peers - COVER_PEERS_MAX), peers)
        mine = by_size[near] != j
        others = shares[near][mine]
        median = float(np.median(others))
        base = max(median * (1 - median), 1e-4)
        # The peers' spread beyond their own binomial noise: how far real audiences differ.
        between = max(
            (1.4826 * float(np.median(np.abs(others - median)))) ** 2 - base * float(np.mean(1 / sizes[near][mine])),
            0.0,
        )
        above = share[j] - median
        out[j] = above >= INACTIVE_EXCESS and above >= INACTIVE_Z * np.sqrt(between + base / stored[j])
    return out


@dataclass
class Bought:
    block: np.ndarray  # a block of fake followers beyond farms' cover (``bought_blocks``)
    share: np.ndarray  # share of stored followers that are fake
    dressed: np.ndarray  # fake-or-inactive followers: a block (30+ stored followers) or an outlier among peers


def bought(snap: Snapshot) -> Bought:
    """Both bought-follower tests, once per snapshot: they depend on nothing a request says."""
    if "bought" not in snap.cache:
        s = suspicion(snap)
        block, share = bought_blocks(snap, s.fake)
        looks = s.fake | s.inactive
        # Inactive followers have a base rate in every audience: judged only where a share means something. The
        # outlier test leaves the fake ones out: farms' cover makes the largest accounts stand out among the few
        # peers they have, and the block tests already judge fake followers against cover.
        dressed = bought_blocks(snap, looks, min_stored=COVER_MIN_REAL)[0] | inactive_outliers(
            snap, s.inactive & ~s.fake
        )
        snap.cache["bought"] = Bought(block, share, dressed)
    result: Bought = snap.cache["bought"]
    return result


def follower_sample(followers: np.ndarray, size: int, seed: int) -> np.ndarray:
    """A deterministic sample of a follower list (all of it when small)."""
    if followers.size <= size:
        return followers
    return np.sort(np.random.default_rng(seed).choice(followers, size, replace=False))


@dataclass
class Credibility:
    sample_size: int
    credible: int
    authenticity: float
    low: float
    high: float
    reachability: float | None
    reasons: dict[str, int]


def credibility(snap: Snapshot, i: int, sample_size: int = 1000) -> Credibility:
    s = suspicion(snap)
    sample = follower_sample(snap.followers_of(i), sample_size, seed=int(snap.ids[i]))
    n = int(sample.size)
    credible = n - int(s.suspect[sample].sum())
    low, high = wilson(credible, n)
    following = snap.accounts["following_count"].to_numpy()[sample] if n else np.empty(0)
    known = following[~np.isnan(following.astype(float))] if n else following
    reach = float((known < MASS_FOLLOWING).mean()) if known.size else None
    return Credibility(
        sample_size=n,
        credible=credible,
        authenticity=credible / n if n else 0.0,
        low=low,
        high=high,
        reachability=reach,
        reasons={r: int(s.reasons[r][sample].sum()) for r in REASONS},
    )
