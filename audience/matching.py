"""Which accounts match audience attributes, and a creator's audience shares of them: shared by the
ranking filters and by segments used as targets."""

from __future__ import annotations

from dataclasses import dataclass

from audience.gazetteer import Place, load, resolve
from audience.interests import InterestModel
from audience.profiles import Attributes
from sql.errors import ValidationError


@dataclass(frozen=True)
class Criterion:
    """One attribute value: a language code, a place, or an interest (a cluster, or a lone hashtag)."""

    kind: str  # "languages", "places" or "interests"
    key: str
    place: Place | None = None
    cluster: int | None = None

    def matches(self, a: Attributes, model: InterestModel) -> bool:
        if self.kind == "languages":
            return a.language.label == self.key
        if self.kind == "places":
            return self.place is not None and a.in_place(self.place)
        if self.cluster is not None:
            return self.cluster in model.clusters_of(a.tags)
        return self.key in a.tags


def criterion(kind: str, key: str, model: InterestModel, field: str) -> Criterion:
    if kind == "languages":
        code = key.strip().lower()
        if not (2 <= len(code) <= 3 and code.isalpha()) and code != "other":
            raise ValidationError(f"{key!r} is not a language code (ISO 639-1, e.g. id, ms, en)", field=field)
        return Criterion(kind, code)
    if kind == "places":
        place = resolve(load(), key)
        if place is None:
            raise ValidationError(f"unknown place {key!r}: use a gazetteer id (ID:jakarta, MY) or name", field=field)
        return Criterion(kind, key, place=place)
    tag = key.strip().lower().lstrip("#")
    if not tag:
        raise ValidationError("an interest is a hashtag", field=field)
    return Criterion(kind, tag, cluster=model.find(tag))


def share_matching(attrs: list[Attributes], c: Criterion, model: InterestModel) -> float:
    return sum(c.matches(a, model) for a in attrs) / len(attrs) if attrs else 0.0
