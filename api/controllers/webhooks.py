"""Signed store webhooks: Shopify, WooCommerce, Stripe. Public, authenticated by signature."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from campaigns import orders
from campaigns.models import WebhookResult


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]

    @post(
        "/{source:str}/{integration_id:uuid}",
        operation_id="ReceiveWebhook",
        status_code=200,
        summary="A store's webhook delivery: 200 for anything validly signed (refunds before their order are "
        "parked, over-refunds clamped); bad signatures are 401 and store nothing",
    )
    async def receive(
        self,
        source: FromPath[Literal["shopify", "woocommerce", "stripe"]],
        integration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
    ) -> WebhookResult:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        state = request.app.state
        await state.clicks.flush()  # the order's click may still be in this process's buffer
        skew = timedelta(seconds=state.settings.clock_skew_seconds)
        return await orders.webhook(conn, integration_id, source, headers, body, skew)
