"""Objectives a ranking can sort by, and the sentence each answer carries to say how it sorted."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from graph.models import Objective
from graph.reach import ENGAGEMENTS_PER_VIEW, Estimate

FORMULAS: dict[str, str] = {
    "reach": (
        "expected distinct credible target accounts one topical post reaches = K x v + S, where K = credible "
        "followers inside the target, v = min(1, r / {epv}) the chance a follower sees the post, r = engagements "
        "per credible follower per topical post (empirical-Bayes smoothed toward the creator's other posts and the "
        "population), S = expected reposters x new target accounts each reaches x the population's v; a creator "
        "whose follower list is hidden is ranked by its interval's lower end"
    ),
    "efficiency": "expected reach (as for 'reach') per 100 of fee: 100 x reach / fee (fees given, else the fee model)",
    "engagement": "expected engagements from credible target followers per topical post = K x r",
    "custom": "sum over components of weight x percentile (0-100) among the candidates",
}


def formula(objective: Objective) -> str:
    return FORMULAS[objective].format(epv=ENGAGEMENTS_PER_VIEW)


def resolve(objective: Objective | None, weights: dict[str, float] | None) -> Objective:
    """Weights alone ask for the custom score, as before objectives existed; otherwise reach by default."""
    if objective is not None:
        return objective
    return "custom" if weights is not None else "reach"


def values(objective: Objective, est: Estimate, fees: list[Decimal], custom: np.ndarray) -> np.ndarray:
    # Who follows a creator with a hidden follower list is unknown, so its followers cannot be checked for
    # bought or dormant ones: it is ranked by what the interval is sure of, its lower end.
    reach = np.where(est.hidden, est.low, est.reach)
    if objective == "reach":
        return np.asarray(reach)
    if objective == "efficiency":
        fee = np.array([float(f) for f in fees])
        return np.asarray(100 * reach / np.maximum(fee, 0.01))  # a free creator counts as costing a cent
    if objective == "engagement":
        return est.engagements
    return custom
