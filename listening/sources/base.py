"""The one interface every listening source follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from discovery.netguard import check_url_host as check_host
from listening.models import Batch, Seen


class Source(Protocol):
    def run(self, cursor: str | None) -> AsyncIterator[Batch]:
        """Backfill when ``cursor`` is None, then follow new posts forever, each batch with its cursor."""
        ...

    async def resolve(self, seen: list[Seen]) -> list[Seen]:
        """Fill in authors a stream named only by id (and their opt-outs); others come back as they are."""
        ...


def later(a: str | None, b: str | None) -> str | None:
    """The later of two cursors: numeric ids compare as numbers, timestamps as text."""
    if a is None or b is None:
        return a or b
    if a.isdigit() and b.isdigit():
        return a if int(a) >= int(b) else b
    return max(a, b)


def check_url(url: str, allow_private: bool) -> None:
    """The crawler's host check (no private addresses unless allowed), for http(s) and ws(s) URLs alike."""
    if url.startswith(("ws://", "wss://")):
        url = "http" + url[2:]
    check_host(url, allow_private)
