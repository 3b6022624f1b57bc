"""Who is looking at a page: the session cookie, CSRF checks and the login redirect."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from sql.errors import AppError, PermissionDeniedError
from sql.tenancy import Principal, Role
from users import service as users
from users.models import NewSession, SessionUser

COOKIE = "sorot_session"
LOGIN_CSRF_COOKIE = "sorot_login_csrf"


class LoginRequired(AppError):
    code = "login-required"


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def session_cookie(request: Request[Any, Any, Any], session: NewSession) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=session.secret,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=users.SESSION_DAYS * 86400,
    )


def clear_cookie() -> Cookie:
    return Cookie(key=COOKIE, value="", path="/", max_age=0, httponly=True, samesite="lax")


def login_csrf(request: Request[Any, Any, Any]) -> tuple[str, Cookie]:
    """A double-submit token for the login form (there is no session yet to bind it to)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    cookie = Cookie(key=LOGIN_CSRF_COOKIE, value=token, path="/", httponly=True, samesite="strict")
    return token, cookie


def check_login_csrf(request: Request[Any, Any, Any], submitted: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise PermissionDeniedError("the form expired; reload the page and try again")


async def viewer(request: Request[Any, Any, Any]) -> SessionUser:
    """The logged-in person, or a redirect to the login page."""
    secret = request.cookies.get(COOKIE, "")
    async with request.app.state.pool.acquire() as conn:
        person = await users.session_user(conn, secret)
    if person is None:
        raise LoginRequired("log in to see this page", next=request.url.path)
    return person


def check_csrf(person: SessionUser, submitted: str) -> None:
    if not hmac.compare_digest(person.csrf_token.encode(), submitted.encode()):
        raise PermissionDeniedError("the form expired or came from another site; reload the page and try again")


def require_role(person: SessionUser, *roles: Role) -> None:
    if person.role not in roles:
        raise PermissionDeniedError(f"role {person.role!r} may not do this; needs one of {', '.join(roles)}")


def as_principal(person: SessionUser) -> Principal:
    """Pages call the same services as the API, which take the caller as a Principal."""
    return Principal(key_id=person.user_id, org_id=person.org_id, org_name=person.org_name, role=person.role)


def login_redirect(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    return Redirect(f"/login?next={quote(str(exc.extra.get('next', '/app')), safe='/')}", status_code=303)
