"""Print the knowledge-base search's accuracy on the labelled question set.

Usage: .venv/bin/python bench/kb_quality.py [--questions bench/kb_questions.yaml] [--misses]
       [--half dev|check|all] [--confusion]

The question set splits deterministically into two halves by a hash of each question: tune only
while looking at the "dev" half, and keep a change only if the "check" half agrees.

Figures: top-1 and top-3 topic accuracy (in-scope questions), urgent recall, false-urgent rate
(over non-urgent questions), out-of-scope handling, how often it asked to clarify, and each
figure against its target.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.profile import load_profile  # noqa: E402
from knowledge.base import KnowledgeBase, load_knowledge  # noqa: E402
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


def half_of(question: str) -> str:
    """Which half a question belongs to: "dev" or "check", fixed by a hash of its text."""
    digest = hashlib.sha256(question.encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "check"


@dataclass
class Evaluation:
    """What the search did with a set of labelled questions."""

    counts: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)
    confused: Counter[tuple[str, str]] = field(default_factory=Counter)

    def figures(self) -> dict[str, float]:
        """Each figure the targets name."""
        counts = self.counts
        return {
            "top-1 accuracy": counts["top1"] / max(counts["in scope"], 1),
            "top-3 accuracy": counts["top3"] / max(counts["in scope"], 1),
            "urgent recall": counts["urgent found"] / max(counts["urgent"], 1),
            "false-urgent rate": counts["false urgent"] / max(counts["not urgent"], 1),
            "out-of-scope handled": counts["out handled"] / max(counts["out"], 1),
        }


def load_questions(path: Path, half: str) -> list[dict[str, str]]:
    """The labelled questions of one half ("dev", "check") or of both ("all")."""
    return [
        item
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))
        if half == "all" or half_of(item["q"]) == half
    ]


def evaluate(kb: KnowledgeBase, questions: list[dict[str, str]]) -> Evaluation:
    """Run every question through the search and count what it got right."""
    result = Evaluation()
    counts, misses = result.counts, result.misses
    for item in questions:
        question, expected = item["q"], item["topic"]
        answer = kb.search(question, limit=3)
        topics = [hit.topic for hit in (answer.choices if answer.clarify else answer.hits)]
        counts["questions"] += 1
        counts["clarify"] += answer.clarify
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
        answered = not answer.urgent and not answer.out_of_scope
        top1 = answered and topics[:1] == [expected]
        counts["top1"] += top1
        counts["top3"] += answered and expected in topics[:3]
        if not top1:
            got = "out-of-scope" if answer.out_of_scope else topics[0]
            result.confused[(expected, got)] += 1
            why = "out of scope" if answer.out_of_scope else f"-> {topics}"
            misses.append(f"WRONG  {expected:<34} {question}  {why}")
    return result


def main() -> None:
    """Run the chosen half of the labelled questions through the search and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "kb_questions.yaml")
    parser.add_argument("--half", choices=("dev", "check", "all"), default="all")
    parser.add_argument("--misses", action="store_true", help="list the questions it got wrong")
    parser.add_argument(
        "--confusion", action="store_true", help="count (expected, top answer) pairs it confused"
    )
    args = parser.parse_args()

    kb = load_knowledge(load_profile(DEFAULT_PROFILE_PATH).placeholders())
    result = evaluate(kb, load_questions(args.questions, args.half))
    counts = result.counts
    print(
        f"half: {args.half}; questions: {counts['questions']} (in scope {counts['in scope']}, "
        f"urgent {counts['urgent']}, out of scope {counts['out']}); articles: {len(kb.articles)}"
    )
    for name, value in result.figures().items():
        target, sense = TARGETS[name]
        met = value >= target if sense == ">=" else value <= target
        print(
            f"{name:<22} {value:6.3f}   target {sense} {target:.2f}   {'met' if met else 'NOT MET'}"
        )
    print(f"{'asked to clarify':<22} {counts['clarify'] / max(counts['questions'], 1):6.3f}")
    print_details(
        result.misses if args.misses else None, result.confused if args.confusion else None
    )


def print_details(misses: list[str] | None, confused: Counter[tuple[str, str]] | None) -> None:
    """The questions missed, and the (expected, answered) topic pairs, when asked for."""
    if misses is not None:
        print("\n".join(["", *misses]))
    if confused is not None:
        pairs = confused.most_common()
        print("\n".join(["", *(f"{n:3}  {wanted} -> {got}" for (wanted, got), n in pairs)]))


if __name__ == "__main__":
    main()
