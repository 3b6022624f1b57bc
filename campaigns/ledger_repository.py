"""SQL of the payout ledger. Entries are only ever inserted (PostgreSQL refuses updates and deletes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from campaigns.ledger import Balance, Entry, quantize
from sql import Conn, Q


def to_entry(row: Any) -> Entry:
    d = dict(row)
    d.pop("org_id")
    d["currency"] = d["currency"].strip()
    d["amount"] = quantize(d["amount"], d["currency"])  # NUMERIC columns carry 6 places; show the currency's own
    if d["paid_currency"]:
        d["paid_currency"] = d["paid_currency"].strip()
        if d["paid_amount"] is not None:
            d["paid_amount"] = quantize(d["paid_amount"], d["paid_currency"])
    return Entry(**d)


async def lock_creator(conn: Conn, creator_id: UUID) -> None:
    await conn.execute(Q["ledger.lock_creator"], str(creator_id))


async def append(conn: Conn, org_id: UUID, campaign_id: UUID, creator_id: UUID, e: dict[str, Any]) -> Entry | None:
    """The new entry, or None when an entry with the same source key exists (nothing is written twice)."""
    row = await conn.fetchrow(
        Q["ledger.append"],
        org_id,
        campaign_id,
        creator_id,
        e["kind"],
        e["amount"],
        e["currency"],
        e["effective_at"],
        e.get("reason", ""),
        e.get("reference"),
        e.get("paid_amount"),
        e.get("paid_currency"),
        e.get("rate"),
        e["source_key"],
        e.get("actor", "system"),
    )
    return to_entry(row) if row else None


async def entries(
    conn: Conn,
    org_id: UUID,
    campaign_id: UUID | None,
    creator_id: UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[Entry]:
    rows = await conn.fetch(Q["ledger.entries"], org_id, campaign_id, creator_id, since, until, limit)
    return [to_entry(r) for r in rows]


async def balances(conn: Conn, org_id: UUID, campaign_id: UUID | None, creator_id: UUID | None) -> list[Balance]:
    out = []
    for r in await conn.fetch(Q["ledger.balances"], org_id, campaign_id, creator_id):
        d = dict(r)
        d["currency"] = d["currency"].strip()
        d["entries"] = int(d["entries"])
        d["earned"] = d["fees"] + d["commission"] + d["clawbacks"] + d["adjustments"]
        for key in ("fees", "commission", "clawbacks", "adjustments", "paid", "balance", "earned"):
            d[key] = quantize(d[key], d["currency"])
        out.append(Balance(**d))
    return out


async def accrued_commission(conn: Conn, org_id: UUID, campaign_id: UUID) -> dict[UUID, tuple[Decimal, int]]:
    rows = await conn.fetch(Q["ledger.accrued_commission"], org_id, campaign_id)
    return {r["creator_id"]: (r["accrued"], int(r["n"])) for r in rows}


async def matured_credits(conn: Conn, campaign_id: UUID, model: str, since: datetime, until: datetime) -> list[Any]:
    return [dict(r) for r in await conn.fetch(Q["ledger.matured_credits"], campaign_id, model, since, until)]


async def has_source(conn: Conn, creator_id: UUID, source_key: str) -> bool:
    return bool(await conn.fetchval(Q["ledger.has_source"], creator_id, source_key))
