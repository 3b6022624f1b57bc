"""Per-account audience attributes (language, place, hashtags), read once per snapshot."""

from __future__ import annotations

from dataclasses import dataclass

from audience.gazetteer import Place, load
from audience.languages import FollowerLanguage, language_of
from audience.places import PlaceGuess, place_of
from audience.repository import AccountText

NOTHING = PlaceGuess(None, "none")


@dataclass(frozen=True)
class Attributes:
    language: FollowerLanguage
    place: PlaceGuess
    tags: frozenset[str]

    def in_place(self, place: Place) -> bool:
        """True when the account's place is ``place`` or inside it (a city in a region or country)."""
        mine = self.place.place
        if mine is None:
            return False
        if place.kind == "country":
            return mine.country == place.id
        if place.kind == "region":
            return mine.id == place.id or mine.region == place.id
        return mine.id == place.id


EMPTY = Attributes(FollowerLanguage({}, None), NOTHING, frozenset())


def attributes_of(rows: list[AccountText]) -> dict[int, Attributes]:
    gazetteer = load()
    return {
        r.id: Attributes(
            language=language_of(r.posts, r.bio),
            place=place_of(gazetteer, r.location, r.bio, r.host),
            tags=r.tags,
        )
        for r in rows
    }
