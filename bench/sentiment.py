"""Sentiment: quality on SmSA validation and the Malay hand-labelled set, model size, load time, throughput.

    uv run python bench/sentiment.py [--posts 20000] [--repeat 3]

Throughput scores simulated posts (``discovery.simulator.streams``, Indonesian, Malay and English)
the way a monitor does: language detection, then the language's model, in batches of 1,000.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from discovery.simulator.streams import plant
from listening import lang, train
from listening.sentiment import Scorer
from listening.sentiment.english import EnglishModel
from listening.sentiment.indonesian import MODEL_PATH, IndonesianModel

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "listening"


def quality(scorer: Scorer) -> list[tuple[str, str]]:
    rows = []
    texts, truth = train.load(train.DATA / "smsa_valid.tsv")
    predicted = [s.label for s in scorer.indonesian.score(texts)]
    f1, per = train.macro_f1(truth, predicted)
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    rows.append(("SmSA validation (id), macro-F1", f"{f1:.4f}  (accuracy {accuracy:.4f}, n={len(texts)})"))
    rows.append(("  per class F1", ", ".join(f"{k} {v:.3f}" for k, v in per.items())))
    for code, name in (("ms", "Malay"), ("en", "English")):
        texts, truth = train.load(FIXTURES / f"sentiment-{code}.tsv")
        predicted = [s.label for s in scorer.score(texts, [code] * len(texts))]
        f1, per = train.macro_f1(truth, predicted)
        rows.append((f"{name} hand-labelled ({code}), macro-F1", f"{f1:.4f}  (n={len(texts)})"))
        rows.append(("  per class F1", ", ".join(f"{k} {v:.3f}" for k, v in per.items())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    loads = []
    for _ in range(5):
        started = time.perf_counter()
        model = IndonesianModel.load()
        loads.append(time.perf_counter() - started)
    scorer = Scorer(model, EnglishModel())
    rows = [
        ("model file", f"{MODEL_PATH.name}, {MODEL_PATH.stat().st_size / 1e6:.1f} MB"),
        ("load time (median of 5)", f"{statistics.median(loads) * 1000:.0f} ms"),
    ]
    rows += quality(scorer)

    events = []
    seed = 1
    while len(events) < args.posts:
        events += [e for e in plant(seed=seed, posts=2000).events if e.boost_of is None]
        seed += 1
    texts = [e.text for e in events[: args.posts]]
    tags = [e.language for e in events[: args.posts]]
    for label, with_language in (("posts/s, scoring only", False), ("posts/s, language + scoring", True)):
        rates = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for i in range(0, len(texts), 1000):
                chunk = texts[i : i + 1000]
                codes = (
                    [lang.detect(t, g) for t, g in zip(chunk, tags[i : i + 1000], strict=True)]
                    if with_language
                    else tags[i : i + 1000]
                )
                scorer.score(chunk, codes)
            rates.append(len(texts) / (time.perf_counter() - started))
        rows.append(
            (
                label,
                f"{statistics.median(rates):,.0f} (min {min(rates):,.0f}, max {max(rates):,.0f}, "
                f"{len(texts):,} posts x {args.repeat})",
            )
        )
    width = max(len(k) for k, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 60}")
    for k, v in rows:
        print(f"{k.ljust(width)} | {v}")


if __name__ == "__main__":
    main()
