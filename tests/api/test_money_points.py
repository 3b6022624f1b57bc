"""The twelve money defects of issue #10, one class each, through the HTTP API on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import polars as pl
import pyarrow.parquet as pq
import pytest
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from tests.api.stores import (
    Stores,
    campaign_with_creators,
    shopify_order,
    stripe_charge,
    stripe_session,
    woo_order,
)
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio
DAY = date(2026, 11, 20)  # a Friday
AT = "2026-11-20T12:00:00Z"
SPAN = {"from": "2026-11-01", "to": "2026-11-30"}


async def report(client: httpx.AsyncClient, tenant: Tenant, campaign: dict[str, Any], **params: Any) -> Any:
    r = await client.get(
        f"/v1/campaigns/{campaign['id']}/report", params={**SPAN, **params}, headers=tenant.headers("finance")
    )
    assert r.status_code == 200, r.text
    return r.json() if params.get("format", "json") == "json" else r


async def fx(client: httpx.AsyncClient, tenant: Tenant, text: str) -> None:
    r = await client.post("/v1/fx-rates", headers={**tenant.headers(), "content-type": "text/csv"}, content=text)
    assert r.status_code == 201, r.text


async def order(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    base = {"order_id": "o-1", "occurred_at": AT, "amount": "100.00", "currency": "EUR"}
    r = await client.post("/v1/conversions", headers=tenant.headers(), json={**base, **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


class TestPoint1CostsAreConverted:
    async def test_costs_convert_at_the_published_rate_and_a_missing_rate_is_an_error(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(
            client,
            tenant,
            conn,
            "EUR",
            [{"fee": "100.00", "gifted": "20.00", "other_costs": "5.00", "promo_code": "CDP1X"}],
        )
        await order(client, tenant, promo_codes=["CDP1X"])
        missing = await report(client, tenant, campaign, currency="USD")
        assert missing["complete"] is False
        assert any("costs" in e for e in missing["fx_errors"])
        await fx(client, tenant, "day,base,quote,rate\n2026-11-20,EUR,USD,1.1\n2026-11-24,EUR,USD,1.2\n")
        r = await report(client, tenant, campaign, currency="USD", to="2026-11-25")
        row = r["creators"][0]
        assert r["complete"] is True and r["cost_fx_day"] == "2026-11-25"
        assert (row["cost_fee"], row["cost_gifted"], row["cost_other"]) == ("120.00", "24.00", "6.00")
        assert row["gross_revenue"] == "110.00"  # revenue at the order day's rate
        assert {(u["used_for"], u["rate"]) for u in r["fx_rates"]} == {
            ("revenue", "1.100000000000"),
            ("costs", "1.200000000000"),
        }

    async def test_a_campaign_defaults_to_the_orgs_reporting_currency(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        r = await client.post(
            "/v1/campaigns", headers=tenant.headers(), json={"name": "x", "destination_url": "https://x.example"}
        )
        assert r.status_code == 201 and r.json()["currency"] == tenant.org.reporting_currency


class TestPoint2ExportsCarryTheWarning:
    async def test_csv_and_parquet_say_incomplete(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDP2X"}])
        await order(client, tenant, currency="USD", promo_codes=["CDP2X"])
        text = (await report(client, tenant, campaign, format="csv")).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {"currency", "model", "from", "to", "complete", "fx_errors"} <= set(rows[0])
        assert all(r["complete"] == "false" and "USD->EUR" in r["fx_errors"] and r["currency"] == "EUR" for r in rows)
        assert rows[0]["from"] == "2026-11-01" and rows[0]["to"] == "2026-11-30"
        raw = (await report(client, tenant, campaign, format="parquet")).content
        meta = pq.read_metadata(io.BytesIO(raw)).metadata
        assert meta[b"complete"] == b"false" and b"USD->EUR" in meta[b"fx_errors"] and meta[b"currency"] == b"EUR"
        frame = pl.read_parquet(io.BytesIO(raw))
        assert frame["complete"].to_list() == [False, False] and frame["model"][0] == "last_click"


class TestPoint3StripeRefundsWithoutRefundList:
    async def test_amount_refunded_is_cumulative(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDS3X"}])
        stores = await Stores(client, tenant).setup()
        created = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp())
        assert (
            await stores.stripe("checkout.session.completed", stripe_session("cs3", 5000, "EUR", created, "CDS3X"))
        ).status_code == 200
        for so_far in (1000, 1500, 1500, 1000):  # 10 then 5 more; then a repeat and a late, older event
            assert (await stores.stripe("charge.refunded", stripe_charge("cs3", "EUR", so_far))).status_code == 200
        r = await report(client, tenant, campaign)
        assert r["creators"][0]["refunds"] == "15.00" and r["creators"][0]["net_revenue"] == "35.00"


class TestPoint4RefundsRaceAndArriveEarly:
    async def test_a_refund_before_its_order_is_parked_then_applied(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDR4X"}])
        stores = await Stores(client, tenant).setup()
        refund = {"id": 41, "order_id": 4001, "created_at": AT, "transactions": [{"amount": "30.00", "kind": "refund"}]}
        early = await stores.shopify("refunds/create", refund)
        assert early.status_code == 200 and early.json()["events"][0]["outcome"] == "parked"
        cancel = await stores.shopify("orders/cancelled", {"id": 4002, "cancelled_at": AT})
        assert cancel.status_code == 200
        for oid in (4001, 4002):
            r = await stores.shopify("orders/create", shopify_order(oid, "100.00", "EUR", AT, ["CDR4X"]))
            assert r.status_code == 200 and r.json()["conversion_ids"]
        row = (await report(client, tenant, campaign))["creators"][0]
        assert (row["gross_revenue"], row["refunds"]) == ("200.00", "130.00")

    async def test_concurrent_refunds_never_exceed_the_order_and_the_excess_is_clamped(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDR5X"}])
        stores = await Stores(client, tenant).setup()
        await stores.shopify("orders/create", shopify_order(4003, "100.00", "EUR", AT, ["CDR5X"]))
        refunds = [
            {"id": 50 + i, "order_id": 4003, "created_at": AT, "transactions": [{"amount": a, "kind": "refund"}]}
            for i, a in enumerate(("70.00", "60.00"))
        ]
        answers = await asyncio.gather(*(stores.shopify("refunds/create", r) for r in refunds))
        assert [a.status_code for a in answers] == [200, 200]
        assert sorted(a.json()["events"][0]["outcome"] for a in answers) == ["applied", "clamped"]
        assert await conn.fetchval("SELECT sum(amount) FROM refunds") == Decimal("100.00")
        conversion = (
            await client.get(f"/v1/conversions/{answers[0].json()['conversion_ids'][0]}", headers=tenant.headers())
        ).json()
        assert conversion["refunded"] == "100.00" and sum(r["clamped"] for r in conversion["refunds"]) == 1


class TestPoint5MinorUnits:
    async def test_stripe_three_decimal_currency(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(
            client, tenant, conn, "KWD", [{"promo_code": "CDK5X", "fee": "10.125"}]
        )
        stores = await Stores(client, tenant).setup()
        created = int(datetime(2026, 11, 20, 12, tzinfo=UTC).timestamp())
        r = await stores.stripe("checkout.session.completed", stripe_session("cs5", 12345, "KWD", created, "CDK5X"))
        assert r.status_code == 200
        conversion = (
            await client.get(f"/v1/conversions/{r.json()['conversion_ids'][0]}", headers=tenant.headers())
        ).json()
        assert (conversion["amount"], conversion["currency"]) == ("12.345", "KWD")
        row = (await report(client, tenant, campaign))["creators"][0]
        assert (row["gross_revenue"], row["cost_fee"]) == ("12.345", "10.125")

    @pytest.mark.parametrize(("currency", "amount"), [("XYZ", "1.00"), ("JPY", "1.5"), ("EUR", "1.001")])
    async def test_codes_and_decimals_are_checked(
        self, client: httpx.AsyncClient, tenant: Tenant, currency: str, amount: str
    ) -> None:
        body = {"order_id": "x", "occurred_at": AT, "amount": amount, "currency": currency}
        r = await client.post("/v1/conversions", headers=tenant.headers(), json=body)
        assert r.status_code == 422 and r.json()["field"] in ("currency", "amount")


class TestPoint6SharesSumToOne:
    async def test_three_codes_on_one_order(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(
            client, tenant, conn, "EUR", [{"promo_code": "CDA6X"}, {"promo_code": "CDB6X"}, {"promo_code": "CDC6X"}]
        )
        conv = await order(client, tenant, promo_codes=["CDA6X", "CDB6X", "CDC6X"])
        last = [c for c in conv["credits"] if c["model"] == "last_click"]
        assert sum(Decimal(c["share"]) for c in last) == 1
        assert sum(Decimal(c["amount"]) for c in last) == Decimal("100.00")
        r = await report(client, tenant, campaign)
        assert Decimal(r["total"]["conversions"]) == 1 and r["total"]["gross_revenue"] == "100.00"
        assert sorted(c["gross_revenue"] for c in r["creators"]) == ["33.33", "33.33", "33.34"]


class TestPoint7OrderStatus:
    async def test_only_paid_orders_count_and_status_moves_through(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDW7X"}])
        stores = await Stores(client, tenant).setup()
        for i, status in enumerate(("pending", "failed", "on-hold")):
            await stores.woocommerce(woo_order(700 + i, "10.00", "EUR", AT, ["CDW7X"], status=status))
        await stores.shopify("orders/create", shopify_order(7001, "20.00", "EUR", AT, ["CDW7X"], test=True))
        await stores.shopify(
            "orders/create", shopify_order(7002, "40.00", "EUR", AT, ["CDW7X"], financial_status="pending")
        )
        await stores.shopify(
            "orders/create", shopify_order(7003, "80.00", "EUR", AT, ["CDW7X"], financial_status="voided")
        )
        assert (await report(client, tenant, campaign))["total"]["gross_revenue"] == "0.00"
        await stores.woocommerce(woo_order(700, "10.00", "EUR", AT, ["CDW7X"], status="processing"))
        await stores.shopify("orders/paid", shopify_order(7002, "40.00", "EUR", AT, ["CDW7X"], financial_status="paid"))
        # A late, older delivery never moves an order back.
        await stores.shopify(
            "orders/updated", shopify_order(7002, "40.00", "EUR", AT, ["CDW7X"], financial_status="pending")
        )
        assert (await report(client, tenant, campaign))["total"]["gross_revenue"] == "50.00"


class TestPoint8Replays:
    async def test_an_order_body_replayed_as_a_cancellation_refunds_nothing(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDX8X"}])
        stores = await Stores(client, tenant).setup()
        body = shopify_order(8001, "100.00", "EUR", AT, ["CDX8X"])
        assert (await stores.shopify("orders/create", body)).status_code == 200
        replay = await stores.shopify("orders/cancelled", body)  # a fresh webhook id, the same signed body
        assert replay.status_code == 200 and replay.json()["events"] == []
        again = await stores.shopify("orders/create", body)
        assert again.json()["result"] == "duplicate delivery ignored"
        assert (await report(client, tenant, campaign))["total"]["net_revenue"] == "100.00"

    async def test_the_same_order_through_the_api_and_a_webhook_counts_once(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDY8X"}])
        stores = await Stores(client, tenant).setup()
        await order(client, tenant, order_id="8002", source="shopify", promo_codes=["CDY8X"])
        await stores.shopify("orders/create", shopify_order(8002, "100.00", "EUR", AT, ["CDY8X"]))
        assert (await report(client, tenant, campaign))["total"]["conversions"] == "1.000000"


class TestPoint9Clicks:
    async def test_first_click_is_unique_once_across_processes(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, app: Litestar, settings: Settings
    ) -> None:
        _, [c] = await campaign_with_creators(client, tenant, conn)
        other = create_app(settings)
        transport = httpx.ASGITransport(app=other)
        async with other.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://b.test") as second:
            ua = {"User-Agent": "Mozilla/5.0 (Linux; Android 10; Cubot X30) Chrome/120 Mobile Safari/537.36"}
            await client.get(f"/r/{c['slug']}", headers=ua)
            await second.get(f"/r/{c['slug']}", headers=ua)
            await asyncio.gather(app.state.clicks.flush(), other.state.clicks.flush())
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(*) FILTER (WHERE is_unique) AS u, bool_or(bot) AS bot FROM clicks"
        )
        assert (row["n"], row["u"], row["bot"]) == (2, 1, False)  # a Cubot phone is a person

    async def test_forwarded_for_is_trusted_only_from_configured_proxies(
        self, tenant: Tenant, conn: asyncpg.Connection, settings: Settings
    ) -> None:
        async def uniques(proxies: str) -> int:
            app = create_app(msgspec_replace(settings, trusted_proxies=proxies))
            transport = httpx.ASGITransport(app=app)
            async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://p.test") as c:
                _, [creator] = await campaign_with_creators(c, tenant, conn)
                for ip in ("203.0.113.5", "203.0.113.6", "203.0.113.7"):
                    headers = {"User-Agent": "Mozilla/5.0", "X-Forwarded-For": ip}
                    await c.get(f"/r/{creator['slug']}", headers=headers)
                await app.state.clicks.flush()
            return int(
                await conn.fetchval("SELECT sum(uniq) FROM click_daily WHERE creator_id = $1", _uuid(creator["id"]))
            )

        assert await uniques("") == 1  # headers from an untrusted peer are ignored: one visitor
        assert await uniques("127.0.0.0/8") == 3  # behind our proxy: three people

    async def test_a_click_just_after_the_order_is_credited_within_the_skew(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection, app: Litestar
    ) -> None:
        _, [c] = await campaign_with_creators(client, tenant, conn)
        r = await client.get(f"/r/{c['slug']}", headers={"User-Agent": "Mozilla/5.0"})
        cid = parse_qs(urlsplit(r.headers["location"]).query)["sorot_cid"][0]
        at = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()  # the store's clock is 2 minutes behind
        conv = await order(client, tenant, order_id="o-9", occurred_at=at, click_id=cid)
        assert {x["creator_id"] for x in conv["credits"]} == {c["id"]}


class TestPoint10FxInPractice:
    async def test_weekend_orders_use_fridays_ecb_rate_and_cross_rates(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, _ = await campaign_with_creators(client, tenant, conn, "IDR", [{"promo_code": "CDF10X"}])
        ecb = "Date, USD, JPY, IDR, \n20 November 2026, 1.0500, 160.00, 17500.00, \n"
        await fx(client, tenant, ecb)
        sunday = "2026-11-22T10:00:00Z"
        await order(
            client, tenant, order_id="f-1", occurred_at=sunday, amount="21.00", currency="USD", promo_codes=["CDF10X"]
        )
        r = await report(client, tenant, campaign, to="2026-11-22")
        assert r["complete"] is True
        # USD->IDR through EUR: 17500 / 1.05 = 16666.666666666667 a dollar.
        assert r["total"]["gross_revenue"] == "350000.00"
        [used] = [u for u in r["fx_rates"] if u["used_for"] == "revenue"]
        assert (used["day"], used["via"], used["source"]) == ("2026-11-20", "cross:EUR", "ecb")
        stale = await report(client, tenant, campaign, to="2026-11-22", max_fx_age_days=1)
        assert stale["complete"] is False and "2026-11-22" in stale["fx_errors"][0]

    async def test_the_historical_ecb_file(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        hist = "Date,USD,JPY,CYP,\n2026-11-20,1.05,160.0,N/A,\n2026-11-19,1.04,159.5,N/A,\n"
        await fx(client, tenant, hist)
        rates = (await client.get("/v1/fx-rates", headers=tenant.headers("finance"))).json()
        assert len(rates) == 4 and {r["source"] for r in rates} == {"ecb"}


class TestPoint11FinanceFindsThings:
    async def test_finance_lists_campaigns_and_traces_a_webhook_order_to_its_credit(
        self, client: httpx.AsyncClient, tenant: Tenant, conn: asyncpg.Connection
    ) -> None:
        campaign, [c] = await campaign_with_creators(client, tenant, conn, "EUR", [{"promo_code": "CDT11X"}])
        finance = tenant.headers("finance")
        assert [x["id"] for x in (await client.get("/v1/campaigns", headers=finance)).json()] == [campaign["id"]]
        stores = await Stores(client, tenant).setup()
        hook = await stores.shopify("orders/create", shopify_order(1101, "10.00", "EUR", AT, ["CDT11X"]))
        [named] = hook.json()["conversion_ids"]
        for i in range(4):
            await order(client, tenant, order_id=f"n-{i}", occurred_at=f"2026-11-1{i}T00:00:00Z")
        page = (await client.get("/v1/conversions", params={"campaign_id": campaign["id"]}, headers=finance)).json()
        assert [x["id"] for x in page["items"]] == [named] and page["items"][0]["credits"][0]["creator_id"] == c["id"]
        assert [
            x["id"]
            for x in (await client.get("/v1/conversions", params={"source": "shopify"}, headers=finance)).json()[
                "items"
            ]
        ] == [named]
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"attributed": "false", "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/conversions", params=params, headers=finance)).json()
            seen += [x["order_id"] for x in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert seen == ["n-3", "n-2", "n-1", "n-0"]
        dated = await client.get("/v1/conversions", params={"from": "2026-11-11", "to": "2026-11-12"}, headers=finance)
        assert [x["order_id"] for x in dated.json()["items"]] == ["n-2", "n-1"]
        text = (await client.get("/v1/conversions", params={"format": "csv"}, headers=finance)).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len({r["id"] for r in rows}) == 5 and len(rows) == 4 + 3  # the webhook order: one row per model
        assert {r["creator_id"] for r in rows if r["id"] == named} == {c["id"]}


class TestPoint12TheSchemaShowsTheMoney:
    async def test_report_and_fx_schemas(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/schema/openapi.json")).json()
        report_op = spec["paths"]["/v1/campaigns/{campaign_id}/report"]["get"]
        ref = report_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        schemas = spec["components"]["schemas"]
        report_schema = schemas[ref.rsplit("/", 1)[1]]
        assert "currency" in report_schema["properties"] and "fx_rates" in report_schema["properties"]
        figures = schemas["CreatorFigures"]["properties"]
        assert figures["net_revenue"]["pattern"] and figures["net_revenue"]["description"]
        currency = report_schema["properties"]["currency"]
        currency_schema = schemas[currency["$ref"].rsplit("/", 1)[1]] if "$ref" in currency else currency
        assert "EUR" in currency_schema["enum"] and "XYZ" not in currency_schema["enum"]
        fx_body = spec["paths"]["/v1/fx-rates"]["post"]["requestBody"]["content"]
        assert fx_body["application/json"]["schema"]["items"]["properties"]["rate"]["pattern"]
        series = spec["paths"]["/v1/campaigns/{campaign_id}/timeseries"]["get"]["responses"]["200"]["content"]
        assert series["application/json"]["schema"]["items"]["$ref"].endswith("DayFigures")
        params = {p["name"]: p for p in report_op["parameters"]}
        assert params["format"]["schema"].get("enum") or "$ref" in params["format"]["schema"]


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


__all__ = ["json"]
