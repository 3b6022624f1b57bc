"""Payout ledger invariants under any sequence of orders, refunds, deliverable approvals, accruals,
adjustments and payouts, against the real schema (hypothesis drives the sequence):

- per creator and currency, the sum of the entries is the balance, and earned = paid + balance;
- entries already written are never modified (and PostgreSQL refuses UPDATE, DELETE and TRUNCATE);
- a payout settles the balance, so a clawback after a payout is netted against the next payout;
- after an accrual, each creator's commission on the ledger equals the report's commission for that period.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import deliverables, operations, orders, payouts, service
from campaigns.deliverables import DeliverableIn, TransitionIn
from campaigns.models import CampaignIn, ConversionIn, CreatorIn, RefundIn
from campaigns.operations import OperationsIn
from campaigns.payouts import AdjustmentIn, PayoutIn
from sql import tenancy
from sql.errors import ValidationError

pytestmark = pytest.mark.anyio
CREATORS = 3
KEY = uuid.UUID(int=1)

op = st.one_of(
    st.tuples(st.just("order"), st.integers(0, CREATORS - 1), st.integers(100, 500_000), st.integers(0, 40)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)])),
    st.tuples(st.just("deliver"), st.integers(0, CREATORS - 1), st.sampled_from(["approved", "live"])),
    st.tuples(st.just("accrue")),
    st.tuples(st.just("payout"), st.integers(0, CREATORS - 1)),
    st.tuples(st.just("adjust"), st.integers(0, CREATORS - 1), st.integers(-5_000, 5_000).filter(bool)),
)


class World:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.orders: list[str] = []
        self.entries: list[Any] = []
        self.last_payout_id: dict[uuid.UUID, int] = {}

    async def setup(self) -> None:
        org = await tenancy.create_org(self.conn, f"ledger-{uuid.uuid4().hex[:8]}")
        self.org = org.id
        start = datetime.now(UTC) - timedelta(days=60)
        campaign = await service.create_campaign(
            self.conn,
            org.id,
            CampaignIn(name="Ledger", currency="EUR", destination_url="https://shop.example/", starts_at=start),
        )
        self.campaign = campaign.id
        await operations.set_operations(self.conn, org.id, campaign.id, OperationsIn(commission_hold_days=0))
        self.creators = []
        for k in range(CREATORS):
            body = CreatorIn(platform="instagram", handle=f"c{k}", fee=Decimal(1000 * (k + 1)), promo_code=f"CODE{k}")
            body.commission_pct = Decimal(["10", "7.5", "0"][k])
            creator = await service.add_creator(self.conn, org.id, campaign.id, body, "")
            self.creators.append(creator.id)

    async def ledger(self) -> list[Any]:
        return [
            dict(r)
            for r in await self.conn.fetch("SELECT * FROM ledger_entries WHERE org_id = $1 ORDER BY id", self.org)
        ]

    async def apply(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "order":
            _, k, cents, days = step
            order_id = f"o{len(self.orders)}"
            at = datetime.now(UTC) - timedelta(days=days, minutes=5)
            data = ConversionIn(order_id, at, Decimal(cents) / 100, "EUR", promo_codes=[f"CODE{k}"])
            await orders.create_conversion(self.conn, self.org, data)
            self.orders.append(order_id)
        elif kind == "refund" and self.orders:
            _, n, fraction = step
            order_id = self.orders[n % len(self.orders)]
            conversion = await self.conn.fetchrow(
                "SELECT id, amount FROM conversions WHERE org_id = $1 AND order_id = $2", self.org, order_id
            )
            left = conversion["amount"] - await self.conn.fetchval(
                "SELECT coalesce(sum(amount), 0) FROM refunds WHERE conversion_id = $1", conversion["id"]
            )
            amount = (left * fraction).quantize(Decimal("0.01"))
            if amount > 0:
                await orders.create_refund(self.conn, self.org, order_id, RefundIn(amount))
        elif kind == "deliver":
            await self.deliver(self.creators[step[1]], step[2])
        elif kind == "accrue":
            await self.accrue()
        elif kind == "payout":
            await self.payout(self.creators[step[1]])
        elif kind == "adjust":
            data = AdjustmentIn(Decimal(step[2]) / 100, reason="correction")
            await payouts.adjust(self.conn, self.org, self.campaign, self.creators[step[1]], data, "test")

    async def deliver(self, creator: uuid.UUID, milestone: str) -> None:
        await operations.set_operations(self.conn, self.org, self.campaign, OperationsIn(fee_milestone=milestone))  # type: ignore[arg-type]
        data = DeliverableIn(creator, "post", datetime.now(UTC), fee_share=Decimal("25"))
        try:
            d = await deliverables.create(self.conn, self.org, self.campaign, data, KEY, "test")
        except ValidationError:
            return  # the fee is fully shared out already
        for to in ("submitted", "approved", "live"):
            url = "https://www.instagram.com/p/x/" if to == "live" else None
            await deliverables.transition(self.conn, self.org, d.id, TransitionIn(to, post_url=url), KEY, "manager")  # type: ignore[arg-type]

    async def accrue(self) -> None:
        result = await payouts.accrue(self.conn, self.org, self.campaign, None, "test")
        campaign = await service.repo.get_campaign(self.conn, self.org, self.campaign)
        start = campaign.starts_at.date() if campaign.starts_at else None
        report = await service.campaign_report(
            self.conn, self.org, self.campaign, None, None, start, result.period_end, ""
        )
        on_ledger = {c: Decimal(0) for c in self.creators}
        for e in await self.ledger():
            if e["kind"] in ("commission", "clawback"):
                on_ledger[e["creator_id"]] += e["amount"]
        for row in report.creators:
            assert on_ledger[row.creator_id] == Decimal(row.cost_commission), row.handle

    async def payout(self, creator: uuid.UUID) -> None:
        entries = [e for e in await self.ledger() if e["creator_id"] == creator]
        balance = sum((e["amount"] for e in entries), Decimal(0))
        since = sum(
            (e["amount"] for e in entries if e["id"] > self.last_payout_id.get(creator, 0) and e["kind"] != "payout"),
            Decimal(0),
        )
        data = PayoutIn(reference=f"TRF-{uuid.uuid4().hex[:10]}", paid_currency="IDR", rate=Decimal("17250.5"))
        if balance <= 0:
            with pytest.raises(ValidationError):
                await payouts.pay(self.conn, self.org, self.campaign, creator, data, "test")
            return
        entry = await payouts.pay(self.conn, self.org, self.campaign, creator, data, "test")
        assert -entry.amount == balance
        if creator in self.last_payout_id:
            assert -entry.amount == since  # what was earned since, clawbacks netted
        assert entry.paid_amount == (balance * Decimal("17250.5")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        self.last_payout_id[creator] = entry.id

    async def check(self) -> None:
        now = await self.ledger()
        assert now[: len(self.entries)] == self.entries  # nothing written before changed
        self.entries = now
        balances = await payouts.balances(self.conn, self.org, self.campaign, None)
        for b in balances:
            mine = [e for e in now if e["creator_id"] == b.creator_id and e["currency"].strip() == b.currency]
            assert sum(e["amount"] for e in mine) == b.balance
            assert b.earned == b.paid + b.balance
            assert b.paid == -sum(e["amount"] for e in mine if e["kind"] == "payout")


class TestLedgerProperties:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=st.lists(op, min_size=1, max_size=25))
    async def test_invariants_hold_for_any_sequence(self, conn: asyncpg.Connection, steps: list[Any]) -> None:
        world = World(conn)
        await world.setup()
        for step in [*steps, ("accrue",)]:
            await world.apply(step)
            await world.check()

    async def test_a_clawback_after_a_payout_is_netted_against_the_next(self, conn: asyncpg.Connection) -> None:
        world = World(conn)
        await world.setup()
        creator = world.creators[0]  # 10% commission
        for step in (("order", 0, 100_000, 3), ("accrue",), ("payout", 0)):
            await world.apply(step)
        await world.check()
        await orders.create_refund(conn, world.org, "o0", RefundIn(Decimal("400.00")))  # 40 of 100 commission back
        await world.apply(("accrue",))
        await world.apply(("order", 0, 50_000, 1))
        await world.apply(("accrue",))
        kinds = [(e["kind"], e["amount"]) for e in await world.ledger() if e["creator_id"] == creator]
        assert kinds == [
            ("commission", Decimal("100.000000")),
            ("payout", Decimal("-100.000000")),
            ("clawback", Decimal("-40.000000")),
            ("commission", Decimal("50.000000")),
        ]
        entry = await payouts.pay(conn, world.org, world.campaign, creator, PayoutIn(reference="TRF-2"), "test")
        assert entry.amount == Decimal("-10.00")  # 50 earned - 40 clawed back

    async def test_postgresql_refuses_to_change_entries(self, conn: asyncpg.Connection) -> None:
        world = World(conn)
        await world.setup()
        data = AdjustmentIn(Decimal("12.50"), reason="bonus")
        entry = await payouts.adjust(conn, world.org, world.campaign, world.creators[0], data, "test")
        for statement in (
            "UPDATE ledger_entries SET amount = 0 WHERE id = $1",
            "DELETE FROM ledger_entries WHERE id = $1",
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(statement, entry.id)
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("TRUNCATE ledger_entries")
        assert await conn.fetchval("SELECT amount FROM ledger_entries WHERE id = $1", entry.id) == Decimal("12.50")
