from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from sql import MIGRATIONS_DIR, Q, migrate, migration_files

pytestmark = pytest.mark.anyio


class TestMigrate:
    async def test_second_run_applies_nothing_and_keeps_data(self, conn: asyncpg.Connection) -> None:
        await conn.execute("INSERT INTO orgs (name) VALUES ('kept')")
        assert await migrate(conn) == []
        assert await conn.fetchval("SELECT count(*) FROM orgs WHERE name = 'kept'") == 1
        recorded = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")]
        assert recorded == [p.stem for p in migration_files()]

    async def test_two_processes_at_once_apply_each_migration_once(self, database_url: str, tmp_path: Path) -> None:
        (tmp_path / "0001_slow.sql").write_text("SELECT pg_sleep(0.3); CREATE TABLE once_only (id int);")
        a, b = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
        try:
            results = await asyncio.gather(migrate(a, tmp_path), migrate(b, tmp_path))
        finally:
            await a.close()
            await b.close()
        assert sorted(map(len, results)) == [0, 1]

    async def test_failed_migration_leaves_nothing_behind(self, conn: asyncpg.Connection, tmp_path: Path) -> None:
        (tmp_path / "0001_half.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE name = '0001_half'") == 0


class TestNamedQueries:
    async def test_every_named_query_prepares_against_the_schema(self, conn: asyncpg.Connection) -> None:
        assert Q, "no named queries were loaded"
        await conn.execute(Q["store.tmp_tables"])  # staging tables other queries read
        for name, query in Q.items():
            if name == "store.tmp_tables":
                continue
            try:
                await conn.prepare(query)
            except asyncpg.PostgresError as e:  # pragma: no cover - the message is the point
                pytest.fail(f"{name}: {e}")

    def test_migrations_are_numbered_uniquely(self) -> None:
        assert [p.name[:4] for p in migration_files(MIGRATIONS_DIR)] == sorted({p.name[:4] for p in migration_files()})
