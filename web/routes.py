"""The web app's routes, templates and static assets, mounted by ``api.app.create_app``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from sql.errors import AppError
from web.pages.auth import LoginPages
from web.pages.campaigns import CampaignPages, SharedReportPage
from web.pages.common import error_page
from web.pages.discover import DiscoverPages
from web.pages.listening import ListeningPages
from web.session import LoginRequired, login_redirect

HERE = Path(__file__).parent
# Paths the API key middleware leaves alone: pages check their own session cookie.
PUBLIC_PATHS = ["^/app", "^/login$", "^/logout$", "^/invite/", "^/share/", "^/static/"]


def template_config() -> TemplateConfig[Any]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def router() -> Router:
    return Router(
        path="/",
        route_handlers=[LoginPages, CampaignPages, SharedReportPage, DiscoverPages, ListeningPages],
        exception_handlers={LoginRequired: login_redirect, AppError: error_page},
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False)
