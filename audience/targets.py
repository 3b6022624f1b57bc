"""A saved segment as a ranking target: the accounts that match its attributes, and/or follow its seeds."""

from __future__ import annotations

import numpy as np

from audience.interests import InterestModel
from audience.matching import Criterion, criterion
from audience.models import SegmentDefinition
from audience.profiles import Attributes

# Without seed accounts, a segment is looked for among the platform's accounts that have something to
# read, at most this many (lowest ids first); the README states it.
MAX_TARGET_SCAN = 200_000


def criteria(d: SegmentDefinition, model: InterestModel) -> dict[str, list[Criterion]]:
    return {
        kind: [criterion(kind, key, model, f"definition.{kind}") for key in getattr(d, kind)]
        for kind in ("languages", "places", "interests")
        if getattr(d, kind)
    }


def member(a: Attributes, rules: dict[str, list[Criterion]], model: InterestModel) -> bool:
    """Every attribute given matches (any of its values)."""
    return all(any(c.matches(a, model) for c in values) for values in rules.values())


def mask(
    n: int, dense: np.ndarray, attrs: list[Attributes], rules: dict[str, list[Criterion]], model: InterestModel
) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    if rules:
        hits = np.array([member(a, rules, model) for a in attrs], dtype=bool)
        out[dense[hits]] = True
    else:
        out[dense] = True
    return out
