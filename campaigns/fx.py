"""FX: dated rates with provenance, the latest on or before a day, inverse and cross rates,
and the rate files people actually have (ECB reference rates as published, or day,base,quote,rate).

Rule (also in the README): to convert on day D from A to B, use the most recent rate on or
before D that is at most ``max_age_days`` old, in this order of preference: A->B as stored,
1 / (B->A), then a cross through a third currency P (A->P x P->B, each direct or inverse,
the day used is the older of the two legs; the P with the freshest legs wins, ties by code).
Pure.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import msgspec

from campaigns import money
from sql.errors import ValidationError

DEFAULT_MAX_AGE_DAYS = 7
RATE_PLACES = Decimal("1e-12")  # fx_rates.rate is NUMERIC(24, 12)


class StoredRate(msgspec.Struct, frozen=True):
    day: date
    base: str
    quote: str
    rate: Decimal
    source: str = "api"


@dataclass(frozen=True)
class Used:
    """Which rate converted what: the provenance printed with every report."""

    base: str
    quote: str
    rate: Decimal
    day: date  # the day of the rate (of the older leg for a cross rate)
    via: str  # "direct", "inverse" or "cross:<P>"
    source: str


class FxTable:
    """Rates of one org, indexed for ``lookup``."""

    def __init__(self, rates: Iterable[StoredRate], max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> None:
        self.max_age = timedelta(days=max_age_days)
        series: dict[tuple[str, str], list[StoredRate]] = defaultdict(list)
        for r in rates:
            series[(r.base, r.quote)].append(r)
        self.series = {k: sorted(v, key=lambda r: r.day) for k, v in series.items()}
        self.days = {k: [r.day for r in v] for k, v in self.series.items()}
        self.neighbours: dict[str, set[str]] = defaultdict(set)
        for base, quote in self.series:
            self.neighbours[base].add(quote)
            self.neighbours[quote].add(base)
        self._cache: dict[tuple[str, str, date], Used | None] = {}

    def _latest(self, base: str, quote: str, day: date) -> StoredRate | None:
        days = self.days.get((base, quote))
        if not days:
            return None
        i = bisect.bisect_right(days, day) - 1
        if i < 0 or day - days[i] > self.max_age:
            return None
        return self.series[(base, quote)][i]

    def _leg(self, base: str, quote: str, day: date) -> Used | None:
        direct, inverse = self._latest(base, quote, day), self._latest(quote, base, day)
        # The fresher of the two directions; a stored direct rate wins a tie.
        if direct and (not inverse or direct.day >= inverse.day):
            return Used(base, quote, direct.rate, direct.day, "direct", direct.source)
        if inverse:
            rate = (Decimal(1) / inverse.rate).quantize(RATE_PLACES)
            return Used(base, quote, rate, inverse.day, "inverse", inverse.source)
        return None

    def lookup(self, base: str, quote: str, day: date) -> Used | None:
        """The rate to convert ``base`` into ``quote`` on ``day``, or None when there is none fresh enough."""
        if base == quote:
            return Used(base, quote, Decimal(1), day, "identity", "")
        key = (base, quote, day)
        if key not in self._cache:
            self._cache[key] = self._leg(base, quote, day) or self._cross(base, quote, day)
        return self._cache[key]

    def _cross(self, base: str, quote: str, day: date) -> Used | None:
        best: Used | None = None
        for pivot in sorted(self.neighbours[base] & self.neighbours[quote]):
            first, second = self._leg(base, pivot, day), self._leg(pivot, quote, day)
            if first is None or second is None:
                continue
            used = Used(
                base,
                quote,
                (first.rate * second.rate).quantize(RATE_PLACES),
                min(first.day, second.day),
                f"cross:{pivot}",
                first.source if first.source == second.source else f"{first.source}+{second.source}",
            )
            if best is None or used.day > best.day:
                best = used
        return best


def validate(rates: Iterable[StoredRate]) -> list[StoredRate]:
    out = []
    for r in rates:
        if not r.rate.is_finite() or r.rate <= 0 or r.rate >= Decimal("1e12"):
            raise ValidationError(f"rate must be positive and below 10^12, got {r.rate}", field="rate")
        base, quote = money.currency(r.base, "base"), money.currency(r.quote, "quote")
        if base == quote:
            raise ValidationError("base and quote must differ", field="quote")
        out.append(StoredRate(r.day, base, quote, r.rate.quantize(RATE_PLACES), r.source))
    return out


def _ecb_day(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d %B %Y").date()  # the daily file: "27 November 2026"


def parse_csv(text: str, source: str = "csv") -> list[StoredRate]:
    """Either ``day,base,quote,rate`` rows, or the ECB reference-rate file as published
    (``Date, USD, JPY, ...`` then one row per day of units per euro, ``N/A`` for none)."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
    if not rows:
        raise ValidationError("the CSV is empty", field="body")
    header = [h.strip() for h in rows[0]]
    try:
        if header[:4] == ["day", "base", "quote", "rate"]:
            return [
                StoredRate(date.fromisoformat(r[0].strip()), r[1], r[2], Decimal(r[3].strip()), source)
                for r in rows[1:]
            ]
        if header[0].lower() == "date":
            return _ecb(header, rows[1:], "ecb" if source == "csv" else source)
    except (ValueError, IndexError, InvalidOperation) as e:
        raise ValidationError(f"bad FX row: {e}", field="body") from e
    raise ValidationError("CSV needs a header row 'day,base,quote,rate' or the ECB 'Date, USD, ...'", field="body")


def _ecb(header: list[str], rows: list[list[str]], source: str) -> list[StoredRate]:
    out = []
    for r in rows:
        day = _ecb_day(r[0])
        for code, cell in zip(header[1:], r[1:], strict=False):
            value = cell.strip()
            if code and value and value.upper() != "N/A" and code in money.EXPONENTS:
                out.append(StoredRate(day, "EUR", code, Decimal(value), source))
    return out
