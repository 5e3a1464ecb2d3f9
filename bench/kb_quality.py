"""Print the knowledge-base search's accuracy on the labelled question set.

Usage: .venv/bin/python bench/kb_quality.py [--questions bench/kb_questions.yaml] [--misses]

Figures: top-1 and top-3 topic accuracy (in-scope questions), urgent recall, false-urgent rate
(over non-urgent questions), out-of-scope handling, how often it asked to clarify, and each
figure against its target.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.profile import load_profile  # noqa: E402
from knowledge.base import load_knowledge  # noqa: E402
from settings import DEFAULT_PROFILE_PATH  # noqa: E402

URGENT = "crisis-urgent-help"
OUT = "out-of-scope"
TARGETS = {
    "top-1 accuracy": (0.92, ">="),
    "top-3 accuracy": (0.98, ">="),
    "urgent recall": (1.00, ">="),
    "false-urgent rate": (0.02, "<="),
    "out-of-scope handled": (0.90, ">="),
}


def main() -> None:
    """Run every labelled question through the search and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "kb_questions.yaml")
    parser.add_argument("--misses", action="store_true", help="list the questions it got wrong")
    args = parser.parse_args()

    questions = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    kb = load_knowledge(load_profile(DEFAULT_PROFILE_PATH).placeholders())
    counts: Counter[str] = Counter()
    misses: list[str] = []
    for item in questions:
        question, expected = item["q"], item["topic"]
        answer = kb.search(question, limit=3)
        topics = [hit.topic for hit in (answer.choices if answer.clarify else answer.hits)]
        if answer.clarify:
            counts["clarify"] += 1
        if expected == URGENT and item.get("kind") == "urgent":
            counts["urgent"] += 1
            counts["urgent found"] += answer.urgent
            if not answer.urgent:
                misses.append(f"MISSED URGENT  {question}")
            continue
        counts["not urgent"] += 1
        if answer.urgent:
            counts["false urgent"] += 1
            misses.append(f"FALSE URGENT   {question}  [{answer.crisis}]")
        if expected == OUT:
            counts["out"] += 1
            counts["out handled"] += answer.out_of_scope
            if not answer.out_of_scope:
                misses.append(f"ANSWERED OOS   {question}  -> {topics[:1]}")
            continue
        counts["in scope"] += 1
        top1 = not answer.urgent and not answer.out_of_scope and topics[:1] == [expected]
        top3 = not answer.urgent and not answer.out_of_scope and expected in topics[:3]
        counts["top1"] += top1
        counts["top3"] += top3
        if not top1:
            why = "out of scope" if answer.out_of_scope else f"-> {topics}"
            misses.append(f"WRONG  {expected:<34} {question}  {why}")

    figures = {
        "top-1 accuracy": counts["top1"] / counts["in scope"],
        "top-3 accuracy": counts["top3"] / counts["in scope"],
        "urgent recall": counts["urgent found"] / max(counts["urgent"], 1),
        "false-urgent rate": counts["false urgent"] / max(counts["not urgent"], 1),
        "out-of-scope handled": counts["out handled"] / max(counts["out"], 1),
    }
    print(
        f"questions: {len(questions)} (in scope {counts['in scope']}, urgent {counts['urgent']}, "
        f"out of scope {counts['out']}); articles: {len(kb.articles)}"
    )
    for name, value in figures.items():
        target, sense = TARGETS[name]
        met = value >= target if sense == ">=" else value <= target
        print(
            f"{name:<22} {value:6.3f}   target {sense} {target:.2f}   {'met' if met else 'NOT MET'}"
        )
    print(f"{'asked to clarify':<22} {counts['clarify'] / len(questions):6.3f}")
    if args.misses:
        print("\n".join(["", *misses]))


if __name__ == "__main__":
    main()
