"""Dependencies shared by controllers: a transaction per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State

from sql.tenancy import Principal


async def provide_conn(state: State) -> AsyncIterator[asyncpg.Connection]:
    async with state.pool.acquire() as conn, conn.transaction():
        yield conn  # commits after the handler, rolls back if it raised


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user
