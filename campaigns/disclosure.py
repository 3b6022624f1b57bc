"""Disclosure compliance of a tracked post: pure checks of its caption against the brief and the org's markers.

A marker starting with ``#`` is a hashtag and matches only that whole hashtag (``#ad`` is not found in
``#adventure``); any other marker is a phrase matched on word boundaries, case- and accent-width-insensitively,
with any run of spaces (``kerja sama berbayar`` matches ``Kerja  Sama Berbayar``), and also as a hashtag
written without spaces (``#kerjasamaberbayar``). A platform's own paid-partnership label counts as disclosure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

import msgspec

# Defaults (English, Indonesian, Malay); an org replaces them with its own list.
DEFAULT_MARKERS: tuple[str, ...] = (
    "#ad",
    "#iklan",
    "#sponsored",
    "#endorse",
    "#paidpartnership",
    "#kerjasama",
    "paid partnership",
    "kerja sama berbayar",
    "tajaan",
    "ditaja",
)
_HASHTAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@([\w.]+(?:@[\w.-]+)?)")


class Finding(msgspec.Struct):
    code: str  # missing_disclosure | missing_hashtag | missing_mention | outside_window
    detail: str


class Brief(msgspec.Struct):
    required_hashtags: list[str] = []
    required_mentions: list[str] = []
    disclosure_required: bool = True


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def hashtags(text: str) -> set[str]:
    return {m.group(1) for m in _HASHTAG.finditer(norm(text))}


def mentions(text: str) -> set[str]:
    found = set()
    for m in _MENTION.finditer(norm(text)):
        handle = m.group(1).rstrip(".")
        found.add(handle)
        found.add(handle.split("@")[0])
    return found


def clean_marker(marker: str) -> str:
    m = " ".join(norm(marker).split())
    return m


def _phrase(marker: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in marker.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def disclosed(text: str, markers: Iterable[str], paid_label: bool = False) -> bool:
    if paid_label:
        return True
    body, tags = norm(text), hashtags(text)
    for marker in (clean_marker(m) for m in markers):
        if marker.startswith("#"):
            if marker[1:] in tags:
                return True
        elif _phrase(marker).search(body) or marker.replace(" ", "") in tags:
            return True
    return False


def check(
    text: str,
    brief: Brief,
    markers: Iterable[str],
    *,
    paid_label: bool = False,
    posted_at: datetime | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> list[Finding]:
    """Every way the post falls short of the brief; an empty list means compliant."""
    markers = list(markers)
    findings: list[Finding] = []
    if brief.disclosure_required and not disclosed(text, markers, paid_label):
        findings.append(Finding("missing_disclosure", f"none of the disclosure markers: {', '.join(markers)}"))
    tags, handles = hashtags(text), mentions(text)
    for tag in brief.required_hashtags:
        if norm(tag).lstrip("#") not in tags:
            findings.append(Finding("missing_hashtag", f"required hashtag #{norm(tag).lstrip('#')} is missing"))
    for handle in brief.required_mentions:
        if norm(handle).lstrip("@") not in handles:
            findings.append(Finding("missing_mention", f"required mention @{norm(handle).lstrip('@')} is missing"))
    if posted_at is not None and (
        (starts_at is not None and posted_at < starts_at) or (ends_at is not None and posted_at > ends_at)
    ):
        findings.append(Finding("outside_window", f"posted {posted_at.isoformat()}, outside the campaign's dates"))
    return findings
