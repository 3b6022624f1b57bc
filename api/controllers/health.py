"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from litestar import Controller, get
from litestar.datastructures import State

from sql.errors import AppError


class DatabaseUnavailable(AppError):
    code = "unavailable"


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/healthz", operation_id="Healthz", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="Readyz", summary="The database answers")
    async def readyz(self, state: State) -> dict[str, str]:
        try:
            async with asyncio.timeout(2):
                async with state.pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")
        except (OSError, TimeoutError) as e:
            raise DatabaseUnavailable("database does not answer") from e
        return {"status": "ok", "database": "ok"}
