"""Conversions: record orders and refunds through the API, list and trace them (JSON or CSV)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.auth import REPORTS, WRITERS
from api.controllers.campaigns import Caller, Conn, Limit
from api.export import csv_response
from campaigns import orders
from campaigns.models import Conversion, ConversionIn, ConversionPage, ConversionSource, Credit, OrderStatus, RefundIn


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


CONVERSION_COLUMNS = [
    "id",
    "source",
    "order_id",
    "occurred_at",
    "amount",
    "currency",
    "status",
    "refunded",
    "promo_codes",
    "click_id",
    "ref",
    "model",
    "campaign_id",
    "creator_id",
    "method",
    "share",
    "credited_amount",
    "reason",
]


def conversion_rows(items: list[Conversion]) -> list[list[object]]:
    """One row per conversion and credit (a conversion nobody was credited with: one row, credit blank)."""
    out: list[list[object]] = []
    for c in items:
        head: list[object] = [c.id, c.source, c.order_id, c.occurred_at.isoformat(), c.amount, c.currency.value]
        head.append(c.status)
        head += [c.refunded, " ".join(c.promo_codes), c.click_id, c.ref]
        credits: list[Credit | None] = list(c.credits) or [None]
        for k in credits:
            tail: list[object] = (
                [k.model, k.campaign_id, k.creator_id, k.method, k.share, k.amount, k.reason] if k else [None] * 7
            )
            out.append(head + tail)
    return out


class ConversionController(Controller):
    path = "/v1/conversions"
    tags = ["campaigns"]

    @post(
        "/",
        operation_id="RecordConversion",
        guards=[WRITERS],
        summary="Record an order; the same order id again is counted once",
    )
    async def create(self, data: JSONBody[ConversionIn], conn: Conn, principal: Caller, state: State) -> Conversion:
        await state.clicks.flush()  # the order's click may still be in this process's buffer
        skew = timedelta(seconds=state.settings.clock_skew_seconds)
        return await orders.create_conversion(conn, principal.org_id, data, skew)

    @get(
        "/",
        operation_id="ListConversions",
        guards=[REPORTS],
        summary="The org's conversions, newest first, with who got credit and why (?format=csv)",
    )
    async def list_conversions(
        self,
        conn: Conn,
        principal: Caller,
        campaign_id: FromQuery[UUID | None] = None,
        creator_id: FromQuery[UUID | None] = None,
        source: FromQuery[ConversionSource | None] = None,
        status: FromQuery[OrderStatus | None] = None,
        attributed: FromQuery[bool | None] = None,
        start: Annotated[date | None, QueryParameter(name="from", description="First day (UTC).")] = None,
        end: Annotated[date | None, QueryParameter(name="to", description="Last day (UTC), included.")] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 100,
        format: FromQuery[ListFormat] = ListFormat.json,
    ) -> ConversionPage:
        filters = {
            "campaign_id": campaign_id,
            "creator_id": creator_id,
            "source": source,
            "status": status,
            "attributed": attributed,
            "since": datetime.combine(start, time(), UTC) if start else None,
            "until": datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
        }
        page = await orders.list_conversions(conn, principal.org_id, filters, cursor, limit)
        if format == ListFormat.csv:
            response = csv_response("conversions.csv", CONVERSION_COLUMNS, conversion_rows(page.items))
            if page.next_cursor:
                response.headers["X-Next-Cursor"] = page.next_cursor
            return response  # type: ignore[return-value]
        return page

    @get(
        "/{conversion_id:uuid}",
        operation_id="GetConversion",
        guards=[REPORTS],
        summary="A conversion, its refunds, and who got credit under each model and why",
    )
    async def get_conversion(self, conversion_id: FromPath[UUID], conn: Conn, principal: Caller) -> Conversion:
        return await orders.get_conversion(conn, principal.org_id, conversion_id)

    @post(
        "/{order_id:str}/refunds",
        operation_id="RecordRefund",
        guards=[WRITERS],
        summary="Refund part or all of an order (more than is left is refused)",
    )
    async def refund(
        self, order_id: FromPath[str], data: JSONBody[RefundIn], conn: Conn, principal: Caller
    ) -> Conversion:
        return await orders.create_refund(conn, principal.org_id, order_id, data)
