"""Who gets credit for a conversion, and why. Pure: everything it needs is passed in.

A promo code in the order wins. Otherwise the order's click id (or a ``ref``/slug in
the landing URL) within the campaign's attribution window, shared by the model:
last_click (default), first_click or linear over the visitor's clicks in the window.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from campaigns.models import MODELS, Model
from campaigns.money import equal_shares, shares


@dataclass(frozen=True)
class CreatorRef:
    campaign_id: UUID
    creator_id: UUID
    attribution_days: int


@dataclass(frozen=True)
class JourneyClick:
    """A human click by the same visitor as the order's click."""

    click_id: UUID
    at: datetime
    ref: CreatorRef


@dataclass(frozen=True)
class CreditDraft:
    campaign_id: UUID
    creator_id: UUID
    model: Model
    method: str
    share: Decimal
    reason: str


def _equal(refs: list[CreatorRef], model: Model, method: str, reason: str) -> list[CreditDraft]:
    distinct = list(dict.fromkeys(refs))
    return [
        CreditDraft(r.campaign_id, r.creator_id, model, method, share, reason)
        for r, share in zip(distinct, equal_shares(len(distinct)), strict=True)
    ]


def attribute(
    occurred_at: datetime,
    promo_codes: list[str],
    click_id: UUID | None,
    ref: str | None,
    codes: dict[str, CreatorRef],
    slugs: dict[str, CreatorRef],
    journey: list[JourneyClick],
    skew: timedelta = timedelta(0),
) -> tuple[list[CreditDraft], str]:
    """Credits under every model, and a sentence saying why (also when nobody gets credit)."""
    matched = [(c, codes[c.lower()]) for c in promo_codes if c.lower() in codes]
    if matched:
        names = ", ".join(c for c, _ in matched)
        reason = f"promo code {names} in the order"
        return [d for m in MODELS for d in _equal([r for _, r in matched], m, "promo_code", reason)], reason
    if click_id is not None:
        clicked = next((c for c in journey if c.click_id == click_id), None)
        if clicked is not None:
            return _by_click(occurred_at, clicked, journey, skew)
    if ref and ref in slugs:
        reason = f"ref {ref} in the landing URL"
        return [d for m in MODELS for d in _equal([slugs[ref]], m, "ref", reason)], reason
    if click_id is not None:
        return [], f"click {click_id} is unknown (never recorded, or not this org's)"
    return [], "no promo code, click id or ref of a campaign creator in the order"


def _by_click(
    occurred_at: datetime, clicked: JourneyClick, journey: list[JourneyClick], skew: timedelta
) -> tuple[list[CreditDraft], str]:
    """``skew``: how far a click may follow the order, since the store's clock and ours differ."""
    window = timedelta(days=clicked.ref.attribution_days)
    latest = occurred_at + skew
    if not occurred_at - window <= clicked.at <= latest:
        return [], (
            f"click {clicked.click_id} at {clicked.at.isoformat()} is outside the "
            f"{clicked.ref.attribution_days}-day window before the order"
        )
    path = sorted(
        (c for c in journey if c.ref.campaign_id == clicked.ref.campaign_id and occurred_at - window <= c.at <= latest),
        key=lambda c: (c.at, str(c.click_id)),
    )
    reason = f"click id {clicked.click_id} in the order; {len(path)} click(s) by this visitor in the window"
    credits = [
        CreditDraft(path[-1].ref.campaign_id, path[-1].ref.creator_id, "last_click", "click_id", Decimal(1), reason),
        CreditDraft(path[0].ref.campaign_id, path[0].ref.creator_id, "first_click", "click_id", Decimal(1), reason),
    ]
    per_creator: dict[CreatorRef, int] = defaultdict(int)
    for c in path:
        per_creator[c.ref] += 1
    for (r, _), share in zip(per_creator.items(), shares(list(per_creator.values())), strict=True):
        credits.append(CreditDraft(r.campaign_id, r.creator_id, "linear", "click_id", share, reason))
    return credits, reason
