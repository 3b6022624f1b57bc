"""Per-creator campaign figures from stored events. Pure and exact: Decimal throughout.

Definitions (also in the README):
- Each paid order's amount and its refunds are split over the creators credited under the model
  by largest remainder in the order currency's minor units, so the parts sum exactly to the order.
- A creator's part is converted at the rate of the order's day (``campaigns.fx``: latest rate on or
  before that day within the staleness limit, direct, inverse or cross); refunds at the same rate.
  Gross revenue and refunds are the sums of the converted parts, rounded once, half up, to the report
  currency's unit; net = gross - refunds.
- Costs (fee, gifted product, other) are in the campaign's currency and are converted at one rate: the
  rate of the report's last day (or today, when that is later), so every cost line of a report uses
  the same, published rate. Commission = percent of the creator's net revenue in the report currency.
- A missing rate never becomes 1: the conversion (or the creator's costs) is left out, named in
  ``fx_errors``, and the report says ``complete: false``.
"""

from __future__ import annotations

import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Annotated, Any
from uuid import UUID

import msgspec

from campaigns import money
from campaigns.fx import FxTable, Used
from campaigns.models import Amount, Creator, Model, Ratio, Share

RATIO = Decimal("0.0001")


class CreatorFigures(msgspec.Struct):
    creator_id: Annotated[UUID | None, msgspec.Meta(description="None on the total row.")]
    handle: str
    promo_code: str | None
    clicks: Annotated[int, msgspec.Meta(description="Every redirect of the creator's link, bots included.")]
    human_clicks: Annotated[int, msgspec.Meta(description="Clicks not flagged as bots.")]
    unique_clicks: Annotated[int, msgspec.Meta(description="First human click per visitor and link per 24 h.")]
    conversions: Share
    gross_revenue: Amount
    refunds: Amount
    net_revenue: Amount
    cost_fee: Amount
    cost_gifted: Amount
    cost_commission: Amount
    cost_other: Amount
    cost: Amount
    roi: Annotated[Ratio | None, msgspec.Meta(description="(net revenue - cost) / cost; null when cost is 0.")]
    roas: Annotated[Ratio | None, msgspec.Meta(description="net revenue / cost.")]
    cpa: Annotated[Amount | None, msgspec.Meta(description="cost / conversions.")]
    cpc: Annotated[Amount | None, msgspec.Meta(description="cost / human clicks.")]
    cpm: Annotated[Amount | None, msgspec.Meta(description="cost x 1000 / reach.")]
    cpe: Annotated[Amount | None, msgspec.Meta(description="cost / engagements.")]
    cvr: Annotated[Ratio | None, msgspec.Meta(description="conversions / unique clicks.")]
    epc: Annotated[Amount | None, msgspec.Meta(description="net revenue / human clicks.")]
    aov: Annotated[Amount | None, msgspec.Meta(description="gross revenue / conversions.")]
    reach: Annotated[int, msgspec.Meta(description="Credible followers of the creator's account.")]
    engagements: int
    engagement_rate: Ratio | None
    emv: Amount
    # How reach and engagements were obtained (campaigns/audience.py): measured | reported | estimated | none.
    reach_method: str = "none"
    reach_basis: str = ""
    engagement_method: str = "none"
    posts: int = 0
    views: int = 0
    impressions: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int = 0


class FxUsed(msgspec.Struct):
    base: money.Currency  # type: ignore[valid-type]
    quote: money.Currency  # type: ignore[valid-type]
    rate: Annotated[str, msgspec.Meta(pattern=r"^[0-9]+(\.[0-9]+)?$", description="Units of quote per base.")]
    day: Annotated[date, msgspec.Meta(description="The day of the rate (the older leg's for a cross rate).")]
    via: Annotated[str, msgspec.Meta(description="direct, inverse, or cross:<currency>.")]
    source: Annotated[str, msgspec.Meta(description="Where the stored rate came from (api, csv, ecb...).")]
    used_for: Annotated[str, msgspec.Meta(description="revenue or costs.")]


class Report(msgspec.Struct):
    campaign_id: UUID
    currency: money.Currency  # type: ignore[valid-type]
    model: Model
    start: Annotated[date, msgspec.Meta(description="First day included (UTC), the `from` parameter.")]
    end: Annotated[date, msgspec.Meta(description="Last day included (UTC), the `to` parameter.")]
    complete: Annotated[bool, msgspec.Meta(description="False when any figure lacks an FX rate (see fx_errors).")]
    fx_errors: list[str]
    fx_rates: Annotated[list[FxUsed], msgspec.Meta(description="Every rate the figures were converted with.")]
    cost_fx_day: Annotated[date, msgspec.Meta(description="The day whose rate converts the costs.")]
    max_fx_age_days: Annotated[int, msgspec.Meta(description="How old a rate may be and still be used.")]
    creators: list[CreatorFigures]
    total: CreatorFigures
    emv_formula: str = ""


@dataclass
class Revenue:
    conversions: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)


@dataclass
class Conversion:
    """What ``convert`` made of the credits: revenue per creator, errors and the rates used."""

    revenue: dict[UUID, Revenue] = field(default_factory=lambda: defaultdict(Revenue))
    errors: list[str] = field(default_factory=list)
    used: set[tuple[Used, str]] = field(default_factory=set)


def _split(amount: Decimal, code: str, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` over ``weights`` by largest remainder; the common cases need no arithmetic."""
    if not amount:
        return [amount] * len(weights)
    if len(weights) == 1 and weights[0] == 1:
        return [amount]
    return [m.amount for m in money.allocate(money.Money(amount, code), weights)]


def convert(credits: list[Any], currency: str, fx: FxTable, result: Conversion) -> None:
    """Split each order over its credits exactly, then convert each creator's part.

    Rows without a conversion id are sums of orders credited to one creator alone, per currency and day.
    """
    for key, rows in groupby(credits, key=lambda c: c["conversion_id"]):
        group = list(rows)
        for part in [[c] for c in group] if key is None else [group]:
            first = part[0]
            rate = fx.lookup(first["currency"], currency, first["day"])
            if rate is None:
                result.errors.append(
                    f"no FX rate {first['currency']}->{currency} on or up to {fx.max_age.days} days before "
                    f"{first['day'].isoformat()}: its orders are left out"
                )
                continue
            if rate.via != "identity":
                result.used.add((rate, "revenue"))
            weights = [c["share"] for c in part]
            gross = _split(first["amount"], first["currency"], weights)
            refunded = _split(first["refunded"], first["currency"], weights)
            for c, g, r in zip(part, gross, refunded, strict=True):
                if c["mine"]:
                    rev = result.revenue[c["creator_id"]]
                    rev.conversions += c["share"] * c["orders"]
                    rev.gross += g * rate.rate
                    if r:
                        rev.refunds += r * rate.rate


@dataclass
class Numbers:
    clicks: tuple[int, int, int]
    conversions: Decimal
    gross: Decimal
    refunds: Decimal
    costs: tuple[Decimal, Decimal, Decimal, Decimal]  # fee, gifted, commission, other
    reach: int
    engagements: int


def _div(a: Decimal | int, b: Decimal | int, q: Decimal = RATIO) -> str | None:
    return None if not b else str((Decimal(a) / Decimal(b)).quantize(q, rounding=ROUND_HALF_UP))


def figures(
    creator_id: UUID | None, handle: str, code: str | None, n: Numbers, currency: str, refs: tuple[Decimal, Decimal]
) -> CreatorFigures:
    unit = money.unit(currency)
    fee, gifted, commission, other = n.costs
    net = n.gross - n.refunds
    cost = fee + gifted + commission + other
    total, human, unique = n.clicks
    cpm_ref, cpe_ref = refs
    emv = (Decimal(n.reach) * cpm_ref / 1000 + Decimal(n.engagements) * cpe_ref).quantize(unit, ROUND_HALF_UP)
    return CreatorFigures(
        creator_id=creator_id,
        handle=handle,
        promo_code=code,
        clicks=total,
        human_clicks=human,
        unique_clicks=unique,
        conversions=str(n.conversions),
        gross_revenue=str(n.gross),
        refunds=str(n.refunds),
        net_revenue=str(net),
        cost_fee=str(fee),
        cost_gifted=str(gifted),
        cost_commission=str(commission),
        cost_other=str(other),
        cost=str(cost),
        roi=_div(net - cost, cost),
        roas=_div(net, cost),
        cpa=_div(cost, n.conversions, unit),
        cpc=_div(cost, human, unit),
        cpm=_div(cost * 1000, n.reach, unit),
        cpe=_div(cost, n.engagements, unit),
        cvr=_div(n.conversions, unique),
        epc=_div(net, human, unit),
        aov=_div(n.gross, n.conversions, unit),
        reach=n.reach,
        engagements=n.engagements,
        engagement_rate=_div(n.engagements, n.reach),
        emv=str(emv),
    )


def _costs(c: Creator, net: Decimal, rate: Decimal | None, currency: str) -> tuple[Decimal, ...]:
    q = money.quantize
    zero = q(Decimal(0), currency)
    fee, gifted, other = (q(x * rate, currency) if rate is not None else zero for x in (c.fee, c.gifted, c.other_costs))
    commission = q(net * c.commission_pct / 100, currency) if net > 0 else zero
    return fee, gifted, commission, other


def report(
    campaign: Any,
    creators: list[Creator],
    inputs: dict[str, Any],
    currency: str,
    model: Model,
    span: tuple[date, date],
    fx: FxTable,
    cost_day: date,
) -> Report:
    result = Conversion()
    convert(inputs["credits"], currency, fx, result)
    cost_rate = fx.lookup(campaign.currency, currency, cost_day)
    if cost_rate is None and any(c.fee or c.gifted or c.other_costs for c in creators):
        result.errors.append(
            f"no FX rate {campaign.currency}->{currency} on or up to {fx.max_age.days} days before "
            f"{cost_day.isoformat()} for the creators' costs (left out)"
        )
    elif cost_rate is not None and cost_rate.via != "identity":
        result.used.add((cost_rate, "costs"))
    refs = (campaign.reference_cpm, campaign.reference_cpe)
    numbers, rows = [], []
    for c in creators:
        rev = result.revenue.get(c.id, Revenue())
        gross, refunds = money.quantize(rev.gross, currency), money.quantize(rev.refunds, currency)
        n = Numbers(
            inputs["clicks"].get(c.id, (0, 0, 0)),
            rev.conversions,
            gross,
            refunds,
            _costs(c, gross - refunds, cost_rate.rate if cost_rate else None, currency),  # type: ignore[arg-type]
            inputs["reach"].get(c.id, 0),
            inputs["engagements"].get(c.id, 0),
        )
        numbers.append(n)
        rows.append(figures(c.id, c.handle, c.promo_code, n, currency, refs))
    total = Numbers(
        tuple(sum(n.clicks[i] for n in numbers) for i in range(3)),  # type: ignore[arg-type]
        sum((n.conversions for n in numbers), Decimal(0)),
        sum((n.gross for n in numbers), money.quantize(Decimal(0), currency)),
        sum((n.refunds for n in numbers), money.quantize(Decimal(0), currency)),
        tuple(sum((n.costs[i] for n in numbers), money.quantize(Decimal(0), currency)) for i in range(4)),  # type: ignore[arg-type]
        inputs["reach"].get(None, 0),
        sum(n.engagements for n in numbers),
    )
    errors = sorted(set(result.errors))
    return Report(
        campaign_id=campaign.id,
        currency=money.Currency(currency),
        model=model,
        start=span[0],
        end=span[1],
        complete=not errors,
        fx_errors=errors,
        fx_rates=[
            FxUsed(money.Currency(u.base), money.Currency(u.quote), str(u.rate), u.day, u.via, u.source, used_for)
            for u, used_for in sorted(result.used, key=lambda x: (x[1], x[0].base, x[0].day, x[0].via))
        ],
        cost_fx_day=cost_day,
        max_fx_age_days=fx.max_age.days,
        creators=rows,
        total=figures(None, "TOTAL", None, total, currency, refs),
    )


FIGURES = list(CreatorFigures.__struct_fields__)
REPORT_COLUMNS = ["currency", "model", "from", "to", "complete", "fx_errors"]
COLUMNS = FIGURES + REPORT_COLUMNS  # the header of ``rows``
DECIMAL_COLUMNS = [
    "conversions",
    "gross_revenue",
    "refunds",
    "net_revenue",
    "cost_fee",
    "cost_gifted",
    "cost_commission",
    "cost_other",
    "cost",
    "roi",
    "roas",
    "cpa",
    "cpc",
    "cpm",
    "cpe",
    "cvr",
    "epc",
    "aov",
    "engagement_rate",
    "emv",
]


def _report_values(r: Report) -> list[object]:
    complete = "true" if r.complete else "false"
    return [r.currency.value, r.model, r.start.isoformat(), r.end.isoformat(), complete, "; ".join(r.fx_errors)]


def header() -> list[str]:
    return list(COLUMNS)


def rows(r: Report) -> list[list[object]]:
    """The report as a table: one row per creator, then the total; each row carries the report's
    currency, model, period, completeness and FX errors, so a row is never read without them."""
    tail = _report_values(r)
    return [[getattr(f, c) for c in FIGURES] + tail for f in [*r.creators, r.total]]


def parquet(r: Report) -> bytes:
    import polars as pl

    table = rows(r)
    data: dict[str, list[Any]] = {name: [row[i] for row in table] for i, name in enumerate(header())}
    data["creator_id"] = [str(x) if x else None for x in data["creator_id"]]
    data["complete"] = [r.complete] * len(table)
    data["fx_errors"] = [list(r.fx_errors)] * len(table)
    for name in DECIMAL_COLUMNS:
        data[name] = [Decimal(v) if v is not None else None for v in data[name]]
    frame = pl.DataFrame(data, strict=False)
    meta = {name: str(value) for name, value in zip(REPORT_COLUMNS, _report_values(r), strict=True)}
    meta["complete"] = json.dumps(r.complete)  # "true" / "false"
    meta["fx_errors"] = json.dumps(r.fx_errors)
    meta["fx_rates"] = msgspec.json.encode(r.fx_rates).decode()
    meta["campaign_id"] = str(r.campaign_id)
    buf = io.BytesIO()
    frame.write_parquet(buf, metadata=meta)
    return buf.getvalue()
