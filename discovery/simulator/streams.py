"""A simulated stream of posts with planted brand mentions, for listening tests, benchmarks and the demo.

``plant(...)`` returns a ``Stream``: authors (a few opted out, each the way its platform says
so) and time-ordered events on Mastodon and Bluesky in Indonesian, Malay and English: chatter,
mentions of a brand and its competitors, decoys that look like them but are not, boosts and
reposts of mentions, a benign volume wave and a negative burst. It also keeps the ground truth
(which posts mention what) that tests compare a monitor's findings with.
``discovery.simulator.stream_server`` serves it in both platforms' dialects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

StreamPlatform = Literal["mastodon", "bluesky"]
OptOut = Literal["", "undiscoverable", "unindexable", "nobot", "label"]
STATUS_BASE = 7_000_000_000
LANGUAGES = ("id", "ms", "en")

BRAND = {"name": "Kopi Nusantara", "any": ["kopi nusantara", "#kopinusantara", "@kopinusantara"], "none": ["lowongan"]}
COMPETITORS = [
    {"name": "Teh Senja", "any": ["teh senja", "#tehsenja"]},
    {"name": "Susu Rimba", "any": ["susu rimba", "@sudurimba"]},
]
SURFACES = {
    "brand": [
        "Kopi Nusantara",
        "kopi nusantara",
        "KOPI NUSANTARA",
        "#KopiNusantara",
        "@kopinusantara",
        "Kopi-Nusantara",
    ],
    "Teh Senja": ["Teh Senja", "teh senja", "#TehSenja"],
    "Susu Rimba": ["Susu Rimba", "susu rimba", "@sudurimba"],
}
# Near misses: substrings, other word orders, longer hashtags and handles, an excluded context.
DECOYS = [
    "kopinusantaraku sudah habis",
    "kopi asli dari bumi nusantara memang beda",
    "nusantara kopi festival minggu depan",
    "cek #kopinusantara2024 untuk arsip lama",
    "akun @kopinusantara_palsu itu bukan resmi",
    "lowongan kerja barista Kopi Nusantara cabang baru",
    "senja di pantai sambil minum teh",
    "the teh senjakala band is playing tonight",
    "rimba raya dan susu segar di pagi hari",
]
TEMPLATES: dict[str, dict[str, list[str]]] = {
    "id": {
        "positive": [
            "{b} enak banget, pelayanannya ramah sekali",
            "puas sekali sama {b}, pasti beli lagi",
            "mantap, {b} rasanya pas dan harganya terjangkau",
            "suka banget sama menu baru {b}",
        ],
        "negative": [
            "kecewa sama {b}, pesanan lama dan dingin",
            "{b} makin mahal dan rasanya jelek",
            "pelayanan {b} buruk sekali, tidak akan kembali",
            "parah, {b} salah kirim pesanan lagi",
        ],
        "neutral": [
            "ada yang tahu {b} buka jam berapa?",
            "hari ini mampir ke {b} di jalan sudirman",
            "{b} buka cabang di bandung minggu depan",
        ],
    },
    "ms": {
        "positive": [
            "{b} memang sedap, sangat berbaloi",
            "suka sangat dengan {b}, layanan terbaik",
            "best gila {b} ni, harga pun murah",
        ],
        "negative": [
            "teruk betul {b} hari ni, lambat sangat",
            "menyampah dengan {b}, air tak sedap langsung",
            "kecewa dengan {b}, pekerja tak mesra",
        ],
        "neutral": ["{b} ada cawangan kat shah alam tak?", "singgah {b} tadi lepas kerja"],
    },
    "en": {
        "positive": [
            "Loving the new {b} latte, so good!",
            "{b} never disappoints, great service",
            "Best coffee in town is {b}, highly recommend",
        ],
        "negative": [
            "{b} got my order wrong again, terrible service",
            "Really disappointed with {b} today, awful",
            "{b} is overpriced and the coffee was cold",
        ],
        "neutral": ["Is {b} open on Sunday?", "Meeting a friend at {b} this afternoon"],
    },
}
CHATTER = {
    "id": [
        "macet parah di jalan tol pagi ini",
        "hujan deras sejak sore",
        "lagi nonton bola sama teman",
        "akhirnya libur panjang",
        "masak nasi goreng untuk makan malam",
    ],
    "ms": [
        "jalan sesak teruk pagi ni",
        "hujan lebat sejak petang tadi",
        "tengok bola dengan kawan-kawan",
        "cuti panjang akhirnya",
    ],
    "en": [
        "traffic was awful this morning",
        "finally the weekend",
        "watching the match with friends",
        "new blog post about gardening",
    ],
}


@dataclass(frozen=True)
class Author:
    index: int
    platform: StreamPlatform
    followers: int
    opt_out: OptOut

    @property
    def handle(self) -> str:
        return f"user{self.index}" if self.platform == "mastodon" else f"user{self.index}.stream.test"

    @property
    def did(self) -> str:
        return f"did:plc:stream{self.index:08d}"


@dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    author: Author
    text: str = ""
    language: str = "en"
    hashtags: tuple[str, ...] = ()
    boost_of: int | None = None  # seq of the boosted/reposted post
    subjects: tuple[str, ...] = ()  # ground truth: 'brand' and/or competitor names
    sentiment: str = "neutral"
    decoy: bool = False
    phase: str = ""  # '', 'wave' or 'burst'

    @property
    def platform(self) -> StreamPlatform:
        return self.author.platform

    @property
    def status_id(self) -> str:
        return str(STATUS_BASE + self.seq)

    @property
    def uri(self) -> str:
        """The id a monitor stores: the status id on Mastodon, the AT URI on Bluesky."""
        if self.platform == "mastodon":
            return self.status_id
        collection = "app.bsky.feed.repost" if self.boost_of is not None else "app.bsky.feed.post"
        return f"at://{self.author.did}/{collection}/s{self.seq}"


@dataclass
class Stream:
    authors: list[Author]
    events: list[Event]
    start: datetime
    brand: dict[str, object] = field(default_factory=lambda: dict(BRAND))
    competitors: list[dict[str, object]] = field(default_factory=lambda: [dict(c) for c in COMPETITORS])
    burst_at: datetime | None = None
    wave_at: datetime | None = None

    def by_seq(self, seq: int) -> Event:
        return self.events[seq - 1]

    def planted(self) -> list[Event]:
        """Original posts by authors who did not opt out that mention the brand or a competitor."""
        return [e for e in self.events if e.subjects and e.boost_of is None and not e.author.opt_out]

    def boosts_of(self, seq: int) -> list[Event]:
        return [e for e in self.events if e.boost_of == seq]

    def share_of_voice(self) -> dict[str, float]:
        counts: dict[str, int] = {}
        for e in self.planted():
            for s in e.subjects:
                counts[s] = counts.get(s, 0) + 1
        total = sum(counts.values())
        return {k: v / total for k, v in counts.items()}


def _authors(rng: random.Random, n: int) -> list[Author]:
    out = []
    for i in range(n):
        platform: StreamPlatform = "mastodon" if i % 2 == 0 else "bluesky"
        followers = int(20 * rng.paretovariate(1.2))
        opt: OptOut = ""
        if i % 20 == 7:
            opt = rng.choice(["undiscoverable", "unindexable", "nobot"]) if platform == "mastodon" else "label"
        out.append(Author(i, platform, min(followers, 2_000_000), opt))
    return out


def _mention_text(rng: random.Random, language: str, sentiment: str, subjects: list[str]) -> str:
    surfaces = [rng.choice(SURFACES[s]) for s in subjects]
    name = surfaces[0] if len(surfaces) == 1 else f"{surfaces[0]} vs {surfaces[1]}"
    return rng.choice(TEMPLATES[language][sentiment]).format(b=name)


def plant(
    seed: int = 1,
    posts: int = 2000,
    hours: float = 10.0,
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC),
    mention_share: float = 0.3,
    negative_share: float = 0.2,
    burst: int = 14,
    burst_hour: float | None = 7.0,
    wave_hour: float | None = 3.5,
) -> Stream:
    """A stream of ``posts`` events over ``hours``; the burst and the wave each add ``burst`` brand posts
    within three minutes, the burst all negative, the wave with the usual sentiment mix."""
    rng = random.Random(seed)
    authors = _authors(rng, 300)
    specs: list[tuple[datetime, dict[str, object]]] = []
    extra = (burst if burst_hour is not None else 0) + (burst if wave_hour is not None else 0)
    originals = int((posts - extra) / 1.12)
    for _ in range(originals):
        at = start + timedelta(seconds=rng.uniform(0, hours * 3600))
        specs.append((at, _post_spec(rng, mention_share, negative_share)))
    for hour, phase in ((burst_hour, "burst"), (wave_hour, "wave")):
        if hour is None:
            continue
        for k in range(burst):
            at = start + timedelta(hours=hour, seconds=rng.uniform(0, 180))
            sentiment = (
                "negative"
                if phase == "burst"
                else ("negative" if k < round(burst * negative_share) else rng.choice(["positive", "neutral"]))
            )
            specs.append((at, {"subjects": ["brand"], "sentiment": sentiment, "phase": phase}))
    specs.sort(key=lambda s: s[0])
    events: list[Event] = []
    boosts: list[tuple[datetime, int]] = []
    for at, spec in specs:
        author = rng.choice(authors)
        if spec.get("phase"):
            author = rng.choice([a for a in authors if not a.opt_out])
        event = _event(rng, len(events) + 1, at, author, spec)
        events.append(event)
        if event.subjects and rng.random() < 0.25 and not spec.get("phase"):
            for _ in range(rng.randint(1, 3)):
                boosts.append((at + timedelta(seconds=rng.uniform(30, 1800)), event.seq))
    # boosts come after their original; fold them in by time and renumber
    merged = [(e.at, 0, e.seq) for e in events] + [(t, 1, seq) for t, seq in boosts]
    merged.sort()
    merged = merged[:posts]
    renumber: dict[int, int] = {}
    final: list[Event] = []
    for at, is_boost, seq in merged:
        if is_boost:
            if seq not in renumber:
                continue
            original = final[renumber[seq] - 1]
            booster = rng.choice([a for a in authors if a.platform == original.platform and a is not original.author])
            final.append(Event(len(final) + 1, at, booster, boost_of=original.seq, language=original.language))
        else:
            e = events[seq - 1]
            renumber[seq] = len(final) + 1
            final.append(_renumbered(e, len(final) + 1))
    stream = Stream(authors, final, start)
    if burst_hour is not None:
        stream.burst_at = start + timedelta(hours=burst_hour)
    if wave_hour is not None:
        stream.wave_at = start + timedelta(hours=wave_hour)
    return stream


def _post_spec(rng: random.Random, mention_share: float, negative_share: float) -> dict[str, object]:
    r = rng.random()
    if r < mention_share:
        roll = rng.random()
        subjects = ["brand"] if roll < 0.55 else (["Teh Senja"] if roll < 0.75 else ["Susu Rimba"])
        if roll > 0.95:
            subjects = ["brand", rng.choice(["Teh Senja", "Susu Rimba"])]
        s = rng.random()
        sentiment = "negative" if s < negative_share else ("positive" if s < 0.7 else "neutral")
        return {"subjects": subjects, "sentiment": sentiment}
    if r < mention_share + 0.05:
        return {"decoy": True}
    return {}


def _event(rng: random.Random, seq: int, at: datetime, author: Author, spec: dict[str, object]) -> Event:
    language = rng.choice(LANGUAGES)
    subjects = list(spec.get("subjects", []))  # type: ignore[call-overload]
    sentiment = str(spec.get("sentiment", "neutral"))
    if subjects:
        text = _mention_text(rng, language, sentiment, subjects)
    elif spec.get("decoy"):
        text = rng.choice(DECOYS)
    else:
        text = rng.choice(CHATTER[language])
    hashtags = tuple(w[1:].lower() for w in text.split() if w.startswith("#"))
    return Event(
        seq,
        at,
        author,
        text,
        language,
        hashtags,
        None,
        tuple(subjects),
        sentiment,
        bool(spec.get("decoy")),
        str(spec.get("phase", "")),
    )


def _renumbered(e: Event, seq: int) -> Event:
    return Event(
        seq, e.at, e.author, e.text, e.language, e.hashtags, e.boost_of, e.subjects, e.sentiment, e.decoy, e.phase
    )
