"""Rules for people: who may log in, for how long, how often they may fail, and invitations."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sql import Conn
from sql.errors import AppError, AuthenticationError, NotFoundError, ValidationError
from sql.tenancy import ROLES
from users import passwords
from users import repository as repo
from users.models import NewInvitation, NewSession, SessionUser, User

SESSION_DAYS = 14
INVITATION_DAYS = 7
# Throttling: this many failures in the window lock an email (or a client address, which
# covers spraying many emails from one place) until the oldest failure leaves the window.
WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class ThrottledError(AppError):
    code = "too-many-requests"


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _email(email: str) -> str:
    email = email.strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationError("email must look like name@example.com", field="email")
    return email


def _password(password: str) -> str:
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise ValidationError(
            f"password must be {passwords.MIN_LENGTH}-{passwords.MAX_LENGTH} characters", field="password"
        )
    return password


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
    return role


async def create_user(conn: Conn, org_id: UUID, email: str, password: str, role: str) -> User:
    return await repo.create_user(
        conn, org_id, _email(email), passwords.hash_password(_password(password)), _role(role)
    )


def new_password() -> str:
    return secrets.token_urlsafe(15)


async def login(conn: Conn, email: str, password: str, client: str) -> NewSession:
    """Check the password (throttled per email and per client) and open a session."""
    by_email, by_client = await repo.recent_login_failures(conn, email, client, WINDOW_SECONDS)
    if by_email >= MAX_FAILURES_PER_EMAIL or by_client >= MAX_FAILURES_PER_CLIENT:
        raise ThrottledError("too many failed logins; try again in 15 minutes", retry_after=WINDOW_SECONDS)
    found = await repo.user_for_login(conn, email.strip())
    matches = passwords.verify_password(found[1] if found else None, password)  # hashes even when unknown
    if found is None or not matches:
        await repo.record_login_failure(conn, email.strip(), client)
        raise AuthenticationError("wrong email or password")
    user, stored = found
    if passwords.needs_rehash(stored):
        await repo.set_password_hash(conn, user.id, passwords.hash_password(password))
    await repo.clear_login_failures(conn, user.email)
    return await open_session(conn, user.id)


async def open_session(conn: Conn, user_id: UUID) -> NewSession:
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=SESSION_DAYS)
    await repo.create_session(conn, _hash(secret), user_id, csrf, expires)
    person = await repo.session_user(conn, _hash(secret))
    if person is None:
        raise NotFoundError("user not found")
    return NewSession(secret=secret, user=person, expires_at=expires)


async def session_user(conn: Conn, secret: str) -> SessionUser | None:
    if not secret or len(secret) > 100:
        return None
    return await repo.session_user(conn, _hash(secret))


async def list_users(conn: Conn, org_id: UUID) -> list[User]:
    return await repo.list_users(conn, org_id)


async def logout(conn: Conn, secret: str) -> None:
    await repo.revoke_session(conn, _hash(secret))


async def logout_everywhere(conn: Conn, user_id: UUID) -> None:
    await repo.revoke_user_sessions(conn, user_id)


async def invite(conn: Conn, org_id: UUID, email: str, role: str, invited_by: UUID | None) -> NewInvitation:
    secret = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=INVITATION_DAYS)
    email, role = _email(email), _role(role)
    await repo.create_invitation(conn, _hash(secret), org_id, email, role, invited_by, expires)
    return NewInvitation(secret=secret, email=email, role=role, expires_at=expires)  # type: ignore[arg-type]


async def accept_invitation(conn: Conn, secret: str, password: str) -> NewSession:
    _password(password)
    taken = await repo.take_invitation(conn, _hash(secret))
    if taken is None:
        raise NotFoundError("this invitation is unknown, used or expired")
    org_id, email, role = taken
    user = await create_user(conn, org_id, email, password, role)
    return await open_session(conn, user.id)


async def bootstrap_admin(conn: Conn, org_id: UUID) -> tuple[str, str] | None:
    """On a database with no users, the first admin of ``org_id``: (email, password), shown once."""
    async with conn.transaction():
        await conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
        if await repo.count_users(conn):
            return None
        password = new_password()
        user = await create_user(conn, org_id, "admin@sorot.local", password, "admin")
        return user.email, password
