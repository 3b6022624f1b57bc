"""Scheduled digests against a real SMTP server (aiosmtpd) with a frozen clock, across a restart."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from outbound import mailer, service
from outbound.mailer import MailSettings
from outbound.models import ScheduleIn
from tests.conftest import Tenant
from tests.web.helpers import campaign_with_order

pytestmark = pytest.mark.anyio
# Monday 2026-11-30 08:00 in Jakarta (UTC+7) is 01:00 UTC.
MONDAY_8_JAKARTA = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, MailSettings]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port: aiosmtpd's readiness check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, MailSettings(host="127.0.0.1", port=port, sender="Sorot <digest@sorot.test>")
    finally:
        controller.stop()


async def run(app: Litestar, mail: MailSettings, now: datetime) -> int:
    async def send(message: EmailMessage) -> None:
        await mailer.send(mail, message)

    return await service.run_due(app.state.pool, now, "http://sorot.test", send, mail.sender)


class TestWeeklyDigest:
    async def test_monday_8_jakarta_sends_one_digest_a_week_across_a_restart(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        settings: Settings,
        conn: asyncpg.Connection,
        tenant: Tenant,
        smtp: tuple[Inbox, MailSettings],
    ) -> None:
        inbox, mail = smtp
        campaign = await campaign_with_order(client, tenant, conn)
        created_at = MONDAY_8_JAKARTA - timedelta(days=2)
        schedule = await service.create_schedule(
            conn,
            tenant.org.id,
            msgspec_schedule(campaign["id"]),
            now=created_at,
        )
        assert schedule.next_run_at == MONDAY_8_JAKARTA
        assert await run(app, mail, MONDAY_8_JAKARTA - timedelta(minutes=1)) == 0
        assert await run(app, mail, MONDAY_8_JAKARTA + timedelta(seconds=30)) == 1
        assert await run(app, mail, MONDAY_8_JAKARTA + timedelta(minutes=5)) == 0
        assert len(inbox.messages) == 1

        # A restart: a new app (new pool, new lifespan) on the same database, same Monday.
        restarted = create_app(settings)
        async with restarted.lifespan():
            assert await run(restarted, mail, MONDAY_8_JAKARTA + timedelta(minutes=10)) == 0
            assert await run(restarted, mail, MONDAY_8_JAKARTA + timedelta(days=3)) == 0
            assert len(inbox.messages) == 1
            assert await run(restarted, mail, MONDAY_8_JAKARTA + timedelta(days=7, seconds=1)) == 1
        assert len(inbox.messages) == 2

        first = inbox.messages[0]
        assert first["To"] == "finance@brand.example"
        assert "2026-11-23 to 2026-11-30" in first["Subject"]
        html = first.get_body(("html",))
        assert html is not None and "cid:" in html.get_content()
        kinds = [part.get_content_type() for part in first.walk()]
        assert "image/svg+xml" in kinds and "text/csv" in kinds
        csv_part = next(p for p in first.walk() if p.get_content_type() == "text/csv")
        api_csv = await client.get(
            f"/v1/campaigns/{campaign['id']}/report",
            params={"format": "csv", "from": "2026-11-23", "to": "2026-11-30"},
            headers=tenant.headers(),
        )
        assert csv_part.get_content().replace("\r\n", "\n") == api_csv.text.replace("\r\n", "\n")
        assert inbox.messages[1]["Message-ID"] != first["Message-ID"]

    async def test_a_failed_send_is_retried_and_still_sent_once(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        conn: asyncpg.Connection,
        tenant: Tenant,
        smtp: tuple[Inbox, MailSettings],
    ) -> None:
        inbox, mail = smtp
        campaign = await campaign_with_order(client, tenant, conn)
        await service.create_schedule(
            conn, tenant.org.id, msgspec_schedule(campaign["id"]), now=MONDAY_8_JAKARTA - timedelta(days=1)
        )
        down = MailSettings(host="127.0.0.1", port=1, sender=mail.sender)  # nothing listens on port 1
        assert await run(app, down, MONDAY_8_JAKARTA + timedelta(seconds=1)) == 1
        assert inbox.messages == []
        error = await conn.fetchval("SELECT last_error FROM report_digests")
        assert error is not None
        # Retries wait five minutes after the claim, then go out once.
        assert await run(app, mail, MONDAY_8_JAKARTA + timedelta(minutes=1)) == 0
        assert await run(app, mail, MONDAY_8_JAKARTA + timedelta(minutes=6)) == 1
        assert await run(app, mail, MONDAY_8_JAKARTA + timedelta(minutes=12)) == 0
        assert len(inbox.messages) == 1


def msgspec_schedule(campaign_id: str) -> ScheduleIn:
    return ScheduleIn(
        campaign_id=uuid.UUID(campaign_id),
        timezone="Asia/Jakarta",
        cadence="weekly",
        weekday="monday",
        hour=8,
        recipients=["finance@brand.example"],
    )
