"""The payout ledger's rules, pure: currency exponents, entry amounts, balances.

Amounts are signed in the creator's favour: fees, commission and positive adjustments add to what is
owed; clawbacks, negative adjustments and payouts take from it. So for every creator and currency
``sum(entries) = balance`` and ``earned (all but payouts) = paid + balance``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import msgspec

KINDS = ("fee", "commission", "clawback", "adjustment", "payout")
# ISO 4217 minor units where they are not 2 (the list of the standard's table).
_EXPONENTS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF"), 0
    ),
    **dict.fromkeys(("XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), ROUND_HALF_UP)


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


COLUMNS = list(Entry.__struct_fields__)
