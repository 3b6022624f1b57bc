"""Campaign pages: KPI strip, time series, per-creator table, finance view, exports, sharing, schedules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api import demo_data
from api.export import csv_response
from campaigns import content, metrics, orders, payouts, reads
from campaigns import deliverables as deliverable_service
from campaigns import service as campaigns
from charts.svg import line_chart
from outbound import service as outbound
from outbound.models import ScheduleIn, ShareLinkIn
from sql.errors import ValidationError
from users.models import SessionUser
from web.kpis import previous_period, strip
from web.pages.common import form, page
from web.session import check_csrf, require_role, viewer

METRICS = {
    "clicks": "Clicks",
    "human_clicks": "Human clicks",
    "unique_clicks": "Unique clicks",
    "conversions": "Conversions",
}
CONVERSIONS_SHOWN = 50
COLUMNS = [f for f in metrics.CreatorFigures.__struct_fields__ if f != "creator_id"]
COST_FIELDS = {"cost_fee", "cost_gifted", "cost_commission", "cost_other", "cost", "roi", "cpa", "cpc", "cpm", "cpe"}


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValidationError(f"{field} must be a date like 2026-01-31", field=field) from e


async def _report(
    request: Request[Any, Any, Any],
    org_id: UUID,
    campaign_id: UUID,
    currency: str | None,
    model: str | None,
    start: date | None,
    end: date | None,
) -> Any:
    async with request.app.state.pool.acquire() as conn:
        return await campaigns.campaign_report(conn, org_id, campaign_id, currency, model, start, end, _base(request))


def _sorted(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    if sort not in COLUMNS:
        return rows
    present = [r for r in rows if r.get(sort) is not None]
    missing = [r for r in rows if r.get(sort) is None]
    key = (lambda r: str(r[sort]).lower()) if sort in ("handle", "promo_code") else (lambda r: Decimal(str(r[sort])))
    return sorted(present, key=key, reverse=descending) + missing


def daily(series: list[dict[str, Any]], metric: str, start: date, end: date) -> list[tuple[date, Any]]:
    """Every day of the period up to today, zero where nothing happened, so the chart's x axis is time."""
    by_day = {p["day"]: p[metric] for p in series}
    last = min(end, datetime.now(UTC).date() + timedelta(days=1))
    return [(start + timedelta(days=n), by_day.get(start + timedelta(days=n), 0)) for n in range((last - start).days)]


def _viewer_may_read(person: SessionUser) -> None:
    require_role(person, "admin", "manager", "analyst", "finance")


class CampaignPages(Controller):
    path = "/app"
    include_in_schema = False

    @get("/")
    async def home(self) -> Redirect:
        return Redirect("/app/campaigns", status_code=303)

    @get("/campaigns")
    async def campaign_list(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        _viewer_may_read(person)
        async with request.app.state.pool.acquire() as conn:
            found = await reads.list_campaigns(conn, person.org_id, None, 200)
        return page("campaigns.html", person, title="Campaigns", nav="campaigns", campaigns=found)

    @post("/demo", status_code=303)
    async def load_demo(self, request: Request[Any, Any, Any]) -> Redirect:
        person = await viewer(request)
        require_role(person, "admin")
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        campaign_id = await demo_data.load(request.app, person.org_id)
        return Redirect(f"/app/campaigns/{campaign_id}", status_code=303)

    @get("/campaigns/{campaign_id:uuid}")
    async def campaign(
        self,
        request: Request[Any, Any, Any],
        campaign_id: FromPath[UUID],
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
        metric: str = "clicks",
        sort: str = "net_revenue",
        dir: str = "desc",
    ) -> Template:
        person = await viewer(request)
        _viewer_may_read(person)
        metric = metric if metric in METRICS else "clicks"
        r = await _report(request, person.org_id, campaign_id, None, None, _day(start, "from"), _day(end, "to"))
        before_start, before_end = previous_period(r.start, r.end)
        previous = await _report(request, person.org_id, campaign_id, r.currency, r.model, before_start, before_end)
        async with request.app.state.pool.acquire() as conn:
            camp = await reads.get_campaign(conn, person.org_id, campaign_id)
            series = await campaigns.timeseries(conn, person.org_id, campaign_id, r.start, r.end)
            posts = await content.list_posts(conn, person.org_id, campaign_id)
            deliverables = await deliverable_service.for_campaign(conn, person.org_id, campaign_id)
            shares = await outbound.list_shares(conn, person.org_id, campaign_id)
        body = msgspec.to_builtins(r)
        chart = line_chart(f"{METRICS[metric]} per day", daily(series, metric, r.start, r.end))
        rows = _sorted(body["creators"], sort, dir != "asc")
        return page(
            "campaign.html",
            person,
            title=camp.name,
            nav="campaigns",
            campaign=camp,
            report=body,
            kpis=strip(body["total"], msgspec.to_builtins(previous)["total"]),
            previous=(before_start, before_end),
            chart=chart,
            metric=metric,
            metrics=METRICS,
            columns=COLUMNS,
            rows=rows,
            sort=sort,
            dir=dir,
            posts=posts,
            deliverables=deliverables,
            shares=shares,
            new_share=None,
        )

    @get("/campaigns/{campaign_id:uuid}/finance")
    async def finance(
        self,
        request: Request[Any, Any, Any],
        campaign_id: FromPath[UUID],
        currency: str | None = None,
        model: str | None = None,
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Template:
        person = await viewer(request)
        _viewer_may_read(person)
        currency = currency.strip().upper() if currency else None
        r = await _report(request, person.org_id, campaign_id, currency, model, _day(start, "from"), _day(end, "to"))
        async with request.app.state.pool.acquire() as conn:
            camp = await reads.get_campaign(conn, person.org_id, campaign_id)
            balances = await payouts.balances(conn, person.org_id, campaign_id, None)
            filters = dict.fromkeys(("creator_id", "source", "status", "attributed", "since", "until"))
            conversions = await orders.list_conversions(
                conn, person.org_id, {**filters, "campaign_id": campaign_id}, None, CONVERSIONS_SHOWN
            )
        body = msgspec.to_builtins(r)
        query = f"currency={r.currency}&model={r.model}&from={r.start.isoformat()}&to={r.end.isoformat()}"
        return page(
            "finance.html",
            person,
            title=f"Finance: {camp.name}",
            nav="campaigns",
            campaign=camp,
            report=body,
            columns=COLUMNS,
            query=query,
            balances=balances,
            conversions=conversions,
        )

    @get("/campaigns/{campaign_id:uuid}/report.csv")
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        campaign_id: FromPath[UUID],
        currency: str | None = None,
        model: str | None = None,
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Response[Any]:
        person = await viewer(request)
        _viewer_may_read(person)
        r = await _report(request, person.org_id, campaign_id, currency, model, _day(start, "from"), _day(end, "to"))
        return csv_response(f"report-{campaign_id}.csv", metrics.COLUMNS, metrics.rows(r))

    @get("/campaigns/{campaign_id:uuid}/report.parquet")
    async def export_parquet(
        self,
        request: Request[Any, Any, Any],
        campaign_id: FromPath[UUID],
        currency: str | None = None,
        model: str | None = None,
        start: Annotated[str | None, QueryParameter(name="from")] = None,
        end: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Response[Any]:
        person = await viewer(request)
        _viewer_may_read(person)
        r = await _report(request, person.org_id, campaign_id, currency, model, _day(start, "from"), _day(end, "to"))
        return Response(
            metrics.parquet(r),
            media_type="application/vnd.apache.parquet",
            headers={"Content-Disposition": f'attachment; filename="report-{campaign_id}.parquet"'},
        )

    @post("/campaigns/{campaign_id:uuid}/share", status_code=200)
    async def share(self, request: Request[Any, Any, Any], campaign_id: FromPath[UUID]) -> Template:
        person = await viewer(request)
        _viewer_may_read(person)
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        data = ShareLinkIn(include_costs=values.get("include_costs") == "on", days=int(values.get("days") or 30))
        async with request.app.state.pool.acquire() as conn:
            made = await outbound.create_share(conn, person.org_id, campaign_id, data, person.user_id, _base(request))
            shares = await outbound.list_shares(conn, person.org_id, campaign_id)
        return page("shared.html", person, title="Share link", nav="campaigns", link=made, shares=shares)

    @post("/shares/{share_id:uuid}/revoke", status_code=303)
    async def revoke_share(self, request: Request[Any, Any, Any], share_id: FromPath[UUID]) -> Redirect:
        person = await viewer(request)
        _viewer_may_read(person)
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        async with request.app.state.pool.acquire() as conn:
            link = await outbound.revoke_share(conn, person.org_id, share_id)
        return Redirect(f"/app/campaigns/{link.campaign_id}", status_code=303)

    @post("/campaigns/{campaign_id:uuid}/schedules", status_code=303)
    async def schedule(self, request: Request[Any, Any, Any], campaign_id: FromPath[UUID]) -> Redirect:
        person = await viewer(request)
        require_role(person, "admin", "manager")
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        recipients = [r.strip() for r in values.get("recipients", "").split(",") if r.strip()]
        try:
            data = ScheduleIn(
                campaign_id=campaign_id,
                timezone=values.get("timezone") or "UTC",
                cadence=values.get("cadence", "weekly"),  # type: ignore[arg-type]
                weekday=values.get("weekday", "monday"),  # type: ignore[arg-type]
                hour=int(values.get("hour") or 8),
                recipients=recipients,
            )
            data = msgspec.convert(msgspec.to_builtins(data), ScheduleIn)  # checks the literals
        except (ValueError, msgspec.ValidationError) as e:
            raise ValidationError(f"invalid schedule: {e}") from e
        async with request.app.state.pool.acquire() as conn:
            await outbound.create_schedule(conn, person.org_id, data, datetime.now(UTC) - timedelta(seconds=0))
        return Redirect(f"/app/campaigns/{campaign_id}", status_code=303)


class SharedReportPage(Controller):
    path = "/share"
    include_in_schema = False

    @get("/{token:str}")
    async def shared(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        async with request.app.state.pool.acquire() as conn:
            org_id, link = await outbound.resolve_share(conn, token)
            camp = await reads.get_campaign(conn, org_id, link.campaign_id)
        r = await _report(request, org_id, link.campaign_id, None, None, None, None)
        body = msgspec.to_builtins(r)
        columns = [c for c in COLUMNS if link.include_costs or c not in COST_FIELDS]
        return page(
            "share.html", None, title=f"Report: {camp.name}", campaign=camp, report=body, columns=columns, link=link
        )
