"""Listening: monitors, their mentions and analytics, alerts, and text analysis."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import READERS, WRITERS
from api.export import csv_response, wants_csv
from listening import service
from listening.models import (
    AlertDetail,
    AnalyzeIn,
    AnalyzeOut,
    Cooccurrence,
    MentionPage,
    Monitor,
    MonitorIn,
    ShareOfVoice,
    TopPost,
    TopVoice,
    VolumePoint,
)
from listening.screening import CreatorScreen
from sql.tenancy import Principal

Limit = Annotated[int, Parameter(ge=1, le=1000)]
Conn = NamedDependency[asyncpg.Connection]
Who = NamedDependency[Principal]
MENTION_COLUMNS = [
    "id",
    "created_at",
    "platform",
    "url",
    "author_handle",
    "author_followers",
    "language",
    "subjects",
    "rules",
    "sentiment",
    "confidence",
    "model_version",
    "likes",
    "reposts",
    "replies",
    "reach",
    "paid",
    "text",
]


class MonitorController(Controller):
    path = "/v1/monitors"
    tags = ["listening"]

    @post("/", operation_id="CreateMonitor", guards=[WRITERS], summary="Create a monitor: brand, competitors, sources")
    async def create(self, data: JSONBody[MonitorIn], conn: Conn, principal: Who, state: State) -> Monitor:
        return await service.create_monitor(conn, principal.org_id, data, state.settings.allow_private_hosts)

    @get("/", operation_id="ListMonitors", guards=[READERS], summary="The org's monitors with their sources' progress")
    async def list_monitors(self, conn: Conn, principal: Who) -> list[Monitor]:
        return await service.list_monitors(conn, principal.org_id)

    @get("/{monitor_id:uuid}", operation_id="GetMonitor", guards=[READERS], summary="One monitor")
    async def get_monitor(self, monitor_id: FromPath[UUID], conn: Conn, principal: Who) -> Monitor:
        return await service.get_monitor(conn, principal.org_id, monitor_id)

    @post(
        "/{monitor_id:uuid}/pause",
        operation_id="PauseMonitor",
        guards=[WRITERS],
        status_code=200,
        summary="Stop listening (cursors are kept)",
    )
    async def pause(self, monitor_id: FromPath[UUID], conn: Conn, principal: Who) -> Monitor:
        return await service.set_active(conn, principal.org_id, monitor_id, False)

    @post(
        "/{monitor_id:uuid}/resume",
        operation_id="ResumeMonitor",
        guards=[WRITERS],
        status_code=200,
        summary="Listen again from where the monitor stopped",
    )
    async def resume(self, monitor_id: FromPath[UUID], conn: Conn, principal: Who) -> Monitor:
        return await service.set_active(conn, principal.org_id, monitor_id, True)

    @delete(
        "/{monitor_id:uuid}",
        operation_id="DeleteMonitor",
        guards=[WRITERS],
        status_code=204,
        summary="Delete a monitor and its mentions",
    )
    async def delete_monitor(self, monitor_id: FromPath[UUID], conn: Conn, principal: Who) -> None:
        await service.delete_monitor(conn, principal.org_id, monitor_id)

    @get(
        "/{monitor_id:uuid}/mentions",
        operation_id="ListMentions",
        guards=[READERS],
        summary="Mentions, newest first (?subject=&sentiment=&since=&until=&cursor=&limit=&format=json|csv)",
    )
    async def mentions(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        subject: FromQuery[str | None] = None,
        sentiment: FromQuery[Literal["positive", "neutral", "negative"] | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 100,
        format: FromQuery[str | None] = None,
    ) -> MentionPage | Response[Any]:
        as_csv = wants_csv(format)
        page = await service.mentions(
            conn,
            principal.org_id,
            monitor_id,
            subject=subject,
            sentiment=sentiment,
            since=since,
            until=until,
            cursor=cursor,
            limit=limit,
        )
        if not as_csv:
            return page
        rows = [
            [getattr(m, c) if c not in ("subjects", "rules") else "; ".join(getattr(m, c)) for c in MENTION_COLUMNS]
            for m in page.items
        ]
        return csv_response(f"mentions-{monitor_id}.csv", MENTION_COLUMNS, rows)

    @get(
        "/{monitor_id:uuid}/volume",
        operation_id="MentionVolume",
        guards=[READERS],
        summary="Mentions, engagement, estimated reach and sentiment per time bucket and subject",
    )
    async def volume(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        bucket: FromQuery[str] = "hour",
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        format: FromQuery[str | None] = None,
    ) -> list[VolumePoint] | Response[Any]:
        as_csv = wants_csv(format)
        points = await service.volume(conn, principal.org_id, monitor_id, bucket, since, until)
        if not as_csv:
            return points
        fields = list(VolumePoint.__struct_fields__)
        return csv_response(f"volume-{monitor_id}.csv", fields, [[getattr(p, f) for f in fields] for p in points])

    @get(
        "/{monitor_id:uuid}/share-of-voice",
        operation_id="ShareOfVoice",
        guards=[READERS],
        summary="Share of voice of the brand and each competitor by mentions, engagement and reach",
    )
    async def share_of_voice(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        format: FromQuery[str | None] = None,
    ) -> ShareOfVoice | Response[Any]:
        as_csv = wants_csv(format)
        sov = await service.share_of_voice(conn, principal.org_id, monitor_id, since, until)
        if not as_csv:
            return sov
        fields = [
            "subject",
            "mentions",
            "engagement",
            "reach",
            "share_mentions",
            "share_engagement",
            "share_reach",
            "positive",
            "neutral",
            "negative",
        ]
        return csv_response(
            f"share-of-voice-{monitor_id}.csv", fields, [[getattr(v, f) for f in fields] for v in sov.subjects]
        )

    @get(
        "/{monitor_id:uuid}/top-voices",
        operation_id="TopVoices",
        guards=[READERS],
        summary="Authors driving a subject's mentions, linked to their discovery profile",
    )
    async def top_voices(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        subject: FromQuery[str] = "brand",
        limit: FromQuery[Limit] = 20,
    ) -> list[TopVoice]:
        return await service.top_voices(conn, principal.org_id, monitor_id, subject, limit)

    @get(
        "/{monitor_id:uuid}/top-posts",
        operation_id="TopPosts",
        guards=[READERS],
        summary="A subject's mentions with the most engagement",
    )
    async def top_posts(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        subject: FromQuery[str] = "brand",
        limit: FromQuery[Limit] = 20,
    ) -> list[TopPost]:
        return await service.top_posts(conn, principal.org_id, monitor_id, subject, limit)

    @get(
        "/{monitor_id:uuid}/cooccurrence",
        operation_id="Cooccurrence",
        guards=[READERS],
        summary="Hashtags and words that come up with a subject",
    )
    async def cooccurrence(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        subject: FromQuery[str] = "brand",
        limit: FromQuery[Limit] = 30,
    ) -> Cooccurrence:
        return await service.cooccurrence(conn, principal.org_id, monitor_id, subject, limit)

    @get(
        "/{monitor_id:uuid}/alerts",
        operation_id="ListAlerts",
        guards=[READERS],
        summary="Alerts, newest first, each with its evidence posts",
    )
    async def alerts(
        self, monitor_id: FromPath[UUID], conn: Conn, principal: Who, limit: FromQuery[Limit] = 50
    ) -> list[AlertDetail]:
        return await service.alert_detail(conn, principal.org_id, monitor_id, limit)

    @get(
        "/{monitor_id:uuid}/screening",
        operation_id="ScreenCreators",
        guards=[READERS],
        summary="Creators' recent posts naming competitors (paid/organic) or flagged terms, with evidence URLs "
        "(?account_id=..&days=90&format=json|csv)",
    )
    async def screening(
        self,
        monitor_id: FromPath[UUID],
        conn: Conn,
        principal: Who,
        account_id: FromQuery[list[int]],
        days: FromQuery[int] = 90,
        format: FromQuery[str | None] = None,
    ) -> list[CreatorScreen] | Response[Any]:
        as_csv = wants_csv(format)
        found = await service.screening(conn, principal.org_id, monitor_id, account_id, days)
        if not as_csv:
            return found
        header = ["account_id", "platform", "handle", "kind", "subject", "paid", "url", "created_at", "excerpt"]
        rows = [
            [c.account_id, c.platform, c.handle, f.kind, f.subject, f.paid, f.url, f.created_at, f.excerpt]
            for c in found
            for f in c.findings
        ]
        return csv_response(f"screening-{monitor_id}.csv", header, rows)

    @post(
        "/{monitor_id:uuid}/rescore",
        operation_id="RescoreMentions",
        guards=[WRITERS],
        status_code=200,
        summary="Score the monitor's stored mentions again with the current models",
    )
    async def rescore(self, monitor_id: FromPath[UUID], conn: Conn, principal: Who) -> dict[str, int]:
        return {"rescored": await service.rescore(conn, principal.org_id, monitor_id)}


class AnalyzeController(Controller):
    path = "/v1/analyze"
    tags = ["listening"]

    @post(
        "/",
        operation_id="Analyze",
        guards=[READERS],
        status_code=200,
        summary="Language and sentiment of up to 1,000 texts, in order",
    )
    async def analyze(self, data: JSONBody[AnalyzeIn]) -> AnalyzeOut:
        return await asyncio.to_thread(service.analyze, data)
