"""The payout ledger's rules, pure: currency exponents, entry amounts, balances.

Amounts are signed in the creator's favour: fees, commission and positive adjustments add to what is
owed; clawbacks, negative adjustments and payouts take from it. So for every creator and currency
``sum(entries) = balance`` and ``earned (all but payouts) = paid + balance``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from campaigns import money

KINDS = ("fee", "commission", "clawback", "adjustment", "payout")


def exponent(currency: str) -> int:
    """The currency's ISO 4217 exponent (the shared money layer's table)."""
    return money.exponent(currency.upper())


def quantize(amount: Decimal, currency: str) -> Decimal:
    return money.quantize(amount, currency.upper())


def fits(amount: Decimal, currency: str) -> bool:
    """True when ``amount`` needs no more decimals than the currency has."""
    exp = amount.as_tuple().exponent
    return amount.is_finite() and isinstance(exp, int) and exp >= -exponent(currency)


def fee_amount(fee: Decimal, share_pct: Decimal, currency: str) -> Decimal:
    return quantize(fee * share_pct / 100, currency)


def true_up(target: Decimal, accrued: Decimal) -> tuple[str, Decimal] | None:
    """The entry bringing accrued commission to ``target``: commission when it grew, clawback when it fell."""
    diff = target - accrued
    if diff == 0:
        return None
    return ("commission" if diff > 0 else "clawback"), diff


class Entry(msgspec.Struct):
    id: int
    campaign_id: UUID
    creator_id: UUID
    kind: str
    amount: Decimal
    currency: str
    effective_at: datetime
    reason: str
    reference: str | None
    paid_amount: Decimal | None
    paid_currency: str | None
    rate: Decimal | None
    source_key: str
    actor: str
    created_at: datetime


class Balance(msgspec.Struct):
    campaign_id: UUID
    creator_id: UUID
    handle: str
    currency: str
    fees: Decimal
    commission: Decimal
    clawbacks: Decimal
    adjustments: Decimal
    earned: Decimal
    paid: Decimal
    balance: Decimal
    entries: int


class Totals(msgspec.Struct):
    """Balances summed per campaign and currency (campaign_id None: the whole org)."""

    campaign_id: UUID | None
    currency: str
    creators: int
    earned: Decimal
    paid: Decimal
    balance: Decimal


def totals(balances: list[Balance]) -> list[Totals]:
    groups: dict[tuple[UUID | None, str], list[Balance]] = {}
    for b in balances:
        groups.setdefault((b.campaign_id, b.currency), []).append(b)
        groups.setdefault((None, b.currency), []).append(b)
    return [
        Totals(
            campaign_id=campaign_id,
            currency=currency,
            creators=len({b.creator_id for b in group}),
            earned=sum((b.earned for b in group), Decimal(0)),
            paid=sum((b.paid for b in group), Decimal(0)),
            balance=sum((b.balance for b in group), Decimal(0)),
        )
        for (campaign_id, currency), group in sorted(groups.items(), key=lambda kv: (kv[0][0] is None, str(kv[0])))
    ]


COLUMNS = list(Entry.__struct_fields__)
