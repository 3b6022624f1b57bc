"""Webhook ingest: signed Shopify orders posted to a running `sorot serve`, 16 connections at once.

uv run python bench/webhooks.py [--orders 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import uuid

import asyncpg

from bench import load
from bench.common import count_rows, fresh_database, sorot_server, table
from sql import tenancy

SECRET = "bench-shopify-secret"  # noqa: S105 - a benchmark fixture


async def integration(db: str) -> str:
    conn = await asyncpg.connect(db)
    org = await tenancy.create_org(conn, f"bench-{uuid.uuid4().hex[:6]}")
    integration_id = await conn.fetchval(
        "INSERT INTO integrations (org_id, source, secret) VALUES ($1, 'shopify', $2) RETURNING id", org.id, SECRET
    )
    await conn.close()
    return f"/v1/webhooks/shopify/{integration_id}"


def order(i: int) -> bytes:
    body = json.dumps(
        {
            "id": i,
            "total_price": f"{10 + i % 90}.99",
            "currency": "EUR",
            "created_at": "2026-11-20T10:00:00Z",
            "discount_codes": [{"code": f"CODE{i % 50}"}],
            "landing_site": "/?utm_source=x",
            "note_attributes": [],
        }
    ).encode()
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with fresh_database() as db:
        path = asyncio.run(integration(db))

        def make(i: int) -> bytes:
            body = order(i)
            sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
            return load.post(
                path,
                body,
                {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": f"d{i}"},
            )

        with sorot_server(db) as port:
            r = asyncio.run(load.run("127.0.0.1", port, make, args.connections, 600, limit=args.orders))
        n = count_rows(db, "conversions")
    table(
        f"Signed Shopify order webhooks, {args.connections} connections",
        ["orders sent", "answered 200", "orders/s", "p50 ms", "p99 ms", "conversions stored"],
        [
            [
                r.requests,
                r.statuses.get(200, 0),
                f"{r.requests / r.seconds:,.0f}",
                f"{r.percentile(50):.1f}",
                f"{r.percentile(99):.1f}",
                n,
            ]
        ],
    )


if __name__ == "__main__":
    main()
