"""HTTP GETs of JSON with pacing, retries and the errors a crawl must tell apart."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from discovery.ratelimit import Pacer, retry_after
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


@dataclass
class Counters:
    requests: int = 0
    retries: int = 0
    errors: int = 0
    rate_limit_waits: int = 0


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
    ) -> None:
        self.client = client
        self.counters = counters
        self.token = token
        self.max_retries = max_retries
        self.backoff = backoff
        self.pacers: dict[str, Pacer] = {}

    def _pacer(self, url: str) -> Pacer:
        host = urlsplit(url).netloc
        return self.pacers.setdefault(host, Pacer())

    async def get(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, httpx.Headers]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        pacer = self._pacer(url)
        attempt = 0
        while True:
            await pacer.acquire()
            try:
                self.counters.requests += 1
                response = await self.client.get(url, params=params, headers=headers)
                pacer.observe(response.headers)
                if response.status_code == 200:
                    return response.json(), response.headers
                problem = self._classify(response, pacer)
                if response.status_code == 429:
                    continue  # the pacer now holds every request until the window resets
            except (httpx.TransportError, json.JSONDecodeError, UnicodeDecodeError) as e:
                problem = f"{type(e).__name__}: {e}"
            finally:
                pacer.release()
            attempt += 1
            if attempt > self.max_retries:
                self.counters.errors += 1
                raise UpstreamError(f"GET {url} failed after {attempt} attempts: {problem}")
            self.counters.retries += 1
            await asyncio.sleep(self.backoff * 2 ** min(attempt - 1, 6) * (0.5 + random.random()))

    def _classify(self, response: httpx.Response, pacer: Pacer) -> str:
        status = response.status_code
        if status == 429:
            wait = retry_after(response.headers, time.time())
            pacer.blocked_until(time.time() + (wait if wait is not None else 5.0))
            self.counters.rate_limit_waits += 1
            return "429 rate limited"
        if status == 401:
            raise AuthError(f"{response.url.host} refused the token ({status}): {_error_message(response)}")
        if status in RETRYABLE_STATUS:
            return f"{status} {_error_message(response)}"
        raise PermanentError(status, _error_message(response))
