"""The payout ledger: accruals, adjustments, payouts, balances, entries and their CSV/Parquet export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from api.auth import REPORTS, WRITERS
from api.export import csv_response
from campaigns import ledger, payouts
from campaigns.deliverables import actor_of
from campaigns.ledger import Balance, Entry, Totals
from campaigns.payouts import AccrualResult, AdjustmentIn, PayoutIn
from sql.errors import ValidationError
from sql.tenancy import Principal

Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]
Limit = Annotated[int, Parameter(ge=1, le=100_000)]


def _actor(principal: Principal) -> str:
    return actor_of(principal.role, principal.key_id, None)


def _export(name: str, items: list[Entry], fmt: str) -> Any:
    if fmt == "csv":
        return csv_response(f"{name}.csv", ledger.COLUMNS, payouts.rows(items))
    if fmt == "parquet":
        return Response(
            payouts.parquet(items),
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": f'attachment; filename="{name}.parquet"'},
        )
    if fmt != "json":
        raise ValidationError("format must be json, csv or parquet", field="format")
    return items


class LedgerController(Controller):
    path = "/v1"
    tags = ["payouts"]

    @post(
        "/campaigns/{campaign_id:uuid}/ledger/accrue",
        operation_id="AccrueCommission",
        guards=[WRITERS],
        status_code=200,
        summary="Bring commission on matured orders onto the ledger (commission or clawback entries)",
    )
    async def accrue(
        self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller, as_of: FromQuery[datetime | None] = None
    ) -> AccrualResult:
        return await payouts.accrue(conn, principal.org_id, campaign_id, as_of, _actor(principal))

    @post(
        "/campaigns/{campaign_id:uuid}/creators/{creator_id:uuid}/adjustments",
        operation_id="AdjustLedger",
        guards=[WRITERS],
        summary="A manual ledger adjustment (signed amount, with a reason)",
    )
    async def adjust(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        data: JSONBody[AdjustmentIn],
        conn: Conn,
        principal: Caller,
    ) -> Entry:
        return await payouts.adjust(conn, principal.org_id, campaign_id, creator_id, data, _actor(principal))

    @post(
        "/campaigns/{campaign_id:uuid}/creators/{creator_id:uuid}/payouts",
        operation_id="RecordPayout",
        guards=[WRITERS],
        summary="Record a payout as paid (reference, date, payout currency at a stated rate)",
    )
    async def pay(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        data: JSONBody[PayoutIn],
        conn: Conn,
        principal: Caller,
    ) -> Entry:
        return await payouts.pay(conn, principal.org_id, campaign_id, creator_id, data, _actor(principal))

    @get(
        "/campaigns/{campaign_id:uuid}/ledger",
        operation_id="ListCampaignLedger",
        guards=[REPORTS],
        summary="The campaign's ledger entries (?format=json|csv|parquet&from=&to=&creator_id=)",
    )
    async def campaign_ledger(
        self,
        campaign_id: FromPath[UUID],
        conn: Conn,
        principal: Caller,
        creator_id: FromQuery[UUID | None] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        format: FromQuery[str] = "json",
        limit: FromQuery[Limit] = 10_000,
    ) -> Any:
        items = await payouts.entries(conn, principal.org_id, campaign_id, creator_id, start, end, limit)
        return _export(f"ledger-{campaign_id}", items, format)

    @get(
        "/ledger",
        operation_id="ListLedger",
        guards=[REPORTS],
        summary="The org's ledger entries across campaigns (?format=json|csv|parquet&from=&to=)",
    )
    async def org_ledger(
        self,
        conn: Conn,
        principal: Caller,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        format: FromQuery[str] = "json",
        limit: FromQuery[Limit] = 10_000,
    ) -> Any:
        items = await payouts.entries(conn, principal.org_id, None, None, start, end, limit)
        return _export("ledger", items, format)

    @get(
        "/payouts/balances",
        operation_id="ListBalances",
        guards=[REPORTS],
        summary="Per creator and currency: fees, commission, clawbacks, adjustments, earned, paid, balance",
    )
    async def balances(
        self,
        conn: Conn,
        principal: Caller,
        campaign_id: FromQuery[UUID | None] = None,
        creator_id: FromQuery[UUID | None] = None,
    ) -> list[Balance]:
        return await payouts.balances(conn, principal.org_id, campaign_id, creator_id)

    @get(
        "/payouts/totals",
        operation_id="ListBalanceTotals",
        guards=[REPORTS],
        summary="Balances per campaign and currency, and for the whole org per currency (campaign_id null)",
    )
    async def totals(self, conn: Conn, principal: Caller) -> list[Totals]:
        return ledger.totals(await payouts.balances(conn, principal.org_id, None, None))
