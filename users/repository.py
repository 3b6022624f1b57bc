"""SQL for users, sessions, invitations and login failures."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from sql import Conn, Q, fetch_one
from sql.errors import ConflictError, NotFoundError
from users.models import SessionUser, User


async def create_user(conn: Conn, org_id: UUID, email: str, password_hash: str, role: str) -> User:
    try:
        row = await fetch_one(conn, Q["users.create_user"], org_id, email, password_hash, role)
    except asyncpg.UniqueViolationError as e:
        raise ConflictError(f"a user with email {email!r} already exists") from e
    except asyncpg.ForeignKeyViolationError as e:
        raise NotFoundError(f"org {org_id} not found") from e
    return User(**dict(row))


async def user_for_login(conn: Conn, email: str) -> tuple[User, str] | None:
    row = await conn.fetchrow(Q["users.user_for_login"], email)
    if row is None:
        return None
    values: dict[str, Any] = dict(row)
    password_hash = values.pop("password_hash")
    return User(**values), password_hash


async def set_password_hash(conn: Conn, user_id: UUID, password_hash: str) -> None:
    await conn.execute(Q["users.set_password_hash"], user_id, password_hash)


async def list_users(conn: Conn, org_id: UUID) -> list[User]:
    return [User(**dict(r)) for r in await conn.fetch(Q["users.list_users"], org_id)]


async def count_users(conn: Conn) -> int:
    return int(await conn.fetchval(Q["users.count_users"]))


async def create_session(conn: Conn, id_hash: bytes, user_id: UUID, csrf: str, expires_at: datetime) -> None:
    await conn.execute(Q["users.create_session"], id_hash, user_id, csrf, expires_at)


async def session_user(conn: Conn, id_hash: bytes) -> SessionUser | None:
    row = await conn.fetchrow(Q["users.session_user"], id_hash)
    return SessionUser(**dict(row)) if row is not None else None


async def revoke_session(conn: Conn, id_hash: bytes) -> None:
    await conn.execute(Q["users.revoke_session"], id_hash)


async def revoke_user_sessions(conn: Conn, user_id: UUID) -> None:
    await conn.execute(Q["users.revoke_user_sessions"], user_id)


async def record_login_failure(conn: Conn, email: str, client: str) -> None:
    await conn.execute(Q["users.record_login_failure"], email[:254], client)


async def recent_login_failures(conn: Conn, email: str, client: str, seconds: float) -> tuple[int, int]:
    row = await fetch_one(conn, Q["users.recent_login_failures"], email[:254], client, seconds)
    return int(row["by_email"]), int(row["by_client"])


async def clear_login_failures(conn: Conn, email: str) -> None:
    await conn.execute(Q["users.clear_login_failures"], email)


async def create_invitation(
    conn: Conn, token_hash: bytes, org_id: UUID, email: str, role: str, invited_by: UUID | None, expires_at: datetime
) -> None:
    await conn.execute(Q["users.create_invitation"], token_hash, org_id, email, role, invited_by, expires_at)


async def take_invitation(conn: Conn, token_hash: bytes) -> tuple[UUID, str, str] | None:
    row = await conn.fetchrow(Q["users.take_invitation"], token_hash)
    return (row["org_id"], row["email"], row["role"]) if row is not None else None
