"""Print knowledge-base load time and search latency (p50/p99), shipped and at 5,000 articles.

Usage: .venv/bin/python bench/kb_speed.py [--articles 5000] [--rounds 3] [--tries 5]

"First asking" runs each question once on a fresh index, so nothing is remembered (the spelling
corrections the index keeps); "asked again" repeats the set, as a busy service would see;
"fastest of N" takes each question's quickest first asking over N freshly loaded indexes, the
search's own cost with a shared machine's hiccups left out (the target is judged on the first).

The synthetic knowledge base is built from the real articles: each copy gets a new id and a
word of its own added to every phrase, so the index grows realistically (same vocabulary mix,
50 times the postings). Questions are the labelled set in bench/kb_questions.yaml.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.profile import load_profile  # noqa: E402
from knowledge.base import load_knowledge  # noqa: E402
from knowledge.loader import load_not_ours  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402
from settings import DEFAULT_PROFILE_PATH  # noqa: E402

SYNTHETIC_WORDS = ("alder", "birch", "cedar", "damson", "elm", "fir", "gorse", "hazel")


def percentile(samples: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the samples fall."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(index: SearchIndex, questions: list[str], rounds: int) -> tuple[float, float]:
    """p50 and p99 search latency in milliseconds."""
    samples = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            index.search(question)
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.99)


def fastest_of(load: Callable[[], SearchIndex], questions: list[str], tries: int) -> list[float]:
    """Each question's fastest first asking, in ms, over ``tries`` freshly loaded indexes.

    A single pass's p99 is the fifth-slowest question on a 422-question set, so one scheduler
    hiccup on a shared machine moves it; the fastest of several tries shows the search's own
    cost.
    """
    best = [float("inf")] * len(questions)
    for _ in range(tries):
        index = load()
        for number, question in enumerate(questions):
            started = time.perf_counter()
            index.search(question)
            best[number] = min(best[number], (time.perf_counter() - started) * 1000)
    return best


def main() -> None:
    """Load, build and time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tries", type=int, default=5, help="fresh indexes for the fastest-of")
    args = parser.parse_args()
    values = load_profile(DEFAULT_PROFILE_PATH).placeholders()
    questions = [
        item["q"] for item in yaml.safe_load((ROOT / "bench" / "kb_questions.yaml").read_text())
    ]

    started = time.perf_counter()
    kb = load_knowledge(values)
    load_ms = (time.perf_counter() - started) * 1000
    print(
        f"load shipped knowledge base ({len(kb.articles)} articles): {load_ms:.0f} ms"
        " (target < 1000)"
    )
    p50, p99 = measure(kb.index, questions, 1)
    print(f"search, shipped, first asking:  p50 {p50:.2f} ms  p99 {p99:.2f} ms (target p99 < 2 ms)")
    p50, p99 = measure(kb.index, questions, args.rounds)
    print(f"search, shipped, asked again:   p50 {p50:.2f} ms  p99 {p99:.2f} ms")
    best = fastest_of(lambda: load_knowledge(values).index, questions, args.tries)
    print(
        f"search, shipped, fastest of {args.tries} first askings per question:  "
        f"p50 {statistics.median(best):.2f} ms  p99 {percentile(best, 0.99):.2f} ms"
    )

    real = list(kb.articles.values())
    synthetic = []
    for number in range(args.articles):
        article = real[number % len(real)]
        marker = f"{SYNTHETIC_WORDS[number % len(SYNTHETIC_WORDS)]}{number}"
        synthetic.append(
            replace(
                article,
                id=f"{article.id}-{number}",
                phrases=tuple(f"{phrase} {marker}" for phrase in article.phrases),
            )
        )
    started = time.perf_counter()
    big = SearchIndex(synthetic, kb.crisis, load_not_ours())
    build_ms = (time.perf_counter() - started) * 1000
    print(f"build index, {len(synthetic)} articles: {build_ms:.0f} ms")
    p50, p99 = measure(big, questions, 1)
    print(
        f"search, {len(synthetic)} articles, first asking:  p50 {p50:.2f} ms  p99 {p99:.2f} ms"
        " (target p99 < 20 ms)"
    )


if __name__ == "__main__":
    main()
