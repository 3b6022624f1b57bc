"""Listening pages: monitors, volume and sentiment over time, share of voice, mentions, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from charts.svg import bar_chart, line_chart
from listening import service as listening
from web.pages.common import page
from web.session import require_role, viewer

BUCKETS = ("hour", "day", "week")


class ListeningPages(Controller):
    path = "/app/listening"
    include_in_schema = False

    @get("/")
    async def monitors(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        require_role(person, "admin", "manager", "analyst")
        async with request.app.state.pool.acquire() as conn:
            found = await listening.list_monitors(conn, person.org_id)
        return page("listening.html", person, title="Listening", nav="listening", monitors=found)

    @get("/{monitor_id:uuid}")
    async def monitor(
        self, request: Request[Any, Any, Any], monitor_id: FromPath[UUID], bucket: str = "day", days: int = 30
    ) -> Template:
        person = await viewer(request)
        require_role(person, "admin", "manager", "analyst")
        bucket = bucket if bucket in BUCKETS else "day"
        days = min(max(days, 0), 3650)
        since = datetime.now(UTC) - timedelta(days=days) if days else None  # 0: all time
        async with request.app.state.pool.acquire() as conn:
            found = await listening.get_monitor(conn, person.org_id, monitor_id)
            points = await listening.volume(conn, person.org_id, monitor_id, bucket, since, None)
            voices = await listening.share_of_voice(conn, person.org_id, monitor_id, since, None)
            recent = await listening.mentions(conn, person.org_id, monitor_id, subject="brand", since=since, limit=20)
            raised = await listening.alert_detail(conn, person.org_id, monitor_id, 20)
        brand = [p for p in points if p.subject == "brand"]
        sentiment = {k: sum(getattr(p, k) for p in brand) for k in ("positive", "neutral", "negative")}
        return page(
            "monitor.html",
            person,
            title=f"Listening: {found.name}",
            nav="listening",
            monitor=found,
            bucket=bucket,
            buckets=BUCKETS,
            days=days,
            volume=line_chart(f"Brand mentions per {bucket}", [(p.bucket, p.mentions) for p in brand]),
            negative=line_chart(f"Negative brand mentions per {bucket}", [(p.bucket, p.negative) for p in brand]),
            sentiment=sentiment,
            voices=voices,
            sov=bar_chart(
                "Share of voice by mentions (%)", [(v.subject, v.share_mentions * 100) for v in voices.subjects]
            ),
            mentions=recent.items,
            alerts=raised,
        )
