"""SSRF: the crawler connects only to globally routable addresses, checks them on every connection
(DNS rebinding through a resolver the test controls), accepts only scheme+host[+port] as base_url and
never echoes a remote body. "Not fetched" is proven on a real server on 127.0.0.1 that counts requests:
every hostile name below resolves to it (or to an address nobody may reach) and it sees nothing.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
import uvicorn
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from discovery import frontier, netguard
from discovery.netguard import RefusedAddressError, check_base_url, guarded_client, is_public
from discovery.simulator.serve import free_port
from discovery.worker import run_crawl
from sql.errors import ValidationError
from tests.conftest import Tenant

pytestmark = pytest.mark.anyio

REFUSED = [
    "127.0.0.1",
    "127.8.8.8",
    "0.0.0.0",  # noqa: S104
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # a cloud metadata address inside 100.64/10
    "192.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "192.88.99.1",  # 6to4 relay anycast
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "ff0e::1",  # global-scope multicast (is_global is True for it)
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 around 169.254.169.254
    "2002:a00:1::",  # 6to4 around 10.0.0.1
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
    "64:ff9b::a9fe:a9fe",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2002:808:808::", "64:ff9b::808:808"]


class Counting:
    """An HTTP server on 127.0.0.1 that counts what reaches it and answers every GET with a body
    that must never come back in one of our errors."""

    BODY = b'{"error": "SECRET-REMOTE-BODY <script>"}'

    def __init__(self) -> None:
        self.hits = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.hits += 1
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": self.BODY})


@pytest.fixture
def victim() -> Iterator[tuple[Counting, int]]:
    app = Counting()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield app, port
    server.should_exit = True
    thread.join(timeout=10)


class Rebinding:
    """A resolver the test controls: answers from a script, the last answer repeating."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [answer]


class TestAddressPolicy:
    @pytest.mark.parametrize("address", REFUSED)
    def test_non_public_addresses_are_refused(self, address: str) -> None:
        assert not is_public(ipaddress.ip_address(address))

    @pytest.mark.parametrize("address", ALLOWED)
    def test_public_addresses_are_allowed(self, address: str) -> None:
        assert is_public(ipaddress.ip_address(address))


class TestTransport:
    async def test_no_refused_address_is_connected_to(self, victim: tuple[Counting, int]) -> None:
        server, port = victim
        for address in REFUSED:
            async with guarded_client(False, resolver=Rebinding(address), timeout=5) as client:
                with pytest.raises(RefusedAddressError):
                    await client.get(f"http://victim.test:{port}/api/v1/instance")
        for literal in ("127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"):
            async with guarded_client(False, timeout=5) as client:
                with pytest.raises(RefusedAddressError):
                    await client.get(f"http://{literal}:{port}/")
        assert server.hits == 0

    async def test_one_private_answer_among_public_ones_refuses_the_host(self, victim: tuple[Counting, int]) -> None:
        server, port = victim

        async def mixed(host: str, port: int) -> list[str]:
            return ["93.184.216.34", "127.0.0.1"]

        async with guarded_client(False, resolver=mixed, timeout=5) as client:
            with pytest.raises(RefusedAddressError):
                await client.get(f"http://victim.test:{port}/")
        assert server.hits == 0

    async def test_rebinding_between_connections_is_refused(self, victim: tuple[Counting, int]) -> None:
        server, port = victim
        resolver = Rebinding("127.0.0.1")
        # Allowed while private hosts are allowed (tests, development), through the same pinned path.
        async with guarded_client(True, resolver=resolver, timeout=5) as client:
            assert (await client.get(f"http://victim.test:{port}/")).status_code == 404
        assert server.hits == 1
        resolver = Rebinding("93.184.216.34", "127.0.0.1")
        assert await netguard.vetted_addresses("victim.test", port, False, resolver) == ["93.184.216.34"]
        async with guarded_client(False, resolver=resolver, timeout=5) as client:
            with pytest.raises(RefusedAddressError):
                await client.get(f"http://victim.test:{port}/")  # the connection resolves again: 127.0.0.1
        assert server.hits == 1


@pytest.fixture
async def strict_app(settings: Settings) -> AsyncIterator[Litestar]:
    app = create_app(msgspec.structs.replace(settings, allow_private_hosts=False))
    async with app.lifespan():
        yield app


@pytest.fixture
async def strict(strict_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=strict_app), base_url="http://t") as c:
        yield c


def crawl_body(base_url: str) -> dict[str, object]:
    return {"platform": "mastodon", "base_url": base_url, "seeds": ["alice"], "max_accounts": 5}


class TestThroughTheApi:
    async def test_rebinding_after_the_check_is_refused_and_nothing_is_fetched(
        self,
        strict: httpx.AsyncClient,
        tenant: Tenant,
        victim: tuple[Counting, int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        server, port = victim
        resolver = Rebinding("93.184.216.34", "127.0.0.1")  # public for the check, loopback for the fetch
        monkeypatch.setattr(netguard, "RESOLVER", resolver)
        r = await strict.post("/v1/crawls", json=crawl_body(f"http://rebind.test:{port}"), headers=tenant.headers())
        assert r.status_code == 422 and r.json()["field"] == "base_url", r.text
        assert resolver.calls >= 2 and server.hits == 0

    @pytest.mark.parametrize("address", ["100.100.100.200", "169.254.169.254", "2002:7f00:1::", "224.0.0.1"])
    async def test_hosts_resolving_to_refused_addresses_are_422(
        self,
        strict: httpx.AsyncClient,
        tenant: Tenant,
        victim: tuple[Counting, int],
        monkeypatch: pytest.MonkeyPatch,
        address: str,
    ) -> None:
        server, port = victim
        monkeypatch.setattr(netguard, "RESOLVER", Rebinding(address))
        r = await strict.post("/v1/crawls", json=crawl_body(f"http://meta.test:{port}"), headers=tenant.headers())
        assert r.status_code == 422 and r.json()["field"] == "base_url" and address in r.json()["detail"]
        assert server.hits == 0

    async def test_a_queued_crawl_whose_host_rebinds_fails_without_fetching(
        self,
        strict_app: Litestar,
        conn: asyncpg.Connection,
        tenant: Tenant,
        victim: tuple[Counting, int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        server, port = victim
        # Every resolution answers public first, then loopback: the worker's start-up check passes.
        monkeypatch.setattr(netguard, "RESOLVER", Rebinding("93.184.216.34", "127.0.0.1"))
        base = f"http://rebind.test:{port}"
        values = {
            "platform": "mastodon", "base_url": base, "host": f"rebind.test:{port}", "token": None,
            "seeds": ["alice"], "hashtags": [], "max_accounts": 5, "max_depth": 1, "max_followers": 5,
            "max_following": 5, "posts_per_account": 1, "since": None,
        }  # fmt: skip
        crawl = await frontier.create(conn, tenant.org.id, values)
        status = await run_crawl(strict_app.state.pool, crawl.id, allow_private=False, concurrency=1)
        assert status == "failed" and server.hits == 0
        error = await conn.fetchval("SELECT error FROM crawls WHERE id = $1", crawl.id)
        assert "non-public address (127.0.0.1)" in error

    async def test_remote_bodies_never_come_back_in_errors(
        self, client: httpx.AsyncClient, tenant: Tenant, victim: tuple[Counting, int]
    ) -> None:
        server, port = victim
        r = await client.post("/v1/crawls", json=crawl_body(f"http://127.0.0.1:{port}"), headers=tenant.headers())
        assert r.status_code == 422 and server.hits >= 1  # private hosts are allowed in this app: it was asked
        assert "SECRET-REMOTE-BODY" not in r.text and "script" not in r.text and "404" in r.json()["detail"]


class TestBaseUrl:
    @pytest.mark.parametrize(
        "url",
        [
            "https://mastodon.social/api/v1",
            "https://mastodon.social/?x=1",
            "https://mastodon.social/#frag",
            "https://user:pw@mastodon.social",
            "https://mastodon.social?",
            "ftp://mastodon.social",
            "file:///etc/passwd",
            "https://mastodon.social:99999",
            "//mastodon.social",
        ],
    )
    def test_only_scheme_host_and_port_are_accepted(self, url: str) -> None:
        with pytest.raises(ValidationError) as e:
            check_base_url(url)
        assert e.value.extra["field"] == "base_url"

    @pytest.mark.parametrize(
        ("url", "clean"),
        [
            ("https://mastodon.social/", "https://mastodon.social"),
            ("http://127.0.0.1:8100", "http://127.0.0.1:8100"),
            ("https://[2001:db8::1]:8443/", "https://[2001:db8::1]:8443"),
        ],
    )
    def test_server_urls_are_normalised(self, url: str, clean: str) -> None:
        assert check_base_url(url) == clean

    async def test_the_api_refuses_a_base_url_with_a_path(self, client: httpx.AsyncClient, tenant: Tenant) -> None:
        r = await client.post(
            "/v1/crawls", json=crawl_body("https://mastodon.social/api/v1/admin?x=1"), headers=tenant.headers()
        )
        assert r.status_code == 422 and r.json()["field"] == "base_url"
