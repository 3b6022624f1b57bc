"""Organisations (tenants) and their API keys: models and the one repository.

Tenancy sits under every domain package (each row they store carries ``org_id``), so
it lives with the SQL layer they all depend on rather than in any one domain.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from sql import Conn, Q, fetch_one
from sql.errors import ConflictError, NotFoundError, ValidationError

Role = Literal["admin", "manager", "analyst", "finance"]
ROLES: tuple[Role, ...] = ("admin", "manager", "analyst", "finance")
KEY_PREFIX = "sk_"


class Org(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    reporting_currency: str
    created_at: datetime


class ApiKey(msgspec.Struct, frozen=True):
    id: UUID
    org_id: UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKey(msgspec.Struct, frozen=True):
    """A key as created: the only time its secret is ever shown."""

    key: ApiKey
    secret: str


class Principal(msgspec.Struct, frozen=True):
    key_id: UUID
    org_id: UUID
    org_name: str
    role: Role


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> str:
    # 32 random bytes = 256 bits, well over the 128 required.
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def create_org(conn: Conn, name: str) -> Org:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("org name must be 1-200 characters", field="name")
    try:
        row = await fetch_one(conn, Q["tenancy.create_org"], name)
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"an org named {name!r} already exists") from e
    return Org(**dict(row))


async def get_org(conn: Conn, org_id: UUID) -> Org:
    row = await conn.fetchrow(Q["tenancy.get_org"], org_id)
    if row is None:
        raise NotFoundError(f"org {org_id} not found")
    return Org(**dict(row))


async def count_orgs(conn: Conn) -> int:
    return int(await conn.fetchval(Q["tenancy.count_orgs"]))


async def create_key(conn: Conn, org_id: UUID, role: str, name: str = "") -> NewApiKey:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
    secret = new_secret()
    try:
        row = await fetch_one(conn, Q["tenancy.create_key"], org_id, name, secret[:10], hash_secret(secret), role)
    except asyncpg.ForeignKeyViolationError as e:
        raise NotFoundError(f"org {org_id} not found") from e
    return NewApiKey(key=ApiKey(**dict(row)), secret=secret)


async def list_keys(conn: Conn, org_id: UUID) -> list[ApiKey]:
    return [ApiKey(**dict(r)) for r in await conn.fetch(Q["tenancy.list_keys"], org_id)]


async def revoke_key(conn: Conn, org_id: UUID, key_id: UUID) -> ApiKey:
    row = await conn.fetchrow(Q["tenancy.revoke_key"], org_id, key_id)
    if row is None:
        raise NotFoundError(f"api key {key_id} not found")
    return ApiKey(**dict(row))


async def authenticate(conn: Conn, secret: str) -> Principal | None:
    if not secret.startswith(KEY_PREFIX):
        return None
    row = await conn.fetchrow(Q["tenancy.authenticate"], hash_secret(secret))
    if row is None:
        return None
    return Principal(key_id=row["id"], org_id=row["org_id"], org_name=row["org_name"], role=row["role"])


async def bootstrap(conn: Conn) -> NewApiKey | None:
    """On an empty database, create org ``default`` with an admin key (shown once)."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE orgs IN SHARE ROW EXCLUSIVE MODE")
        if await count_orgs(conn):
            return None
        org = await create_org(conn, "default")
        return await create_key(conn, org.id, "admin", name="bootstrap")


async def org_id_by_name(conn: Conn, name: str) -> UUID:
    org_id: UUID | None = await conn.fetchval(Q["tenancy.org_by_name"], name)
    if org_id is None:
        raise NotFoundError(f"no org named {name!r}; pass --org, or start `sorot serve` once to create 'default'")
    return org_id
