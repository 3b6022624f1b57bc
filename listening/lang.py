"""Which language a text is in: the shared ``language`` detector when it is installed, else the platform tag."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

UNDETERMINED = "und"
_ALIASES = {"in": "id", "ind": "id", "zsm": "ms", "msa": "ms", "may": "ms", "eng": "en"}


def from_tag(tag: str | None) -> str:
    if not tag:
        return UNDETERMINED
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return _ALIASES.get(primary, primary) or UNDETERMINED


@functools.cache
def _detector() -> Callable[[str, str | None], Any] | None:
    try:
        module = importlib.import_module("language")
    except ImportError:
        return None
    found = getattr(module, "detect", None)
    return found if callable(found) else None


def detect(text: str, tag: str | None = None) -> str:
    detector = _detector()
    if detector is None:
        return from_tag(tag)
    return str(detector(text, tag).language)
