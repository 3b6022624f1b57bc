"""Briefs, deliverables with their status flow and history, and the overdue list."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import READERS, WRITERS
from campaigns import briefs, deliverables
from campaigns.briefs import Brief, BriefIn
from campaigns.deliverables import Deliverable, DeliverableIn, TransitionIn
from sql.tenancy import Principal

Conn = NamedDependency[asyncpg.Connection]
Caller = NamedDependency[Principal]
Limit = Annotated[int, Parameter(ge=1, le=500)]


class BriefController(Controller):
    path = "/v1/campaigns/{campaign_id:uuid}"
    tags = ["campaign operations"]

    @get("/brief", operation_id="GetBrief", guards=[READERS], summary="The campaign's brief")
    async def get_brief(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> Brief:
        return await briefs.get(conn, principal.org_id, campaign_id)

    @put(
        "/brief",
        operation_id="PutBrief",
        guards=[WRITERS],
        summary="Set the brief: text, do/don't, required hashtags and mentions, disclosure",
    )
    async def put_brief(
        self, campaign_id: FromPath[UUID], data: JSONBody[BriefIn], conn: Conn, principal: Caller
    ) -> Brief:
        return await briefs.put(conn, principal.org_id, campaign_id, data)

    @post("/deliverables", operation_id="CreateDeliverable", guards=[WRITERS], summary="Plan a deliverable")
    async def create(
        self, campaign_id: FromPath[UUID], data: JSONBody[DeliverableIn], conn: Conn, principal: Caller
    ) -> Deliverable:
        actor = deliverables.actor_of(principal.role, principal.key_id, None)
        return await deliverables.create(conn, principal.org_id, campaign_id, data, principal.key_id, actor)

    @get(
        "/deliverables",
        operation_id="ListDeliverables",
        guards=[READERS],
        summary="The campaign's deliverables with their history",
    )
    async def list_for_campaign(self, campaign_id: FromPath[UUID], conn: Conn, principal: Caller) -> list[Deliverable]:
        return await deliverables.for_campaign(conn, principal.org_id, campaign_id)


class DeliverableController(Controller):
    path = "/v1/deliverables"
    tags = ["campaign operations"]

    @get(
        "/overdue",
        operation_id="ListOverdueDeliverables",
        guards=[READERS],
        summary="Deliverables past due that are not live yet (?campaign_id= narrows to one campaign)",
    )
    async def overdue(
        self, conn: Conn, principal: Caller, campaign_id: FromQuery[UUID | None] = None, limit: FromQuery[Limit] = 500
    ) -> list[Deliverable]:
        return await deliverables.overdue(conn, principal.org_id, campaign_id, limit)

    @get("/{deliverable_id:uuid}", operation_id="GetDeliverable", guards=[READERS], summary="One deliverable")
    async def get_one(self, deliverable_id: FromPath[UUID], conn: Conn, principal: Caller) -> Deliverable:
        return await deliverables.get(conn, principal.org_id, deliverable_id)

    @post(
        "/{deliverable_id:uuid}/transitions",
        operation_id="TransitionDeliverable",
        guards=[WRITERS],
        status_code=200,
        summary="Move a deliverable along its flow (who and when are recorded)",
    )
    async def transition(
        self, deliverable_id: FromPath[UUID], data: JSONBody[TransitionIn], conn: Conn, principal: Caller
    ) -> Deliverable:
        return await deliverables.transition(
            conn, principal.org_id, deliverable_id, data, principal.key_id, principal.role
        )
