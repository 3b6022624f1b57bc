"""Audience segments and lookalikes: speed and memory at size, and the accuracy of shares over 100 seeds.

    uv run python bench/segments.py [--part coverage|segments|lookalikes|all] [--seeds 100]

coverage:   100 planted language worlds (3 creators x 300 followers, language and place mixes drawn at
            random per seed): how often each estimated share is within +-3 points of the planted truth
            and how often its 95% interval covers it.
segments:   one creator with 300,000 followers (posts in Indonesian, Malay and English, locations),
            the segments report cold (snapshot, attributes and interest clusters built) and warm.
lookalikes: 50,000 candidate creators, 200,000 followers, ~5 million follows: the answer for each mode,
            cold (matrices built once per snapshot) and warm.
Each part runs in its own process, so each peak RSS is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import numpy as np
import polars as pl

from audience import service
from audience.report import MIN_LANGUAGE_EVIDENCE, MIN_PLACE_EVIDENCE
from bench.audience_world import HOST, PLACE_TEXT, language_world, sentences, store
from bench.common import fresh_database, peak_rss_mb, table
from graph.service import SnapshotCache

LANGS = ("id", "ms", "en")
MIN_EVIDENCE = {"lang": MIN_LANGUAGE_EVIDENCE, "place": MIN_PLACE_EVIDENCE}
DEBUG = False
PLACES = ("ID:jakarta", "ID:bandung", "MY:kualalumpur", "MY:johorbahru", "GB:london")


def random_mix(rng: np.random.Generator) -> tuple[dict[str, float], dict[str | None, float]]:
    lang = rng.dirichlet(np.ones(len(LANGS)))
    place = rng.dirichlet(np.ones(len(PLACES))) * 0.9
    return dict(zip(LANGS, lang.tolist(), strict=True)), {
        **dict(zip(PLACES, place.tolist(), strict=True)),
        None: 0.1,
    }


async def coverage(db: str, seeds: int) -> dict[str, float]:
    conn = await asyncpg.connect(db)
    hits = dict.fromkeys(
        [f"{k}_{m}" for k in ("lang", "place") for m in ("within", "covered", "n", "p_within", "p_covered")], 0
    )
    seeds_ok = 0
    seconds = 0.0
    for seed in range(seeds):
        await conn.execute("DELETE FROM accounts WHERE host = $1", HOST)
        rng = np.random.default_rng(1000 + seed)
        world = language_world(seed, [random_mix(rng) for _ in range(3)], followers=300)  # type: ignore[misc]
        ids = await store(conn, world)
        cache = SnapshotCache()
        ok = True
        for c in world.creators:
            t = time.perf_counter()
            seg = await service.segments(conn, cache, ids[c])
            seconds += time.perf_counter() - t
            langs, places = world.mixes[c]
            unknown = 0.05  # language_world's default share of followers with nothing to read
            planted_lang = {**{k: v * (1 - unknown) for k, v in langs.items()}, None: unknown}
            for kind, labels, breakdown, planted in (
                ("lang", world.languages[c], seg.languages, planted_lang),
                ("place", world.places[c], seg.places.cities, places),
            ):
                rows = {s.key: s for s in breakdown.shares}
                rows["unknown"] = breakdown.unknown
                n = len(labels)
                for label, count in Counter(labels).items():
                    key = label if label is not None else "unknown"
                    truth = count / n
                    got = rows.get(key)
                    if got is None and count < MIN_EVIDENCE[kind]:
                        continue  # below the minimum evidence count: folded into "other" by design
                    share, low, high = (got.share, got.low, got.high) if got else (0.0, 0.0, 0.0)
                    within = abs(share - truth) <= 0.03
                    covered = low <= truth <= high
                    hits[f"{kind}_within"] += within
                    hits[f"{kind}_covered"] += covered
                    hits[f"{kind}_n"] += 1
                    # Against the probability the world drew from (sampling error included).
                    prob = planted[label]
                    hits[f"{kind}_p_within"] += abs(share - prob) <= 0.03
                    hits[f"{kind}_p_covered"] += low <= prob <= high
                    ok &= within and covered
                    if not (within and covered) and DEBUG:
                        print(kind, key, truth, got, file=sys.stderr)
        seeds_ok += ok
    await conn.close()
    return {**hits, "seeds": seeds, "seeds_all_ok": seeds_ok, "seconds_per_report": seconds / seeds / 3}


async def segments_at_size(db: str, followers: int) -> dict[str, float]:
    rng = np.random.default_rng(5)
    pools = sentences()
    conn = await asyncpg.connect(db)
    now = datetime.now(UTC)
    ids = np.arange(1, followers + 2)
    langs = rng.choice(["id", "ms", "en"], size=followers, p=[0.5, 0.3, 0.2])
    places = rng.choice(list(PLACE_TEXT), size=followers)
    location = [PLACE_TEXT[p][0] for p in places]
    accounts = pl.DataFrame(
        {
            "id": ids,
            "platform": "mastodon",
            "host": "big.test",
            "external_id": [f"x{i}" for i in ids],
            "handle": ["creator"] + [f"f{i}" for i in ids[1:]],
            "location": [None, *location],
            "has_avatar": True,
            "followers_count": [followers] + [10] * followers,
            "following_count": 100,
            "posts_count": 20,
            "created_at": (now - timedelta(days=400)).isoformat(),
        }
    )
    await _copy(conn, "accounts", accounts)
    await _copy(conn, "follows", pl.DataFrame({"follower_id": ids[1:], "followee_id": 1}))
    texts = {k: np.array(v) for k, v in pools.items()}
    authors = np.repeat(ids[1:], 2)
    post_lang = np.repeat(langs, 2)
    text = [str(texts[lang][rng.integers(len(texts[lang]))]) for lang in post_lang]
    posts = pl.DataFrame(
        {
            "account_id": authors,
            "external_id": [f"p{k}" for k in range(authors.size)],
            "text": text,
            "created_at": now.isoformat(),
        }
    )
    await _copy(conn, "posts", posts)
    await conn.execute("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
    await conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps: visibility maps set
    cache = SnapshotCache()
    t = time.perf_counter()
    seg = await service.segments(conn, cache, 1)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    await service.segments(conn, cache, 1)
    warm = time.perf_counter() - t
    await conn.close()
    top = {s.key: s.share for s in seg.languages.shares}
    return {"cold": cold, "warm": warm, "rss": peak_rss_mb(), "sample": seg.sample_size, "id": top.get("id", 0.0)}


async def _copy(conn: asyncpg.Connection, name: str, frame: pl.DataFrame) -> None:
    buf = io.BytesIO()
    frame.write_csv(buf)
    buf.seek(0)
    await conn.copy_to_table(name, source=buf, columns=frame.columns, format="csv", header=True)


async def lookalikes_at_size(db: str, creators: int, fans: int, per_fan: int) -> dict[str, float]:
    rng = np.random.default_rng(9)
    topics = creators // 100
    conn = await asyncpg.connect(db)
    now = datetime.now(UTC)
    n = creators + fans
    ids = np.arange(1, n + 1)
    accounts = pl.DataFrame(
        {
            "id": ids,
            "platform": "mastodon",
            "host": "big.test",
            "external_id": [f"x{i}" for i in ids],
            "handle": [f"a{i}" for i in ids],
            "has_avatar": True,
            "followers_count": 100,
            "following_count": per_fan,
            "posts_count": 20,
            "created_at": (now - timedelta(days=400)).isoformat(),
        }
    )
    await _copy(conn, "accounts", accounts)
    fan_topic = rng.integers(0, topics, fans)
    follower = np.repeat(ids[creators:], per_fan)
    within = rng.integers(0, 100, follower.size)
    followee = np.repeat(fan_topic, per_fan) * 100 + within + 1
    edges = pl.DataFrame({"follower_id": follower, "followee_id": followee}).unique()
    await _copy(conn, "follows", edges)
    creator_topic = (ids[:creators] - 1) // 100
    tags = [
        "{" + ",".join(f"t{t}x{x}" for x in rng.choice(6, 2, replace=False)) + "}" for t in np.repeat(creator_topic, 2)
    ]
    posts = pl.DataFrame(
        {
            "account_id": np.repeat(ids[:creators], 2),
            "external_id": [f"p{k}" for k in range(creators * 2)],
            "hashtags": tags,
            "created_at": now.isoformat(),
        }
    )
    await _copy(conn, "posts", posts)
    await conn.execute("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
    await conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps: visibility maps set
    cache = SnapshotCache()
    out: dict[str, float] = {"edges": float(edges.height)}
    t = time.perf_counter()
    await cache.get(conn, "mastodon")
    out["snapshot"] = time.perf_counter() - t
    for mode in ("audience", "content", "complementary"):
        t = time.perf_counter()
        answer = await service.lookalikes(conn, cache, 1, mode, 20)
        out[f"{mode}_cold"] = time.perf_counter() - t
        t = time.perf_counter()
        for seed in range(2, 12):
            await service.lookalikes(conn, cache, seed, mode, 20)
        out[f"{mode}_warm"] = (time.perf_counter() - t) / 10
        out["candidates"] = answer.candidates
    t = time.perf_counter()
    for _ in range(10):
        await cache.get(conn, "mastodon")
    out["freshness"] = (time.perf_counter() - t) / 10
    out["rss"] = peak_rss_mb()
    await conn.close()
    return out


def run(part: str, seeds: int) -> dict[str, float]:
    with fresh_database() as db:
        if part == "coverage":
            return asyncio.run(coverage(db, seeds))
        if part == "segments":
            return asyncio.run(segments_at_size(db, 300_000))
        return asyncio.run(lookalikes_at_size(db, 50_000, 200_000, 25))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="all", choices=["coverage", "segments", "lookalikes", "all"])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run(args.part, args.seeds)))
        return
    parts = ["coverage", "segments", "lookalikes"] if args.part == "all" else [args.part]
    for part in parts:
        argv = [sys.executable, __file__, "--one", "--part", part, "--seeds", str(args.seeds)]
        done = subprocess.run(argv, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        if part == "coverage":
            table(
                f"Planted audiences, {r['seeds']} seeds x 3 creators x 300 followers (shares vs planted truth)",
                [
                    "shares",
                    "checked",
                    "within +-3 points of the audience's truth",
                    "95% interval covers it",
                    "within +-3 points of the planted probability",
                    "95% interval covers it",
                ],
                [
                    [
                        k,
                        r[f"{k}_n"],
                        *(f"{r[f'{k}_{m}'] / r[f'{k}_n']:.1%}" for m in ("within", "covered", "p_within", "p_covered")),
                    ]
                    for k in ("lang", "place")
                ],
            )
            print(f"seeds with every share within 3 points and covered: {r['seeds_all_ok']} of {r['seeds']}")
            print(f"seconds per report (300 followers, cold attributes): {r['seconds_per_report']:.2f}")
        elif part == "segments":
            table(
                "Segments report for one creator with 300,000 followers",
                ["followers read", "cold s (snapshot + attributes + clusters)", "warm s", "peak RSS MB"],
                [[int(r["sample"]), f"{r['cold']:.2f}", f"{r['warm']:.2f}", f"{r['rss']:.0f}"]],
            )
        else:
            table(
                f"Lookalikes over {int(r['candidates']):,} candidates ({int(r['edges']):,} follows; "
                f"snapshot build {r['snapshot']:.1f} s)",
                ["mode", "cold s (matrices built)", "warm s (mean of 10 seeds, answer end to end)", "peak RSS MB"],
                [
                    [m, f"{r[f'{m}_cold']:.2f}", f"{r[f'{m}_warm']:.3f}", f"{r['rss']:.0f}"]
                    for m in ("audience", "content", "complementary")
                ],
            )
            print(f"of which the snapshot freshness check (graph fingerprint query): {r['freshness']:.3f} s")


if __name__ == "__main__":
    main()
