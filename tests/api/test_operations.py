"""Deliverables (status flow, history, overdue), the fee milestone on the ledger, payouts in another currency,
ledger exports, and the promo code leak signal, through the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import polars as pl
import pytest

from campaigns.leaks import jump
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio


async def campaign_with_creator(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    h = tenant.headers()
    body = {"name": "Raya", "currency": "MYR", "destination_url": "https://kedai.example/"}
    cid = (await client.post("/v1/campaigns", headers=h, json=body)).json()["id"]
    creator = (
        await client.post(
            f"/v1/campaigns/{cid}/creators",
            headers=h,
            json={"platform": "instagram", "handle": "aisyah", "fee": "2000.00", "payout_currency": "IDR"},
        )
    ).json()
    return cid, creator


class TestDeliverables:
    async def test_flow_history_overdue_and_fee_on_the_ledger(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        cid, creator = await campaign_with_creator(client, tenant)
        now = datetime.now(UTC).replace(microsecond=0)
        manager = tenant.headers("manager")
        late = {"creator_id": creator["id"], "kind": "post", "due_at": (now - timedelta(days=2)).isoformat()}
        r = await client.post(f"/v1/campaigns/{cid}/deliverables", headers=manager, json={**late, "fee_share": "60"})
        assert r.status_code == 201, r.text
        d = r.json()
        assert d["status"] == "planned" and d["overdue"] is True and d["platform"] == "instagram"
        later = {"creator_id": creator["id"], "kind": "story", "due_at": (now + timedelta(days=5)).isoformat()}
        r = await client.post(f"/v1/campaigns/{cid}/deliverables", headers=manager, json={**later, "fee_share": "40"})
        assert r.status_code == 201
        too_much = {**later, "fee_share": "1"}
        assert (
            await client.post(f"/v1/campaigns/{cid}/deliverables", headers=manager, json=too_much)
        ).status_code == 422

        overdue = (await client.get("/v1/deliverables/overdue", headers=tenant.headers("analyst"))).json()
        assert [x["id"] for x in overdue] == [d["id"]]

        path = f"/v1/deliverables/{d['id']}/transitions"
        assert (await client.post(path, headers=manager, json={"to": "live"})).status_code == 422  # skips review
        assert (await client.post(path, headers=manager, json={"to": "submitted"})).status_code == 200
        r = await client.post(path, headers=manager, json={"to": "changes_requested"})
        assert r.status_code == 422 and r.json()["field"] == "comment"
        r = await client.post(
            path, headers=manager, json={"to": "changes_requested", "comment": "add #iklan", "by": "Nur"}
        )
        assert r.status_code == 200
        for step in ({"to": "submitted"}, {"to": "approved"}):
            assert (await client.post(path, headers=tenant.headers(), json=step)).status_code == 200
        balances = (await client.get(f"/v1/payouts/balances?campaign_id={cid}", headers=tenant.headers())).json()
        assert balances == []  # the default milestone is going live
        r = await client.post(path, headers=manager, json={"to": "live"})
        assert r.status_code == 422 and r.json()["field"] == "post_url"
        url = "https://www.instagram.com/p/Raya1/"
        r = await client.post(path, headers=manager, json={"to": "live", "post_url": url})
        assert r.status_code == 200
        d = r.json()
        assert d["status"] == "live" and d["overdue"] is False and d["post_url"] == url
        steps = [(e["from_status"], e["to_status"]) for e in d["history"]]
        assert steps == [
            (None, "planned"),
            ("planned", "submitted"),
            ("submitted", "changes_requested"),
            ("changes_requested", "submitted"),
            ("submitted", "approved"),
            ("approved", "live"),
        ]
        assert d["history"][2]["comment"] == "add #iklan" and d["history"][2]["actor"].startswith("Nur (manager key")
        assert d["history"][4]["actor"].startswith("admin key")
        times = [datetime.fromisoformat(e["at"]) for e in d["history"]]
        assert times == sorted(times) and all(abs(t - now) < timedelta(minutes=5) for t in times)
        assert (await client.get("/v1/deliverables/overdue", headers=tenant.headers())).json() == []
        tracked = (await client.get(f"/v1/campaigns/{cid}/content", headers=tenant.headers())).json()
        assert [p["url"] for p in tracked] == [url]

        # 60% of the 2,000 MYR fee is owed; pay it in IDR at a stated rate.
        [b] = (await client.get(f"/v1/payouts/balances?campaign_id={cid}", headers=tenant.headers("finance"))).json()
        # Amounts carry MYR's own two decimals, not the NUMERIC column's six.
        assert (b["fees"], b["balance"], b["paid"], b["earned"]) == ("1200.00", "1200.00", "0.00", "1200.00")
        pay = f"/v1/campaigns/{cid}/creators/{creator['id']}/payouts"
        r = await client.post(pay, headers=tenant.headers(), json={"reference": "TRF-1"})
        assert r.status_code == 422 and r.json()["field"] == "rate"  # paid in IDR: the rate must be stated
        body = {"reference": "TRF-1", "rate": "3650.25", "paid_on": "2026-11-30"}
        r = await client.post(pay, headers=tenant.headers(), json=body)
        assert r.status_code == 201, r.text
        entry = r.json()
        assert entry["amount"] == "-1200.00" and entry["paid_currency"] == "IDR"
        assert entry["paid_amount"] == "4380300.00" and entry["effective_at"].startswith("2026-11-30")
        assert (await client.post(pay, headers=tenant.headers(), json=body)).status_code == 409  # same reference
        totals = (await client.get("/v1/payouts/totals", headers=tenant.headers("finance"))).json()
        assert [(t["campaign_id"], t["currency"], t["earned"], t["paid"]) for t in totals] == [
            (cid, "MYR", "1200.00", "1200.00"),
            (None, "MYR", "1200.00", "1200.00"),
        ]
        r = await client.post(pay, headers=tenant.headers(), json={"reference": "TRF-2", "rate": "3650"})
        assert r.status_code == 422  # nothing left to pay

        # Exports: CSV and Parquet hold the same entries, exactly.
        csv_text = (await client.get(f"/v1/campaigns/{cid}/ledger?format=csv", headers=tenant.headers("finance"))).text
        table = list(csv.DictReader(io.StringIO(csv_text)))
        assert [(r["kind"], Decimal(r["amount"])) for r in table] == [("fee", 1200), ("payout", -1200)]
        raw = (await client.get("/v1/ledger?format=parquet", headers=tenant.headers("finance"))).content
        frame = pl.read_parquet(io.BytesIO(raw))
        assert frame["kind"].to_list() == ["fee", "payout"]
        assert [Decimal(x) for x in frame["amount"].to_list()] == [Decimal(1200), Decimal(-1200)]
        assert (await client.get("/v1/ledger?format=xml", headers=tenant.headers())).status_code == 422
        assert (await client.get(f"/v1/campaigns/{cid}/ledger", headers=tenant.headers("analyst"))).status_code == 200

    async def test_other_orgs_see_nothing(
        self, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        cid, creator = await campaign_with_creator(client, tenant)
        now = datetime.now(UTC).replace(microsecond=0)
        body = {"creator_id": creator["id"], "kind": "video", "due_at": now.isoformat()}
        d = (await client.post(f"/v1/campaigns/{cid}/deliverables", headers=tenant.headers(), json=body)).json()
        other = other_tenant.headers()
        assert (await client.get(f"/v1/deliverables/{d['id']}", headers=other)).status_code == 404
        assert (await client.get(f"/v1/campaigns/{cid}/deliverables", headers=other)).status_code == 404
        assert (await client.get(f"/v1/campaigns/{cid}/ledger", headers=other)).status_code == 404
        assert (
            await client.post(f"/v1/deliverables/{d['id']}/transitions", headers=other, json={"to": "submitted"})
        ).status_code == 404


class TestPromoCodeLeaks:
    def test_a_jump_is_a_day_far_above_the_week_before(self) -> None:
        from collections import Counter

        quiet = Counter({date(2026, 11, d): 1 for d in range(1, 8)})
        assert jump(quiet) is None
        assert jump(quiet + Counter({date(2026, 11, 8): 4})) is None  # under the minimum
        found = jump(quiet + Counter({date(2026, 11, 8): 6}))
        assert found is not None and found[0] == date(2026, 11, 8) and found[1] == 6

    async def test_orders_without_the_creators_link_are_unexpected(
        self, client: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        cid, creator = await campaign_with_creator(client, tenant)
        now = datetime.now(UTC).replace(microsecond=0)
        h = tenant.headers()
        orders = [(now - timedelta(days=9, hours=k), True) for k in range(3)]  # via the creator's link (ref)
        orders += [(now - timedelta(days=8), False)]
        noon = datetime.combine((now - timedelta(days=1)).date(), time(12), UTC)
        orders += [(noon + timedelta(minutes=k), False) for k in range(8)]  # the code leaked
        for n, (at, via_link) in enumerate(orders):
            body: dict[str, Any] = {
                "order_id": f"L-{n}",
                "occurred_at": at.isoformat(),
                "amount": "50.00",
                "currency": "MYR",
                "promo_codes": [creator["promo_code"]],
            }
            if via_link:
                body["ref"] = creator["slug"]
            assert (await client.post("/v1/conversions", headers=h, json=body)).status_code == 201
        [leak] = (await client.get(f"/v1/campaigns/{cid}/promo-code-leaks", headers=h)).json()
        assert (leak["orders"], leak["unexpected_orders"]) == (12, 9)
        assert Decimal(leak["unexpected_share"]) == Decimal("0.7500")
        assert datetime.fromisoformat(leak["first_unexpected_at"]) == orders[3][0]
        assert leak["flagged"] is True and leak["jump_day"] == (now - timedelta(days=1)).date().isoformat()


class TestHostileInput:
    async def test_bad_bodies_are_4xx_and_store_nothing(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        cid, creator = await campaign_with_creator(client, tenant)
        h = tenant.headers()
        base = f"/v1/campaigns/{cid}"
        who = f"{base}/creators/{creator['id']}"
        cases: list[tuple[str, str, Any]] = [
            ("POST", f"{who}/payouts", {"reference": "X", "amount": "NaN"}),
            ("POST", f"{who}/payouts", {"reference": "X", "amount": "Infinity"}),
            ("POST", f"{who}/payouts", {"reference": "", "amount": "1"}),
            ("POST", f"{who}/adjustments", {"amount": "NaN", "reason": "x"}),
            ("POST", f"{who}/adjustments", {"amount": "1.005", "reason": "x"}),
            ("POST", f"{who}/adjustments", {"amount": "5", "reason": " "}),
            ("POST", f"{base}/deliverables", {"creator_id": creator["id"], "kind": "reel", "due_at": "2026-12-01"}),
            ("POST", f"{base}/deliverables", {"creator_id": creator["id"], "kind": "post", "due_at": "soon"}),
            (
                "POST",
                f"{base}/deliverables",
                {"creator_id": creator["id"], "kind": "post", "due_at": "2026-12-01T00:00:00Z", "fee_share": "NaN"},
            ),
            ("POST", f"{base}/content", {"creator_id": creator["id"], "url": "ftp://x/y"}),
            ("POST", f"{base}/content", {"creator_id": creator["id"], "url": "https://x.test/p\u0000"}),
            ("PUT", f"{base}/brief", {"required_hashtags": ["not a tag"]}),
            ("PUT", f"{base}/operations", {"reach_rates": {"instagram": "2"}}),
            ("PUT", f"{base}/operations", {"commission_hold_days": -1}),
            ("PUT", f"{base}/operations", {"fee_milestone": "posted"}),
            ("PUT", "/v1/disclosure-markers", {"markers": []}),
        ]
        for method, path, body in cases:
            r = await client.request(method, path, headers=h, json=body)
            assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)
        r = await client.post(f"{base}/ledger/accrue?as_of=2026-11-01T00:00:00", headers=h)  # naive time: UTC
        assert r.status_code == 200, r.text
        for text in (
            b"",
            b"post_url\n",
            b"a,b\n1,2\n",
            "post_url,taken_at\nhttps://x.test/\u0000,2026-01-01\n".encode(),
        ):
            r = await client.post(f"{base}/content/import", headers={**h, "content-type": "text/csv"}, content=text)
            assert r.status_code == 422, r.text
        assert (await client.get(f"{base}/content", headers=h)).json() == []
        assert (await client.get(f"{base}/ledger", headers=h)).json() == []
