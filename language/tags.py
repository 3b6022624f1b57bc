"""Platform language tags (BCP 47 / ISO 639) to the ISO 639-1 codes `detect` reports."""

from __future__ import annotations

import re

# Legacy or three-letter codes platforms still send for the languages we care about most.
_ALIASES = {
    "in": "id",
    "ind": "id",
    "zsm": "ms",
    "msa": "ms",
    "may": "ms",
    "eng": "en",
    "jav": "jv",
    "sun": "su",
    "iw": "he",
    "ji": "yi",
    "zho": "zh",
    "chi": "zh",
    "jpn": "ja",
    "kor": "ko",
    "tha": "th",
    "vie": "vi",
    "tgl": "tl",
    "fil": "tl",
}
_TAG = re.compile(r"^[a-z]{2,3}$")


def normalise_tag(tag: str | None) -> str | None:
    """`en-US` -> `en`, `in` -> `id`, `zsm` -> `ms`; None for missing or malformed tags."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    if not _TAG.match(primary) or primary in {"und", "mul", "zxx", "mis"}:
        return None
    return _ALIASES.get(primary, primary)
