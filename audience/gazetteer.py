"""The shipped gazetteer (data/places.tsv): places and the names people write for them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "places.tsv"
MAX_ALIAS_TOKENS = 4
KIND_RANK = {"city": 0, "region": 1, "country": 2}  # more specific wins
_TOKEN = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*|[\U0001F1E6-\U0001F1FF]{2}")


@dataclass(frozen=True)
class Place:
    id: str
    kind: str  # city, region or country
    name: str
    country: str  # ISO 3166-1 alpha-2
    region: str  # ISO 3166-2 code of the province/state, or ""


@dataclass(frozen=True)
class Gazetteer:
    places: dict[str, Place]
    aliases: dict[tuple[str, ...], str]  # lower-case tokens -> place id
    ambiguous: frozenset[tuple[str, ...]]  # common words too: matched only when capitalised or in a location field

    def country_name(self, code: str) -> str:
        place = self.places.get(code)
        return place.name if place else code


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@functools.cache
def load(path: Path = DATA) -> Gazetteer:
    places: dict[str, Place] = {}
    aliases: dict[tuple[str, ...], str] = {}
    ambiguous: set[tuple[str, ...]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        pid, kind, name, country, region, names = line.split("\t")
        places[pid] = Place(pid, kind, name, country, region)
        for alias in [name.lower(), *names.split(";")]:
            loose = alias.startswith("!")
            key = tuple(t.lower() for t in tokens(alias.lstrip("!")))
            if not key or len(key) > MAX_ALIAS_TOKENS:
                continue
            if loose:
                ambiguous.add(key)
            elif key in ambiguous and key not in aliases:
                ambiguous.discard(key)
            # A name listed under two places (a city named after its province) means the more specific one.
            current = aliases.get(key)
            if current is None or KIND_RANK[kind] < KIND_RANK[places[current].kind]:
                aliases[key] = pid
    return Gazetteer(places, aliases, frozenset(ambiguous))


def _written_as_name(original: list[str]) -> bool:
    """An ambiguous alias counts only written as a name: `Malang`, `KL` (not `malang`, `kl`)."""
    if len(original) == 1 and len(original[0]) <= 3:
        return original[0].isupper()
    return all(t[:1].isupper() for t in original)


_CUES = frozenset(
    {"di", "in", "from", "dari", "asal", "based", "at", "kat", "near", "dekat", "lives", "living", "tinggal"}
)


def _accept_ambiguous(original: list[str], start: int, size: int, location_field: bool) -> bool:
    """An ambiguous alias counts only written as a name (`Malang`, `KL`, not `malang`, `kl`) and, in free
    text, after a place cue (`di Malang`, `based in KL`) or after the first word (not `Solo traveller`)."""
    span = original[start : start + size]
    short_code = len(span) == 1 and len(span[0]) <= 3
    if location_field and not short_code:
        return True
    if not _written_as_name(span):
        return False
    return location_field or (start > 0 and original[start - 1].lower() in _CUES) or (start > 0 and short_code)


def find(gazetteer: Gazetteer, text: str, *, location_field: bool = False) -> Place | None:
    """The most specific place named in the text (earliest on ties), or None."""
    original = tokens(text)
    lowered = [t.lower() for t in original]
    best: tuple[int, int] | None = None
    best_id = ""
    for start in range(len(lowered)):
        for size in range(min(MAX_ALIAS_TOKENS, len(lowered) - start), 0, -1):
            key = tuple(lowered[start : start + size])
            pid = gazetteer.aliases.get(key)
            if pid is None:
                continue
            if key in gazetteer.ambiguous and not _accept_ambiguous(original, start, size, location_field):
                continue
            rank = (KIND_RANK[gazetteer.places[pid].kind], start)
            if best is None or rank < best:
                best, best_id = rank, pid
            break  # the longest alias at this position wins
    return gazetteer.places[best_id] if best is not None else None


def resolve(gazetteer: Gazetteer, key: str) -> Place | None:
    """A place by id (`ID:jakarta`, `ID-JK`, `MY`) or by a name people write for it (`Jakarta`, `KL`)."""
    if key in gazetteer.places:
        return gazetteer.places[key]
    if key.upper() in gazetteer.places:
        return gazetteer.places[key.upper()]
    pid = gazetteer.aliases.get(tuple(t.lower() for t in tokens(key)))
    return gazetteer.places[pid] if pid else None
