"""The payout ledger as finance uses it: fee milestones, commission after the hold, clawbacks, adjustments,
payouts, balances and exports. Every change is a new entry; nothing on the ledger is ever rewritten.

Commission is trued up, never computed twice: an accrual asks the campaign report for the commission of
each creator over the matured period (orders placed up to ``commission_hold_days`` days before the
accrual), and appends the difference from what the ledger already holds: a ``commission`` entry when it
grew, a ``clawback`` when refunds made it shrink. So the ledger's commission always equals the report's
commission for the same period, and a clawback after a payout lowers the balance the next payout settles.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from campaigns import ledger, money
from campaigns import ledger_repository as repo
from campaigns import ops_repository as ops
from campaigns import repository as campaigns_repo
from campaigns.ledger import Balance, Entry
from sql import Conn
from sql.errors import ConflictError, ValidationError


class PayoutIn(msgspec.Struct, forbid_unknown_fields=True):
    reference: str
    paid_on: date | None = None
    amount: Decimal | None = None  # in the ledger currency; default: the whole balance
    currency: str | None = None  # the ledger currency paid from; default: the campaign's
    paid_currency: str | None = None  # default: the creator's payout currency, else the ledger currency
    rate: Decimal | None = None  # paid_currency per unit of currency; required when they differ


class AdjustmentIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: Decimal
    reason: str
    currency: str | None = None
    key: str | None = None  # an idempotency key: the same key twice records one adjustment


class AccrualResult(msgspec.Struct):
    campaign_id: UUID
    as_of: datetime
    period_end: date
    entries: list[Entry]


def _ccy(code: str | None, default: str, field: str) -> str:
    return money.currency(code or default, field)


async def fee_on_milestone(
    conn: Conn, org_id: UUID, deliverable: Any, status: str, actor: str, at: datetime
) -> Entry | None:
    """The fee share of a deliverable, once, when it reaches the campaign's fee milestone."""
    campaign = await campaigns_repo.get_campaign(conn, org_id, deliverable["campaign_id"])
    if status != campaign.fee_milestone or deliverable["fee_share"] == 0:
        return None
    creator = await ops.get_creator(conn, org_id, campaign.id, deliverable["creator_id"], "")
    amount = ledger.fee_amount(creator.fee, deliverable["fee_share"], campaign.currency)
    if amount == 0:
        return None
    await repo.lock_creator(conn, creator.id)
    entry = {
        "kind": "fee",
        "amount": amount,
        "currency": campaign.currency,
        "effective_at": at,
        "reason": f"{deliverable['fee_share']}% of the fee: deliverable {deliverable['kind']} {status}",
        "source_key": f"fee:{deliverable['id']}",
        "actor": actor,
    }
    return await repo.append(conn, org_id, campaign.id, creator.id, entry)


async def accrue(conn: Conn, org_id: UUID, campaign_id: UUID, as_of: datetime | None, actor: str) -> AccrualResult:
    from campaigns.service import campaign_report  # the report is the one definition of commission

    campaign = await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    now = datetime.now(UTC)
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    as_of = min(as_of or now, now)  # commission never matures ahead of time
    period_end = (as_of - timedelta(days=campaign.commission_hold_days)).date()
    start = campaign.starts_at.date() if campaign.starts_at else campaign.created_at.date()
    written: list[Entry] = []
    if period_end < start:
        return AccrualResult(campaign_id, as_of, period_end, written)
    report = await campaign_report(conn, org_id, campaign_id, None, None, start, period_end, "")
    for figures in report.creators:
        assert figures.creator_id is not None
        await repo.lock_creator(conn, figures.creator_id)
    accrued = await repo.accrued_commission(conn, org_id, campaign_id)
    for figures in report.creators:
        assert figures.creator_id is not None
        have, n = accrued.get(figures.creator_id, (Decimal(0), 0))
        step = ledger.true_up(Decimal(figures.cost_commission), have)
        if step is None:
            continue
        kind, amount = step
        reason = (
            f"commission on net revenue {figures.net_revenue} {report.currency} of orders {start}..{period_end}"
            if kind == "commission"
            else f"clawback: commission on orders {start}..{period_end} fell to {figures.cost_commission} (refunds)"
        )
        entry = {
            "kind": kind,
            "amount": amount,
            "currency": report.currency,
            "effective_at": as_of,
            "reason": reason,
            "source_key": f"commission:{n + 1}",
            "actor": actor,
        }
        if (made := await repo.append(conn, org_id, campaign_id, figures.creator_id, entry)) is not None:
            written.append(made)
    return AccrualResult(campaign_id, as_of, period_end, written)


async def adjust(
    conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, data: AdjustmentIn, actor: str
) -> Entry:
    campaign = await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    await ops.get_creator(conn, org_id, campaign_id, creator_id, "")
    currency = _ccy(data.currency, campaign.currency, "currency")
    if data.amount == 0 or not ledger.fits(data.amount, currency) or abs(data.amount) >= Decimal("1e12"):
        raise ValidationError(
            f"amount must be non-zero with at most {ledger.exponent(currency)} decimals", field="amount"
        )
    if not data.reason.strip():
        raise ValidationError("an adjustment needs a reason", field="reason")
    await repo.lock_creator(conn, creator_id)
    entry = {
        "kind": "adjustment",
        "amount": data.amount,
        "currency": currency,
        "effective_at": datetime.now(UTC),
        "reason": data.reason.strip()[:500],
        "source_key": f"adjustment:{data.key or secrets.token_hex(8)}",
        "actor": actor,
    }
    made = await repo.append(conn, org_id, campaign_id, creator_id, entry)
    if made is None:
        raise ConflictError(f"an adjustment with key {data.key!r} is already on the ledger", field="key")
    return made


async def pay(conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, data: PayoutIn, actor: str) -> Entry:
    """Record a payout: by default the whole balance, so earlier clawbacks are netted against it."""
    campaign = await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    creator = await ops.get_creator(conn, org_id, campaign_id, creator_id, "")
    currency = _ccy(data.currency, campaign.currency, "currency")
    paid_currency = _ccy(data.paid_currency, creator.payout_currency or currency, "paid_currency")
    reference = data.reference.strip()
    if not reference or len(reference) > 200:
        raise ValidationError("reference: 1-200 characters (the bank or wallet transfer id)", field="reference")
    await repo.lock_creator(conn, creator_id)
    if await repo.has_source(conn, creator_id, f"payout:{reference}"):
        raise ConflictError(f"payout {reference!r} is already recorded for this creator", field="reference")
    held = await repo.balances(conn, org_id, campaign_id, creator_id)
    owed = sum((b.balance for b in held if b.currency == currency), Decimal(0))
    if data.amount is not None and (not ledger.fits(data.amount, currency) or data.amount <= 0):
        raise ValidationError(
            f"amount must be positive with at most {ledger.exponent(currency)} decimals", field="amount"
        )
    amount = owed if data.amount is None else data.amount
    if amount <= 0:
        raise ValidationError(f"nothing to pay: the balance is {owed} {currency}", field="amount")
    if amount > owed:
        raise ValidationError(f"amount {amount} exceeds the balance of {owed} {currency}", field="amount")
    rate = _rate(data.rate, currency, paid_currency)
    paid_on = data.paid_on or datetime.now(UTC).date()
    paid = ledger.quantize(amount * rate, paid_currency)
    entry = {
        "kind": "payout",
        "amount": -amount,
        "currency": currency,
        "effective_at": datetime.combine(paid_on, time(), UTC),
        "reason": f"paid {paid} {paid_currency} at {rate} {paid_currency}/{currency}",
        "reference": reference,
        "paid_amount": paid,
        "paid_currency": paid_currency,
        "rate": rate,
        "source_key": f"payout:{reference}",
        "actor": actor,
    }
    made = await repo.append(conn, org_id, campaign_id, creator_id, entry)
    if made is None:
        raise ConflictError(f"payout {reference!r} is already recorded for this creator", field="reference")
    return made


def _rate(rate: Decimal | None, currency: str, paid_currency: str) -> Decimal:
    if paid_currency == currency:
        if rate is not None and rate != 1:
            raise ValidationError("rate must be 1 when paying in the ledger currency", field="rate")
        return Decimal(1)
    if rate is None or not rate.is_finite() or rate <= 0:
        raise ValidationError(f"give the rate used: {paid_currency} per 1 {currency}", field="rate")
    return rate


async def balances(conn: Conn, org_id: UUID, campaign_id: UUID | None, creator_id: UUID | None) -> list[Balance]:
    if campaign_id is not None:
        await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    return await repo.balances(conn, org_id, campaign_id, creator_id)


async def entries(
    conn: Conn,
    org_id: UUID,
    campaign_id: UUID | None,
    creator_id: UUID | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 10_000,
) -> list[Entry]:
    if campaign_id is not None:
        await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    lo = datetime.combine(since, time(), UTC) if since else None
    hi = datetime.combine(until + timedelta(days=1), time(), UTC) if until else None
    return await repo.entries(conn, org_id, campaign_id, creator_id, lo, hi, limit)


def rows(items: list[Entry]) -> list[list[object]]:
    return [[getattr(e, c) for c in ledger.COLUMNS] for e in items]


def parquet(items: list[Entry]) -> bytes:
    import polars as pl

    data: dict[str, list[Any]] = {c: [getattr(e, c) for e in items] for c in ledger.COLUMNS}
    for c in ("campaign_id", "creator_id"):
        data[c] = [str(x) for x in data[c]]
    for c in ("amount", "paid_amount", "rate"):
        data[c] = [None if x is None else str(x) for x in data[c]]  # exact: decimals as text
    schema = {c: pl.String for c in ("campaign_id", "creator_id", "amount", "paid_amount", "rate")}
    frame = pl.DataFrame(data, schema_overrides=schema, strict=False)
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()
