"""An audience's segments from its followers' attributes: pure arithmetic over a sample."""

from __future__ import annotations

from audience.gazetteer import Gazetteer
from audience.interests import InterestModel
from audience.models import Breakdown, InterestBreakdown, PlaceBreakdown, Share
from audience.places import SERVER_PRIOR_WEIGHT
from audience.profiles import Attributes
from audience.shares import share, tally

MIN_LANGUAGE_EVIDENCE = 3
MIN_PLACE_EVIDENCE = 5
MIN_INTEREST_EVIDENCE = 3
MAX_INTERESTS = 15


def language_breakdown(attrs: list[Attributes]) -> Breakdown:
    rows, other, unknown = tally((a.language.label for a in attrs), len(attrs), MIN_LANGUAGE_EVIDENCE)
    return Breakdown(rows, other, unknown)


def place_breakdown(attrs: list[Attributes], gazetteer: Gazetteer) -> PlaceBreakdown:
    n = len(attrs)
    places = [a.place.place for a in attrs]
    prior: dict[str, float] = {}
    for a in attrs:
        if a.place.place is None and a.place.server_country:
            prior[a.place.server_country] = prior.get(a.place.server_country, 0.0) + SERVER_PRIOR_WEIGHT

    def name(key: str) -> str:
        found = gazetteer.places.get(key)
        return found.name if found else key

    countries = tally((p.country if p else None for p in places), n, MIN_PLACE_EVIDENCE, name, prior)
    regions = tally(
        (p.region or (p.id if p.kind == "region" else None) if p else None for p in places),
        n,
        MIN_PLACE_EVIDENCE,
        name,
    )
    cities = tally((p.id if p and p.kind == "city" else None for p in places), n, MIN_PLACE_EVIDENCE, name)
    return PlaceBreakdown(
        countries=Breakdown(*countries),
        regions=Breakdown(*regions),
        cities=Breakdown(*cities),
        min_evidence=MIN_PLACE_EVIDENCE,
        from_location_field=sum(a.place.source == "location" for a in attrs),
        from_bio=sum(a.place.source == "bio" for a in attrs),
        server_prior_only=sum(a.place.source == "server" for a in attrs),
    )


def interest_breakdown(attrs: list[Attributes], model: InterestModel) -> InterestBreakdown:
    n = len(attrs)
    counts: dict[int, int] = {}
    for a in attrs:
        for k in model.clusters_of(a.tags):
            counts[k] = counts.get(k, 0) + 1
    ordered = sorted(((k, c) for k, c in counts.items() if c >= MIN_INTEREST_EVIDENCE), key=lambda kc: (-kc[1], kc[0]))
    rows: list[Share] = []
    for k, c in ordered[:MAX_INTERESTS]:
        row = share(f"i{k}", model.name(k), c, n)
        row.terms = model.terms[k][:10]
        rows.append(row)
    silent = sum(1 for a in attrs if not a.tags)
    return InterestBreakdown(rows, share("unknown", "unknown", silent, n), len(model.terms))
