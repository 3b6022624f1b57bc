"""Promo code leak signal: a code used by people who never came through the creator's link.

Per code: the share of its orders with no click from the creator's link (nor the link's ``ref``), the first
time such an order was seen, and a flag when that unexpected use jumps: a day with at least
``MIN_DAILY`` unexpected orders and at least ``JUMP`` times the average daily unexpected orders of the
``BASELINE_DAYS`` days before (a code posted on a coupon site looks exactly like that).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import msgspec

from campaigns import ops_repository as ops
from campaigns import repository as campaigns_repo
from sql import Conn

MIN_DAILY = 5
JUMP = 3
BASELINE_DAYS = 7


class CodeLeak(msgspec.Struct):
    creator_id: UUID
    handle: str
    promo_code: str
    orders: int
    unexpected_orders: int
    unexpected_share: Decimal | None
    first_unexpected_at: datetime | None
    flagged: bool
    jump_day: date | None
    jump_orders: int
    baseline_per_day: Decimal | None


def jump(days: Counter[date]) -> tuple[date, int, Decimal] | None:
    """The first day whose unexpected orders jump above the days before, with its count and baseline."""
    for day in sorted(days):
        before = sum(days.get(day - timedelta(days=k), 0) for k in range(1, BASELINE_DAYS + 1))
        baseline = Decimal(before) / BASELINE_DAYS
        if days[day] >= MIN_DAILY and days[day] >= JUMP * max(baseline, Decimal(1)):
            return day, days[day], baseline.quantize(Decimal("0.01"), ROUND_HALF_UP)
    return None


def signal(creator_id: UUID, handle: str, code: str, orders: list[tuple[datetime, bool]]) -> CodeLeak:
    unexpected = [at for at, via_link in orders if not via_link]
    found = jump(Counter(at.date() for at in unexpected))
    share = (Decimal(len(unexpected)) / len(orders)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if orders else None
    return CodeLeak(
        creator_id=creator_id,
        handle=handle,
        promo_code=code,
        orders=len(orders),
        unexpected_orders=len(unexpected),
        unexpected_share=share,
        first_unexpected_at=min(unexpected) if unexpected else None,
        flagged=found is not None,
        jump_day=found[0] if found else None,
        jump_orders=found[1] if found else 0,
        baseline_per_day=found[2] if found else None,
    )


async def leaks(conn: Conn, org_id: UUID, campaign_id: UUID) -> list[CodeLeak]:
    await campaigns_repo.get_campaign(conn, org_id, campaign_id)
    creators = await campaigns_repo.list_creators(conn, org_id, campaign_id, True, "")
    orders: dict[UUID, list[tuple[datetime, bool]]] = {c.id: [] for c in creators}
    for r in await ops.code_orders(conn, org_id, campaign_id):
        orders[r["creator_id"]].append((r["occurred_at"], bool(r["via_link"])))
    return [signal(c.id, c.handle, c.promo_code, orders[c.id]) for c in creators]
