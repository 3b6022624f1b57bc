"""Outbound webhooks to a real HTTP receiver that verifies Standard Webhooks signatures and fails on purpose."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from litestar import Litestar

from discovery.simulator.serve import simulator_in_thread
from discovery.simulator.world import build_world
from outbound import events, service, signing
from tests.api.test_discovery import wait_done
from tests.conftest import Tenant
from tests.web.helpers import campaign_with_order

pytestmark = pytest.mark.anyio


class Receiver:
    """An ASGI app on a real socket: answers 500 to the first ``fail_first`` tries of each message."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.secret = ""
        self.tries: dict[str, int] = {}
        self.accepted: list[dict[str, Any]] = []  # after dedupe by webhook-id
        self.bad_signatures = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        msg_id = headers.get("webhook-id", "")
        ok = signing.verify(
            self.secret,
            msg_id,
            headers.get("webhook-timestamp", ""),
            headers.get("webhook-signature", ""),
            body,
            int(headers.get("webhook-timestamp", "0") or 0),
        )
        self.tries[msg_id] = self.tries.get(msg_id, 0) + 1
        if not ok:
            self.bad_signatures += 1
            status = 401
        elif self.tries[msg_id] <= self.fail_first:
            status = 500
        else:
            if msg_id not in {a["id"] for a in self.accepted}:
                self.accepted.append({"id": msg_id, **json.loads(body)})
            status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    app = Receiver(fail_first=2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn offers no started event; poll its flag
        if server.started:
            break
        await asyncio.sleep(0.02)
    yield app, f"http://127.0.0.1:{port}/hooks"
    server.should_exit = True
    await task


class TestOutboundWebhooks:
    async def test_each_event_arrives_once_signed_despite_receiver_failures(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        conn: asyncpg.Connection,
        tenant: Tenant,
        other_tenant: Tenant,
        receiver: tuple[Receiver, str],
    ) -> None:
        sink, url = receiver
        made = await client.post(
            "/v1/webhook-subscriptions",
            headers=tenant.headers(),
            json={"url": url, "events": ["conversion.created", "crawl.finished"]},
        )
        assert made.status_code == 201, made.text
        sink.secret = made.json()["secret"]
        assert sink.secret.startswith("whsec_")
        listed = (await client.get("/v1/webhook-subscriptions", headers=tenant.headers())).json()
        assert all("secret" not in s or s["secret"] is None for s in listed)
        for n in range(3):
            await events.emit(conn, tenant.org.id, "conversion.created", {"order_id": f"A-{n}"})
        await events.emit(conn, tenant.org.id, "alert.raised", {"not": "subscribed"})
        await events.emit(conn, other_tenant.org.id, "conversion.created", {"order_id": "other org"})

        now = datetime.now(UTC)
        async with httpx.AsyncClient(timeout=5) as http:
            for step in range(6):  # each round jumps past the longest backoff used so far
                await service.deliver_due(app.state.pool, http, now + timedelta(minutes=15 * step))
        assert sorted(a["data"]["order_id"] for a in sink.accepted) == ["A-0", "A-1", "A-2"]
        assert all(a["type"] == "conversion.created" for a in sink.accepted)
        assert sink.bad_signatures == 0 and all(t == 3 for t in sink.tries.values())

        log = (await client.get("/v1/webhook-deliveries", headers=tenant.headers())).json()
        assert {d["status"] for d in log["items"]} == {"delivered"} and len(log["items"]) == 3
        assert all(d["attempts"] == 3 and d["last_status"] == 204 for d in log["items"])
        other_log = (await client.get("/v1/webhook-deliveries", headers=other_tenant.headers())).json()
        assert other_log["items"] == []

        # Replay sends the same webhook-id again; a receiver deduping by id still sees each event once.
        first = log["items"][0]["id"]
        replay = f"/v1/webhook-deliveries/{first}/replay"
        assert (await client.post(replay, headers=other_tenant.headers())).status_code == 404
        assert (await client.post(replay, headers=tenant.headers())).status_code == 202
        async with httpx.AsyncClient(timeout=5) as http:
            assert await service.deliver_due(app.state.pool, http, now + timedelta(hours=3)) == 1
        assert len(sink.accepted) == 3 and max(sink.tries.values()) == 4

    async def test_a_receiver_that_never_answers_ends_failed_after_the_backoff(
        self, client: httpx.AsyncClient, app: Litestar, conn: asyncpg.Connection, tenant: Tenant
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}/gone"
        made = await client.post(
            "/v1/webhook-subscriptions", headers=tenant.headers(), json={"url": dead, "events": ["crawl.finished"]}
        )
        assert made.status_code == 201
        await events.emit(conn, tenant.org.id, "crawl.finished", {"crawl_id": 1})
        now = datetime.now(UTC)
        async with httpx.AsyncClient(timeout=2) as http:
            for step in range(len(service.BACKOFF) + 2):
                await service.deliver_due(app.state.pool, http, now + timedelta(days=2 * step))
        item = (await client.get("/v1/webhook-deliveries", headers=tenant.headers())).json()["items"][0]
        assert item["status"] == "failed" and item["attempts"] == len(service.BACKOFF) + 1
        assert item["last_error"] and "ConnectError" in item["last_error"]

    async def test_bad_subscriptions_are_refused(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        for body, status in (
            ({"url": "ftp://x.example/", "events": ["crawl.finished"]}, 422),
            ({"url": "https://x.example/", "events": []}, 422),
            ({"url": "https://x.example/", "events": ["nope"]}, 400),
        ):
            r = await client.post("/v1/webhook-subscriptions", headers=tenant.headers(), json=body)
            assert r.status_code == status and r.headers["content-type"].startswith("application/problem+json")
        r = await client.post(
            "/v1/webhook-subscriptions",
            headers=tenant.headers("analyst"),
            json={"url": "https://x.example/", "events": ["crawl.finished"]},
        )
        assert r.status_code == 403


class TestEventsFromTheDomains:
    async def test_orders_refunds_and_crawls_emit_their_events_once(
        self,
        client: httpx.AsyncClient,
        app: Litestar,
        conn: asyncpg.Connection,
        tenant: Tenant,
        receiver: tuple[Receiver, str],
    ) -> None:
        sink, url = receiver
        sink.fail_first = 0
        made = await client.post(
            "/v1/webhook-subscriptions",
            headers=tenant.headers(),
            json={"url": url, "events": ["conversion.created", "refund.created", "crawl.finished"]},
        )
        sink.secret = made.json()["secret"]
        campaign = await campaign_with_order(client, tenant, conn, name="Events")
        order_id = "O-Events"
        again = {"order_id": order_id, "occurred_at": campaign["created_at"], "amount": "100.00", "currency": "EUR"}
        await client.post("/v1/conversions", json=again, headers=tenant.headers())  # a duplicate: no second event
        refund = await client.post(
            f"/v1/conversions/{order_id}/refunds", json={"amount": "25.00"}, headers=tenant.headers()
        )
        assert refund.status_code in (200, 201), refund.text
        with simulator_in_thread(build_world(60, seed=2)) as sim:
            crawl = await client.post(
                "/v1/crawls",
                headers=tenant.headers(),
                json={"platform": "mastodon", "base_url": sim.url, "seeds": ["user1"], "max_accounts": 5},
            )
            assert crawl.status_code == 202, crawl.text
            await wait_done(client, tenant, crawl.json()["id"])
        async with httpx.AsyncClient(timeout=5) as http:
            await service.deliver_due(app.state.pool, http, datetime.now(UTC) + timedelta(seconds=1))
        kinds = sorted(a["type"] for a in sink.accepted)
        assert kinds == ["conversion.created", "crawl.finished", "refund.created"], sink.accepted
        by_type = {a["type"]: a["data"] for a in sink.accepted}
        assert by_type["conversion.created"]["order_id"] == order_id
        assert by_type["refund.created"]["amount"] == "25.00" and by_type["refund.created"]["currency"] == "EUR"
        assert by_type["crawl.finished"] == {"crawl_id": crawl.json()["id"], "status": "done", "error": None}


class TestHostileInput:
    @pytest.mark.parametrize("url", ["http://[::1", "https://", "http://exa mple.com/", "javascript:alert(1)"])
    async def test_malformed_urls_are_422(self, client: httpx.AsyncClient, tenant: Tenant, url: str) -> None:
        r = await client.post(
            "/v1/webhook-subscriptions", headers=tenant.headers(), json={"url": url, "events": ["crawl.finished"]}
        )
        assert r.status_code == 422, r.text

    @pytest.mark.parametrize(
        "change",
        [
            {"timezone": "Mars/Olympus"},
            {"hour": 24},
            {"day_of_month": 31},
            {"recipients": ["not-an-email"]},
            {"recipients": []},
        ],
    )
    async def test_bad_schedules_are_422(
        self, client: httpx.AsyncClient, conn: asyncpg.Connection, tenant: Tenant, change: dict[str, Any]
    ) -> None:
        campaign = await campaign_with_order(client, tenant, conn, name="Sched")
        body = {"campaign_id": campaign["id"], "timezone": "Asia/Jakarta", "recipients": ["a@b.example"], **change}
        r = await client.post("/v1/report-schedules", headers=tenant.headers(), json=body)
        assert r.status_code == 422, r.text
        assert (await client.get("/v1/report-schedules", headers=tenant.headers())).json() == []
