"""What every page handler shares: the template response, the form reader, HTML error pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.response import Template

from api.errors import STATUS
from sql.errors import AppError
from users.models import SessionUser

# Pages only load what Sorot serves itself: no CDN, no inline script.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def page(name: str, person: SessionUser | None, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=name,
        context={"me": person, "nav": context.pop("nav", ""), **context},
        status_code=status,
        headers=HEADERS,
    )


async def form(request: Request[Any, Any, Any]) -> Mapping[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def error_page(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    return page("error.html", None, status=status, title="Something needs fixing", detail=exc.detail)
