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
        "population), S = expected reposters x new target accounts each reaches x the population's v"
    ),
    "efficiency": (
        "expected reach (as for 'reach') per 100 of fee: 100 x reach / fee (fees given, else the fee model)"
    ),
    "engagement": "expected engagements from credible target followers per topical post = K x r",
    "custom": "sum over components of weight x percentile (0-100) among the candidates",
}


ORDER = (
    "; ranked as a set: score = the target accounts it adds to the creators ranked above it (per 100 of fee "
    "for efficiency; an account counts once however many of them reach it), each creator counted at its "
    "interval's lower end, so the first creator's score is its lower end"
)


def formula(objective: Objective) -> str:
    text = FORMULAS[objective].format(epv=ENGAGEMENTS_PER_VIEW)
    return text + ORDER if objective in ("reach", "efficiency") else text


def resolve(objective: Objective | None, weights: dict[str, float] | None) -> Objective:
    """Weights alone ask for the custom score, as before objectives existed; otherwise reach by default."""
    if objective is not None:
        return objective
    return "custom" if weights is not None else "reach"


def values(objective: Objective, est: Estimate, fees: list[Decimal], custom: np.ndarray) -> np.ndarray:
    """Each creator's own value: what engagement and custom rank by (reach and efficiency rank as a set)."""
    if objective == "reach":
        return est.reach
    if objective == "efficiency":
        fee = np.array([float(f) for f in fees])
        return np.asarray(100 * est.reach / np.maximum(fee, 0.01))  # a free creator counts as costing a cent
    if objective == "engagement":
        return est.engagements
    return custom
