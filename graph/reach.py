"""Expected relevant reach: how many distinct credible target-audience accounts a creator's topical post reaches.

Pure arithmetic over a snapshot and the engagement observed on the candidates' stored posts
(published in the README, section "Objective"). Engagement is read as a two-way table: how
often follower f engages with creator c's posts ~ (how much f sees and engages: s_f) x (how
engaging c's posts are to the people who see them: q_c). Followers are seen through everything
they engaged with, so a creator with a dormant audience reaches less even with a large following,
and one creator's engaging posts do not pass for a larger audience.

    reach = sum over K of min(1, s_f / EPV x q_c^QUALITY_VIEWS) + S, capped at the target's size
    K    credible followers of the creator inside the target (each standing for reported/stored
         followers when the crawl stored a sample)
    s_f  engagements per post the follower could see: its engagements on the candidates' stored
         posts / the posts of the candidates it follows, beta-smoothed toward all followers
    q_c  observed / expected engagements on the creator's topical posts, expected = posts x the sum
         of its credible followers' s_f; gamma-smoothed toward 1 (and toward its all-post ratio)
    EPV  assumed engagements per view of an average post (0.10): sets the scale, not the order
    S    second hop: expected reposters (smoothed repost rate x audience) x credible target accounts
         each observed reposter reaches that the creator does not x the average view probability

The 95% interval takes q_c's gamma-posterior quantiles, EPV 2x either way and the binomial
noise of who happens to look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.stats import gamma

ENGAGEMENTS_PER_VIEW = 0.10  # engagements per view when too few followers are observed to calibrate it
SEE_ALL_QUANTILE = 0.9  # the most engaged tenth of followers are taken to see nearly every post
CALIBRATION_POSTS = 20  # followers who could have seen this many candidate posts calibrate engagements per view
CALIBRATION_MIN = 30
VIEW_ASSUMPTION_SPREAD = 2.0  # the interval allows ENGAGEMENTS_PER_VIEW to be 2x lower or higher
QUALITY_VIEWS = 0.0  # how far more engaging posts are also seen more (boosts, algorithmic feeds): 0 none, 1 fully
SAMPLE_MIN = 200  # a stored follower list this long, shorter than the reported count, is the crawl's sample
MIN_PRIOR, MAX_PRIOR = 2.0, 1e6  # bounds of a prior's strength
QUALITY_PRIOR = 10.0  # q_c's gamma prior counts as this many expected engagements at q = 1
REPOSTER_PRIOR = 3.0  # the population's mean new target per reposter counts as this many observed reposters
# A hidden follower list cannot be checked for bought followers; its engagement must show, at 95%, that its
# reported audience engages at this share of the checked audiences' rate or more. Creators' own appeal varies
# (half to twice the rate is common), so a bar near 1 is what keeps a partly bought audience out; it takes
# about 100 observed engagements to clear, so only well-observed hidden lists stay.
HIDDEN_MIN_ENGAGED = 0.8
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
    engagers: list[np.ndarray]  # dense indices of distinct credible accounts that engaged
    by_actor: np.ndarray  # per account (dense): distinct candidate posts it engaged with


@dataclass
class Estimate:
    reach: np.ndarray
    low: np.ndarray
    high: np.ndarray
    first_hop: np.ndarray
    second_hop: np.ndarray
    target_followers: np.ndarray  # K
    audience: np.ndarray  # credible audience
    view: np.ndarray  # mean view probability over K
    rate: np.ndarray  # engagements per credible follower per topical post, expected
    quality: np.ndarray  # q_c
    engagements: np.ndarray  # expected engagements from the target per topical post
    seen: sp.csr_array  # per candidate and stored credible target follower: the chance it sees a topical post
    hidden: np.ndarray  # no follower list stored, some reported: estimated from who engaged
    scale: np.ndarray  # people each stored follower stands for
    engaged_low: np.ndarray  # hidden lists: 95% lower bound of observed / expected engagements (NaN otherwise)


def sample_scale(stored: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """How many followers each stored one stands for: reported / stored when the crawl stored a sample."""
    reported = np.nan_to_num(reported.astype(float), nan=0.0)
    sampled = (stored >= SAMPLE_MIN) & (reported > stored)
    return np.asarray(np.where(sampled, reported / np.maximum(stored, 1), 1.0))


def beta_prior(successes: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Mean and strength (pseudo-trials) of a beta prior over rates, by the method of moments."""
    ok = trials > 0
    if not ok.any() or successes[ok].sum() == 0:
        return 0.0, MIN_PRIOR
    s, n = np.minimum(successes[ok], trials[ok]).astype(float), trials[ok].astype(float)
    mean = float(s.sum() / n.sum())
    spread = float(np.average((s / n - mean) ** 2, weights=n))
    noise = float(np.average(mean * (1 - mean) / n, weights=n))
    between = spread - noise
    if between <= 0:
        return mean, MAX_PRIOR
    return mean, float(np.clip(mean * (1 - mean) / between - 1, MIN_PRIOR, MAX_PRIOR))


def follower_activity(followers: sp.csr_array, candidates: np.ndarray, stats: PostStats) -> tuple[np.ndarray, float]:
    """s_f for every account (engagements per candidate post it could see in its home feed, smoothed), and
    the engagements per view: s_f of the most engaged followers, who see nearly every post."""
    b = sp.csr_array(followers[candidates])
    could_see = np.asarray(b.T @ stats.posts).ravel()
    mean, strength = beta_prior(stats.by_actor, could_see)
    activity = (np.minimum(stats.by_actor, could_see) + strength * mean) / (could_see + strength)
    observed = activity[could_see >= CALIBRATION_POSTS]
    per_view = float(np.quantile(observed, SEE_ALL_QUANTILE)) if observed.size >= CALIBRATION_MIN else 0.0
    return np.asarray(activity), per_view if per_view > 0 else ENGAGEMENTS_PER_VIEW


def _row_sums(rows: sp.csr_array, values: np.ndarray, factor: np.ndarray, cap: float | None) -> np.ndarray:
    """Per row: sum over its columns j of values[j] x factor[row], each term capped at ``cap``."""
    per = values[rows.indices] * np.repeat(factor, np.diff(rows.indptr))
    if cap is not None:
        per = np.minimum(per, cap)
    return np.asarray(np.add.reduceat(np.append(per, 0.0), rows.indptr[:-1]) * (np.diff(rows.indptr) > 0))


def _masked(rows: sp.csr_array, keep: np.ndarray) -> sp.csr_array:
    """``rows`` with only the columns where ``keep`` is true (as ``rows @ diag(keep)`` without the product)."""
    nnz = int(rows.indptr[-1])
    data, indices = rows.data[:nnz], rows.indices[:nnz]
    # Copies of the index arrays: eliminate_zeros compacts them in place.
    out = sp.csr_array((data * keep[indices], indices.copy(), rows.indptr.copy()), shape=rows.shape)
    out.eliminate_zeros()
    return out


def new_target_per_reposter(
    followers: sp.csr_array, reach_mask: np.ndarray, candidates: np.ndarray, reposters: list[np.ndarray]
) -> np.ndarray:
    """Mean over each candidate's observed reposters of the credible target accounts they reach and it
    does not, shrunk toward the mean over all observed reposters."""
    pairs_c = np.concatenate([np.full(r.size, k) for k, r in enumerate(reposters)] or [np.zeros(0, np.int64)])
    pairs_r = np.concatenate(reposters or [np.zeros(0, np.int64)]).astype(np.int64)
    if pairs_r.size == 0:
        return np.zeros(candidates.size)
    # Each reposter's followers are looked up in its candidate's sorted follower list: the work is the
    # reposters' follower counts, not a copy of a big candidate's audience per reposter.
    if not followers.has_sorted_indices:
        followers = followers.sorted_indices()
    n = followers.shape[0]
    ptr, idx = followers.indptr.astype(np.int64), followers.indices
    start, size = ptr[pairs_r], ptr[pairs_r + 1] - ptr[pairs_r]
    pair = np.repeat(np.arange(pairs_r.size), size)
    offset = np.arange(pair.size) - np.repeat(np.cumsum(size) - size, size)
    reached = idx[np.repeat(start, size) + offset]
    in_target = reach_mask[reached]
    pair, reached = pair[in_target], reached[in_target].astype(np.int64)
    own = np.bincount(pair, minlength=pairs_r.size).astype(float)
    with_reposters = np.zeros(candidates.size, dtype=bool)
    with_reposters[pairs_c] = True
    c_start, c_size = ptr[candidates], np.where(with_reposters, ptr[candidates + 1] - ptr[candidates], 0)
    slot = np.repeat(np.arange(candidates.size, dtype=np.int64), c_size)
    c_offset = np.arange(slot.size) - np.repeat(np.cumsum(c_size) - c_size, c_size)
    keys = slot * n + idx[np.repeat(c_start, c_size) + c_offset]  # sorted: slots ascending, rows sorted
    query = pairs_c[pair].astype(np.int64) * n + reached
    at = np.minimum(np.searchsorted(keys, query), max(keys.size - 1, 0))
    shared = (keys[at] == query) if keys.size else np.zeros(query.size, bool)
    new = own - np.bincount(pair[shared], minlength=pairs_r.size)
    total = np.bincount(pairs_c, weights=new, minlength=candidates.size)
    count = np.bincount(pairs_c, minlength=candidates.size)
    return np.asarray((total + REPOSTER_PRIOR * float(new.mean())) / (count + REPOSTER_PRIOR))


def estimate(
    followers: sp.csr_array,
    candidates: np.ndarray,
    credible: np.ndarray,
    reach_mask: np.ndarray,
    scale: np.ndarray,
    stats: PostStats,
    reported: np.ndarray,
) -> Estimate:
    """Expected reach of each candidate (dense indices) over ``reach_mask`` accounts.

    A candidate whose follower list is hidden (none stored, some reported) is estimated from who engaged:
    K = reported followers x the population's credible share x the share of its engagers in the target
    (smoothed toward all engagers), each reached with the target's mean view probability."""
    activity, epv = follower_activity(followers, candidates, stats)
    rows = sp.csr_array(followers[candidates])
    aud_rows, tgt_rows = _masked(rows, credible), _masked(rows, reach_mask)
    audience = np.diff(aud_rows.indptr) * scale
    k = np.diff(tgt_rows.indptr) * scale
    per_post = _row_sums(aud_rows, activity, scale, None)  # expected engagements per post at q = 1
    hidden = (np.diff(rows.indptr) == 0) & (np.nan_to_num(reported.astype(float)) > 0)
    mean_activity = float(np.mean(activity[reach_mask])) if reach_mask.any() else 0.0
    engaged_low = np.full(candidates.size, np.nan)
    if hidden.any():
        k, audience = _hidden(k, audience, hidden, reported, credible, reach_mask, followers, stats.engagers)
        per_post = np.where(hidden, audience * mean_activity, per_post)
        engaged_low = _engaged_low(audience, stats, hidden, mean_activity)
    q_all = (stats.engagements + QUALITY_PRIOR) / (per_post * stats.posts + QUALITY_PRIOR)
    shape = stats.topical_engagements + QUALITY_PRIOR * q_all
    rate_param = per_post * stats.topical_posts + QUALITY_PRIOR
    quality = shape / rate_param
    q_low, q_high = gamma.ppf(0.025, shape, scale=1 / rate_param), gamma.ppf(0.975, shape, scale=1 / rate_param)

    view_mean = float(np.mean(np.minimum(1.0, activity[reach_mask] / epv))) if reach_mask.any() else 0.0

    def first(q: np.ndarray, per_view: float) -> np.ndarray:
        seen = scale * _row_sums(tgt_rows, activity / per_view, q**QUALITY_VIEWS, 1.0)
        mean = float(np.mean(np.minimum(1.0, activity[reach_mask] / per_view))) if reach_mask.any() else 0.0
        # Without a follower list, fewer engagements than its reported audience would give mean a smaller real
        # audience (bought or dormant followers), so q below 1 shrinks it.
        return np.asarray(np.where(hidden, k * mean * np.minimum(q, 1.0), seen))

    rep_mean, rep_strength = beta_prior(stats.reposts, audience * stats.posts)
    repost_rate = (stats.reposts + rep_strength * rep_mean) / (audience * stats.posts + rep_strength)
    new = new_target_per_reposter(followers, reach_mask, candidates, stats.reposters)
    second = repost_rate * audience * new * view_mean
    size = float(reach_mask.sum())
    hop1 = first(quality, epv)
    reach = np.minimum(hop1 + second, size)
    spread = VIEW_ASSUMPTION_SPREAD
    view = np.divide(hop1, k, out=np.zeros_like(hop1), where=k > 0)
    noise = Z * np.sqrt(hop1 * (1 - np.minimum(view, 1)) + second)
    low = np.maximum(np.minimum(first(q_low, epv * spread) + second / spread, size) - noise, 0.0)
    high = np.minimum(first(q_high, epv / spread) + second * spread + noise, size)
    # Without a follower list the target share is a guess from who engaged: twice as wide either way.
    low, high = np.where(hidden, low / 2, low), np.where(hidden, np.minimum(high * 2, size), high)
    seen = sp.csr_array(tgt_rows, dtype=np.float64)
    seen.data = np.minimum(1.0, activity[seen.indices] / epv * np.repeat(quality**QUALITY_VIEWS, np.diff(seen.indptr)))
    return Estimate(
        reach=reach,
        low=np.minimum(low, reach),
        high=np.maximum(high, reach),
        first_hop=hop1,
        second_hop=second,
        target_followers=k,
        audience=audience,
        view=view,
        rate=np.divide(per_post * quality, audience, out=np.zeros_like(per_post), where=audience > 0),
        quality=quality,
        engagements=np.where(hidden, k * mean_activity * quality, _row_sums(tgt_rows, activity, scale * quality, None)),
        seen=seen,
        hidden=hidden,
        scale=scale,
        engaged_low=engaged_low,
    )


def _engaged_low(audience: np.ndarray, stats: PostStats, hidden: np.ndarray, fallback: float) -> np.ndarray:
    """For hidden follower lists: the 95% lower bound (Jeffreys) of observed engagements on all its posts over
    those its credible-looking reported audience would give at the checked candidates' rate (their engagements
    per credible follower per post, pooled). Bought or dormant followers pull it down; with little evidence it
    is low whatever the truth, so only a well-engaged hidden audience passes."""
    checked = ~hidden
    exposures = float((audience[checked] * stats.posts[checked]).sum())
    rate = float(stats.engagements[checked].sum()) / exposures if exposures > 0 else fallback
    expected = audience * rate * stats.posts
    shape = stats.engagements + 0.5
    low = np.where(expected > 0, gamma.ppf(0.025, shape, scale=1 / np.maximum(expected, 1e-12)), 0.0)
    return np.asarray(np.where(hidden, low, np.nan))


def _hidden(
    k: np.ndarray,
    audience: np.ndarray,
    hidden: np.ndarray,
    reported: np.ndarray,
    credible: np.ndarray,
    reach_mask: np.ndarray,
    followers: sp.csr_array,
    engagers: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    credible_share = float(credible[followers.indices].mean()) if followers.nnz else 1.0
    in_target = np.array([float(reach_mask[e].sum()) for e in engagers])
    seen = np.array([float(e.size) for e in engagers])
    share = (in_target + REPOSTER_PRIOR * in_target.sum() / max(seen.sum(), 1)) / (seen + REPOSTER_PRIOR)
    size = np.nan_to_num(reported.astype(float)) * credible_share
    return np.where(hidden, size * share, k), np.where(hidden, size, audience)


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
    by_actor = np.bincount(engaged["actor"].to_numpy(), minlength=snap_ids.size).astype(float)
    reposted = frame.filter(pl.col("repost")).unique(["post", "actor"])

    def per(f: pl.DataFrame) -> np.ndarray:
        return np.bincount(f["who"].to_numpy(), minlength=k).astype(float)

    def distinct(f: pl.DataFrame) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.zeros(0, np.int64)] * k
        for (who,), group in f.unique(["who", "actor"]).group_by(["who"]):
            out[int(who)] = np.sort(group["actor"].to_numpy()).astype(np.int64)  # type: ignore[call-overload]
        return out

    return PostStats(
        posts=count_all,
        topical_posts=count_topic,
        engagements=per(engaged),
        topical_engagements=per(engaged.filter(pl.col("topical"))),
        reposts=per(reposted),
        reposters=distinct(reposted),
        engagers=distinct(engaged),
        by_actor=by_actor,
    )
