"""The crawler's HTTP path: one connection per request in flight, kept alive and reused, both for the
direct GET path and for httpx requests (URLs with non-ASCII characters), against a real socket server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from discovery.budget import Budgets, MemoryStore
from discovery.fetcher import Counters, Fetcher, build_client

pytestmark = pytest.mark.anyio


class Server:
    """HTTP/1.1 with keep-alive: answers every GET with its path as JSON, after a short delay."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                await asyncio.sleep(0.01)
                self.in_flight -= 1
                body = json.dumps({"path": head.split(b" ")[1].decode()}).encode()
                headers = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                writer.write(headers.encode() + b'link: <x>; rel="next"\r\nLink: <y>; rel="prev"\r\n\r\n' + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    s = Server()
    srv = await asyncio.start_server(s.handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield s, f"http://127.0.0.1:{port}"


async def test_one_kept_alive_connection_per_request_in_flight(server: tuple[Server, str]) -> None:
    s, url = server
    async with build_client(allow_private=True) as client:
        fetcher = Fetcher(client, Counters(), budgets=Budgets(MemoryStore(), 4))
        for _ in range(5):
            answers = await asyncio.gather(*(fetcher.get(f"{url}/a/{i}", {"q": "x y"}) for i in range(12)))
            assert [body["path"] for body, _ in answers] == [f"/a/{i}?q=x+y" for i in range(12)]
        body, headers = await fetcher.get(f"{url}/tag/café")  # not ASCII: through httpx, same lanes
        assert body["path"] == "/tag/caf%C3%A9"
        assert headers.get("link") == '<x>; rel="next", <y>; rel="prev"'  # repeated headers joined
    assert s.requests == 61 and fetcher.counters.requests == 61
    assert s.most_in_flight == 4  # the host's in-flight limit, reached
    assert s.connections == 4  # and each connection reused for the next request
