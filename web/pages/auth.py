"""Login, logout (here or everywhere), invitations and the org's people."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from sql.errors import AuthenticationError
from users import service as users
from web.pages.common import form, page
from web.session import (
    check_csrf,
    check_login_csrf,
    clear_cookie,
    login_csrf,
    require_role,
    session_cookie,
    viewer,
)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would hand the session's trust elsewhere.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app"


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class LoginPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request[Any, Any, Any], next: str | None = None) -> Template:
        token, cookie = login_csrf(request)
        response = page("login.html", None, title="Log in", csrf=token, next=_safe_next(next), error=None)
        response.cookies.append(cookie)
        return response

    @post("/login", status_code=303)
    async def login(self, request: Request[Any, Any, Any]) -> Any:
        values = await form(request)
        check_login_csrf(request, values.get("csrf_token", ""))
        async with request.app.state.pool.acquire() as conn:
            try:
                session = await users.login(conn, values.get("email", ""), values.get("password", ""), _client(request))
            except users.ThrottledError as e:
                token, _ = login_csrf(request)
                return page("login.html", None, status=429, title="Log in", csrf=token, next="/app", error=e.detail)
            except AuthenticationError as e:
                token, _ = login_csrf(request)
                nxt = _safe_next(values.get("next"))
                return page("login.html", None, status=401, title="Log in", csrf=token, next=nxt, error=e.detail)
        response = Redirect(_safe_next(values.get("next")), status_code=303)
        response.cookies.append(session_cookie(request, session))
        return response

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        person = await viewer(request)
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        async with request.app.state.pool.acquire() as conn:
            if values.get("everywhere"):
                await users.logout_everywhere(conn, person.user_id)
            else:
                await users.logout(conn, request.cookies.get("sorot_session", ""))
        response = Redirect("/login", status_code=303)
        response.cookies.append(clear_cookie())
        return response

    @get("/invite/{token:str}")
    async def invitation(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        csrf, cookie = login_csrf(request)
        response = page("invite.html", None, title="Join Sorot", token=token, csrf=csrf, error=None)
        response.cookies.append(cookie)
        return response

    @post("/invite/{token:str}", status_code=303)
    async def accept(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Redirect:
        values = await form(request)
        check_login_csrf(request, values.get("csrf_token", ""))
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            session = await users.accept_invitation(conn, token, values.get("password", ""))
        response = Redirect("/app", status_code=303)
        response.cookies.append(session_cookie(request, session))
        return response

    @get("/app/people")
    async def people(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        require_role(person, "admin")
        async with request.app.state.pool.acquire() as conn:
            found = await users.list_users(conn, person.org_id)
        return page("people.html", person, title="People", nav="people", users=found, invitation=None)

    @post("/app/people/invite")
    async def invite(self, request: Request[Any, Any, Any]) -> Template:
        person = await viewer(request)
        require_role(person, "admin")
        values = await form(request)
        check_csrf(person, values.get("csrf_token", ""))
        async with request.app.state.pool.acquire() as conn:
            made = await users.invite(
                conn, person.org_id, values.get("email", ""), values.get("role", ""), person.user_id
            )
            found = await users.list_users(conn, person.org_id)
        link = f"{request.base_url}invite/{made.secret}"
        return page("people.html", person, title="People", nav="people", users=found, invitation=link)
