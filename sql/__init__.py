"""Named queries and the forward-only migration runner.

Queries live in ``sql/queries/<domain>.sql`` as ``-- name: <query>`` blocks and are
looked up as ``Q["<domain>.<query>"]``. Migrations are ``sql/migrations/NNNN_name.sql``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

HERE = Path(__file__).parent
QUERIES_DIR = HERE / "queries"
MIGRATIONS_DIR = HERE / "migrations"
# Any fixed 64-bit number works; it only has to be the same in every process.
MIGRATION_LOCK_KEY = 0x5050_7070_0001
# What repositories accept: a plain connection or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(domain: str, text: str) -> dict[str, str]:
    """Split one ``.sql`` file into ``{"domain.name": sql}``."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        key = f"{domain}.{name}"
        if key in queries:
            raise ValueError(f"query {key} is defined twice")
        queries[key] = body.strip().rstrip(";")  # so a query can be wrapped, e.g. in COPY (...)
    return queries


def load_queries(directory: Path = QUERIES_DIR) -> Mapping[str, str]:
    queries: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        queries.update(parse_queries(path.stem, path.read_text()))
    return MappingProxyType(queries)


Q = load_queries()


async def fetch_one(conn: Conn, query: str, *args: object) -> asyncpg.Record:
    """The row of a statement that always returns one (``INSERT ... RETURNING``)."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise LookupError("statement returned no row")
    return row


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    files = sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [f.name[:4] for f in files]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"two migrations share a number in {directory}")
    return files


async def migrate(conn: Conn, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not yet recorded; return the names applied.

    A session advisory lock serialises concurrent runners, so two processes starting
    at once apply each migration exactly once.
    """
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        applied: list[str] = []
        for path in migration_files(directory):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.stem)
            applied.append(path.stem)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
