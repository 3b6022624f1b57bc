"""A multi-currency campaign recomputed by hand from the published definitions; every figure of the JSON,
CSV and Parquet reports must match: revenue in EUR, GBP and KWD, costs in EUR, the report in USD, weekend
orders on Friday's ECB rates, GBP through a cross rate, partial and duplicate refunds, a replayed
cancellation, a Stripe three-decimal order."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import httpx
import polars as pl
import pyarrow.parquet as pq
import pytest

from tests.api.stores import Stores, campaign_with_creators, shopify_order, stripe_charge, stripe_session, woo_order
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
ECB = "Date, USD, GBP, \n23 November 2026, 1.0600, 0.8800, \n20 November 2026, 1.0500, 0.8750, \n"
KWD = "day,base,quote,rate\n2026-11-20,KWD,USD,3.25\n"
CENT, RATIO = Decimal("0.01"), Decimal("0.0001")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def q(x: Decimal, unit: Decimal = CENT) -> Decimal:
    return x.quantize(unit, ROUND_HALF_UP)


def div(a: Decimal, b: Decimal, unit: Decimal = RATIO) -> str | None:
    return None if not b else str(q(a / b, unit))


async def test_every_figure_of_json_csv_and_parquet_matches_a_recomputation(
    client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
) -> None:
    costs = {
        "A": {"fee": "100.00"},
        "B": {"fee": "50.00", "gifted": "10.00", "commission_pct": "10"},
        "C": {"fee": "30.00", "other_costs": "5.00"},
    }
    codes = {k: f"FIN{k}1" for k in costs}
    campaign, creators = await campaign_with_creators(
        client, tenant, conn, "EUR", [{"promo_code": codes[k], **v} for k, v in costs.items()]
    )
    h = {**tenant.headers(), "content-type": "text/csv"}
    assert (await client.post("/v1/fx-rates", headers=h, content=ECB)).status_code == 201
    assert (await client.post("/v1/fx-rates", headers=h, content=KWD)).status_code == 201
    stores = await Stores(client, tenant).setup()

    saturday, sunday, friday = "2026-11-21T09:00:00Z", "2026-11-22T18:30:00Z", "2026-11-20T10:00:00Z"
    o1 = shopify_order(9001, "120.00", "EUR", saturday, [codes["A"]])
    await stores.shopify("orders/create", o1)
    refund = {"id": 71, "order_id": 9001, "created_at": sunday, "transactions": [{"amount": "20.00", "kind": "refund"}]}
    await stores.shopify("refunds/create", refund, "dup-refund")
    await stores.shopify("refunds/create", refund, "dup-refund")  # the same delivery again
    await stores.shopify("refunds/create", refund)  # the same refund as a new delivery
    await stores.shopify("orders/cancelled", o1)  # the order body replayed as a cancellation: no cancelled_at
    woo = woo_order(9002, "80.00", "GBP", sunday, [codes["A"], codes["B"]])
    await stores.woocommerce(woo)
    await stores.woocommerce({**woo, "refunds": [{"id": 72, "total": "-15.00"}]})
    created = int(datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp())
    await stores.stripe("checkout.session.completed", stripe_session("fin", 12345, "KWD", created, codes["C"]))
    await stores.stripe("charge.refunded", stripe_charge("fin", "KWD", 5000))
    o4 = shopify_order(9004, "60.00", "EUR", friday, [codes["B"]])
    await stores.shopify("orders/create", o4)
    cancelled = {**o4, "cancelled_at": sunday}
    await stores.shopify("orders/cancelled", cancelled)
    assert (await stores.shopify("orders/cancelled", cancelled)).json()["result"] == "duplicate delivery ignored"

    # --- by hand ---
    eur_usd, gbp_usd, kwd_usd, cost_rate = (
        Decimal("1.05"),
        Decimal("1.05") / Decimal("0.875"),
        Decimal("3.25"),
        Decimal("1.06"),
    )
    gross = {
        "A": Decimal("120.00") * eur_usd + Decimal("40.00") * gbp_usd,
        "B": Decimal("40.00") * gbp_usd + Decimal("60.00") * eur_usd,
        "C": Decimal("12.345") * kwd_usd,
    }
    refunds = {
        "A": Decimal("20.00") * eur_usd + Decimal("7.50") * gbp_usd,
        "B": Decimal("7.50") * gbp_usd + Decimal("60.00") * eur_usd,
        "C": Decimal("5.000") * kwd_usd,
    }
    conversions = {"A": Decimal("1.5"), "B": Decimal("1.5"), "C": Decimal(1)}
    expected: dict[str, dict[str, str | None]] = {}
    for k, c in costs.items():
        g, r = q(gross[k]), q(refunds[k])
        net = g - r
        fee, gifted, other = (q(Decimal(c.get(n, "0")) * cost_rate) for n in ("fee", "gifted", "other_costs"))
        commission = q(net * Decimal(c.get("commission_pct", "0")) / 100) if net > 0 else Decimal("0.00")
        cost = fee + gifted + commission + other
        expected[k] = {
            "gross_revenue": str(g),
            "refunds": str(r),
            "net_revenue": str(net),
            "cost_fee": str(fee),
            "cost_gifted": str(gifted),
            "cost_commission": str(commission),
            "cost_other": str(other),
            "cost": str(cost),
            "roi": div(net - cost, cost),
            "roas": div(net, cost),
            "cpa": div(cost, conversions[k], CENT),
            "aov": div(g, conversions[k], CENT),
        }

    params = {"currency": "USD", "from": "2026-11-20", "to": "2026-11-23"}
    path = f"/v1/campaigns/{campaign['id']}/report"
    report = (await client.get(path, params=params, headers=tenant.headers("finance"))).json()
    assert report["complete"] is True and report["currency"] == "USD" and report["cost_fx_day"] == "2026-11-23"
    by_code = {r["promo_code"]: r for r in report["creators"]}
    for k in costs:
        row = by_code[codes[k]]
        assert Decimal(row["conversions"]) == conversions[k]
        assert {f: row[f] for f in expected[k]} == expected[k], k
    for f in ("gross_revenue", "refunds", "net_revenue", "cost"):
        assert Decimal(report["total"][f]) == sum(Decimal(str(expected[k][f])) for k in costs), f
    assert {(u["base"], u["quote"], u["day"], u["via"]) for u in report["fx_rates"]} == {
        ("EUR", "USD", "2026-11-20", "direct"),
        ("GBP", "USD", "2026-11-20", "cross:EUR"),
        ("KWD", "USD", "2026-11-20", "direct"),
        ("EUR", "USD", "2026-11-23", "direct"),
    }

    text = (await client.get(path, params={**params, "format": "csv"}, headers=tenant.headers("finance"))).text
    rows = {r["handle"]: r for r in csv.DictReader(io.StringIO(text))}
    raw = (await client.get(path, params={**params, "format": "parquet"}, headers=tenant.headers("finance"))).content
    frame = {r["handle"]: r for r in pl.read_parquet(io.BytesIO(raw)).to_dicts()}
    assert pq.read_metadata(io.BytesIO(raw)).metadata[b"currency"] == b"USD"
    for row in [*report["creators"], report["total"]]:
        exported = rows[row["handle"]]
        assert (exported["currency"], exported["complete"], exported["from"], exported["to"]) == (
            "USD",
            "true",
            "2026-11-20",
            "2026-11-23",
        )
        stored = frame[row["handle"]]
        for f, value in row.items():
            if f == "creator_id":
                continue
            assert exported[f] == ("" if value is None else str(value)), f
            if value is None or (isinstance(value, str) and not NUMBER.fullmatch(value)):
                assert stored[f] == value, f
            else:
                assert Decimal(str(stored[f])) == Decimal(str(value)), f
    assert len(creators) == 3
