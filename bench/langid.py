"""Language detection: Indonesian vs Malay accuracy and speed, Sorot's detector against plain detectors.

Texts: the hand-written labelled sets in tests/fixtures/language (the held-out one was written after
the marker lexicon was frozen). lingua-language-detector is compared when it is installed
(`uv pip install lingua-language-detector`; it is not a dependency: ~100 MB of models, ~1.4 GB RSS
with every language loaded).

    uv run python bench/langid.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.common import peak_rss_mb, table
from language import detect

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "language"


def rows(name: str) -> list[tuple[str, str]]:
    out = []
    for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            if label in {"id", "ms"} and len(text.split()) >= 20:
                out.append((label, text))
    return out


def py3langid_top() -> Callable[[str], str]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: str(ident.classify(text)[0])


def lingua_top() -> Callable[[str], str] | None:
    try:
        from lingua import LanguageDetectorBuilder  # type: ignore[import-not-found]
    except ImportError:
        return None
    det = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def top(text: str) -> str:
        lang = det.detect_language_of(text)
        return "und" if lang is None else str(lang.iso_code_639_1.name.lower())

    return top


def score(top: Callable[[str], str], data: list[tuple[str, str]]) -> tuple[float, float]:
    start = time.perf_counter()
    hits = sum(top(text) == label for label, text in data)
    return hits / len(data), (time.perf_counter() - start) / len(data) * 1000


def main() -> None:
    sets = {name: rows(name) for name in ("id_ms.tsv", "id_ms_heldout.tsv")}
    detectors: list[tuple[str, Callable[[str], str] | None]] = [
        ("sorot language.detect (py3langid + markers)", lambda text: detect(text).language),
        ("py3langid 0.4 alone", py3langid_top()),
        ("lingua-language-detector (all languages)", lingua_top()),
    ]
    out = []
    for name, top in detectors:
        if top is None:
            out.append([name, "not installed", "", ""])
            continue
        top("warm up the model")
        (tune, ms1), (held, ms2) = (score(top, data) for data in sets.values())
        out.append([name, f"{tune:.1%}", f"{held:.1%}", f"{(ms1 + ms2) / 2:.2f}"])
    sizes = " / ".join(f"{len(d)}" for d in sets.values())
    table(
        f"Indonesian vs Malay, texts of 20+ words (tuning / held-out: {sizes} texts)",
        ["detector", "tuning set", "held-out set", "ms per text"],
        out,
    )
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
