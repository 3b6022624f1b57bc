"""Tagged links: the redirect target, bot detection, visitor hashing, and the click buffer.

The redirect never waits on the database: clicks collect in memory and are written in
batches (every 100 ms or 1,000 clicks, and on shutdown, so a clean stop loses none).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger("sorot.tracking")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str) -> tuple[Network, ...]:
    """``SOROT_TRUSTED_PROXIES``: comma-separated addresses or CIDR networks."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip())


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def _forwarded_for(forwarded: str) -> list[str]:
    """The ``for=`` addresses of an RFC 7239 ``Forwarded`` header, first hop first."""
    out = []
    for element in forwarded.split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.lower() == "for":
                value = value.strip('"')
                if value.startswith("["):
                    value = value[1 : value.find("]")]
                elif value.count(":") == 1:
                    value = value.split(":")[0]
                out.append(value)
    return out


def client_ip(peer: str, forwarded: str, x_forwarded_for: str, proxies: Sequence[Network]) -> str:
    """The visitor's address: the socket peer, unless it is a trusted proxy; then the nearest address
    in ``Forwarded`` (or ``X-Forwarded-For``) that is not a trusted proxy. Headers from anyone else
    are ignored, since a visitor can write them."""
    if not proxies or not _trusted(peer, proxies):
        return peer
    chain = _forwarded_for(forwarded) if forwarded else [a.strip() for a in x_forwarded_for.split(",") if a.strip()]
    for address in reversed(chain):
        if not _trusted(address, proxies):
            return address
    return chain[0] if chain else peer


def visitor_hash(salt: bytes, ip: str, user_agent: str) -> bytes:
    return hashlib.sha256(salt + ip.encode() + b"\x00" + user_agent.encode()).digest()[:16]


def destination_prefix(url: str, platform: str, campaign_slug: str, creator_slug: str) -> str:
    """The creator's destination with UTM parameters (existing ones replaced), ready for the click id.

    Computed once per link: per click only the id is appended.
    """
    parts = urlsplit(url)
    ours = {
        "utm_source": platform,
        "utm_medium": "influencer",
        "utm_campaign": campaign_slug,
        "utm_content": creator_slug,
    }
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in {*ours, "sorot_cid"}]
    # The fragment must stay last, after the click id: ``destination`` adds it back.
    return urlunsplit(parts._replace(query=urlencode(query + list(ours.items())), fragment="")) + "&sorot_cid="


def destination(prefix: str, click_id: uuid.UUID, fragment: str = "") -> str:
    return prefix + str(click_id) + (f"#{fragment}" if fragment else "")


@dataclass(frozen=True)
class LinkInfo:
    org_id: uuid.UUID
    campaign_id: uuid.UUID
    creator_id: uuid.UUID
    url: str
    platform: str
    campaign_slug: str
    creator_slug: str

    @property
    def prefix(self) -> str:
        return destination_prefix(self.url, self.platform, self.campaign_slug, self.creator_slug)

    @property
    def fragment(self) -> str:
        return urlsplit(self.url).fragment


class Click(NamedTuple):  # a tuple: one is made per redirect, and a frozen dataclass costs twice as much
    org_id: uuid.UUID
    campaign_id: uuid.UUID
    creator_id: uuid.UUID
    click_id: uuid.UUID
    at: datetime
    visitor: bytes
    referrer: str | None
    bot: bool


BACKLOG_WARNING = 100_000  # buffered clicks (about 30 MB) at which each further 100,000 is logged


class ClickBuffer:
    """Collects clicks and writes them in batches through ``write``."""

    def __init__(
        self,
        write: Callable[[list[Click]], Awaitable[None]],
        max_batch: int = 1000,
        interval: float = 0.1,
        max_write: int = 10_000,
    ) -> None:
        self.write, self.max_batch, self.interval = write, max_batch, interval
        # A backlog (the database slower than the traffic for a while) goes in bigger statements, which
        # PostgreSQL writes faster per click, so the backlog shrinks instead of growing.
        self.max_write = max(max_write, max_batch)
        self.pending: list[Click] = []
        self.written = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._stopping = False

    def add(self, click: Click) -> None:
        self.pending.append(click)
        if len(self.pending) >= self.max_batch:
            self._wake.set()
            if len(self.pending) % BACKLOG_WARNING == 0:
                log.warning("clicks arrive faster than the database takes them", extra={"pending": len(self.pending)})

    async def flush(self) -> None:
        async with self._lock:
            while self.pending:
                batch, self.pending = self.pending[: self.max_write], self.pending[self.max_write :]
                try:
                    await self.write(batch)
                    self.written += len(batch)
                except BaseException as e:
                    # Keep them for the next flush rather than lose them, also when cancelled mid-write
                    # (writing is idempotent by click id, so a batch that did land is not counted twice).
                    self.pending = batch + self.pending
                    if isinstance(e, Exception):
                        log.exception("click flush failed; will retry", extra={"clicks": len(batch)})
                    raise

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let the loop finish the write it is in (cancelling it mid-write would drop that batch: a
        CancelledError is no Exception), then write what is left."""
        self._stopping = True
        self._wake.set()
        if self._task:
            await self._task
            self._task = None
        await self.flush()
