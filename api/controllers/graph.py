"""Rankings, audience overlap, audience reports and shortlists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import READERS, WRITERS
from api.export import csv_response, wants_csv
from graph import repository, service
from graph.models import (
    COMPONENTS,
    Audience,
    OverlapReport,
    OverlapRequest,
    Ranking,
    RankingRequest,
    Shortlist,
    ShortlistRequest,
)
from sql.tenancy import Principal

Format = Annotated[str | None, Parameter(description="json (default) or csv")]
# The handlers answer a Struct, or CSV with ?format=csv: the schema documents the JSON answer.
RANKING_200 = {200: ResponseSpec(data_container=Ranking, description="Ranked creators (text/csv with ?format=csv)")}
SHORTLIST_200 = {200: ResponseSpec(data_container=Shortlist, description="The shortlist (text/csv with ?format=csv)")}


def ranking_csv(ranking: Ranking) -> Response[str]:
    header = [
        "rank",
        "account_id",
        "handle",
        "followers_count",
        "objective",
        "score",
        "expected_reach",
        "expected_reach_low",
        "expected_reach_high",
        "fee",
        *[f"{c}_{kind}" for c in COMPONENTS for kind in ("raw", "percentile")],
        "authenticity_low",
        "authenticity_high",
        "sample_size",
        "reachability",
        "target_coverage",
        "in_degree",
        "core_number",
        "community",
    ]
    rows = []
    for c in ranking.creators:
        comps = [v for name in COMPONENTS for v in (c.components[name].raw, c.components[name].percentile)]
        rows.append(
            [
                c.rank,
                c.account_id,
                c.handle,
                c.followers_count,
                ranking.objective,
                c.score,
                c.expected_reach.value,
                c.expected_reach.low,
                c.expected_reach.high,
                c.fee,
                *comps,
                c.authenticity_low,
                c.authenticity_high,
                c.sample_size,
                c.reachability,
                c.target_coverage,
                c.in_degree,
                c.core_number,
                c.community,
            ]
        )
    return csv_response("ranking.csv", header, rows)


def shortlist_csv(s: Shortlist) -> Response[str]:
    rows = [
        [i, p.account_id, p.handle, p.fee, p.marginal_reach, p.expected_reach, p.score, p.community]
        for i, p in enumerate(s.picks, start=1)
    ]
    header = ["order", "account_id", "handle", "fee", "marginal_reach", "expected_reach", "score", "community"]
    return csv_response(f"shortlist-{s.id}.csv", header, rows)


class GraphController(Controller):
    path = "/v1"
    tags = ["graph"]

    @post(
        "/rankings",
        operation_id="RankCreators",
        guards=[READERS],
        status_code=200,
        summary="Rank creators by expected reach of the target audience, or another objective (?format=csv)",
        responses=RANKING_200,
    )
    async def rank(
        self,
        data: JSONBody[RankingRequest],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
        format: FromQuery[Format] = None,
    ) -> Any:
        ranking = await service.rank(conn, state.graph_cache, data, principal.org_id)
        return ranking_csv(ranking) if wants_csv(format) else ranking

    @post(
        "/overlap",
        operation_id="AudienceOverlap",
        guards=[READERS],
        status_code=200,
        summary="Exact audience overlap of up to 200 creators",
    )
    async def overlap(
        self,
        data: JSONBody[OverlapRequest],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> OverlapReport:
        return await service.overlap_report(conn, state.graph_cache, data.account_ids, principal.org_id)

    @get(
        "/accounts/{account_id:int}/audience",
        operation_id="GetAudience",
        guards=[READERS],
        summary="Audience credibility, reachability, suspect reasons and followers' hashtags",
    )
    async def audience(
        self,
        account_id: FromPath[int],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> Audience:
        return await service.audience(conn, state.graph_cache, account_id, principal.org_id)


class ShortlistController(Controller):
    path = "/v1/shortlists"
    tags = ["graph"]

    @post(
        "/",
        operation_id="CreateShortlist",
        guards=[WRITERS],
        status_code=201,
        summary="Pick creators reaching the most unique credible target people for a budget",
    )
    async def create(
        self,
        data: JSONBody[ShortlistRequest],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> Shortlist:
        return await service.make_shortlist(conn, state.graph_cache, principal.org_id, data)

    @get("/", operation_id="ListShortlists", guards=[READERS], summary="The org's shortlists, newest first")
    async def list_shortlists(
        self,
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        before: FromQuery[datetime | None] = None,
        limit: FromQuery[Annotated[int, Parameter(ge=1, le=500)]] = 50,
    ) -> list[Shortlist]:
        return await repository.list_shortlists(conn, principal.org_id, before, limit)

    @get(
        "/{shortlist_id:uuid}",
        operation_id="GetShortlist",
        guards=[READERS],
        summary="One shortlist (?format=csv)",
        responses=SHORTLIST_200,
    )
    async def get_shortlist(
        self,
        shortlist_id: FromPath[UUID],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        format: FromQuery[Format] = None,
    ) -> Any:
        found = await repository.get_shortlist(conn, principal.org_id, shortlist_id)
        return shortlist_csv(found) if wants_csv(format) else found
