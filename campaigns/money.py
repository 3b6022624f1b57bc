"""Money as a type: an amount with its currency and that currency's ISO 4217 exponent.

Every figure of a report goes through here: parsing and validating amounts, minor units
(with Stripe's documented exceptions), exact allocation by largest remainder, and
rounding to the currency's own unit. Pure.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import iso4217

from sql.errors import ValidationError

# ISO 4217 codes with a numeric minor unit (funds and "N.A." units such as XAU are no money here).
EXPONENTS: dict[str, int] = {
    code: int(str(entry["CcyMnrUnts"]))
    for code, entry in iso4217.raw_table.items()
    if code and entry.get("CcyNbr") is not None and str(entry.get("CcyMnrUnts", "")).isdigit()
}
CODES: tuple[str, ...] = tuple(sorted(EXPONENTS))
# A dynamic enum so the OpenAPI schema lists every code (``Currency.EUR.value == "EUR"``).
Currency = enum.StrEnum("Currency", {c: c for c in CODES})  # type: ignore[misc]

# Stripe sends amounts in its own minor units: these currencies are zero-decimal there
# (https://docs.stripe.com/currencies#zero-decimal), whatever ISO says (MGA has 2 in ISO);
# ISK is two-decimal in Stripe's API for backwards compatibility though ISO gives it 0.
STRIPE_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
STRIPE_TWO_DECIMAL = frozenset({"ISK"})
MAX_AMOUNT = Decimal("1e15")  # NUMERIC(24, 4) holds up to 10^20; nobody sells for more than this


def currency(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code, upper-cased; anything else is a ValidationError."""
    code = str(value.value if isinstance(value, enum.Enum) else value or "").strip().upper()
    if code not in EXPONENTS:
        raise ValidationError(f"{field} must be an ISO 4217 currency code, got {value!r}", field=field)
    return code


def exponent(code: str) -> int:
    return EXPONENTS[code]


def unit(code: str) -> Decimal:
    """The currency's smallest unit: 0.01 for EUR, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-EXPONENTS[code])


def quantize(amount: Decimal, code: str) -> Decimal:
    """Rounded half-up to the currency's own unit."""
    return amount.quantize(unit(code), ROUND_HALF_UP)


MAX_EXPONENT = max(EXPONENTS.values())  # 4 (CLF, UYW): what NUMERIC(24, 4) columns hold


def parse_amount(value: Any, code: str | None, field: str = "amount", *, positive: bool = False) -> Decimal:
    """A non-negative (or positive) amount with no more decimals than the currency has (with no
    currency known yet: than any currency has)."""
    places = EXPONENTS[code] if code else MAX_EXPONENT
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise ValidationError(f"{field} is not an amount: {value!r}", field=field) from e
    if (
        not amount.is_finite()
        or amount < 0
        or amount >= MAX_AMOUNT
        or (positive and amount == 0)
        or amount != amount.quantize(Decimal(1).scaleb(-places))
    ):
        sign = "positive" if positive else "non-negative"
        raise ValidationError(
            f"{field} must be a {sign} amount{f' in {code}' if code else ''} with at most {places} decimals, "
            f"got {value!r}",
            field=field,
        )
    return amount


def stripe_exponent(code: str) -> int:
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_TWO_DECIMAL:
        return 2
    return EXPONENTS[code]


def from_stripe_minor(value: Any, code: str, field: str = "amount") -> Decimal:
    """Stripe's integer amount in ``code``'s Stripe minor units, as a Decimal in major units."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{field} must be a non-negative integer of minor units, got {value!r}", field=field)
    return Decimal(value).scaleb(-stripe_exponent(code))


@dataclass(frozen=True)
class Money:
    """An amount in a currency; arithmetic only between the same currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in EXPONENTS:
            raise ValueError(f"not an ISO 4217 currency: {self.currency!r}")

    @property
    def exponent(self) -> int:
        return EXPONENTS[self.currency]

    def minor(self) -> int:
        """The amount in minor units; it must be a whole number of them."""
        scaled = self.amount.scaleb(self.exponent)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{self.amount} {self.currency} is not a whole number of minor units")
        return int(scaled)

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{quantize(self.amount, self.currency)} {self.currency}"


def largest_remainder(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Split ``total`` units in proportion to ``weights`` so the parts sum exactly to ``total``.

    Each part gets the floor of its exact share; the units left go one each to the largest
    remainders (ties to the earlier weight), so the split is deterministic.
    """
    if not weights:
        return []
    whole = sum(weights, Decimal(0))
    if whole <= 0:
        raise ValueError("weights must sum to more than zero")
    exact = [Decimal(total) * w / whole for w in weights]
    parts = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def allocate(money: Money, weights: Sequence[Decimal]) -> list[Money]:
    """``money`` split by ``weights`` in whole minor units that sum exactly to it."""
    return [
        Money(Decimal(p).scaleb(-money.exponent), money.currency) for p in largest_remainder(money.minor(), weights)
    ]


SHARE_PLACES = 6  # attributions.share is NUMERIC(9, 6)


def equal_shares(n: int) -> list[Decimal]:
    """``n`` shares of one conversion with 6 decimals that sum exactly to 1."""
    return [Decimal(p).scaleb(-SHARE_PLACES) for p in largest_remainder(10**SHARE_PLACES, [Decimal(1)] * n)]


def shares(weights: Sequence[int]) -> list[Decimal]:
    """Shares proportional to ``weights`` (e.g. clicks per creator), 6 decimals, summing to 1."""
    return [
        Decimal(p).scaleb(-SHARE_PLACES) for p in largest_remainder(10**SHARE_PLACES, [Decimal(w) for w in weights])
    ]
