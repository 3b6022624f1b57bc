"""A crawl's connections: one single-connection pool (a lane) per request in flight.

httpcore's pool looks at every connection it holds on each request (an ``is_readable`` system
call per idle one, and a count of the idle ones for each), so one pool of N connections costs
O(N^2) per request: at 16 in flight it was a third of the crawler's CPU. A lane is taken for
one request and given back, so each pool only ever sees its own connection. Every lane is a
netguard transport: each connection's address is checked and pinned when it opens.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpcore
import httpx

from discovery.netguard import Resolver, guarded_transport

_ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)


class Lanes(httpx.AsyncBaseTransport):
    def __init__(self, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private, self.resolver = allow_private, resolver
        self._free: list[httpx.AsyncHTTPTransport] = []
        self._all: list[httpx.AsyncHTTPTransport] = []

    def _take(self) -> httpx.AsyncHTTPTransport:
        if self._free:
            return self._free.pop()
        lane = guarded_transport(self.allow_private, self.resolver, _ONE)
        self._all.append(lane)
        return lane

    async def get(
        self, url: str, headers: list[tuple[bytes, bytes]], timeouts: Mapping[str, float | None]
    ) -> httpcore.Response:
        """A GET read to its end, without httpx's request and response objects (the crawler's path)."""
        lane = self._take()
        try:
            return await lane._pool.request("GET", url, headers=headers, extensions={"timeout": dict(timeouts)})
        finally:
            self._free.append(lane)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        lane = self._take()
        try:
            response = await lane.handle_async_request(request)
            await response.aread()  # the lane is free again only once its connection is
            return response
        finally:
            self._free.append(lane)

    async def aclose(self) -> None:
        for lane in self._all:
            await lane.aclose()
        self._all.clear()
        self._free.clear()
