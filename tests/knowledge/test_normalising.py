"""Normalising, stemming and spelling rules, subjects we do not advise on, and the crisis check.

Questions and article phrases go through the same steps, so messy wording meets the articles'
wording (issue 3, search item 6: misspellings, speech-to-text, regional words).
"""

from pathlib import Path

import pytest

from knowledge.crisis import load_crisis_list
from knowledge.loader import KnowledgeError, load_not_ours
from knowledge.spelling import Speller
from knowledge.terms import content_terms, stem
from knowledge.text import canonical

CANONICAL = [
    ("Erm, basically the nanna's got dementia", "the gran got dementia"),
    ("me mam wont", "my mum wont"),
    ("wat time do u close", "what time do you close"),
    ("our kid needs owt", "my brother needs anything"),
    ("she needs help thirty five hours a week", "she needs help 35 hours a week"),
    ("twenty one days in hospital", "21 days in hospital"),
    ("he's twelve", "hes 12"),
    ("no one comes", "no one comes"),
    ("my wife's behavior at the center", "my wifes behaviour at the centre"),
    ("ocd and ptsd", "obsessive compulsive disorder and post traumatic stress"),
    ("Café crème", "cafe creme"),
    ("out the infirmary, the gaffer was proper mithered", "out the hospital the boss was stressed"),
    ("i havent slept", "i havent sleep"),
]

STEMS = [
    ("family", "famili"),
    ("families", "famili"),
    ("caring", "care"),
    ("cared", "care"),
    ("carers", "carer"),
    ("assessments", "assessment"),
    ("hopping", "hop"),
    ("hoping", "hope"),
    ("agreed", "agree"),
    ("crisis", "crisis"),
    ("bus", "bus"),
    ("needs", "need"),
]


@pytest.mark.parametrize(("text", "expected"), CANONICAL)
def test_canonical_folds_fillers_regional_words_spellings_and_numbers(text, expected):
    assert canonical(text) == expected


@pytest.mark.parametrize(("word", "expected"), STEMS)
def test_stemming_folds_plurals_and_endings_alike(word, expected):
    assert stem(word) == expected


def test_content_terms_drop_stopwords_and_stem():
    assert content_terms("how do i help my families with caring") == ["help", "famili", "care"]


def test_a_set_phrase_adds_a_term_of_its_own_each_time_it_is_used():
    terms = content_terms(canonical("What's a carer's assessment? Is it like carers leave?"))
    assert terms.count("carersassessment") == 1 and terms.count("carersleave") == 1
    assert content_terms("can i leave him alone to go to work") == ["leave", "alone", "work"]
    assert "carersassessment" in content_terms(canonical("an assessment as a carer"))


def test_whose_needs_adds_a_term_for_the_carer_or_the_person_cared_for():
    assert "forself" in content_terms(canonical("is there any help for me"))
    assert "forself" in content_terms(canonical("what about my own health"))
    assert "forothers" in content_terms(canonical("is there any help for her"))
    assert not {"forself", "forothers"} & set(content_terms(canonical("can i get a break")))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("allowence", "allowance"),  # misspelt: nearest knowledge-base word, same first letter
        ("asessmant", "assessment"),
        ("parking", "parking"),  # real English is never "corrected"
        ("alow", "alow"),  # too short to guess safely
        ("zzzzzz", "zzzzzz"),  # nothing close enough
    ],
)
def test_speller_corrects_only_unknown_long_words(word, expected):
    speller = Speller({"allowance", "assessment", "packing"})
    assert speller.correct_word(word) == expected


def test_a_misspelling_written_into_a_phrase_is_corrected_like_the_question(kb):
    typed = kb.search("carers alowence how much")
    assert typed.hits and typed.hits[0].topic == "carers-allowance"


@pytest.mark.parametrize(
    "question",
    [
        "cheapest mobile phone contract",
        "what time does the supermarket open on sunday",
        "translate thank you into spanish",
        "how do i renew my passport",
        "boiler repair engineer near me",
    ],
)
def test_subjects_we_do_not_advise_on_get_no_answer(kb, question):
    answer = kb.search(question)
    assert answer.out_of_scope and answer.best is None


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("what time do you open on a sunday", "service-hours-contact"),
        ("extra help at school for my disabled son", "parent-carers"),
        ("help with energy bills for carers", "benefits-check-other-help"),
        ("respite so we can go on holiday", "breaks-respite"),
    ],
)
def test_our_own_subjects_near_those_lists_are_still_answered(kb, question, topic):
    answer = kb.search(question)
    assert not answer.out_of_scope
    assert topic in [hit.topic for hit in answer.hits]


def test_not_ours_list_refuses_a_subject_without_phrases(tmp_path):
    path = tmp_path / "not_ours.yaml"
    path.write_text("subjects:\n  - id: shopping\n    phrases: []\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"subjects\[0\] needs"):
        load_not_ours(path)


def test_a_harmless_phrase_may_not_hide_a_crisis_phrase(tmp_path, values):
    shipped = Path("knowledge/crisis.yaml").read_text(encoding="utf-8")
    path = tmp_path / "crisis.yaml"
    path.write_text(shipped.replace("not_crisis:\n", "not_crisis:\n  - kill myself\n", 1))
    with pytest.raises(KnowledgeError, match="would hide crisis phrase"):
        load_crisis_list(values, path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is p i p means tested", "is pip means tested"),
        ("what is a d n r", "what is a dnr"),  # "a" starts no word of ours, so it stays
        ("am i a carer", "am i a carer"),  # single letters that spell nothing of ours
        ("r u open", "r u open"),
    ],
)
def test_speller_joins_names_spelt_out_letter_by_letter(text, expected):
    speller = Speller({"pip", "dnr", "gp", "carer"})
    assert speller.join_letters(text) == expected


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("what is a d n r", "end-of-life-advance-planning"),
        ("how do i get an e h c p for my son", "parent-carers"),
    ],
)
def test_a_name_spelt_out_by_speech_to_text_is_found(kb, question, topic):
    answer = kb.search(question)
    assert answer.hits and answer.hits[0].topic == topic
