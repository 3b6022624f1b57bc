"""HTTP GETs of JSON with pacing, retries and the errors a crawl must tell apart."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpcore
import httpx
import msgspec

from discovery.budget import Budgets, MemoryStore
from discovery.netguard import guarded_client
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


def build_client(concurrency: int, timeout: float = 15.0, *, allow_private: bool) -> httpx.AsyncClient:
    """The one place crawls and probes build their HTTP client: every connection goes only to a public
    address, checked and pinned when it is opened (discovery/netguard.py). One connection per request in
    flight: the pool checks every idle connection on each request (a system call each)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return guarded_client(allow_private, timeout=httpx.Timeout(timeout, connect=5.0), limits=limits)


def _error_message(status: int) -> str:
    # Never the remote body: a server we are pointed at must not be able to read itself into our
    # errors (and so into API answers); the standard reason phrase for the status only.
    return httpx.codes.get_reason_phrase(status) or "error"


def _pool_of(client: httpx.AsyncClient) -> httpcore.AsyncConnectionPool | None:
    """The connection pool under a crawl client's transport (netguard's guarded one), if it has one."""
    transport = getattr(client, "_transport", None)
    pool = getattr(transport, "_pool", None) if isinstance(transport, httpx.AsyncHTTPTransport) else None
    return pool if isinstance(pool, httpcore.AsyncConnectionPool) else None


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
        self._pool = _pool_of(client)
        self._timeouts = client.timeout.as_dict()
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._raw_headers = [(k.encode(), v.encode()) for k, v in self._headers.items()]

    async def _send(self, url: str, params: Mapping[str, Any] | None) -> Answer:
        full = _with_query(url, params)
        if self._pool is not None and full.isascii():
            response = await self._pool.request(
                "GET", full, headers=self._raw_headers, extensions={"timeout": self._timeouts}
            )
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
