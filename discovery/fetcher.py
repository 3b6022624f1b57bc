"""HTTP GETs of JSON with pacing, retries and the errors a crawl must tell apart."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from discovery.budget import Budgets, MemoryStore
from discovery.netguard import guarded_client
from sql.errors import UpstreamError

RETRYABLE_STATUS = {500, 502, 503, 504, 520, 522, 524}
USER_AGENT = "Sorot/0.1 (+https://github.com/sorot; influencer discovery crawler)"


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
    address, checked and pinned when it is opened (discovery/netguard.py)."""
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    return guarded_client(allow_private, timeout=httpx.Timeout(timeout, connect=5.0), limits=limits)


def _error_message(response: httpx.Response) -> str:
    # Never the remote body: a server we are pointed at must not be able to read itself into our
    # errors (and so into API answers); the standard reason phrase for the status only.
    return httpx.codes.get_reason_phrase(response.status_code) or "error"


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

    async def get(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, httpx.Headers]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        budget = self.budgets.host(urlsplit(url).netloc)
        attempt = 0
        while True:
            lease = await budget.acquire()
            self.counters.wait_seconds += lease.waited
            response: httpx.Response | None = None
            try:
                self.counters.requests += 1
                response = await self.client.get(url, params=params, headers=headers)
            except httpx.TransportError as e:
                problem = f"{type(e).__name__}: {e}"
            finally:
                await budget.done(
                    lease,
                    response.headers if response is not None else None,
                    response.status_code if response is not None else None,
                )
            if response is not None:
                if response.status_code == 200:
                    try:
                        return response.json(), response.headers
                    except (json.JSONDecodeError, UnicodeDecodeError) as e:
                        problem = f"{type(e).__name__}: {e}"
                elif response.status_code == 429:
                    self.counters.rate_limited += 1
                    if not self.wait_on_429:
                        raise RateLimitedError(f"{response.url.host} answered 429 (rate limited)")
                    continue  # the budget now holds every request to this host until the window resets
                else:
                    problem = self._classify(response)
            attempt += 1
            if attempt > self.max_retries:
                self.counters.errors += 1
                raise UpstreamError(f"GET {url} failed after {attempt} attempts: {problem}")
            self.counters.retries += 1
            await asyncio.sleep(self.backoff * 2 ** min(attempt - 1, 6) * (0.5 + random.random()))

    def _classify(self, response: httpx.Response) -> str:
        status = response.status_code
        if status in (401, 403):
            what = (
                "the access token is missing, wrong or revoked"
                if status == 401
                else "the access token may not read this"
            )
            raise AuthError(f"{response.url.host} refused the request ({status} {_error_message(response)}): {what}")
        if status in RETRYABLE_STATUS:
            return f"{status} {_error_message(response)}"
        raise PermanentError(status, _error_message(response))
