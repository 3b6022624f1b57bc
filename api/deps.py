"""Dependencies shared by controllers: a transaction per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State

from api.ratelimit import limit_for
from sql.tenancy import Principal

HEAVY = ("heavy", "report")


async def provide_conn(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[asyncpg.Connection]:
    async with state.pool.acquire() as conn, conn.transaction():
        kind = limit_for(request.scope.get("path_template", ""), request.route_handler.operation_id)
        if kind is not None and kind in HEAVY:
            # Heavy reads get longer than the pool's default statement_timeout, for this transaction only.
            await conn.execute(f"SET LOCAL statement_timeout = {int(state.settings.heavy_statement_timeout * 1000)}")
        yield conn  # commits after the handler, rolls back if it raised


def provide_principal(request: Request[Principal, Any, Any]) -> Principal:
    return request.user
