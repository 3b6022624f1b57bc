"""Where one account is: its profile location field, else its bio; its server's country as a weak prior only."""

from __future__ import annotations

from dataclasses import dataclass

from audience.gazetteer import Gazetteer, Place, find

# Country-code top-level domains of servers whose users mostly live there. A server's locality says
# little about one person (a .id server has expatriates, a .social server has everyone), so it only
# ever contributes this fraction of a follower to a country, never a city, and never makes a place
# reportable on its own.
SERVER_PRIOR_WEIGHT = 0.25
_CCTLD = {"id": "ID", "my": "MY", "sg": "SG", "bn": "BN", "th": "TH", "ph": "PH", "vn": "VN", "au": "AU", "jp": "JP"}


@dataclass(frozen=True)
class PlaceGuess:
    place: Place | None  # from text: location field or bio
    source: str  # "location", "bio", "server" or "none"
    server_country: str | None = None  # the weak prior, when there is no text evidence


def server_country(host: str) -> str | None:
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    return _CCTLD.get(tld)


def place_of(gazetteer: Gazetteer, location: str | None, bio: str | None, host: str) -> PlaceGuess:
    if location and (place := find(gazetteer, location, location_field=True)):
        return PlaceGuess(place, "location")
    if bio and (place := find(gazetteer, bio)):
        return PlaceGuess(place, "bio")
    country = server_country(host)
    return PlaceGuess(None, "server" if country else "none", country)
