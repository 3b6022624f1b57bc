from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pytest

from graph.authenticity import wilson
from graph.overlap import overlap
from graph.shortlist import Coverage, shortlist


def best_by_brute_force(audiences: list[np.ndarray], fees: list[Decimal], budget: Decimal, k: int) -> int:
    best = 0
    for r in range(1, k + 1):
        for combo in itertools.combinations(range(len(audiences)), r):
            if sum(fees[i] for i in combo) <= budget:
                best = max(best, len(set().union(*[set(audiences[i].tolist()) for i in combo])))
    return best


class TestShortlist:
    @pytest.mark.parametrize("seed", range(8))
    def test_within_the_guarantee_of_the_optimum_and_within_budget(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        audiences = [np.unique(rng.integers(0, 60, rng.integers(1, 25))) for _ in range(9)]
        fees = [Decimal(int(x)) for x in rng.integers(1, 10, 9)]
        budget = Decimal(12)
        plan = shortlist(audiences, fees, budget, k=4)
        optimum = best_by_brute_force(audiences, fees, budget, 4)
        assert plan.fee <= budget and len(plan.picks) <= 4
        assert plan.reach == len(set().union(*[set(audiences[p.index].tolist()) for p in plan.picks]))
        assert plan.reach >= (1 - 1 / np.e) / 2 * optimum

    def test_best_single_wins_when_greedy_ratio_misleads(self) -> None:
        audiences = [np.arange(2), np.arange(100, 200)]
        fees = [Decimal(1), Decimal(100)]
        plan = shortlist(audiences, fees, Decimal(100), k=2)
        assert plan.method == "best_single" and plan.reach == 100

    def test_community_cap(self) -> None:
        audiences = [np.arange(0, 10), np.arange(10, 20), np.arange(20, 25)]
        plan = shortlist(audiences, [Decimal(1)] * 3, Decimal(10), k=3, communities=[0, 0, 1], max_per_community=1)
        assert sorted(p.index for p in plan.picks) == [0, 2]


class TestOverlap:
    def test_matches_python_sets(self) -> None:
        import scipy.sparse as sp

        rng = np.random.default_rng(1)
        sets = [set(rng.integers(0, 500, 120).tolist()) for _ in range(6)]
        rows = [i for i, s in enumerate(sets) for _ in s]
        cols = [c for s in sets for c in s]
        b = sp.csr_array((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(6, 500))
        o = overlap(b)
        for i, j in itertools.combinations(range(6), 2):
            assert o.shared[i, j] == len(sets[i] & sets[j])
            assert o.jaccard[i, j] == pytest.approx(len(sets[i] & sets[j]) / len(sets[i] | sets[j]))
        for i in range(6):
            others = set().union(*[sets[j] for j in range(6) if j != i])
            assert o.unique[i] == len(sets[i] - others)
        union = set().union(*sets)
        assert o.union == len(union)
        assert o.expected_frequency == pytest.approx(sum(map(len, sets)) / len(union))


class TestWilson:
    def test_known_interval(self) -> None:
        low, high = wilson(81, 100)
        assert (round(low, 4), round(high, 4)) == (0.7222, 0.8749)  # by hand: centre 0.7985, half-width 0.0763
        assert wilson(0, 0) == (0.0, 1.0)


class TestExpectedCoverage:
    @pytest.mark.parametrize("seed", range(5))
    def test_reach_is_the_expected_union_and_greedy_gains_add_up(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        audiences = [np.unique(rng.integers(0, 40, rng.integers(1, 20))) for _ in range(7)]
        probs = rng.uniform(0.05, 0.9, 7)
        extra = rng.uniform(0, 3, 7)
        fees = [Decimal(int(x)) for x in rng.integers(1, 6, 7)]
        plan = shortlist(audiences, fees, Decimal(10), k=4, coverage=Coverage.of(audiences, probs, None, extra))
        chosen = [p.index for p in plan.picks]
        miss = np.ones(40)
        for c in chosen:
            miss[audiences[c]] *= 1 - probs[c]
        expected = float((1 - miss).sum() + extra[chosen].sum())
        assert plan.reach == pytest.approx(expected)
        assert sum(p.marginal for p in plan.picks) == pytest.approx(plan.reach)
        assert plan.fee <= 10 and len(chosen) <= 4

    def test_a_sure_small_audience_loses_to_a_likely_large_one(self) -> None:
        audiences = [np.arange(30), np.arange(100, 400)]
        coverage = Coverage.of(audiences, [1.0, 0.2])
        plan = shortlist(audiences, [Decimal(1), Decimal(1)], Decimal(1), k=1, coverage=coverage)
        assert [p.index for p in plan.picks] == [1] and plan.reach == pytest.approx(60)
