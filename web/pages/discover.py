"""Discovery pages: search accounts, rank creators with the reasons, creator profiles, overlap, shortlists."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.controllers.graph import shortlist_csv
from campaigns import service as campaigns
from campaigns.models import CampaignIn, CreatorIn
from discovery import accounts
from graph import repository as graph_repo
from graph import service as graph
from graph.models import COMPONENTS, RankingRequest, ShortlistRequest, Target, Topic
from sql.errors import ValidationError
from users.models import SessionUser
from web.pages.common import form, page
from web.session import check_csrf, require_role, viewer

OBJECTIVES = ("reach", "efficiency", "engagement")
PLATFORMS = ("mastodon", "bluesky")
_SPLIT = re.compile(r"[\s,]+")
COMPONENT_WORDS = {
    "reach": "expected reach of the target audience",
    "topic_rank": "how central the creator is to the topic's conversation",
    "audience_fit": "share of credible followers inside the target audience",
    "authenticity": "share of followers that look like real people",
    "engagement_rate": "median engagements per follower on recent posts",
    "pagerank": "overall influence in the follow and interaction graph",
}


def _readers(person: SessionUser) -> None:
    require_role(person, "admin", "manager", "analyst")


def _list(value: str | None) -> list[str]:
    return [v for v in _SPLIT.split(value or "") if v]


def _refs(value: str | None) -> list[int | str]:
    return [int(v) if v.isdigit() else v for v in _list(value)]


def ranking_request(params: dict[str, str]) -> RankingRequest:
    """The ranking a form describes: the same request the API takes, so the same rules apply."""
    platform = params.get("platform") or "mastodon"
    objective = params.get("objective") or "reach"
    if platform not in PLATFORMS:
        raise ValidationError(f"platform must be one of {', '.join(PLATFORMS)}", field="platform")
    if objective not in OBJECTIVES:
        raise ValidationError(f"objective must be one of {', '.join(OBJECTIVES)}", field="objective")
    try:
        limit = int(params.get("limit") or 20)
    except ValueError as e:
        raise ValidationError("limit must be a whole number", field="limit") from e
    return RankingRequest(
        platform=platform,
        topic=Topic(
            hashtags=[h.lstrip("#") for h in _list(params.get("hashtags"))], keywords=_list(params.get("keywords"))
        ),
        target=Target(seed_accounts=_refs(params.get("seeds"))),
        exclude=_refs(params.get("exclude")),
        objective=objective,  # type: ignore[arg-type]
        limit=limit,
    )


def explain(creator: dict[str, Any]) -> list[str]:
    """Why a creator ranks where it does, in words with the numbers."""
    lines = [creator["expected_reach"]["text"]]
    for name in COMPONENTS:
        comp = creator["components"].get(name)
        if comp is None:
            continue
        raw = "n/a" if comp["raw"] is None else f"{comp['raw']:.4g}"
        lines.append(f"{COMPONENT_WORDS[name]}: {raw} (percentile {comp['percentile']:.0f})")
    lines.append(
        f"authenticity interval {creator['authenticity_low']:.2f}-{creator['authenticity_high']:.2f} "
        f"from {creator['sample_size']} sampled followers"
    )
    return lines


class DiscoverPages(Controller):
    path = "/app"
    include_in_schema = False

    @get("/discover")
    async def discover(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        _readers(person)
        params = dict(request.query_params)
        found, ranking = None, None
        async with request.app.state.pool.acquire() as conn:
            if params.get("q") or params.get("hashtag"):
                found = await accounts.search(
                    conn,
                    person.org_id,
                    platform=params.get("platform") or None,
                    q=params.get("q") or None,
                    hashtag=params.get("hashtag") or None,
                    after=0,
                    limit=50,
                )
            if params.get("hashtags") or params.get("keywords") or params.get("seeds"):
                req = ranking_request(params)
                ranking = msgspec.to_builtins(await graph.rank(conn, request.app.state.graph_cache, req, person.org_id))
        creators = [{**c, "why": explain(c)} for c in ranking["creators"]] if ranking else []
        return page(
            "discover.html",
            person,
            title="Discover creators",
            nav="discover",
            params=params,
            found=found,
            ranking=ranking,
            creators=creators,
            objectives=OBJECTIVES,
            platforms=PLATFORMS,
            query=urlencode({k: v for k, v in params.items() if k not in ("q", "hashtag")}),
        )

    @get("/accounts/{account_id:int}")
    async def creator(self, request: Request[Any, Any, Any], account_id: FromPath[int]) -> Template:
        person = await viewer(request)
        _readers(person)
        compare = [int(v) for v in _list(request.query_params.get("with")) if v.isdigit()]
        async with request.app.state.pool.acquire() as conn:
            account = await accounts.get(conn, person.org_id, account_id)
            audience = await graph.audience(conn, request.app.state.graph_cache, account_id, person.org_id)
            overlap = None
            if compare:
                ids = [account_id, *[c for c in compare if c != account_id]]
                overlap = await graph.overlap_report(conn, request.app.state.graph_cache, ids, person.org_id)
        return page(
            "creator.html",
            person,
            title=f"@{account.handle}",
            nav="discover",
            account=account,
            audience=audience,
            overlap=overlap,
            compare=",".join(map(str, compare)),
        )

    @get("/compare")
    async def compare(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        _readers(person)
        ids = [
            int(v)
            for v in request.query_params.getall("id", []) + _list(request.query_params.get("ids"))
            if v.isdigit()
        ]
        async with request.app.state.pool.acquire() as conn:
            overlap = await graph.overlap_report(conn, request.app.state.graph_cache, ids, person.org_id)
        shared = {(p.a, p.b): p for p in overlap.pairs} | {(p.b, p.a): p for p in overlap.pairs}
        return page("compare.html", person, title="Compare audiences", nav="discover", overlap=overlap, shared=shared)

    @get("/shortlists")
    async def shortlists(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        _readers(person)
        async with request.app.state.pool.acquire() as conn:
            found = await graph_repo.list_shortlists(conn, person.org_id, None, 100)
        params = dict(request.query_params)
        return page(
            "shortlists.html",
            person,
            title="Shortlists",
            nav="shortlists",
            shortlists=found,
            params=params,
            objectives=OBJECTIVES,
            platforms=PLATFORMS,
        )

    @post("/shortlists", status_code=303)
    async def build(self, request: Request[Any, Any, Any]) -> Redirect:
        person = await viewer(request)
        require_role(person, "admin", "manager")
        values = dict(await form(request))
        check_csrf(person, values.get("csrf_token", ""))
        try:
            budget = Decimal(values.get("budget") or "0")
            k = int(values.get("k") or 10)
        except (InvalidOperation, ValueError) as e:
            raise ValidationError("budget must be an amount and k a whole number", field="budget") from e
        if not budget.is_finite():
            raise ValidationError("budget must be an amount", field="budget")
        req = ShortlistRequest(ranking=ranking_request(values), budget=budget, k=k)
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            made = await graph.make_shortlist(conn, request.app.state.graph_cache, person.org_id, req)
        return Redirect(f"/app/shortlists/{made.id}", status_code=303)

    @get("/shortlists/{shortlist_id:uuid}")
    async def shortlist(self, request: Request[Any, Any, Any], shortlist_id: FromPath[UUID]) -> Template:
        person = await viewer(request)
        _readers(person)
        async with request.app.state.pool.acquire() as conn:
            found = await graph_repo.get_shortlist(conn, person.org_id, shortlist_id)
        ids = ",".join(str(p.account_id) for p in found.picks)
        return page("shortlist.html", person, title="Shortlist", nav="shortlists", shortlist=found, ids=ids)

    @post("/shortlists/{shortlist_id:uuid}/campaign", status_code=303)
    async def start_campaign(self, request: Request[Any, Any, Any], shortlist_id: FromPath[UUID]) -> Redirect:
        """A campaign with the shortlist's picks as creators, at the fees the shortlist used."""
        person = await viewer(request)
        require_role(person, "admin", "manager")
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        data = CampaignIn(
            name=values.get("name", ""),
            currency=values.get("currency", "").strip().upper(),
            destination_url=values.get("destination_url", ""),
        )
        base = str(request.base_url).rstrip("/")
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            found = await graph_repo.get_shortlist(conn, person.org_id, shortlist_id)
            made = await campaigns.create_campaign(conn, person.org_id, data)
            for pick in found.picks:
                await campaigns.add_creator(
                    conn, person.org_id, made.id, CreatorIn(account_id=pick.account_id, fee=pick.fee), base
                )
        return Redirect(f"/app/campaigns/{made.id}", status_code=303)

    @get("/shortlists/{shortlist_id:uuid}/export.csv")
    async def shortlist_export(self, request: Request[Any, Any, Any], shortlist_id: FromPath[UUID]) -> Response[Any]:
        person = await viewer(request)
        _readers(person)
        async with request.app.state.pool.acquire() as conn:
            found = await graph_repo.get_shortlist(conn, person.org_id, shortlist_id)
        return shortlist_csv(found)
