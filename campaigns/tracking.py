"""Tagged links: the redirect target, bot detection, visitor hashing, and the click buffer.

The redirect never waits on the database: clicks collect in memory and are written in
batches (every 100 ms or 1,000 clicks, and on shutdown, so a clean stop loses none).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger("sorot.tracking")

BOT_AGENTS = re.compile(
    r"facebookexternalhit|facebot|twitterbot|slackbot|slack-imgproxy|discordbot|telegrambot|whatsapp|googlebot|"
    r"bingbot|linkedinbot|applebot|pinterest|redditbot|embedly|skypeuripreview|mastodon|bluesky|cardyb|"
    r"yandex|baiduspider|duckduckbot|curl/|wget/|python-requests|python-httpx|httpx|go-http-client|okhttp|"
    r"headlesschrome|phantomjs|bot\b|crawler|spider|preview",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or bool(BOT_AGENTS.search(user_agent))


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


@dataclass(frozen=True)
class Click:
    org_id: uuid.UUID
    campaign_id: uuid.UUID
    creator_id: uuid.UUID
    click_id: uuid.UUID
    at: datetime
    visitor: bytes
    referrer: str | None
    bot: bool


class ClickBuffer:
    """Collects clicks and writes them in batches through ``write``."""

    def __init__(
        self, write: Callable[[list[Click]], Awaitable[None]], max_batch: int = 1000, interval: float = 0.1
    ) -> None:
        self.write, self.max_batch, self.interval = write, max_batch, interval
        self.pending: list[Click] = []
        self.written = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(self, click: Click) -> None:
        self.pending.append(click)
        if len(self.pending) >= self.max_batch:
            self._wake.set()

    async def flush(self) -> None:
        async with self._lock:
            while self.pending:
                batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
                try:
                    await self.write(batch)
                    self.written += len(batch)
                except Exception:
                    # Keep them for the next flush rather than lose them.
                    self.pending = batch + self.pending
                    log.exception("click flush failed; will retry", extra={"clicks": len(batch)})
                    raise

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
