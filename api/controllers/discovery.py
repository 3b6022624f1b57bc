"""Crawls and the accounts they store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from api.auth import ADMIN, READERS, WRITERS
from discovery import accounts, frontier, service
from discovery.accounts import AccountDetail, AccountPage
from discovery.frontier import Crawl
from discovery.service import CrawlRequest
from sql.errors import ValidationError
from sql.tenancy import Principal

Limit = Annotated[int, Parameter(ge=1, le=500)]


class CrawlController(Controller):
    path = "/v1/crawls"
    tags = ["discovery"]

    @post(
        "/",
        operation_id="CreateCrawl",
        guards=[WRITERS],
        status_code=202,
        summary="Queue a crawl from seed handles and/or hashtags",
    )
    async def create(
        self,
        data: JSONBody[CrawlRequest],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        state: State,
    ) -> Crawl:
        settings = state.settings
        return await service.create(conn, principal.org_id, data, settings.allow_private_hosts, settings.shared_hosts)

    @get("/", operation_id="ListCrawls", guards=[READERS], summary="The org's crawls, newest first")
    async def list_crawls(
        self,
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        before: FromQuery[datetime | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> list[Crawl]:
        return await frontier.list_crawls(conn, principal.org_id, before, limit)

    @get("/{crawl_id:uuid}", operation_id="GetCrawl", guards=[READERS], summary="A crawl's status and counters")
    async def get_crawl(
        self, crawl_id: FromPath[UUID], conn: NamedDependency[asyncpg.Connection], principal: NamedDependency[Principal]
    ) -> Crawl:
        return await frontier.get(conn, principal.org_id, crawl_id)

    @delete(
        "/{crawl_id:uuid}",
        operation_id="CancelCrawl",
        guards=[WRITERS],
        status_code=200,
        summary="Cancel a queued or running crawl",
    )
    async def cancel(
        self, crawl_id: FromPath[UUID], conn: NamedDependency[asyncpg.Connection], principal: NamedDependency[Principal]
    ) -> Crawl:
        return await frontier.cancel(conn, principal.org_id, crawl_id)


class AccountController(Controller):
    path = "/v1/accounts"
    tags = ["discovery"]

    @get(
        "/",
        operation_id="SearchAccounts",
        guards=[READERS],
        summary="Search stored accounts by handle, name, bio or hashtag (opted-out accounts never appear)",
    )
    async def search(
        self,
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
        q: FromQuery[str | None] = None,
        hashtag: FromQuery[str | None] = None,
        platform: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[Limit] = 50,
    ) -> AccountPage:
        if cursor is not None and not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise ValidationError("cursor must be a value of next_cursor", field="cursor")
        return await accounts.search(
            conn, principal.org_id, platform=platform, q=q, hashtag=hashtag, after=int(cursor or 0), limit=limit
        )

    @get("/{account_id:int}", operation_id="GetAccount", guards=[READERS], summary="One stored account")
    async def get_account(
        self,
        account_id: FromPath[int],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> AccountDetail:
        return await accounts.get(conn, principal.org_id, account_id)

    @delete(
        "/{account_id:int}",
        operation_id="HideAccount",
        guards=[ADMIN],
        status_code=204,
        summary="Hide an account from this org (searches, rankings, reports); other orgs are not affected. "
        "Erasure for everyone, on a person's request, is the operator's `sorot erase`",
    )
    async def hide(
        self,
        account_id: FromPath[int],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> None:
        await accounts.hide(conn, principal.org_id, account_id, actor=f"key:{principal.key_id}")
