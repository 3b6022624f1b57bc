"""``create_app``: the litestar application, its lifespan and OpenAPI document."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
import httpx
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.auth import PUBLIC_PATHS, ApiKeyMiddleware
from api.controllers.audience import AudienceController, SegmentController, TargetAudienceController
from api.controllers.campaigns import CampaignController, IntegrationController
from api.controllers.content import ContentController, DisclosureController
from api.controllers.conversions import ConversionController
from api.controllers.deliverables import BriefController, DeliverableController
from api.controllers.discovery import AccountController, CrawlController
from api.controllers.fx import FxController
from api.controllers.graph import GraphController, ShortlistController
from api.controllers.health import HealthController
from api.controllers.keys import ApiKeyController, MeController
from api.controllers.listening import AnalyzeController, MonitorController
from api.controllers.outbound import OutboundWebhookController, ScheduleController, ShareLinkController
from api.controllers.payouts import LedgerController
from api.controllers.tracking import LinkCache, fast_follow, redirect_route, watch_links
from api.controllers.webhooks import WebhookController
from api.deps import provide_conn, provide_principal
from api.errors import EXCEPTION_HANDLERS
from api.inputs import check_inputs
from api.middleware import abuse_limit_middleware, options_middleware, request_id_middleware
from api.openapi import DocumentJson, LocalSwagger
from api.ratelimit import RateLimiter, parse_limits
from api.serve import first_start
from api.settings import Settings
from campaigns import repository as campaigns_repo
from campaigns.tracking import Click, ClickBuffer, parse_proxies
from discovery import worker
from discovery.netguard import guarded_client
from graph.service import SnapshotCache
from jobs import leader
from jobs import runner as jobs_runner
from jobs.handlers import HANDLERS as JOB_HANDLERS
from jobs.handlers import PERIODIC as PERIODIC_JOBS
from listening import runner as listening_runner
from outbound import runner as outbound_runner
from outbound.mailer import MailSettings
from sql.server import Database, open_database
from web import routes as web

log = logging.getLogger("sorot.api")
MAX_BODY = 1024 * 1024  # webhooks and JSON bodies over 1 MiB are refused with 413
LISTEN_TIMEOUT = 10.0  # seconds start-up waits for link change notifications to flow
LINK_LOOKUPS = 2  # /r/ cache misses querying the database at once


async def _write_clicks(pool: asyncpg.Pool, clicks: list[Click]) -> None:
    async with pool.acquire() as conn:
        await campaigns_repo.insert_clicks(conn, clicks)


def _lifespan(settings: Settings, announce: bool) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        database: Database = await asyncio.to_thread(open_database, settings.database_url, settings.home)
        try:
            pool = await asyncpg.create_pool(
                database.url,
                min_size=settings.pool_min,
                max_size=settings.pool_max,
                # Every API query gets a deadline; heavy routes raise it per transaction (api/deps.py).
                server_settings={"statement_timeout": str(int(settings.statement_timeout * 1000))},
            )
            async with pool:
                async with pool.acquire() as conn:
                    await conn.execute("SET statement_timeout = 0")  # a migration may take long
                    first = await first_start(conn)
                for line in first if announce else []:
                    print(line, flush=True)
                app.state.pool = pool
                app.state.settings = settings
                app.state.graph_cache = SnapshotCache(settings.snapshot_cache_size, settings.snapshots)
                app.state.links = LinkCache(settings.link_cache_size)
                link_watch = asyncio.create_task(watch_links(database.url, app.state.links))
                with contextlib.suppress(TimeoutError):  # serve anyway: the cache's expiry still holds
                    await asyncio.wait_for(app.state.links.listening.wait(), LISTEN_TIMEOUT)
                app.state.link_lookups = asyncio.Semaphore(LINK_LOOKUPS)
                app.state.graph_slots = asyncio.Semaphore(settings.graph_concurrency)
                app.state.limiter = RateLimiter(parse_limits(settings.rate_limits))
                app.state.proxies = parse_proxies(settings.trusted_proxies)
                async with pool.acquire() as conn:
                    app.state.salt = await campaigns_repo.visitor_salt(conn)
                app.state.clicks = ClickBuffer(partial(_write_clicks, pool))
                app.state.clicks.start()
                runner = asyncio.create_task(
                    worker.serve(
                        pool, allow_private=settings.allow_private_hosts, host_concurrency=settings.host_concurrency
                    )
                )
                job_client = guarded_client(settings.allow_private_hosts, timeout=httpx.Timeout(15.0, connect=5.0))
                job_context = jobs_runner.Context(job_client, allow_private=settings.allow_private_hosts)
                job_runner = asyncio.create_task(
                    jobs_runner.serve(pool, JOB_HANDLERS, job_context, periodic=PERIODIC_JOBS)
                )
                sender = outbound_runner.start(
                    pool, settings.base_url, MailSettings.from_env(), allow_private=settings.allow_private_hosts
                )
                # Listening streams from the platforms: one process at a time, however many serve.
                listener = asyncio.create_task(
                    leader.while_leader(
                        database.url,
                        "listening",
                        partial(listening_runner.serve, pool, allow_private=settings.allow_private_hosts),
                    )
                )
                # What start-up made lives as long as the process: out of the collector's sight, a full
                # collection scans only what requests made (it paused redirects for 100-500 ms at p99).
                gc.freeze()
                try:
                    yield
                finally:
                    await outbound_runner.stop(sender)
                    link_watch.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await link_watch
                    await app.state.clicks.stop()  # a clean stop writes every buffered click
                    runner.cancel()
                    job_runner.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await runner
                    with contextlib.suppress(asyncio.CancelledError):
                        await job_runner
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
                    await job_client.aclose()
        finally:
            await asyncio.to_thread(database.stop)

    return lifespan


class SorotApp(Litestar):
    """litestar, with the tagged-link redirect answered before its router and middleware when the link
    is cached (api/controllers/tracking.py): that path is most of the traffic and needs none of them."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/r/") and await fast_follow(self.state, scope, send):
            return
        await super().__call__(scope, receive, send)


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
            BriefController,
            DeliverableController,
            ContentController,
            DisclosureController,
            LedgerController,
            OutboundWebhookController,
            ScheduleController,
            ShareLinkController,
            web.router(),
            web.static_router(),
            AudienceController,
            SegmentController,
            TargetAudienceController,
        ],
        template_config=web.template_config(),
        lifespan=[_lifespan(settings, announce)],
        dependencies={
            "conn": Provide(provide_conn),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[
            request_id_middleware,
            DefineMiddleware(ApiKeyMiddleware, exclude=PUBLIC_PATHS + web.PUBLIC_PATHS),
            options_middleware,
            abuse_limit_middleware,
        ],
        before_request=check_inputs,
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=MAX_BODY,
        openapi_config=OpenAPIConfig(
            title="Sorot",
            version="0.1.0",
            description="Influencer discovery and campaign tracking. Authenticate with `Authorization: Bearer sk_...`.",
            path="/schema",
            render_plugins=[LocalSwagger(), DocumentJson()],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API key sk_...")}
            ),
            security=[{"bearer": []}],
        ),
    )
    return SorotApp.from_config(config)
