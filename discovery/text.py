"""Small text helpers the platform parsers share."""

from __future__ import annotations

import html
import re
from datetime import datetime

_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<\s*(br|/p)\s*/?>", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w/])#(\w+)")
DEFAULT_AVATAR_HINTS = ("missing.png", "default_avatar", "/avatars/original/missing")


def strip_html(value: str | None) -> str:
    if not value:
        return ""
    return html.unescape(_TAG.sub("", _BR.sub("\n", value))).strip()


def hashtags_in(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.lower() for t in _HASHTAG.findall(text)))


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_default_avatar(url: str | None) -> bool:
    return not url or any(h in url for h in DEFAULT_AVATAR_HINTS)


def as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
