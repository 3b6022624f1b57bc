"""Audience constraints on rankings: keep the candidates whose credible followers' shares are in bounds."""

from __future__ import annotations

import numpy as np

from audience.interests import InterestModel
from audience.matching import Criterion, criterion, share_matching
from audience.models import AudienceFilter
from audience.profiles import Attributes
from graph.authenticity import follower_sample, suspicion
from graph.build import Snapshot
from sql.errors import ValidationError

# Followers read per candidate: up to FILTER_SAMPLE, fewer when the pool is large so that one ranking
# reads at most about FILTER_READS followers (each read costs ~1 ms the first time; the attributes stay
# with the snapshot, so candidates sharing followers, and later rankings, reuse them).
FILTER_SAMPLE = 300
FILTER_MIN_SAMPLE = 60
FILTER_READS = 40_000


def constraints(f: AudienceFilter, model: InterestModel) -> list[tuple[Criterion, float | None, float | None]]:
    out = []
    for kind in ("languages", "places", "interests"):
        for key, bound in getattr(f, kind).items():
            field = f"audience.{kind}.{key}"
            for value in (bound.min, bound.max):
                if value is not None and not 0 <= value <= 1:
                    raise ValidationError("audience bounds are shares between 0 and 1", field=field)
            if bound.min is not None and bound.max is not None and bound.min > bound.max:
                raise ValidationError("min is above max", field=field)
            if bound.min is None and bound.max is None:
                raise ValidationError("give min, max or both", field=field)
            out.append((criterion(kind, key, model, field), bound.min, bound.max))
    if not out:
        raise ValidationError("an audience filter needs at least one language, place or interest", field="audience")
    return out


def samples(snap: Snapshot, candidates: np.ndarray) -> list[np.ndarray]:
    """Each candidate's credible followers (dense), a deterministic sample (see FILTER_READS)."""
    size = max(FILTER_MIN_SAMPLE, min(FILTER_SAMPLE, FILTER_READS // max(candidates.size, 1)))
    suspect = suspicion(snap).suspect
    out = []
    for c in candidates:
        followers = snap.followers_of(int(c))
        out.append(follower_sample(followers[~suspect[followers]], size, seed=int(snap.ids[c])))
    return out


def passes(
    attrs: list[Attributes], rules: list[tuple[Criterion, float | None, float | None]], model: InterestModel
) -> bool:
    for c, low, high in rules:
        value = share_matching(attrs, c, model)
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    return True
