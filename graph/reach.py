"""Expected relevant reach: how many distinct credible target-audience accounts a creator's topical post reaches.

Pure arithmetic over a snapshot and the engagement observed on each candidate's stored posts
(the formula is published in the README, section "Objective"):

    reach = K x v + S, capped at the target's size
    K  credible followers of the creator inside the target (scaled up when the crawl stored a sample)
    v  chance that one follower sees one topical post = min(1, r / ENGAGEMENTS_PER_VIEW)
    r  engagements per credible follower per topical post, empirical-Bayes smoothed:
       topical posts shrink toward the creator's all-post rate, which shrinks toward the
       population of candidates (beta prior fitted by the method of moments)
    S  second hop: expected reposters (smoothed repost rate x audience) x credible target accounts
       each observed reposter reaches that the creator does not (smoothed toward the population)
       x the population's view probability

Ratios (fit, authenticity, engagement rate) explain the estimate; none is multiplied in as a
percentile. The 95% interval takes the rate's beta-posterior quantiles, the spread of the
engagements-per-view assumption, and the binomial noise of who happens to look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.stats import beta

ENGAGEMENTS_PER_VIEW = 0.10  # assumed share of viewers who like, reply or repost: sets the scale, not the order
VIEW_ASSUMPTION_SPREAD = 1.5  # the interval allows ENGAGEMENTS_PER_VIEW to be 1.5x lower or higher
SAMPLE_MIN = 200  # a stored follower list this long, shorter than the reported count, is the crawl's sample
MIN_PRIOR, MAX_PRIOR = 20.0, 1e6  # bounds of the prior's strength, in follower-posts
REPOSTER_PRIOR = 3.0  # the population's mean new target per reposter counts as this many observed reposters
Z = 1.959964


@dataclass
class PostStats:
    """Per candidate: stored original posts in the window and what credible accounts did with them."""

    posts: np.ndarray
    topical_posts: np.ndarray
    engagements: np.ndarray  # distinct (post, credible actor) pairs, any kind
    topical_engagements: np.ndarray
    reposts: np.ndarray  # distinct (post, credible reposter) pairs
    reposters: list[np.ndarray]  # dense indices of distinct credible reposters


@dataclass
class Estimate:
    reach: np.ndarray
    low: np.ndarray
    high: np.ndarray
    first_hop: np.ndarray
    second_hop: np.ndarray
    target_followers: np.ndarray  # K
    audience: np.ndarray  # credible audience size the rates are per
    view: np.ndarray  # v
    rate: np.ndarray  # r
    engagements: np.ndarray  # expected engagements from the target per topical post: K x r


def audience_sizes(
    stored: np.ndarray, credible: np.ndarray, in_target: np.ndarray, reported: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Credible audience and credible target followers, scaled up when the stored list is the crawl's sample."""
    reported = np.nan_to_num(reported.astype(float), nan=0.0)
    sampled = (stored >= SAMPLE_MIN) & (reported > stored)
    scale = np.where(sampled, reported / np.maximum(stored, 1), 1.0)
    return credible * scale, in_target * scale


def beta_prior(successes: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Mean and strength (pseudo-trials) of a beta prior over rates, by the method of moments."""
    ok = trials > 0
    if not ok.any() or successes[ok].sum() == 0:
        return 0.0, MIN_PRIOR
    s, n = successes[ok].astype(float), trials[ok].astype(float)
    mean = float(s.sum() / n.sum())
    rates = s / n
    spread = float(np.average((rates - mean) ** 2, weights=n))
    noise = float(np.average(mean * (1 - mean) / n, weights=n))
    between = spread - noise
    if between <= 0:
        return mean, MAX_PRIOR
    strength = mean * (1 - mean) / between - 1
    return mean, float(np.clip(strength, MIN_PRIOR, MAX_PRIOR))


def smoothed_rate(stats: PostStats, audience: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean and 95% bounds of engagements per credible follower per topical post."""
    trials_all = audience * stats.posts
    mean, strength = beta_prior(stats.engagements, trials_all)
    all_posts = (stats.engagements + strength * mean) / (trials_all + strength)
    trials = audience * stats.topical_posts
    a = np.minimum(stats.topical_engagements, trials) + strength * all_posts
    b = np.maximum(trials - stats.topical_engagements, 0) + strength * (1 - all_posts)
    a, b = np.maximum(a, 1e-9), np.maximum(b, 1e-9)
    return a / (a + b), beta.ppf(0.025, a, b), beta.ppf(0.975, a, b)


def new_target_per_reposter(
    followers: sp.csr_array, reach_mask: np.ndarray, candidates: np.ndarray, reposters: list[np.ndarray]
) -> np.ndarray:
    """Mean over each candidate's observed reposters of the credible target accounts they reach and it
    does not, shrunk toward the mean over all observed reposters."""
    pairs_c = np.concatenate([np.full(r.size, k) for k, r in enumerate(reposters)] or [np.zeros(0, np.int64)])
    pairs_r = np.concatenate(reposters or [np.zeros(0, np.int64)]).astype(np.int64)
    out = np.zeros(candidates.size)
    if pairs_r.size == 0:
        return out
    mask = sp.diags_array(reach_mask.astype(np.float32))
    of_reposter = sp.csr_array(followers[pairs_r] @ mask)
    of_creator = sp.csr_array(followers[candidates[pairs_c]] @ mask)
    own = np.asarray(of_reposter.sum(axis=1)).ravel()
    shared = np.asarray(of_reposter.multiply(of_creator).sum(axis=1)).ravel()
    new = own - shared
    population = float(new.mean())
    total = np.bincount(pairs_c, weights=new, minlength=candidates.size)
    count = np.bincount(pairs_c, minlength=candidates.size)
    out = (total + REPOSTER_PRIOR * population) / (count + REPOSTER_PRIOR)
    return np.asarray(out)


def estimate(
    stats: PostStats,
    audience: np.ndarray,
    target_followers: np.ndarray,
    new_per_reposter: np.ndarray,
    target_size: float,
) -> Estimate:
    rate, rate_low, rate_high = smoothed_rate(stats, audience)
    view = np.minimum(1.0, rate / ENGAGEMENTS_PER_VIEW)
    rep_mean, rep_strength = beta_prior(stats.reposts, audience * stats.posts)
    repost_rate = (stats.reposts + rep_strength * rep_mean) / (audience * stats.posts + rep_strength)
    trials = audience * stats.posts
    population_view = min(1.0, float(stats.engagements.sum() / max(trials.sum(), 1e-9)) / ENGAGEMENTS_PER_VIEW)
    second = repost_rate * audience * new_per_reposter * population_view

    def total(v: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.asarray(np.minimum(target_followers * v + s, target_size))

    first = target_followers * view
    reach = total(view, second)
    low_view = np.minimum(1.0, rate_low / (ENGAGEMENTS_PER_VIEW * VIEW_ASSUMPTION_SPREAD))
    high_view = np.minimum(1.0, rate_high * VIEW_ASSUMPTION_SPREAD / ENGAGEMENTS_PER_VIEW)
    noise = Z * np.sqrt(target_followers * view * (1 - view) + second)
    low = np.maximum(total(low_view, second / VIEW_ASSUMPTION_SPREAD) - noise, 0.0)
    high = np.minimum(total(high_view, second * VIEW_ASSUMPTION_SPREAD) + noise, target_size)
    return Estimate(
        reach=reach,
        low=np.minimum(low, reach),
        high=np.maximum(high, reach),
        first_hop=first,
        second_hop=second,
        target_followers=target_followers,
        audience=audience,
        view=view,
        rate=rate,
        engagements=target_followers * rate,
    )


def readable(value: float, low: float, high: float, target_size: int | None) -> str:
    """'~310 of your 1,343 target accounts (95% interval 250-380)'."""
    who = f"of your {target_size:,} target accounts" if target_size else "credible accounts"
    return f"~{_round(value):,} {who} (95% interval {_round(low):,}-{_round(high):,})"


def _round(x: float) -> int:
    """Two significant figures above 100: the estimate is not more precise than that."""
    if x < 100:
        return round(x)
    digits = len(str(int(x))) - 2
    return int(round(x, -digits))


def post_stats(
    snap_ids: np.ndarray, candidate_ids: np.ndarray, credible: np.ndarray, posts: pl.DataFrame, actions: pl.DataFrame
) -> PostStats:
    """Per candidate (``candidate_ids``, account ids): its posts, and distinct credible engagers per post.

    ``posts``: post_id, account_id, topical; ``actions``: post_id, actor_id, kind. ``credible`` is per dense index.
    """
    k = candidate_ids.size
    order = np.argsort(candidate_ids)
    sorted_ids = candidate_ids[order]

    def position(ids: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(k - 1, 0))
        return np.where((sorted_ids[pos] == ids) if k else np.zeros(ids.size, bool), order[pos] if k else 0, -1)

    post_ids = posts["post_id"].to_numpy()
    author = position(posts["account_id"].to_numpy())
    topical = posts["topical"].fill_null(False).to_numpy().astype(bool)
    count_all = np.bincount(author[author >= 0], minlength=k).astype(float)
    count_topic = np.bincount(author[(author >= 0) & topical], minlength=k).astype(float)
    by_post = np.argsort(post_ids)
    p_sorted = post_ids[by_post]

    actor_ids = actions["actor_id"].to_numpy()
    dense = np.searchsorted(snap_ids, actor_ids) if snap_ids.size else np.zeros(actor_ids.size, np.int64)
    dense = np.clip(dense, 0, max(snap_ids.size - 1, 0))
    known = (snap_ids[dense] == actor_ids) if snap_ids.size else np.zeros(actor_ids.size, bool)
    ok = known & credible[dense] if snap_ids.size else known
    at = np.clip(np.searchsorted(p_sorted, actions["post_id"].to_numpy()), 0, max(p_sorted.size - 1, 0))
    ok &= (p_sorted[at] == actions["post_id"].to_numpy()) if p_sorted.size else np.zeros(ok.size, bool)
    row = by_post[at]
    frame = pl.DataFrame(
        {
            "post": actions["post_id"].to_numpy()[ok],
            "actor": dense[ok],
            "who": author[row[ok]],
            "topical": topical[row[ok]],
            "repost": actions["kind"].is_in(["repost", "quote"]).to_numpy()[ok],
        }
    ).filter(pl.col("who") >= 0)
    engaged = frame.unique(["post", "actor"])
    reposted = frame.filter(pl.col("repost")).unique(["post", "actor"])

    def per(f: pl.DataFrame) -> np.ndarray:
        return np.bincount(f["who"].to_numpy(), minlength=k).astype(float)

    reposters: list[np.ndarray] = [np.zeros(0, np.int64)] * k
    for (who,), group in reposted.unique(["who", "actor"]).group_by(["who"]):
        reposters[int(who)] = np.sort(group["actor"].to_numpy()).astype(np.int64)  # type: ignore[call-overload]
    return PostStats(
        posts=count_all,
        topical_posts=count_topic,
        engagements=per(engaged),
        topical_engagements=per(engaged.filter(pl.col("topical"))),
        reposts=per(reposted),
        reposters=reposters,
    )
