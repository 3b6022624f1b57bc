"""Audience segments of a creator, saved segments, and lookalike creators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import READERS, WRITERS
from audience import repository, service
from audience.models import AudienceSegments, Lookalikes, Segment, SegmentRequest, TargetAudience
from sql.tenancy import Principal

Mode = Annotated[str, Parameter(description="audience (default), content or complementary")]


class AudienceController(Controller):
    path = "/v1/accounts"
    tags = ["audience"]

    @get(
        "/{account_id:int}/segments",
        operation_id="GetAudienceSegments",
        guards=[READERS],
        summary="Who the credible followers are: languages, places and interests, with 95% intervals",
    )
    async def segments(
        self,
        account_id: FromPath[int],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> AudienceSegments:
        return await service.segments(conn, state.graph_cache, account_id, principal.org_id)

    @get(
        "/{account_id:int}/lookalikes",
        operation_id="GetLookalikes",
        guards=[READERS],
        summary="Creators like this one: by audience, by content, or complementary (similar content, new reach)",
    )
    async def lookalikes(
        self,
        account_id: FromPath[int],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
        mode: FromQuery[Mode] = "audience",
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=100)]] = 20,
    ) -> Lookalikes:
        return await service.lookalikes(conn, state.graph_cache, account_id, mode, limit, principal.org_id)


class TargetAudienceController(Controller):
    path = "/v1/audience"
    tags = ["audience"]

    @post(
        "/segments",
        operation_id="DescribeTargetAudience",
        guards=[READERS],
        status_code=200,
        summary="Languages, places and interests of a target audience (seeds' followers, accounts, a segment)",
    )
    async def describe(
        self,
        data: JSONBody[TargetAudience],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> AudienceSegments:
        return await service.target_segments(conn, state.graph_cache, principal.org_id, data)


class SegmentController(Controller):
    path = "/v1/segments"
    tags = ["audience"]

    @post("/", operation_id="CreateSegment", guards=[WRITERS], status_code=201, summary="Save an audience segment")
    async def create(
        self,
        data: JSONBody[SegmentRequest],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> Segment:
        return await service.create_segment(conn, principal.org_id, data)

    @get("/", operation_id="ListSegments", guards=[READERS], summary="The org's saved segments, newest first")
    async def list_segments(
        self,
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        before: FromQuery[datetime | None] = None,
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=500)]] = 50,
    ) -> list[Segment]:
        return await repository.list_segments(conn, principal.org_id, before, limit)

    @get("/{segment_id:uuid}", operation_id="GetSegment", guards=[READERS], summary="One saved segment")
    async def get_segment(
        self,
        segment_id: FromPath[UUID],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> Segment:
        return await repository.get_segment(conn, principal.org_id, segment_id)

    @delete("/{segment_id:uuid}", operation_id="DeleteSegment", guards=[WRITERS], summary="Delete a saved segment")
    async def delete_segment(
        self,
        segment_id: FromPath[UUID],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> None:
        await repository.delete_segment(conn, principal.org_id, segment_id)
