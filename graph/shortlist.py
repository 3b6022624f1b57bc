"""Budgeted maximum coverage: pick creators reaching the most unique people for a budget.

Greedy by marginal unique reach per unit of fee with lazy (CELF) re-evaluation,
then compared with the best single affordable creator; the better of the two keeps
the (1 - 1/e)/2-style guarantee of budgeted coverage (Khuller, Moss, Naor 1999).
Constraints: at most k creators, a total fee within budget, at most m per community.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass
class Pick:
    index: int  # position in the candidate list
    marginal: int
    fee: Decimal


@dataclass
class Plan:
    picks: list[Pick]
    reach: int
    fee: Decimal
    method: str  # "greedy" or "best_single"


def shortlist(
    audiences: list[np.ndarray],
    fees: list[Decimal],
    budget: Decimal,
    k: int,
    communities: list[int] | None = None,
    max_per_community: int | None = None,
) -> Plan:
    """``audiences[i]``: sorted unique account indices creator i reaches."""
    greedy = _celf(audiences, fees, budget, k, communities, max_per_community)
    affordable = [i for i, f in enumerate(fees) if f <= budget]
    best = max(affordable, key=lambda i: (audiences[i].size, -fees[i]), default=None)
    if best is not None and audiences[best].size > greedy.reach:
        return Plan(
            [Pick(best, int(audiences[best].size), fees[best])], int(audiences[best].size), fees[best], "best_single"
        )
    return greedy


def _celf(
    audiences: list[np.ndarray],
    fees: list[Decimal],
    budget: Decimal,
    k: int,
    communities: list[int] | None,
    max_per_community: int | None,
) -> Plan:
    covered = np.zeros(max((int(a.max()) + 1 for a in audiences if a.size), default=0), dtype=bool)
    per_community: dict[int, int] = {}
    spent = Decimal(0)
    picks: list[Pick] = []

    def ratio(gain: int, fee: Decimal) -> float:
        return gain / float(fee) if fee > 0 else float("inf") if gain else 0.0

    # Heap of (-gain per fee, index, round the gain was computed in).
    heap = [(-ratio(int(a.size), fees[i]), i, 0) for i, a in enumerate(audiences)]
    heapq.heapify(heap)
    while heap and len(picks) < k:
        _, i, computed = heapq.heappop(heap)
        if spent + fees[i] > budget:
            continue
        if (
            communities is not None
            and max_per_community is not None
            and per_community.get(communities[i], 0) >= max_per_community
        ):
            continue
        if computed != len(picks):  # stale: recompute the marginal gain, push back
            gain = int((~covered[audiences[i]]).sum())
            heapq.heappush(heap, (-ratio(gain, fees[i]), i, len(picks)))
            continue
        gain = int((~covered[audiences[i]]).sum())
        if gain == 0:
            break
        covered[audiences[i]] = True
        spent += fees[i]
        picks.append(Pick(i, gain, fees[i]))
        if communities is not None:
            per_community[communities[i]] = per_community.get(communities[i], 0) + 1
    return Plan(picks, int(covered.sum()), spent, "greedy")
