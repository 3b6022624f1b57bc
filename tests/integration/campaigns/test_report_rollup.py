"""The report reads revenue from rollups kept by triggers (migration 0017). Under any sequence of orders in
three currencies (some split over creators of two campaigns), replays, status changes, refunds, late orders,
re-attribution and deletions, the rollup rows equal the same figures recomputed from the raw rows, for every
model and window; concurrent writers in several connections keep it so too.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import orders, service
from campaigns import repository as repo
from campaigns.attribution import MODELS
from campaigns.models import CampaignIn, ConversionIn, CreatorIn, RefundIn
from sql import tenancy

pytestmark = pytest.mark.anyio
CODES = ["CA0", "CA1", "CA2", "CB0", "CB1"]  # campaign A has three creators, B two
TODAY = datetime.now(UTC).date()

op = st.one_of(
    st.tuples(
        st.just("order"),
        st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
        st.integers(1, 900_000),
        st.sampled_from(["EUR", "GBP", "KWD"]),
        st.sampled_from([0, 1, 2, 9, 40]),  # days ago; 40 is a late order outside the short window
        st.sampled_from(["paid", "paid", "pending", "test"]),
    ),
    st.tuples(st.just("replay"), st.integers(0, 30), st.sampled_from(["paid", "voided"])),
    st.tuples(st.just("refund"), st.integers(0, 30), st.sampled_from([Decimal("0.3"), Decimal("0.5"), Decimal(1)])),
    st.tuples(st.just("drop_credit"), st.integers(0, 30)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("move"), st.integers(0, 30), st.sampled_from([-3, 2])),
)


class World:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.orders: list[str] = []

    async def setup(self) -> None:
        org = await tenancy.create_org(self.conn, f"rollup-{uuid.uuid4().hex[:8]}")
        self.org = org.id
        self.campaigns = []
        for name, n in (("A", 3), ("B", 2)):
            body = CampaignIn(name=name, currency="EUR", destination_url="https://shop.example/")
            campaign = await service.create_campaign(self.conn, org.id, body)
            self.campaigns.append(campaign.id)
            for k in range(n):
                code = f"C{name}{k}"
                creator = CreatorIn(platform="instagram", handle=f"{name}{k}", fee=Decimal(10), promo_code=code)
                await service.add_creator(self.conn, org.id, campaign.id, creator, "")

    async def conversion(self, n: int) -> Any:
        if not self.orders:
            return None
        order_id = self.orders[n % len(self.orders)]
        return await self.conn.fetchrow(
            "SELECT id, amount, currency FROM conversions WHERE org_id = $1 AND order_id = $2", self.org, order_id
        )

    async def apply(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        if kind == "order":
            _, codes, units, currency, days, status = step
            exponent = Decimal("0.001") if currency == "KWD" else Decimal("0.01")
            at = datetime.now(UTC) - timedelta(days=days, minutes=5)
            order_id = f"o{len(self.orders)}"
            data = ConversionIn(order_id, at, units * exponent, currency, promo_codes=codes, status=status)
            await orders.create_conversion(self.conn, self.org, data)
            self.orders.append(order_id)
            return
        row = await self.conversion(step[1])
        if row is None:
            return
        order_id = await self.conn.fetchval("SELECT order_id FROM conversions WHERE id = $1", row["id"])
        if kind == "replay":  # the same order delivered again: only its status can rise
            data = ConversionIn(order_id, datetime.now(UTC), row["amount"], row["currency"].strip(), status=step[2])
            await orders.create_conversion(self.conn, self.org, data)
        elif kind == "refund":
            left = row["amount"] - await repo.refunded_total(self.conn, row["id"])
            exponent = Decimal("0.001") if row["currency"].strip() == "KWD" else Decimal("0.01")
            amount = (left * step[2]).quantize(exponent)
            if amount > 0:
                await orders.create_refund(self.conn, self.org, order_id, RefundIn(amount))
        elif kind == "drop_credit":  # re-attribution by hand: one credit taken away under every model
            await self.conn.execute(
                "DELETE FROM attributions WHERE conversion_id = $1 AND creator_id = "
                "(SELECT min(creator_id::text)::uuid FROM attributions WHERE conversion_id = $1)",
                row["id"],
            )
        elif kind == "delete":  # erasure of an order
            await self.conn.execute("DELETE FROM conversions WHERE id = $1", row["id"])
        elif kind == "move":  # a store correcting an order's time moves it to another day
            await self.conn.execute(
                "UPDATE conversions SET occurred_at = occurred_at + make_interval(days => $2) WHERE id = $1",
                row["id"],
                step[2],
            )

    async def check(self) -> None:
        windows = [(TODAY - timedelta(days=60), TODAY + timedelta(days=5)), (TODAY - timedelta(days=5), TODAY)]
        for campaign in self.campaigns:
            for model in MODELS:
                for start, end in windows:
                    rolled = await repo.report_inputs(self.conn, campaign, model, start, end)
                    raw = await repo.report_credits_raw(self.conn, campaign, model, start, end)
                    assert normal(rolled["credits"]) == normal(raw), (model, start, end)


def normal(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Rows as comparable tuples; amounts compare as numbers (the rollup's scale may differ)."""
    out = [
        (
            str(r["conversion_id"]),
            r["mine"],
            str(r["creator_id"]),
            r["share"].normalize(),
            r["currency"],
            r["day"],
            r["amount"].normalize(),
            r["refunded"].normalize(),
            r["orders"],
        )
        for r in rows
    ]
    return sorted(out)


class TestRollupEqualsRecomputation:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(steps=st.lists(op, min_size=1, max_size=20))
    async def test_any_sequence(self, conn: asyncpg.Connection, steps: list[Any]) -> None:
        world = World(conn)
        await world.setup()
        for step in steps:
            await world.apply(step)
        await world.check()

    async def test_split_orders_and_a_campaign_deleted(self, conn: asyncpg.Connection) -> None:
        world = World(conn)
        await world.setup()
        for step in [
            ("order", ["CA0", "CB1"], 10_001, "KWD", 1, "paid"),
            ("order", ["CA1"], 999, "EUR", 0, "paid"),
            ("order", ["CA1"], 1_999, "EUR", 0, "paid"),
            ("refund", 1, Decimal("0.5")),
            ("order", ["CA0", "CA1", "CA2"], 100, "GBP", 2, "paid"),
            ("drop_credit", 3),
        ]:
            await world.apply(step)
        await world.check()
        rows = await repo.report_inputs(conn, world.campaigns[0], "last_click", TODAY - timedelta(days=5), TODAY)
        single = [r for r in rows["credits"] if r["conversion_id"] is None and r["currency"] == "EUR"]
        assert [(r["orders"], r["amount"], r["refunded"]) for r in single] == [(2, Decimal("29.98"), Decimal("5.00"))]
        assert {r["mine"] for r in rows["credits"] if r["conversion_id"] is not None} == {True, False}
        await conn.execute("DELETE FROM campaigns WHERE id = $1", world.campaigns[1])
        world.campaigns = world.campaigns[:1]
        await world.check()
        assert await conn.fetchval("SELECT count(*) FROM credit_daily WHERE campaign_id = $1", world.campaigns[0])
        orphans = "SELECT count(*) FROM credit_daily WHERE campaign_id NOT IN (SELECT id FROM campaigns)"
        assert await conn.fetchval(orphans) == 0

    async def test_concurrent_writers_in_several_connections(self, conn: asyncpg.Connection, database_url: str) -> None:
        world = World(conn)
        await world.setup()
        for k in range(12):  # orders of the same creators and days, so writers meet on the same rollup rows
            await world.apply(("order", [CODES[k % 2]], 1000 + k, "EUR", 0, "paid"))

        async def refund_all(offset: int) -> None:
            other = await asyncpg.connect(database_url)
            try:
                for k in [*range(12)][offset:] + [*range(12)][:offset]:  # each worker refunds every order once
                    async with other.transaction():
                        await orders.create_refund(other, world.org, f"o{k}", RefundIn(Decimal("0.50")))
            finally:
                await other.close()

        await asyncio.gather(*(refund_all(i) for i in range(3)))
        await world.check()
        rows = await repo.report_inputs(conn, world.campaigns[0], "last_click", TODAY - timedelta(days=1), TODAY)
        assert sum(r["refunded"] for r in rows["credits"]) == Decimal("18.00")
        assert sum(r["orders"] for r in rows["credits"]) == 12
