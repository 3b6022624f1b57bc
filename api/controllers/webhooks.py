"""Signed store webhooks: Shopify, WooCommerce, Stripe. Public, authenticated by signature."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from campaigns import service


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]

    @post(
        "/{source:str}/{integration_id:uuid}",
        operation_id="ReceiveWebhook",
        status_code=200,
        summary="A store's webhook delivery; bad signatures are 401 and store nothing",
    )
    async def receive(
        self,
        source: FromPath[Literal["shopify", "woocommerce", "stripe"]],
        integration_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        conn: NamedDependency[asyncpg.Connection],
    ) -> dict[str, str]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        await request.app.state.clicks.flush()  # the order's click may still be in this process's buffer
        return {"result": await service.webhook(conn, integration_id, source, headers, body)}
