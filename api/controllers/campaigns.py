"""Campaigns, their creators and posts, conversions, refunds, integrations, FX rates and reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from api.auth import READERS, REPORTS, WRITERS
from api.export import csv_response
from campaigns import content, metrics, service
from campaigns import repository as repo
from campaigns.metrics import Report
from campaigns.models import (
    Campaign,
    CampaignIn,
    CampaignPatch,
    CampaignPost,
    CostsPatch,
    Creator,
    CreatorIn,
    DayFigures,
    Integration,
    IntegrationIn,
    PostIn,
)
from campaigns.money import Currency
from sql.errors import NotFoundError, ValidationError
from sql.tenancy import Principal

Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]
Limit = Annotated[int, Parameter(ge=1, le=500)]


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    parquet = "parquet"


class AttributionModel(StrEnum):
    last_click = "last_click"
    first_click = "first_click"
    linear = "linear"


class CampaignController(Controller):
    path = "/v1/campaigns"
    tags = ["campaigns"]

    @post("/", operation_id="CreateCampaign", guards=[WRITERS], summary="Create a campaign")
    async def create(self, data: JSONBody[CampaignIn], conn: Conn, principal: Caller) -> Campaign:
        return await service.create_campaign(conn, principal.org_id, data)

    @get("/", operation_id="ListCampaigns", guards=[REPORTS], summary="The org's campaigns, newest first")
    async def list_campaigns(
        self, conn: Conn, principal: Caller, before: FromQuery[datetime | None] = None, limit: FromQuery[Limit] = 50
    ) -> list[Campaign]:
        return await repo.list_campaigns(conn, principal.org_id, before, limit)

    @get("/{campaign_id:uuid}", operation_id="GetCampaign", guards=[REPORTS], summary="One campaign")
    async def get_campaign(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> Campaign:
        return await repo.get_campaign(conn, principal.org_id, campaign_id)

    @patch("/{campaign_id:uuid}", operation_id="UpdateCampaign", guards=[WRITERS], summary="Change a campaign")
    async def update(
        self, campaign_id: FromPath[UUID], data: JSONBody[CampaignPatch], conn: Conn, principal: Caller
    ) -> Campaign:
        return await service.update_campaign(conn, principal.org_id, campaign_id, data)

    @delete(
        "/{campaign_id:uuid}",
        operation_id="ArchiveCampaign",
        guards=[WRITERS],
        status_code=200,
        summary="Archive a campaign (its links stop redirecting; its history stays)",
    )
    async def archive(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> Campaign:
        return await repo.archive_campaign(conn, principal.org_id, campaign_id)

    @post(
        "/{campaign_id:uuid}/creators",
        operation_id="AddCreator",
        guards=[WRITERS],
        summary="Add a creator: makes a promo code and a tagged link",
    )
    async def add_creator(
        self,
        campaign_id: FromPath[UUID],
        data: JSONBody[CreatorIn],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> Creator:
        return await service.add_creator(conn, principal.org_id, campaign_id, data, base_url(request))

    @get(
        "/{campaign_id:uuid}/creators",
        operation_id="ListCreators",
        guards=[REPORTS],
        summary="The campaign's creators (?removed=true includes removed ones)",
    )
    async def list_creators(
        self,
        campaign_id: FromPath[UUID],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
        removed: FromQuery[bool] = False,
    ) -> list[Creator]:
        await repo.get_campaign(conn, principal.org_id, campaign_id)
        return await repo.list_creators(conn, principal.org_id, campaign_id, removed, base_url(request))

    @patch(
        "/{campaign_id:uuid}/creators/{creator_id:uuid}",
        operation_id="UpdateCreatorCosts",
        guards=[WRITERS],
        summary="Change a creator's costs",
    )
    async def update_costs(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        data: JSONBody[CostsPatch],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> Creator:
        return await service.update_costs(conn, principal.org_id, campaign_id, creator_id, data, base_url(request))

    @delete(
        "/{campaign_id:uuid}/creators/{creator_id:uuid}",
        operation_id="RemoveCreator",
        guards=[WRITERS],
        status_code=200,
        summary="Remove a creator (history and code kept; the link stops)",
    )
    async def remove_creator(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> Creator:
        return await repo.remove_creator(conn, principal.org_id, campaign_id, creator_id, base_url(request))

    @post(
        "/{campaign_id:uuid}/creators/{creator_id:uuid}/posts",
        operation_id="AddCampaignPost",
        guards=[WRITERS],
        summary="Register a creator's campaign post by URL",
    )
    async def add_post(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        data: JSONBody[PostIn],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> list[CampaignPost]:
        creators = await repo.list_creators(conn, principal.org_id, campaign_id, True, base_url(request))
        if creator_id not in {c.id for c in creators}:
            raise NotFoundError(f"creator {creator_id} not found in campaign {campaign_id}")
        await repo.add_post(conn, principal.org_id, creator_id, service.validate_url(data.url))
        return await repo.list_posts(conn, principal.org_id, campaign_id)

    @post(
        "/{campaign_id:uuid}/posts/detect",
        operation_id="DetectCampaignPosts",
        guards=[WRITERS],
        summary="Find crawled posts of the creators carrying the campaign hashtag or a tagged link",
    )
    async def detect_posts(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[CampaignPost]:
        await content.detect(conn, principal.org_id, campaign_id)  # within the campaign's dates
        return await repo.list_posts(conn, principal.org_id, campaign_id)

    @get(
        "/{campaign_id:uuid}/posts",
        operation_id="ListCampaignPosts",
        guards=[READERS],
        summary="The campaign's tracked posts with their engagement",
    )
    async def list_posts(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[CampaignPost]:
        await repo.get_campaign(conn, principal.org_id, campaign_id)
        return await repo.list_posts(conn, principal.org_id, campaign_id)

    @get(
        "/{campaign_id:uuid}/report",
        operation_id="GetCampaignReport",
        guards=[REPORTS],
        summary="Per-creator and total figures in one currency, with the FX rates used",
        description="JSON, or ?format=csv / parquet: the same figures, each row also carrying currency, model, "
        "from, to, complete and fx_errors (Parquet: also as file metadata).",
    )
    async def report(
        self,
        campaign_id: FromPath[UUID],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
        currency: FromQuery[Currency | None] = None,  # type: ignore[valid-type]
        model: FromQuery[AttributionModel | None] = None,
        start: Annotated[date | None, QueryParameter(name="from", description="First day (UTC).")] = None,
        end: Annotated[date | None, QueryParameter(name="to", description="Last day (UTC), included.")] = None,
        format: FromQuery[ReportFormat] = ReportFormat.json,
        max_fx_age_days: FromQuery[Annotated[int | None, Parameter(ge=0, le=366)]] = None,
    ) -> Report:
        settings = request.app.state.settings
        age = settings.fx_max_age_days if max_fx_age_days is None else max_fx_age_days
        r = await service.campaign_report(
            conn,
            principal.org_id,
            campaign_id,
            currency.value if currency else None,
            model.value if model else None,
            start,
            end,
            base_url(request),
            age,
        )
        if format == ReportFormat.csv:
            return csv_response(f"report-{campaign_id}.csv", metrics.header(), metrics.rows(r))  # type: ignore[return-value]
        if format == ReportFormat.parquet:
            return Response(  # type: ignore[return-value]
                metrics.parquet(r),
                media_type="application/vnd.apache.parquet",
                headers={"Content-Disposition": f'attachment; filename="report-{campaign_id}.parquet"'},
            )
        return r

    @get(
        "/{campaign_id:uuid}/timeseries",
        operation_id="GetCampaignTimeseries",
        guards=[REPORTS],
        summary="Clicks and attributed paid conversions per day (UTC)",
    )
    async def timeseries(
        self,
        campaign_id: FromPath[UUID],
        conn: Conn,
        principal: Caller,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> list[DayFigures]:
        return await service.timeseries_days(conn, principal.org_id, campaign_id, start, end)


class IntegrationController(Controller):
    path = "/v1/integrations"
    tags = ["campaigns"]
    guards = [WRITERS]

    @post("/", operation_id="CreateIntegration", summary="Connect a store (shopify|woocommerce|stripe) by its secret")
    async def create(self, data: JSONBody[IntegrationIn], conn: Conn, principal: Caller) -> Integration:
        if len(data.secret) < 8:
            raise ValidationError("secret must be at least 8 characters", field="secret")
        row = await repo.create_integration(conn, principal.org_id, data.source, data.name, data.secret)
        return Integration(
            id=row["id"],
            source=row["source"],
            name=row["name"],
            created_at=row["created_at"],
            webhook_path=f"/v1/webhooks/{row['source']}/{row['id']}",
        )

    @get("/", operation_id="ListIntegrations", summary="The org's store integrations (never their secrets)")
    async def list_integrations(self, conn: Conn, principal: Caller) -> list[Integration]:
        return [
            Integration(
                id=r["id"],
                source=r["source"],
                name=r["name"],
                created_at=r["created_at"],
                webhook_path=f"/v1/webhooks/{r['source']}/{r['id']}",
            )
            for r in await repo.list_integrations(conn, principal.org_id)
        ]
