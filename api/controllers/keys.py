"""API keys of the caller's org, and who the caller is."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.auth import ADMIN
from sql import tenancy
from sql.tenancy import ApiKey, Principal, Role


class CreateKey(msgspec.Struct, forbid_unknown_fields=True):
    role: Role
    name: str = msgspec.field(default="")


class CreatedKey(msgspec.Struct):
    id: UUID
    role: Role
    name: str
    created_at: datetime
    secret: str = msgspec.field(name="key")


class Me(msgspec.Struct):
    org_id: UUID
    org_name: str
    role: Role
    key_id: UUID


class ApiKeyController(Controller):
    path = "/v1/api-keys"
    tags = ["auth"]
    guards = [ADMIN]

    @post("/", operation_id="CreateApiKey", summary="Create a key; its secret is shown only in this answer")
    async def create(
        self,
        data: JSONBody[CreateKey],
        conn: NamedDependency[asyncpg.Connection],
        principal: NamedDependency[Principal],
    ) -> CreatedKey:
        made = await tenancy.create_key(conn, principal.org_id, data.role, data.name[:200])
        return CreatedKey(
            id=made.key.id, role=made.key.role, name=made.key.name, created_at=made.key.created_at, secret=made.secret
        )

    @get("/", operation_id="ListApiKeys", summary="Keys of the caller's org (never their secrets)")
    async def list_keys(
        self, conn: NamedDependency[asyncpg.Connection], principal: NamedDependency[Principal]
    ) -> list[ApiKey]:
        return await tenancy.list_keys(conn, principal.org_id)

    @delete("/{key_id:uuid}", operation_id="RevokeApiKey", summary="Revoke a key", status_code=200)
    async def revoke(
        self, key_id: FromPath[UUID], conn: NamedDependency[asyncpg.Connection], principal: NamedDependency[Principal]
    ) -> ApiKey:
        return await tenancy.revoke_key(conn, principal.org_id, key_id)


class MeController(Controller):
    path = "/v1/me"
    tags = ["auth"]

    @get("/", operation_id="GetMe", summary="The org and role of the calling key")
    async def me(self, principal: NamedDependency[Principal]) -> Me:
        return Me(org_id=principal.org_id, org_name=principal.org_name, role=principal.role, key_id=principal.key_id)
