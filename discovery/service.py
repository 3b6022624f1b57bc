"""Crawls as users ask for them: validated, probed, queued, read, cancelled."""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from discovery import frontier
from discovery.fetcher import (
    AuthError,
    Counters,
    Fetcher,
    PermanentError,
    RateLimitedError,
    build_client,
)
from discovery.frontier import Crawl
from discovery.models import Platform
from discovery.netguard import check_base_url, check_host
from discovery.platforms import make_connector
from discovery.platforms.bluesky import PUBLIC_APPVIEW
from sql import Conn
from sql.errors import UpstreamError, ValidationError

MAX_SEEDS = 1000
PROBED_SEEDS = 5  # looked up before the crawl is queued; the rest fail (with a reason) during the crawl
PROBE_TIMEOUT = 10.0
_HANDLE = re.compile(r"^@?[\w.\-:]+(@[\w.\-]+)?$")
_TAG = re.compile(r"^#?\w{1,100}$")


class CrawlRequest(msgspec.Struct, forbid_unknown_fields=True):
    platform: str
    base_url: str | None = None
    token: str | None = None
    seeds: list[str] = []
    hashtags: list[str] = []
    max_accounts: int = 1000
    max_depth: int = 1
    max_followers: int = 1000
    max_following: int = 200
    posts_per_account: int = 20
    since: datetime | None = None
    fresh_for: int | None = None  # seconds: accounts read more recently are not read again


def validate(req: CrawlRequest) -> dict[str, Any]:
    """The crawl's stored values, or a ValidationError naming the field."""
    if req.platform not in ("mastodon", "bluesky"):
        raise ValidationError(f"unknown platform {req.platform!r}: use mastodon or bluesky", field="platform")
    base_url = (req.base_url or (PUBLIC_APPVIEW if req.platform == "bluesky" else "")).rstrip("/")
    if not base_url:
        raise ValidationError(
            "base_url is required for mastodon (the instance, e.g. https://mastodon.social)", field="base_url"
        )
    base_url = check_base_url(base_url)
    if not req.seeds and not req.hashtags:
        raise ValidationError("give at least one seed handle or hashtag", field="seeds")
    if len(req.seeds) + len(req.hashtags) > MAX_SEEDS:
        raise ValidationError(f"at most {MAX_SEEDS} seeds and hashtags together", field="seeds")
    for seed in req.seeds:
        if not _HANDLE.match(seed):
            raise ValidationError(f"{seed!r} is not a handle", field="seeds")
    for tag in req.hashtags:
        if not _TAG.match(tag):
            raise ValidationError(f"{tag!r} is not a hashtag", field="hashtags")
    bounds = {
        "max_accounts": (1, 10_000_000),
        "max_depth": (0, 10),
        "max_followers": (0, 10_000_000),
        "max_following": (0, 10_000_000),
        "posts_per_account": (0, 10_000),
    }
    if req.fresh_for is not None and not 0 <= req.fresh_for <= 10 * 365 * 86400:
        raise ValidationError("fresh_for must be between 0 and 315360000 seconds", field="fresh_for")
    for name, (low, high) in bounds.items():
        value = getattr(req, name)
        if not low <= value <= high:
            raise ValidationError(f"{name} must be between {low} and {high}", field=name)
    return {
        "platform": req.platform,
        "base_url": base_url,
        "token": req.token or None,
        "seeds": [s.lstrip("@") for s in dict.fromkeys(req.seeds)],
        "hashtags": [t.lstrip("#").lower() for t in dict.fromkeys(req.hashtags)],
        **{name: getattr(req, name) for name in bounds},
        "since": req.since,
        "fresh_for": req.fresh_for,
    }


async def probe(values: dict[str, Any], allow_private: bool) -> None:
    """Reach the server with the crawl's token before the crawl is accepted, so a bad host, token or seed
    is a 4xx now: each of the first seeds is looked up; a crawl of hashtags only reads one post of its
    first hashtag (servers such as GoToSocial want the token for that too)."""
    await check_host(values["base_url"], allow_private)
    values["host"] = urlsplit(values["base_url"]).netloc
    platform: Platform = values["platform"]
    async with build_client(PROBE_TIMEOUT, allow_private=allow_private) as client:
        connector = make_connector(
            platform, values["base_url"], Fetcher(client, Counters(), values["token"], max_retries=1, wait_on_429=False)
        )
        checks: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            (f"seed {seed!r}", functools.partial(connector.lookup, seed)) for seed in values["seeds"][:PROBED_SEEDS]
        ]
        if not checks:
            tag = values["hashtags"][0]
            checks.append((f"hashtag #{tag}", functools.partial(connector.hashtag, tag, 1)))
        for what, check in checks:
            try:
                await asyncio.wait_for(check(), PROBE_TIMEOUT * 2)
            except RateLimitedError:
                return  # reachable, but its budget is spent now: the crawl waits for it
            except AuthError as e:
                raise ValidationError(f"the server refused the token: {e.detail}", field="token") from e
            except PermanentError as e:
                field = "seeds" if what.startswith("seed") else "hashtags"
                raise ValidationError(f"{what} was not found on {values['base_url']} ({e})", field=field) from e
            except (UpstreamError, TimeoutError) as e:
                detail = e.detail if isinstance(e, UpstreamError) else "no answer in time"
                raise ValidationError(f"cannot reach {values['base_url']}: {detail}", field="base_url") from e


def is_shared(values: dict[str, Any], shared_hosts: frozenset[str]) -> bool:
    """A crawl feeds the shared public index only without a token and only from a server the operator
    listed: data an org fetched with its own token, or from a server it named, stays its own (else a
    tenant could plant accounts of a server it runs in every org's rankings)."""
    return values["token"] is None and values["host"].lower() in shared_hosts


async def create(
    conn: Conn, org_id: UUID, req: CrawlRequest, allow_private: bool, shared_hosts: frozenset[str] = frozenset()
) -> Crawl:
    values = validate(req)
    await probe(values, allow_private)
    values["shared"] = is_shared(values, shared_hosts)
    return await frontier.create(conn, org_id, values)
