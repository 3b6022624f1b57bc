"""Bearer API keys: the authentication middleware and one guard per role set."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from sql import tenancy
from sql.tenancy import Principal, Role

# Paths anyone may call: probes, API docs, the public redirect (a mount on every path starting
# with "/r"; it answers 404 to anything but /r/{slug}) and signed webhooks.
PUBLIC_PATHS = ["^/healthz$", "^/readyz$", "^/schema", "^/r", "^/v1/webhooks/"]
_PUBLIC = re.compile("|".join(PUBLIC_PATHS))


def is_public(path: str) -> bool:
    """Whether a path (or path template) is served without an API key."""
    return bool(_PUBLIC.match(path))


class ApiKeyMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthorizedException("missing API key: send 'Authorization: Bearer sk_...'")
        async with connection.app.state.pool.acquire() as conn:
            principal = await tenancy.authenticate(conn, secret.strip())
        if principal is None:
            raise NotAuthorizedException("invalid or revoked API key")
        return AuthenticationResult(user=principal, auth=principal)


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def requires(*roles: Role) -> Guard:
    """A guard letting through only callers whose key has one of ``roles``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in roles:
            raise PermissionDeniedException(f"role {principal.role!r} may not do this; needs one of {', '.join(roles)}")

    return guard


ADMIN = requires("admin")
WRITERS = requires("admin", "manager")
READERS = requires("admin", "manager", "analyst")
REPORTS = requires("admin", "manager", "analyst", "finance")
