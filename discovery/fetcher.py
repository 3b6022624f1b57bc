"""HTTP GETs of JSON with pacing, retries and the errors a crawl must tell apart."""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpcore
import httpx
import msgspec

from discovery.budget import Budgets, MemoryStore
from discovery.lanes import Lanes
from sql.errors import UpstreamError

RETRYABLE_STATUS = {500, 502, 503, 504, 520, 522, 524}
USER_AGENT = "Sorot/0.1 (+https://github.com/sorot; influencer discovery crawler)"
Headers = Mapping[str, str]  # an answer's headers; names in lower case
_TRANSPORT_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)
_decode = msgspec.json.Decoder()
Direct = Callable[[str, list[tuple[bytes, bytes]], Mapping[str, float | None]], Awaitable[httpcore.Response]]


class PermanentError(Exception):
    """Not found, gone, private: record it and move on, never retry."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class AuthError(UpstreamError):
    code = "upstream-auth"


class RateLimitedError(UpstreamError):
    """A 429 to a fetcher that must not wait (a probe)."""


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    errors: int = 0
    rate_limited: int = 0  # 429 answers
    wait_seconds: float = 0.0  # waited for the host's rate budget

    def copy(self) -> Counters:
        return Counters(**vars(self))

    def minus(self, other: Counters) -> Counters:
        return Counters(**{k: v - getattr(other, k) for k, v in vars(self).items()})


def build_client(timeout: float = 15.0, *, allow_private: bool) -> httpx.AsyncClient:
    """The one place crawls and probes build their HTTP client: every connection goes only to a public
    address, checked and pinned when it is opened (discovery/netguard.py), one connection per request
    in flight (discovery/lanes.py)."""
    return httpx.AsyncClient(
        transport=Lanes(allow_private),
        timeout=httpx.Timeout(timeout, connect=5.0),
        trust_env=False,
        follow_redirects=False,
    )


def _error_message(status: int) -> str:
    # Never the remote body: a server we are pointed at must not be able to read itself into our
    # errors (and so into API answers); the standard reason phrase for the status only.
    return httpx.codes.get_reason_phrase(status) or "error"


def _direct(client: httpx.AsyncClient) -> Direct | None:
    """How to send a GET straight to the connections under ``client``, skipping httpx's models."""
    transport = getattr(client, "_transport", None)
    if isinstance(transport, Lanes):
        return transport.get
    pool = getattr(transport, "_pool", None) if isinstance(transport, httpx.AsyncHTTPTransport) else None
    if isinstance(pool, httpcore.AsyncConnectionPool):
        return functools.partial(_pool_get, pool)
    return None


async def _pool_get(
    pool: httpcore.AsyncConnectionPool,
    url: str,
    headers: list[tuple[bytes, bytes]],
    timeouts: Mapping[str, float | None],
) -> httpcore.Response:
    return await pool.request("GET", url, headers=headers, extensions={"timeout": dict(timeouts)})


def _with_query(url: str, params: Mapping[str, Any] | None) -> str:
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params, doseq=True)


@dataclass
class Answer:
    status: int
    headers: Headers
    content: bytes


class Fetcher:
    def __init__(
        self,
        client: httpx.AsyncClient,
        counters: Counters,
        token: str | None = None,
        max_retries: int = 6,
        backoff: float = 0.2,
        budgets: Budgets | None = None,
        wait_on_429: bool = True,
    ) -> None:
        self.client = client
        self.counters = counters
        self.token = token
        self.max_retries = max_retries
        self.backoff = backoff
        self.budgets = budgets or Budgets(MemoryStore())
        self.wait_on_429 = wait_on_429
        # Requests go straight to the client's connection pool (same connections, same address checks):
        # httpx's request and response models cost more CPU than the rest of the crawler per request.
        self._direct = _direct(client)
        self._timeouts = client.timeout.as_dict()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._raw_headers = [(k.encode(), v.encode()) for k, v in self._headers.items()]

    async def _send(self, url: str, params: Mapping[str, Any] | None) -> Answer:
        full = _with_query(url, params)
        if self._direct is not None and full.isascii():
            response = await self._direct(full, self._raw_headers, self._timeouts)
            headers: dict[str, str] = {}
            for key, value in response.headers:
                name, text = key.decode("latin-1").lower(), value.decode("latin-1")
                headers[name] = f"{headers[name]}, {text}" if name in headers else text
            return Answer(response.status, headers, response.content)
        r = await self.client.get(url, params=params, headers=self._headers)
        return Answer(r.status_code, r.headers, r.content)

    async def get(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, Headers]:
        budget = self.budgets.host(urlsplit(url).netloc)
        attempt = 0
        while True:
            lease = await budget.acquire()
            self.counters.wait_seconds += lease.waited
            answer: Answer | None = None
            try:
                self.counters.requests += 1
                answer = await self._send(url, params)
            except (httpx.TransportError, *_TRANSPORT_ERRORS) as e:
                problem = f"{type(e).__name__}: {e}"
            finally:
                await budget.done(
                    lease,
                    answer.headers if answer is not None else None,
                    answer.status if answer is not None else None,
                )
            if answer is not None:
                if answer.status == 200:
                    try:
                        return _decode.decode(answer.content), answer.headers
                    except (msgspec.DecodeError, UnicodeDecodeError) as e:
                        problem = f"invalid JSON: {e}"
                elif answer.status == 429:
                    self.counters.rate_limited += 1
                    if not self.wait_on_429:
                        raise RateLimitedError(f"{urlsplit(url).hostname} answered 429 (rate limited)")
                    continue  # the budget now holds every request to this host until the window resets
                else:
                    problem = self._classify(url, answer.status)
            attempt += 1
            if attempt > self.max_retries:
                self.counters.errors += 1
                raise UpstreamError(f"GET {url} failed after {attempt} attempts: {problem}")
            self.counters.retries += 1
            await asyncio.sleep(self.backoff * 2 ** min(attempt - 1, 6) * (0.5 + random.random()))

    def _classify(self, url: str, status: int) -> str:
        if status in (401, 403):
            what = (
                "the access token is missing, wrong or revoked"
                if status == 401
                else "the access token may not read this"
            )
            raise AuthError(f"{urlsplit(url).hostname} refused the request ({status} {_error_message(status)}): {what}")
        if status in RETRYABLE_STATUS:
            return f"{status} {_error_message(status)}"
        raise PermanentError(status, _error_message(status))
