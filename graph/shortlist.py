"""Budgeted maximum coverage: pick creators reaching the most unique people for a budget.

Coverage is expected: creator i reaches each account of ``audiences[i]`` with its probability
in ``probs[i]`` (each stored account standing for ``scales[i]`` people when the crawl stored a
sample), independently of the others, plus ``extra[i]`` people through reposts, counted as
its own. An account is reached unless every chosen creator misses it, so the objective
(sum over accounts of 1 - product of misses, plus extras) is monotone submodular and greedy
applies. With probabilities 1 it is plain unique reach.

Greedy by marginal expected reach per unit of fee with lazy (CELF) re-evaluation,
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
    marginal: float
    fee: Decimal


@dataclass
class Plan:
    picks: list[Pick]
    reach: float
    fee: Decimal
    method: str  # "greedy" or "best_single"


@dataclass
class Coverage:
    """Expected distinct reach of a growing set of creators."""

    audiences: list[np.ndarray]
    probs: list[np.ndarray]  # per member of each audience: the chance the creator reaches it
    scales: np.ndarray
    extra: np.ndarray

    def __post_init__(self) -> None:
        self.miss = np.ones(max((int(a.max()) + 1 for a in self.audiences if a.size), default=0))

    @classmethod
    def of(
        cls,
        audiences: list[np.ndarray],
        probs: list[float] | list[np.ndarray] | np.ndarray | None = None,
        scales: list[float] | np.ndarray | None = None,
        extra: list[float] | np.ndarray | None = None,
    ) -> Coverage:
        """``probs``: one chance per creator (for all its audience), or one array per creator."""
        n = len(audiences)
        chances = [np.ones(1)] * n if probs is None else list(probs)
        return cls(
            audiences,
            [np.broadcast_to(np.asarray(p, dtype=float), a.shape) for p, a in zip(chances, audiences, strict=True)],
            np.ones(n) if scales is None else np.asarray(scales, dtype=float),
            np.zeros(n) if extra is None else np.asarray(extra, dtype=float),
        )

    def fresh(self) -> Coverage:
        """The same creators, none chosen yet."""
        return Coverage(self.audiences, self.probs, self.scales, self.extra)

    def alone(self, i: int) -> float:
        return float(self.probs[i].sum() * self.scales[i] + self.extra[i])

    def gain(self, i: int) -> float:
        a = self.audiences[i]
        return float(np.dot(self.miss[a], self.probs[i]) * self.scales[i] + self.extra[i])

    def add(self, i: int) -> float:
        gained = self.gain(i)
        self.miss[self.audiences[i]] *= 1 - self.probs[i]
        return gained


def shortlist(
    audiences: list[np.ndarray],
    fees: list[Decimal],
    budget: Decimal,
    k: int,
    communities: list[int] | None = None,
    max_per_community: int | None = None,
    coverage: Coverage | None = None,
) -> Plan:
    """``audiences[i]``: sorted unique account indices creator i reaches (``coverage`` says how surely)."""
    cover = coverage or Coverage.of(audiences)
    greedy = _celf(cover, fees, budget, k, communities, max_per_community)
    affordable = [i for i, f in enumerate(fees) if f <= budget]
    best = max(affordable, key=lambda i: (cover.alone(i), -fees[i]), default=None)
    if best is not None and cover.alone(best) > greedy.reach + 1e-9:
        return Plan([Pick(best, cover.alone(best), fees[best])], cover.alone(best), fees[best], "best_single")
    return greedy


def _celf(
    cover: Coverage,
    fees: list[Decimal],
    budget: Decimal,
    k: int,
    communities: list[int] | None,
    max_per_community: int | None,
) -> Plan:
    cover = cover.fresh()
    per_community: dict[int, int] = {}
    spent = Decimal(0)
    picks: list[Pick] = []
    reach = 0.0

    def ratio(gain: float, fee: Decimal) -> float:
        return gain / float(fee) if fee > 0 else float("inf") if gain else 0.0

    # Heap of (-gain per fee, index, round the gain was computed in).
    heap = [(-ratio(cover.alone(i), fees[i]), i, 0) for i in range(len(cover.audiences))]
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
            heapq.heappush(heap, (-ratio(cover.gain(i), fees[i]), i, len(picks)))
            continue
        if cover.gain(i) <= 1e-12:
            break
        gain = cover.add(i)
        reach += gain
        spent += fees[i]
        picks.append(Pick(i, gain, fees[i]))
        if communities is not None:
            per_community[communities[i]] = per_community.get(communities[i], 0) + 1
    return Plan(picks, reach, spent, "greedy")


def unique_order(cover: Coverage, costs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` creators in greedy order of what each adds to those before it per unit of cost,
    and those values. Lazy (CELF): a creator's gain only shrinks as others are chosen, so a stale value
    at the top of the heap is recomputed, not every creator's; the values come out non-increasing."""
    cover = cover.fresh()
    heap = [(-cover.alone(i) / costs[i], i, 0) for i in range(len(cover.audiences))]
    heapq.heapify(heap)
    order: list[int] = []
    values: list[float] = []
    while heap and len(order) < k:
        value, i, computed = heapq.heappop(heap)
        if computed != len(order):
            heapq.heappush(heap, (-cover.gain(i) / costs[i], i, len(order)))
            continue
        cover.add(i)
        order.append(i)
        values.append(-value)
    return np.asarray(order, dtype=np.int64), np.asarray(values)
