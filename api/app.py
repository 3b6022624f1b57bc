"""``create_app``: the litestar application, its lifespan and OpenAPI document."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api.auth import PUBLIC_PATHS, ApiKeyMiddleware
from api.controllers.campaigns import CampaignController, ConversionController, FxController, IntegrationController
from api.controllers.discovery import AccountController, CrawlController
from api.controllers.graph import GraphController, ShortlistController
from api.controllers.health import HealthController
from api.controllers.keys import ApiKeyController, MeController
from api.controllers.listening import AnalyzeController, MonitorController
from api.controllers.tracking import redirect_route
from api.controllers.webhooks import WebhookController
from api.deps import provide_conn, provide_principal
from api.errors import EXCEPTION_HANDLERS
from api.middleware import request_id_middleware
from api.settings import Settings
from campaigns import repository as campaigns_repo
from campaigns.tracking import Click, ClickBuffer
from discovery import worker
from graph.service import SnapshotCache
from listening import runner as listening_runner
from sql import migrate, tenancy
from sql.server import Database, open_database

log = logging.getLogger("sorot.api")
MAX_BODY = 1024 * 1024  # webhooks and JSON bodies over 1 MiB are refused with 413


async def _write_clicks(pool: asyncpg.Pool, clicks: list[Click]) -> None:
    async with pool.acquire() as conn:
        await campaigns_repo.insert_clicks(conn, clicks)


def _lifespan(settings: Settings, announce: bool) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database: Database = await asyncio.to_thread(open_database, settings.database_url, settings.home)
        try:
            pool = await asyncpg.create_pool(database.url, min_size=settings.pool_min, max_size=settings.pool_max)
            async with pool:
                async with pool.acquire() as conn:
                    await migrate(conn)
                    first_key = await tenancy.bootstrap(conn)
                if first_key is not None and announce:
                    print(
                        f"Created org 'default'. Admin API key (shown once, keep it): {first_key.secret}",
                        flush=True,
                    )
                app.state.pool = pool
                app.state.settings = settings
                app.state.graph_cache = SnapshotCache()
                app.state.links = {}
                async with pool.acquire() as conn:
                    app.state.salt = await campaigns_repo.visitor_salt(conn)
                app.state.clicks = ClickBuffer(partial(_write_clicks, pool))
                app.state.clicks.start()
                runner = asyncio.create_task(worker.serve(pool, allow_private=settings.allow_private_hosts))
                listener = asyncio.create_task(listening_runner.serve(pool, allow_private=settings.allow_private_hosts))
                if announce:
                    print(f"Sorot is serving on {settings.base_url} (API docs: {settings.base_url}/schema)", flush=True)
                try:
                    yield
                finally:
                    await app.state.clicks.stop()  # a clean stop writes every buffered click
                    runner.cancel()
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await runner
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
        finally:
            await asyncio.to_thread(database.stop)

    return lifespan


def create_app(settings: Settings | None = None, *, announce: bool = False) -> Litestar:
    settings = settings or Settings.from_env()
    config = AppConfig(
        route_handlers=[
            HealthController,
            ApiKeyController,
            MeController,
            CrawlController,
            AccountController,
            GraphController,
            CampaignController,
            ConversionController,
            IntegrationController,
            FxController,
            redirect_route(),
            WebhookController,
            ShortlistController,
            MonitorController,
            AnalyzeController,
        ],
        lifespan=[_lifespan(settings, announce)],
        dependencies={
            "conn": Provide(provide_conn),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[
            request_id_middleware,
            DefineMiddleware(ApiKeyMiddleware, exclude=PUBLIC_PATHS),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            title="Sorot",
            version="0.1.0",
            description="Influencer discovery and campaign tracking. Authenticate with `Authorization: Bearer sk_...`.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API key sk_...")}
            ),
            security=[{"bearer": []}],
        ),
    )
    return Litestar.from_config(config)
