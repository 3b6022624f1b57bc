"""The public tagged-link redirect. It answers from memory; clicks are written in batches."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, NamedTuple

from litestar import Controller, Request, Response, get, head
from litestar.datastructures import State
from litestar.params import FromPath

from campaigns import repository as repo
from campaigns.tracking import Click, LinkInfo, destination, is_bot, visitor_hash

LINK_TTL = 60.0  # seconds a slug's target stays cached (changes show within a minute)
NOT_FOUND_PAGE = "<!doctype html><title>Link not found</title><h1>Link not found</h1><p>This link does not exist.</p>"


class Link(NamedTuple):
    info: LinkInfo
    prefix: str
    fragment: str


async def lookup(state: State, slug: str) -> Link | None:
    cached = state.links.get(slug)
    now = time.monotonic()
    if cached and cached[1] > now:
        return cached[0]  # type: ignore[no-any-return]
    async with state.pool.acquire() as conn:
        info = await repo.link(conn, slug)
    link = Link(info, info.prefix, info.fragment) if info else None
    state.links[slug] = (link, now + LINK_TTL)
    return link


def _answer(link: Link | None, request: Request[Any, Any, Any], state: State, record: bool) -> Response[Any]:
    if link is None:
        return Response(NOT_FOUND_PAGE, status_code=404, media_type="text/html")
    info = link.info
    click_id = uuid.uuid4()
    target = destination(link.prefix, click_id, link.fragment)
    if record:
        agent = request.headers.get("user-agent", "")
        ip = request.client.host if request.client else ""
        state.clicks.add(
            Click(
                info.org_id,
                info.campaign_id,
                info.creator_id,
                click_id,
                datetime.now(UTC),
                visitor_hash(state.salt, ip, agent),
                request.headers.get("referer"),
                is_bot(agent),
            )
        )
    return Response(b"", status_code=302, headers={"Location": target, "Cache-Control": "no-store"})


class RedirectController(Controller):
    path = "/r"
    tags = ["tracking"]

    @get(
        "/{slug:str}",
        operation_id="FollowLink",
        status_code=302,
        summary="302 to the creator's destination with UTM parameters and a click id; records the click",
    )
    async def follow(self, slug: FromPath[str], request: Request[Any, Any, Any], state: State) -> Response[Any]:
        return _answer(await lookup(state, slug) if len(slug) <= 64 else None, request, state, record=True)

    @head(
        "/{slug:str}",
        operation_id="CheckLink",
        status_code=302,
        summary="The same answer as GET, but a HEAD is not a click",
    )
    async def check(self, slug: FromPath[str], request: Request[Any, Any, Any], state: State) -> Response[None]:
        answer = _answer(await lookup(state, slug) if len(slug) <= 64 else None, request, state, record=False)
        return Response(None, status_code=answer.status_code, headers=dict(answer.headers))
