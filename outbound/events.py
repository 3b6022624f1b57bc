"""Recording outbound events from any domain: one call, inside the caller's transaction.

Kept apart from ``outbound.service`` (which reads campaigns for digests) so campaigns,
discovery and listening can emit without importing what imports them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from outbound import repository as repo
from outbound.models import EVENT_TYPES
from sql import Conn


async def emit(conn: Conn, org_id: UUID, event_type: str, data: dict[str, Any]) -> UUID:
    """Record an event; it is delivered only if the caller's work commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    return await repo.insert_event(conn, org_id, event_type, {"type": event_type, "data": data})
