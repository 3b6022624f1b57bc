"""The database a one-shot CLI command works on: opened (embedded when DATABASE_URL is unset), migrated, stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg

from api.settings import Settings
from sql import migrate
from sql.server import open_database


def run_with_db(settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    """Open the database, migrate, run ``work`` on one connection, stop the database again."""
    database = open_database(settings.database_url, settings.home)

    async def go() -> int:
        conn = await asyncpg.connect(database.url)
        try:
            await migrate(conn)
            return await work(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(go())
    finally:
        database.stop()
