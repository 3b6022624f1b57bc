"""Liveness and readiness probes. Both are public and answer without touching the pool's queue."""

from __future__ import annotations

import asyncio

import asyncpg
from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException

from api.errors import RETRY_AFTER_UNAVAILABLE

READY_TIMEOUT = 2.0  # seconds; a probe must answer quickly either way


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/healthz", operation_id="Healthz", summary="The process is up")
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", operation_id="Readyz", summary="The database answers (503 when it does not)")
    async def readyz(self, state: State) -> dict[str, str]:
        try:
            async with asyncio.timeout(READY_TIMEOUT), state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise ServiceUnavailableException(
                "database does not answer",
                headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
                extra={"retry_after": RETRY_AFTER_UNAVAILABLE},
            ) from e
        return {"status": "ok", "database": "ok"}
