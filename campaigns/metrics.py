"""Per-creator campaign figures from stored events. Pure and exact: Decimal throughout.

Definitions (also in the README): revenue is each attributed conversion's amount times
its credit share, converted at the FX rate of the order's day; refunds reduce it at the
same rate. Cost = fee + gifted product + commission (% of net attributed revenue) + other.
Impressions are estimated as reach (credible followers of the creator's account).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import msgspec

from campaigns.models import Creator

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


class CreatorFigures(msgspec.Struct):
    creator_id: UUID | None
    handle: str
    promo_code: str | None
    clicks: int
    human_clicks: int
    unique_clicks: int
    conversions: Decimal
    gross_revenue: Decimal
    refunds: Decimal
    net_revenue: Decimal
    cost_fee: Decimal
    cost_gifted: Decimal
    cost_commission: Decimal
    cost_other: Decimal
    cost: Decimal
    roi: Decimal | None
    roas: Decimal | None
    cpa: Decimal | None
    cpc: Decimal | None
    cpm: Decimal | None
    cpe: Decimal | None
    cvr: Decimal | None
    epc: Decimal | None
    aov: Decimal | None
    reach: int
    engagements: int
    engagement_rate: Decimal | None
    emv: Decimal
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


class Report(msgspec.Struct):
    campaign_id: UUID
    currency: str
    model: str
    start: date
    end: date
    complete: bool
    fx_errors: list[str]
    creators: list[CreatorFigures]
    total: CreatorFigures
    emv_formula: str = ""


@dataclass
class Money:
    conversions: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)


def _div(a: Decimal | int, b: Decimal | int, q: Decimal = RATIO) -> Decimal | None:
    return None if not b else (Decimal(a) / Decimal(b)).quantize(q, rounding=ROUND_HALF_UP)


def convert(
    credits: list[dict[str, Any]], currency: str, fx: dict[tuple[str, date], Decimal]
) -> tuple[dict[UUID, Money], list[str]]:
    """Attributed revenue per creator in ``currency``; a missing FX rate is reported, never assumed."""
    money: dict[UUID, Money] = defaultdict(Money)
    errors: list[str] = []
    for c in credits:
        ccy, day = c["currency"].strip(), c["occurred_at"].date()
        if ccy == currency:
            rate = Decimal(1)
        elif (ccy, day) in fx:
            rate = fx[(ccy, day)]
        else:
            errors.append(f"no FX rate {ccy}->{currency} for {day.isoformat()} (conversion {c['conversion_id']})")
            continue
        m = money[c["creator_id"]]
        share = Decimal(c["share"])
        m.conversions += share
        m.gross += c["amount"] * share * rate
        m.refunds += c["refunded"] * share * rate
    return money, sorted(set(errors))


def figures(
    creator_id: UUID | None,
    handle: str,
    code: str | None,
    clicks: tuple[int, int, int],
    money: Money,
    costs: tuple[Decimal, Decimal, Decimal, Decimal],
    reach: int,
    engagements: int,
    cpm_ref: Decimal,
    cpe_ref: Decimal,
) -> CreatorFigures:
    """``costs``: fee, gifted, commission percent (0-100), other."""
    fee, gifted, pct, other = costs
    gross, refunds = money.gross.quantize(CENT, ROUND_HALF_UP), money.refunds.quantize(CENT, ROUND_HALF_UP)
    net = gross - refunds
    commission = (net * pct / 100).quantize(CENT, ROUND_HALF_UP) if net > 0 else Decimal("0.00")
    return _assemble(
        creator_id,
        handle,
        code,
        clicks,
        money.conversions,
        gross,
        refunds,
        net,
        (fee, gifted, commission, other),
        reach,
        engagements,
        cpm_ref,
        cpe_ref,
    )


def _assemble(
    creator_id: UUID | None,
    handle: str,
    code: str | None,
    clicks: tuple[int, int, int],
    conversions: Decimal,
    gross: Decimal,
    refunds: Decimal,
    net: Decimal,
    costs: tuple[Decimal, Decimal, Decimal, Decimal],
    reach: int,
    engagements: int,
    cpm_ref: Decimal,
    cpe_ref: Decimal,
) -> CreatorFigures:
    fee, gifted, commission, other = costs
    cost = fee + gifted + commission + other
    total, human, unique = clicks
    emv = (Decimal(reach) * cpm_ref / 1000 + Decimal(engagements) * cpe_ref).quantize(CENT, ROUND_HALF_UP)
    return CreatorFigures(
        creator_id=creator_id,
        handle=handle,
        promo_code=code,
        clicks=total,
        human_clicks=human,
        unique_clicks=unique,
        conversions=conversions.quantize(RATIO, ROUND_HALF_UP),
        gross_revenue=gross,
        refunds=refunds,
        net_revenue=net,
        cost_fee=fee,
        cost_gifted=gifted,
        cost_commission=commission,
        cost_other=other,
        cost=cost,
        roi=_div(net - cost, cost),
        roas=_div(net, cost),
        cpa=_div(cost, conversions, CENT),
        cpc=_div(cost, human, CENT),
        cpm=_div(cost * 1000, reach, CENT),
        cpe=_div(cost, engagements, CENT),
        cvr=_div(conversions, unique),
        epc=_div(net, human, CENT),
        aov=_div(gross, conversions, CENT),
        reach=reach,
        engagements=engagements,
        engagement_rate=_div(engagements, reach),
        emv=emv,
    )


def report(
    campaign: Any,
    creators: list[Creator],
    inputs: dict[str, Any],
    currency: str,
    model: str,
    start: date,
    end: date,
    fx: dict[tuple[str, date], Decimal],
) -> Report:
    money, errors = convert(inputs["credits"], currency, fx)
    rows = []
    for c in creators:
        rows.append(
            figures(
                c.id,
                c.handle,
                c.promo_code,
                inputs["clicks"].get(c.id, (0, 0, 0)),
                money.get(c.id, Money()),
                (c.fee, c.gifted, c.commission_pct, c.other_costs),
                inputs["reach"].get(c.id, 0),
                inputs["engagements"].get(c.id, 0),
                campaign.reference_cpm,
                campaign.reference_cpe,
            )
        )
    total = _assemble(
        None,
        "TOTAL",
        None,
        (sum(r.clicks for r in rows), sum(r.human_clicks for r in rows), sum(r.unique_clicks for r in rows)),
        sum((r.conversions for r in rows), Decimal(0)),
        sum((r.gross_revenue for r in rows), Decimal(0)),
        sum((r.refunds for r in rows), Decimal(0)),
        sum((r.net_revenue for r in rows), Decimal(0)),
        (
            sum((r.cost_fee for r in rows), Decimal(0)),
            sum((r.cost_gifted for r in rows), Decimal(0)),
            sum((r.cost_commission for r in rows), Decimal(0)),
            sum((r.cost_other for r in rows), Decimal(0)),
        ),
        inputs["reach"].get(None, 0),
        sum(r.engagements for r in rows),
        campaign.reference_cpm,
        campaign.reference_cpe,
    )
    return Report(
        campaign_id=campaign.id,
        currency=currency,
        model=model,
        start=start,
        end=end,
        complete=not errors,
        fx_errors=errors,
        creators=rows,
        total=total,
    )


COLUMNS = [f for f in CreatorFigures.__struct_fields__]


def rows(r: Report) -> list[list[object]]:
    """The report as a table: one row per creator, then the total."""
    return [[getattr(f, c) for c in COLUMNS] for f in [*r.creators, r.total]]


def parquet(r: Report) -> bytes:
    import io

    import polars as pl

    data = {c: [getattr(f, c) for f in [*r.creators, r.total]] for c in COLUMNS}
    data["creator_id"] = [str(x) if x else None for x in data["creator_id"]]
    frame = pl.DataFrame(data, strict=False)
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()
