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
    result = Suspicion(reasons, suspect, reasons["farm_member"], fake)
    snap.cache["suspicion"] = result
    return result


BOUGHT_MIN = 8  # fake followers: fewer is noise
BOUGHT_EXCESS = 2.5  # times the fake followers farms' cover would give an account of its size
BOUGHT_MIN_SHARE = 0.05  # of its followers: the largest accounts get more cover than their size says
BOUGHT_Z = 4.0  # and this many standard deviations above it (Poisson)
COVER_MIN_REAL = 30  # accounts this large say what the cover rate is


def bought_blocks(snap: Snapshot, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which accounts got a block of fake followers, and each account's share of fake followers.

    Farms follow popular accounts as cover, so a large account has some fake followers in proportion
    to its real ones; a buyer has far more than that. The cover rate (fake per real follower) is the
    median over real follows (accounts weighted by their real followers), so the few buyers do not
    set it. An account is a buyer when its fake followers are at least ``BOUGHT_MIN``, ``BOUGHT_EXCESS``
    times what the rate predicts, ``BOUGHT_Z`` Poisson deviations above it and ``BOUGHT_MIN_SHARE`` of
    its followers: a block judged against the account's size, not only a large share of it.
    """
    stored = np.diff(snap.followers.indptr).astype(float)
    fakes = np.asarray(snap.followers @ fake.astype(np.float32), dtype=float)
    real = stored - fakes
    share = np.divide(fakes, stored, out=np.zeros(snap.n), where=stored > 0)
    sized = real >= COVER_MIN_REAL
    if sized.sum() >= 10:
        # The median real follower's account's rate: large accounts, which hold most real follows, set it.
        ratio, weight = fakes[sized] / real[sized], real[sized]
        order = np.argsort(ratio)
        middle = np.searchsorted(np.cumsum(weight[order]), weight.sum() / 2)
        rate = float(ratio[order][min(middle, order.size - 1)])
    else:
        rate = float(fakes.sum() / max(real.sum(), 1.0))
    expected = rate * real
    block = (fakes >= BOUGHT_MIN) & (fakes >= BOUGHT_EXCESS * expected)
    block &= fakes >= expected + BOUGHT_Z * np.sqrt(np.maximum(expected, 1.0))
    block &= share >= BOUGHT_MIN_SHARE
    return block, share


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
