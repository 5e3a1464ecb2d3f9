"""Flesch reading ease, computed offline, agrees with the formula on hand-counted text."""

import pytest

from knowledge.readability import flesch_reading_ease, plain_text, syllables


@pytest.mark.parametrize(
    ("word", "count"),
    [("cat", 1), ("carer", 2), ("allowance", 3), ("every", 3), ("frobnicated", 4), ("116", 1)],
)
def test_syllables(word, count):
    assert syllables(word) == count


def test_formula_on_a_hand_counted_passage():
    # 2 sentences, 10 words, 13 syllables ("carer", "about" and "money" have 2).
    text = "The carer can get help. Ask us about money now."
    expected = 206.835 - 1.015 * (10 / 2) - 84.6 * (13 / 10)
    assert flesch_reading_ease(text) == pytest.approx(expected)


def test_markdown_marks_do_not_count_as_words():
    assert plain_text("## What to do next\n- Call us\n- [Read more](https://gov.uk)") == (
        "What to do next.\nCall us.\nRead more."
    )
