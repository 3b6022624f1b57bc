"""The background loop of a serving process: due digests and due webhook deliveries, every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from discovery.netguard import guarded_client
from outbound import mailer, service
from outbound.mailer import MailSettings

log = logging.getLogger("sorot.outbound")
INTERVAL = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


async def serve(
    pool: Any,
    base_url: str,
    mail: MailSettings,
    clock: Callable[[], datetime] = _now,
    interval: float = INTERVAL,
    allow_private: bool = False,
) -> None:
    async def send(message: EmailMessage) -> None:
        await mailer.send(mail, message)

    # Subscribers' URLs are tenants' input: deliveries go only to public addresses (discovery/netguard.py).
    async with guarded_client(allow_private, timeout=10.0) as client:
        while True:
            try:
                now = clock()
                await service.run_due(pool, now, base_url, send if mail.host else None, mail.sender)
                await service.deliver_due(pool, client, now)
            except Exception:
                log.exception("outbound round failed")
            await asyncio.sleep(interval)


def start(pool: Any, base_url: str, mail: MailSettings, allow_private: bool = False) -> asyncio.Task[None]:
    return asyncio.create_task(serve(pool, base_url, mail, allow_private=allow_private))


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
