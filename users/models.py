"""Users, sessions and invitations as the rest of Sorot sees them (never a hash or a secret)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from sql.tenancy import Role


class User(msgspec.Struct, frozen=True):
    id: UUID
    org_id: UUID
    email: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None


class SessionUser(msgspec.Struct, frozen=True):
    """The person behind a live web session, with the org they act in."""

    user_id: UUID
    org_id: UUID
    org_name: str
    email: str
    role: Role
    csrf_token: str


class NewSession(msgspec.Struct, frozen=True):
    secret: str  # goes in the cookie; only its hash is stored
    user: SessionUser
    expires_at: datetime


class NewInvitation(msgspec.Struct, frozen=True):
    secret: str
    email: str
    role: Role
    expires_at: datetime
