"""Which language a text is in: the shared detector (``language.detect``) with the platform's tag."""

from __future__ import annotations

from language import detect as _detect


def detect(text: str, tag: str | None = None) -> str:
    """ISO 639-1 code (``und`` when nothing could be read)."""
    return _detect(text, tag).language
