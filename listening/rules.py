"""Monitor rules: which posts mention a brand or a competitor, and by which term.

A subject (the brand, or one competitor) has terms in three lists: ``any`` (at least one must
match, when the list is not empty), ``all`` (each must match) and ``none`` (none may match).
A term is a word or phrase (``kopi kenangan``; quotes optional), a hashtag (``#kopikenangan``)
or a handle (``@kopikenangan``). Matching ignores case and accents and holds at word
boundaries only: ``sorot`` matches "Sorot!" and "#sorot", never "sorotan"; a phrase matches its
words separated by any spaces or punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from sql.errors import ValidationError

MAX_TERMS = 100
MAX_TERM_LENGTH = 200


class Terms(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    any: list[str] = msgspec.field(default_factory=list)
    all: list[str] = msgspec.field(default_factory=list)
    none: list[str] = msgspec.field(default_factory=list)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Term:
    source: str
    pattern: re.Pattern[str]
    hashtag: str | None

    def matches(self, folded: str, hashtags: frozenset[str]) -> bool:
        return (self.hashtag is not None and self.hashtag in hashtags) or self.pattern.search(folded) is not None


def compile_term(raw: str) -> Term:
    term = fold(raw.strip().strip('"').strip())
    if not term or len(term) > MAX_TERM_LENGTH:
        raise ValidationError(f"a term must have 1 to {MAX_TERM_LENGTH} characters, got {raw!r}", field="terms")
    if term[0] in "#@":
        body = term[1:]
        if not re.fullmatch(r"[\w.\-]+(@[\w.\-]+)?", body):
            raise ValidationError(f"{raw!r} is not a valid hashtag or handle", field="terms")
        sigil = re.escape(term[0])
        # a handle may be followed by its server (@brand@example.social); neither is part of a longer name
        pattern = re.compile(rf"(?<![\w@#]){sigil}{re.escape(body)}(?![\w\-]|\.\w)")
        return Term(raw, pattern, body if term[0] == "#" else None)
    words = re.findall(r"\w+", term)
    if not words:
        raise ValidationError(f"the term {raw!r} has no letters or digits", field="terms")
    pattern = re.compile(r"(?<!\w)" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?!\w)")
    return Term(raw, pattern, "".join(words) if len(words) == 1 else None)


@dataclass(frozen=True)
class Subject:
    name: str
    any: tuple[Term, ...]
    all: tuple[Term, ...]
    none: tuple[Term, ...]

    def match(self, folded: str, hashtags: frozenset[str]) -> str | None:
        """The rule that matched, for the record (``any "kopi"``, ``all "kopi" + "susu"``), or None."""
        if any(t.matches(folded, hashtags) for t in self.none):
            return None
        if not all(t.matches(folded, hashtags) for t in self.all):
            return None
        hit = next((t for t in self.any if t.matches(folded, hashtags)), None)
        if self.any and hit is None:
            return None
        parts = ([f'any "{hit.source}"'] if hit else []) + [f'all "{t.source}"' for t in self.all]
        return " + ".join(parts)


def compile_subject(terms: Terms) -> Subject:
    if not terms.name.strip():
        raise ValidationError("every brand and competitor needs a name", field="name")
    if not terms.any and not terms.all:
        raise ValidationError(f"{terms.name!r} needs at least one term in 'any' or 'all'", field="terms")
    if len(terms.any) + len(terms.all) + len(terms.none) > MAX_TERMS:
        raise ValidationError(f"{terms.name!r} has more than {MAX_TERMS} terms", field="terms")
    return Subject(
        terms.name,
        tuple(compile_term(t) for t in terms.any),
        tuple(compile_term(t) for t in terms.all),
        tuple(compile_term(t) for t in terms.none),
    )


class Matcher:
    """The brand and its competitors; ``match`` names every subject a post mentions."""

    BRAND = "brand"

    def __init__(self, brand: Terms, competitors: Sequence[Terms]) -> None:
        names = [c.name.strip().casefold() for c in competitors]
        if len(set(names)) != len(names) or self.BRAND in names:
            raise ValidationError("competitor names must be distinct and not 'brand'", field="competitors")
        self.subjects = [(self.BRAND, compile_subject(brand))] + [(c.name, compile_subject(c)) for c in competitors]

    def match(self, text: str, hashtags: Sequence[str] = ()) -> list[tuple[str, str]]:
        folded = fold(text)
        tags = frozenset(fold(h).lstrip("#") for h in hashtags)
        out: list[tuple[str, str]] = []
        for name, subject in self.subjects:
            rule = subject.match(folded, tags)
            if rule is not None:
                out.append((name, rule))
        return out


PAID_MARKERS = Matcher(
    Terms(
        name="paid",
        any=[
            "#ad",
            "#ads",
            "#iklan",
            "#sponsored",
            "#sponsor",
            "#spon",
            "#endorse",
            "#paidpromote",
            "#promosi",
            "#kerjasama",
            "#partner",
            "#collab",
            "#berbayar",
            "paid partnership",
            "sponsored by",
            "disponsori",
            "dibayar oleh",
            "ditaja",
            "ditaja oleh",
            "kolaborasi berbayar",
        ],
    ),
    [],
)


def is_paid(text: str, hashtags: Sequence[str] = ()) -> bool:
    """Does the post disclose that it is paid (``#ad``, ``#iklan``, ``#endorse``, "ditaja oleh", ...)?"""
    return bool(PAID_MARKERS.match(text, hashtags))
