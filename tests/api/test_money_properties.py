"""Invariants of the money path, as properties over deliveries through the HTTP API and a real PostgreSQL.

- Any interleaving, duplication or reordering of the same orders, refunds and cancellations (Shopify,
  WooCommerce, Stripe and the API) gives the same report, equal to the figures worked out by hand.
- Refunds never exceed their order; each order's shares sum to exactly one conversion and its credited
  amounts to the order amount; per-creator figures sum to the total.
- A report converted to another currency and back at the reciprocal rate is within a cent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.stores import Stores, campaign_with_creators, shopify_order, stripe_charge, stripe_session, woo_order
from tests.conftest import make_tenant

pytestmark = pytest.mark.anyio
AT = "2026-11-20T12:00:00Z"
CREATED = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp())
SPAN = {"from": "2026-11-01", "to": "2026-11-21"}
RATES = "day,base,quote,rate\n2026-11-20,USD,EUR,0.9\n2026-11-20,KWD,EUR,3.0\n2026-11-20,JPY,EUR,0.006\n"
FIGURES = ("conversions", "gross_revenue", "refunds", "net_revenue")
# Worked out by hand: Shopify 100.00 EUR (code A) refunded 30 then cancelled (so 100 in all); WooCommerce
# 50.00 USD (codes B and C, 25.00 each at 0.9) with 10.00 USD refunded; Stripe 12.345 KWD (C) at 3.0 with
# 5.000 KWD refunded in the end; 1500 JPY through the API (A) at 0.006. C: 22.50 + 37.035 = 59.535 -> 59.54.
EXPECTED = {
    "A": ("2.000000", "109.00", "100.00", "9.00"),
    "B": ("0.500000", "22.50", "4.50", "18.00"),
    "C": ("1.500000", "59.54", "19.50", "40.04"),
    "TOTAL": ("4.000000", "191.04", "124.00", "67.04"),
}
settings_ = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def deliveries(
    client: httpx.AsyncClient, stores: Stores, headers: dict[str, str], codes: dict[str, str]
) -> list[Callable[[], Awaitable[httpx.Response]]]:
    a, b, c = codes["A"], codes["B"], codes["C"]
    order_s = shopify_order(5001, "100.00", "EUR", AT, [a])
    refund_s = {"id": 61, "order_id": 5001, "created_at": AT, "transactions": [{"amount": "30.00", "kind": "refund"}]}
    woo = woo_order(6001, "50.00", "USD", AT, [b, c])
    woo_refunded = {**woo, "refunds": [{"id": 91, "total": "-10.00"}]}
    api = {"order_id": "jp-1", "occurred_at": AT, "amount": "1500", "currency": "JPY", "promo_codes": [a]}
    api_s = {"order_id": "5001", "occurred_at": AT, "amount": "100.00", "currency": "EUR", "promo_codes": [a]}
    return [
        lambda: stores.shopify("orders/create", order_s, "s-0"),
        lambda: stores.shopify("orders/paid", order_s, "s-1"),
        lambda: stores.shopify("refunds/create", refund_s, "s-2"),
        lambda: stores.shopify("orders/cancelled", {**order_s, "cancelled_at": AT}, "s-3"),
        lambda: stores.shopify("orders/cancelled", order_s, "s-4"),  # a replayed order body: no evidence
        lambda: stores.woocommerce(woo, delivery="w-5"),
        lambda: stores.woocommerce(woo_refunded, delivery="w-6"),
        lambda: stores.stripe("checkout.session.completed", stripe_session("k1", 12345, "KWD", CREATED, c), "evt-7"),
        lambda: stores.stripe("charge.refunded", stripe_charge("k1", "KWD", 2000), "evt-8"),
        lambda: stores.stripe(
            "charge.refunded", stripe_charge("k1", "KWD", 5000, [("re_1", 2000), ("re_2", 3000)]), "evt-9"
        ),
        lambda: client.post("/v1/conversions", headers=headers, json=api),
        lambda: client.post("/v1/conversions", headers=headers, json={**api_s, "source": "shopify"}),
    ]


async def check_invariants(client: httpx.AsyncClient, headers: dict[str, str], report: dict[str, Any]) -> None:
    rows = [*report["creators"]]
    for name in (*FIGURES, "cost"):
        assert sum(Decimal(r[name]) for r in rows) == Decimal(report["total"][name]), name
    page = (await client.get("/v1/conversions", params={"limit": 500}, headers=headers)).json()
    for conv in page["items"]:
        assert Decimal(conv["refunded"]) <= Decimal(conv["amount"])
        for model in ("last_click", "first_click", "linear"):
            credits = [k for k in conv["credits"] if k["model"] == model]
            if credits:
                assert sum(Decimal(k["share"]) for k in credits) == 1
                assert sum(Decimal(k["amount"]) for k in credits) == Decimal(conv["amount"])


@settings_
@given(data=st.data())
async def test_any_interleaving_of_the_same_deliveries_gives_the_same_report(
    client: httpx.AsyncClient, conn: asyncpg.Connection, data: st.DataObject
) -> None:
    tenant = await make_tenant(conn)
    names = ("A", "B", "C")
    suffix = tenant.org.id.hex[:6].upper()
    codes = {n: f"{n}{suffix}" for n in names}
    campaign, creators = await campaign_with_creators(
        client, tenant, conn, "EUR", [{"promo_code": codes[n], "fee": "10.00"} for n in names]
    )
    r = await client.post("/v1/fx-rates", headers={**tenant.headers(), "content-type": "text/csv"}, content=RATES)
    assert r.status_code == 201
    stores = await Stores(client, tenant).setup()
    send = deliveries(client, stores, tenant.headers(), codes)
    repeats = data.draw(st.lists(st.integers(0, len(send) - 1), max_size=6), label="repeated")
    order = data.draw(st.permutations([*range(len(send)), *repeats]), label="order")
    for i in order:
        answer = await send[i]()
        assert answer.status_code in (200, 201), answer.text  # every validly signed delivery is accepted
    report = (
        await client.get(f"/v1/campaigns/{campaign['id']}/report", params=SPAN, headers=tenant.headers("finance"))
    ).json()
    assert report["complete"], report["fx_errors"]
    by_code = {r["promo_code"]: r for r in report["creators"]}
    for n in names:
        assert tuple(by_code[codes[n]][f] for f in FIGURES) == EXPECTED[n], n
    assert tuple(report["total"][f] for f in FIGURES) == EXPECTED["TOTAL"]
    assert len(creators) == 3
    await check_invariants(client, tenant.headers(), report)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=6),
    rate=st.decimals(min_value=Decimal("0.5"), max_value=Decimal("3"), places=4),
)
async def test_a_report_converted_and_back_round_trips_within_a_cent(
    client: httpx.AsyncClient, conn: asyncpg.Connection, amounts: list[int], rate: Decimal
) -> None:
    tenant = await make_tenant(conn)
    code = f"RT{tenant.org.id.hex[:6].upper()}"
    campaign, _ = await campaign_with_creators(
        client, tenant, conn, "EUR", [{"promo_code": code, "fee": "12.34", "commission_pct": "7.5"}]
    )
    csv = f"day,base,quote,rate\n2026-11-20,EUR,USD,{rate}\n"
    await client.post("/v1/fx-rates", headers={**tenant.headers(), "content-type": "text/csv"}, content=csv)
    for i, cents in enumerate(amounts):
        body = {"order_id": f"rt-{i}", "occurred_at": AT, "amount": str(Decimal(cents) / 100), "currency": "EUR"}
        await client.post("/v1/conversions", headers=tenant.headers(), json={**body, "promo_codes": [code]})
    path = f"/v1/campaigns/{campaign['id']}/report"
    eur = (await client.get(path, params={**SPAN, "to": "2026-11-20"}, headers=tenant.headers())).json()
    usd = (
        await client.get(path, params={**SPAN, "to": "2026-11-20", "currency": "USD"}, headers=tenant.headers())
    ).json()
    assert usd["complete"] and usd["currency"] == "USD"
    for name in ("gross_revenue", "net_revenue", "cost_fee"):
        back = Decimal(usd["total"][name]) / rate
        assert abs(back - Decimal(eur["total"][name])) <= Decimal("0.01"), name
