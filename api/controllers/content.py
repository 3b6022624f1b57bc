"""Tracked content, metric snapshots and their CSV import, compliance, disclosure markers, creator profiles,
promo code leak signals and the campaign's operation settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.auth import READERS, REPORTS, WRITERS
from campaigns import content, content_import, creators, leaks, operations
from campaigns.content import Snapshot, SnapshotIn, TrackedPost, TrackedPostIn
from campaigns.content_import import ImportResult
from campaigns.creators import ProfilePatch
from campaigns.leaks import CodeLeak
from campaigns.models import Campaign, Creator
from campaigns.operations import OperationsIn
from sql.tenancy import Principal

Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


class MarkersIn(msgspec.Struct, forbid_unknown_fields=True):
    markers: list[str]


class ContentController(Controller):
    path = "/v1/campaigns/{campaign_id:uuid}"
    tags = ["campaign operations"]

    @post("/content", operation_id="TrackPost", guards=[WRITERS], summary="Track a creator's post by URL")
    async def track(
        self, campaign_id: FromPath[UUID], data: JSONBody[TrackedPostIn], conn: Conn, principal: Caller
    ) -> TrackedPost:
        return await content.register(conn, principal.org_id, campaign_id, data)

    @get(
        "/content",
        operation_id="ListTrackedPosts",
        guards=[READERS],
        summary="Tracked posts with their latest snapshot and compliance findings",
    )
    async def list_posts(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[TrackedPost]:
        return await content.list_posts(conn, principal.org_id, campaign_id)

    @get(
        "/content/{post_id:uuid}/snapshots",
        operation_id="ListSnapshots",
        guards=[READERS],
        summary="Every metric snapshot of a tracked post",
    )
    async def snapshots(
        self, campaign_id: FromPath[UUID], post_id: FromPath[UUID], conn: Conn, principal: Caller
    ) -> list[Snapshot]:
        return await content.snapshots(conn, principal.org_id, campaign_id, post_id)

    @post(
        "/content/{post_id:uuid}/snapshots",
        operation_id="AddSnapshot",
        guards=[WRITERS],
        summary="Record reported metrics of a tracked post",
    )
    async def add_snapshot(
        self,
        campaign_id: FromPath[UUID],
        post_id: FromPath[UUID],
        data: JSONBody[SnapshotIn],
        conn: Conn,
        principal: Caller,
    ) -> TrackedPost:
        return await content.add_snapshot(conn, principal.org_id, campaign_id, post_id, data)

    @post(
        "/content/import",
        operation_id="ImportSnapshots",
        guards=[WRITERS],
        summary="Import post snapshots from CSV (text/csv; see /v1/content-template.csv); re-import is idempotent",
        status_code=200,
    )
    async def import_csv(
        self, campaign_id: FromPath[UUID], request: Request[Any, Any, Any], conn: Conn, principal: Caller
    ) -> ImportResult:
        text = (await request.body()).decode("utf-8", errors="replace")
        return await content_import.import_csv(conn, principal.org_id, campaign_id, text)

    @post(
        "/content/detect",
        operation_id="DetectContent",
        guards=[WRITERS],
        summary="Track crawled posts of linked creators with the campaign hashtag, a mention or a link, in its dates",
        status_code=200,
    )
    async def detect(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[TrackedPost]:
        return await content.detect(conn, principal.org_id, campaign_id)

    @get(
        "/compliance",
        operation_id="ListComplianceFindings",
        guards=[READERS],
        summary="Tracked posts that miss a disclosure, a required hashtag or mention, or the campaign's dates",
    )
    async def compliance(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[TrackedPost]:
        return [p for p in await content.list_posts(conn, principal.org_id, campaign_id) if p.findings]

    @get(
        "/promo-code-leaks",
        operation_id="ListPromoCodeLeaks",
        guards=[REPORTS],
        summary="Per promo code: orders without a click from the creator's link, first seen, jump flag",
    )
    async def code_leaks(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[CodeLeak]:
        return await leaks.leaks(conn, principal.org_id, campaign_id)

    @patch(
        "/creators/{creator_id:uuid}/profile",
        operation_id="UpdateCreatorProfile",
        guards=[WRITERS],
        summary="Link a crawled account (or accept the suggested one), reported followers, payout currency",
    )
    async def profile(
        self,
        campaign_id: FromPath[UUID],
        creator_id: FromPath[UUID],
        data: JSONBody[ProfilePatch],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> Creator:
        return await creators.update_profile(conn, principal.org_id, campaign_id, creator_id, data, base_url(request))

    @put(
        "/operations",
        operation_id="SetCampaignOperations",
        guards=[WRITERS],
        summary="Commission hold days, fee milestone (approved|live) and per-platform reach rate overrides",
    )
    async def operations(
        self, campaign_id: FromPath[UUID], data: JSONBody[OperationsIn], conn: Conn, principal: Caller
    ) -> Campaign:
        return await operations.set_operations(conn, principal.org_id, campaign_id, data)

    @get(
        "/reach-rates",
        operation_id="GetReachRates",
        guards=[READERS],
        summary="The reach rate per platform used for estimated reach (defaults and this campaign's overrides)",
    )
    async def reach_rates(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> dict[str, Decimal]:
        return await operations.reach_rates(conn, principal.org_id, campaign_id)


class DisclosureController(Controller):
    path = "/v1"
    tags = ["campaign operations"]

    @get("/disclosure-markers", operation_id="GetDisclosureMarkers", guards=[READERS], summary="The org's markers")
    async def get_markers(self, conn: Conn, principal: Caller) -> MarkersIn:
        return MarkersIn(await content.markers(conn, principal.org_id))

    @put(
        "/disclosure-markers",
        operation_id="SetDisclosureMarkers",
        guards=[WRITERS],
        summary="Replace the org's disclosure markers ('#tag' or a phrase)",
    )
    async def set_markers(self, data: JSONBody[MarkersIn], conn: Conn, principal: Caller) -> MarkersIn:
        return MarkersIn(await content.set_markers(conn, principal.org_id, data.markers))

    @get(
        "/content-template.csv",
        operation_id="GetContentTemplate",
        guards=[READERS],
        summary="The CSV template for snapshot imports",
    )
    async def template(self) -> Response[str]:
        return Response(
            content_import.template(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="content-template.csv"'},
        )
