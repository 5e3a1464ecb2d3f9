"""The search's own token-set similarity gives exactly the figure rapidfuzz gives."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from knowledge.search import FUZZY_BY_LENGTH_WORDS, _token_set_similarity, _Words

# A small alphabet of short words, so texts share words, differ by a letter, or differ wholly.
WORDS = (
    "my mum mam me help helps carer carers care a i money assessment assess at work worker for "
    "him her dementia"
)
WORD = st.sampled_from(WORDS.split())
TEXT = st.lists(WORD, min_size=1, max_size=45).map(" ".join)


def rapidfuzz_best(question: str, phrases: list[str]) -> float:
    match = process.extractOne(question, phrases, scorer=fuzz.token_set_ratio, processor=None)
    return match[1] / 100.0 if match else 0.0


@settings(max_examples=400, deadline=None)
@given(question=TEXT, phrases=st.lists(TEXT, min_size=1, max_size=8))
def test_same_figure_as_rapidfuzz(question, phrases):
    mine = _token_set_similarity(_Words(question), [_Words(phrase) for phrase in phrases])
    assert mine == rapidfuzz_best(question, phrases)


def test_same_figure_on_long_questions_and_real_phrases(kb):
    questions = [
        "my mum has dementia and i have been looking after her for years and now i am so tired "
        "that i cannot think straight at work and my boss keeps asking what is wrong with me so "
        "should i tell him about my caring and can i ask for time off",
        "i am 54 and cared for my wife for twelve years until she passed away last month and "
        "now i do not know what to do with myself or whether my carers allowance stops",
    ]
    for question in questions:
        assert len(_Words(question).words) >= FUZZY_BY_LENGTH_WORDS
        for phrases in kb.index._phrases:
            mine = _token_set_similarity(_Words(question), [_Words(p) for p in phrases])
            assert mine == rapidfuzz_best(question, phrases)


def test_empty_question_scores_nothing():
    assert _token_set_similarity(_Words(""), [_Words("carers allowance")]) == 0.0
