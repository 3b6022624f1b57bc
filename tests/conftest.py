"""Test databases: one real PostgreSQL per run, a migrated template, a fresh clone per test.

With ``DATABASE_URL`` set the tests use that server (they create and drop their own
databases on it); otherwise an embedded PostgreSQL is started in a temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from sql import migrate, tenancy
from sql.server import start_embedded, with_database
from sql.tenancy import Org

TEMPLATE = f"sorot_template_{os.getpid()}"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="sorot-test-") as tmp:
        db = start_embedded(Path(tmp) / "pgdata", delete_on_stop=True)

        async def tune() -> None:
            conn = await asyncpg.connect(db.url)
            # Test data is thrown away: durability only costs time here.
            for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
                await conn.execute(f"ALTER SYSTEM SET {setting}")
            await conn.execute("SELECT pg_reload_conf()")
            await conn.close()

        asyncio.run(tune())
        try:
            yield db.url
        finally:
            db.stop()


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_url(server_url: str) -> Iterator[str]:
    async def build() -> None:
        await _admin(server_url, f"DROP DATABASE IF EXISTS {TEMPLATE}", f"CREATE DATABASE {TEMPLATE}")
        conn = await asyncpg.connect(with_database(server_url, TEMPLATE))
        await migrate(conn)
        await conn.close()

    asyncio.run(build())
    yield with_database(server_url, TEMPLATE)
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))


@pytest.fixture
async def database_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    """A database of its own for one test, cloned from the migrated template."""
    name = f"sorot_t_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield with_database(server_url, name)
    await _admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, home=tmp_path, allow_private_hosts=True, pool_min=1, pool_max=4)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    application = create_app(settings)
    async with application.lifespan():
        yield application


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sorot.test") as c:
        yield c


class Tenant:
    """An org with one key per role, and headers to call the API as each."""

    def __init__(self, org: Org, keys: dict[str, str]) -> None:
        self.org = org
        self.keys = keys

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


async def make_tenant(conn: asyncpg.Connection, name: str | None = None) -> Tenant:
    org = await tenancy.create_org(conn, name or f"org-{uuid.uuid4().hex[:8]}")
    keys = {role: (await tenancy.create_key(conn, org.id, role)).secret for role in tenancy.ROLES}
    return Tenant(org, keys)


@pytest.fixture
async def tenant(conn: asyncpg.Connection, app: Litestar) -> Tenant:
    return await make_tenant(conn, "acme")


@pytest.fixture
async def other_tenant(conn: asyncpg.Connection, app: Litestar) -> Tenant:
    return await make_tenant(conn, "globex")
