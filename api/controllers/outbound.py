"""Outbound webhook subscriptions and their delivery log, report schedules, share links."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import ADMIN, READERS, REPORTS, WRITERS
from outbound import service
from outbound.models import DeliveryPage, Schedule, ScheduleIn, ShareLink, ShareLinkIn, Subscription, SubscriptionIn
from sql.tenancy import Principal

Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


class OutboundWebhookController(Controller):
    path = "/v1"
    tags = ["outbound"]

    @post(
        "/webhook-subscriptions",
        operation_id="CreateWebhookSubscription",
        guards=[ADMIN],
        summary="Subscribe a URL to events; the signing secret (Standard Webhooks, whsec_...) is shown once",
    )
    async def create(self, data: JSONBody[SubscriptionIn], conn: Conn, principal: Caller, state: State) -> Subscription:
        return await service.create_subscription(conn, principal.org_id, data, state.settings.allow_private_hosts)

    @get(
        "/webhook-subscriptions", operation_id="ListWebhookSubscriptions", guards=[ADMIN], summary="Live subscriptions"
    )
    async def list_subscriptions(self, conn: Conn, principal: Caller) -> list[Subscription]:
        return await service.list_subscriptions(conn, principal.org_id)

    @delete(
        "/webhook-subscriptions/{subscription_id:uuid}",
        operation_id="DisableWebhookSubscription",
        guards=[ADMIN],
        status_code=204,
        summary="Stop sending to a subscription",
    )
    async def disable(self, subscription_id: FromPath[UUID], conn: Conn, principal: Caller) -> None:
        await service.disable_subscription(conn, principal.org_id, subscription_id)

    @get(
        "/webhook-deliveries",
        operation_id="ListWebhookDeliveries",
        guards=[ADMIN],
        summary="The delivery log, newest first: status, attempts, last answer (?status=&cursor=)",
    )
    async def deliveries(
        self,
        conn: Conn,
        principal: Caller,
        status: FromQuery[Literal["pending", "delivered", "failed"] | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=500)]] = 50,
    ) -> DeliveryPage:
        return await service.list_deliveries(conn, principal.org_id, status, cursor, limit)

    @post(
        "/webhook-deliveries/{delivery_id:uuid}/replay",
        operation_id="ReplayWebhookDelivery",
        guards=[ADMIN],
        status_code=202,
        summary="Send a delivery again (same webhook-id, so receivers that dedupe see it once)",
    )
    async def replay(self, delivery_id: FromPath[UUID], conn: Conn, principal: Caller) -> None:
        await service.replay(conn, principal.org_id, delivery_id)


class ScheduleController(Controller):
    path = "/v1/report-schedules"
    tags = ["outbound"]

    @post(
        "/",
        operation_id="CreateReportSchedule",
        guards=[WRITERS],
        summary="Email and/or webhook a campaign digest weekly or monthly at a local time (e.g. Monday 08:00)",
    )
    async def create(self, data: JSONBody[ScheduleIn], conn: Conn, principal: Caller) -> Schedule:
        return await service.create_schedule(conn, principal.org_id, data)

    @get("/", operation_id="ListReportSchedules", guards=[READERS], summary="Live report schedules")
    async def list_schedules(self, conn: Conn, principal: Caller) -> list[Schedule]:
        return await service.list_schedules(conn, principal.org_id)

    @delete(
        "/{schedule_id:uuid}",
        operation_id="RevokeReportSchedule",
        guards=[WRITERS],
        status_code=204,
        summary="Stop a schedule",
    )
    async def revoke(self, schedule_id: FromPath[UUID], conn: Conn, principal: Caller) -> None:
        await service.revoke_schedule(conn, principal.org_id, schedule_id)


class ShareLinkController(Controller):
    path = "/v1/campaigns/{campaign_id:uuid}/share-links"
    tags = ["outbound"]

    @post(
        "/",
        operation_id="CreateShareLink",
        guards=[REPORTS],
        summary="A read-only report page without login; expires, revocable; costs hidden unless included",
    )
    async def create(
        self,
        campaign_id: FromPath[UUID],
        data: JSONBody[ShareLinkIn],
        conn: Conn,
        principal: Caller,
        request: Request[Any, Any, Any],
    ) -> ShareLink:
        return await service.create_share(conn, principal.org_id, campaign_id, data, None, _base(request))

    @get("/", operation_id="ListShareLinks", guards=[REPORTS], summary="The campaign's share links")
    async def list_shares(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[ShareLink]:
        return await service.list_shares(conn, principal.org_id, campaign_id)

    @delete(
        "/{share_id:uuid}",
        operation_id="RevokeShareLink",
        guards=[REPORTS],
        status_code=204,
        summary="Revoke a share link: it answers 410 from then on",
    )
    async def revoke(
        self, campaign_id: FromPath[UUID], share_id: FromPath[UUID], conn: Conn, principal: Caller
    ) -> None:
        await service.revoke_share(conn, principal.org_id, share_id)
