"""Standard Webhooks signatures (https://www.standardwebhooks.com): id, timestamp and an HMAC-SHA256.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the key is the base64 part
of a ``whsec_...`` secret; the signature header is ``v1,<base64>`` (space-separated when several).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secret: str, msg_id: str, timestamp: str, signature_header: str, body: bytes, now: int) -> bool:
    """What a receiver does; used by our tests' receiver and documented for integrators."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    expected = sign(secret, msg_id, int(timestamp), body).encode()
    return any(hmac.compare_digest(expected, part.encode()) for part in signature_header.split())
