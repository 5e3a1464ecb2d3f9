"""Search behaviour: crisis first, out-of-scope says so, everyday questions find their topic."""

import json

import pytest
from click.testing import CliRunner

from cli import main
from knowledge.search import CLARIFY_GAP, CLARIFY_THIRD_GAP
from knowledge.terms import content_terms
from knowledge.text import canonical

CRISIS = [
    ("I want to kill myself", "suicide"),
    ("i cant go on anymore, everyone would be better off without me", "suicide"),
    ("mum has taken all her tablets at once", "overdose"),
    ("my dad has collapsed and isn't breathing", "medical-emergency"),
    ("he's hitting me and I'm scared", "violence"),
    ("I'm frightened I'm going to hurt her, I nearly lost it today", "harm-to-cared-for"),
    ("my son is hearing voices and says he wants to die", "mental-health-crisis"),
    ("the carer from the agency has been stealing from my mum", "abuse-neglect"),
    ("ive been cutting myself again", "self-harm"),
    ("me mam wont wake up", "medical-emergency"),
]

NOT_CRISIS = [
    "how do I get a carers emergency card",
    "what happens in an emergency if I'm taken ill",
    "I'm exhausted and stressed all the time",
    "my dad had a fall last month, can we get grab rails",
    "hospice at home for someone who is dying",
    "how do I make an emergency plan",
    "first aid course for carers",
]

EVERYDAY = [
    ("how much is carers allowance", "carers-allowance"),
    ("can I get a break from looking after my husband", "breaks-respite"),
    ("how do i become my mums power of attorney", "lasting-power-of-attorney"),
    ("what time are you open", "service-hours-contact"),
    ("my wife has dementia and keeps getting lost", "dementia"),
    ("council tax discount because my dad has alzheimers", "council-tax-reductions"),
    (
        "can I ask my employer for flexible working to look after my mum",
        "working-carers-flexible-working",
    ),
    ("grab rails and a stairlift for my mum", "equipment-adaptations-telecare"),
    ("how do I ask the council for a carers assessment", "carers-assessment"),
    ("paying for a care home", "care-homes-paying-for-care"),
]

OUT_OF_SCOPE = [
    "what's the capital of France",
    "football scores tonight",
    "recipe for lasagne",
    "how do I renew my car tax",
]

# Blue Badge parking is ours (help for the person cared for, L14); parking fines are not.
BLUE_BADGE = [
    "how do i get a blue badge for me dad",
    "disabled parking badge for my wife, she cant walk far",
    "can my son with autism get a blue badge",
    "blu badge renewal",
]
PARKING_FINES = ["i got a parking ticket outside the shops", "appeal a penalty charge notice"]

# Whose assessment: the carer's own (carer's assessment) or the person cared for (needs assessment).
WHOSE_ASSESSMENT = [
    ("a social worker offered me an assessment as a carer, what is it", "carers-assessment"),
    ("can social services assess my mum to see what care she needs", "needs-assessment-cared-for"),
    (
        "my dad needs more help, how do we get the council to assess his care needs",
        "needs-assessment-cared-for",
    ),
    ("the social worker is coming to assess my husband", "needs-assessment-cared-for"),
    ("what goes on at a carers assesment", "carers-assessment"),
]


@pytest.mark.parametrize(("question", "category"), CRISIS)
def test_crisis_words_always_flag_urgent(kb, question, category):
    answer = kb.search(question)
    assert answer.urgent and answer.crisis is not None
    assert answer.crisis.category == category
    assert answer.hits[0].topic == "crisis-urgent-help"


@pytest.mark.parametrize("question", NOT_CRISIS)
def test_alarming_looking_everyday_questions_are_not_urgent(kb, question):
    assert not kb.search(question).urgent


@pytest.mark.parametrize(("question", "topic"), EVERYDAY)
def test_everyday_questions_find_their_topic(kb, question, topic):
    answer = kb.search(question)
    assert not answer.out_of_scope
    assert topic in [hit.topic for hit in answer.hits[:3]]


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_get_no_answer(kb, question):
    answer = kb.search(question)
    assert answer.out_of_scope and answer.best is None and answer.as_json()["results"] == []


@pytest.mark.parametrize("question", BLUE_BADGE)
def test_blue_badge_questions_find_the_blue_badge_article(kb, question):
    answer = kb.search(question)
    assert answer.best is not None and answer.best.article_id == "blue-badge-parking"


@pytest.mark.parametrize("question", PARKING_FINES)
def test_parking_fines_stay_out_of_scope(kb, question):
    assert kb.search(question).out_of_scope


@pytest.mark.parametrize(("question", "topic"), WHOSE_ASSESSMENT)
def test_assessment_questions_find_whose_assessment_is_asked_about(kb, question, topic):
    answer = kb.search(question)
    assert answer.best is not None and answer.best.topic == topic


def test_scoring_the_shortlist_best_first_keeps_the_top_three(kb):
    """The fuzzy match is skipped only for articles that could not reach the top three."""
    index = kb.index
    for question in [*(q for q, _ in EVERYDAY), *BLUE_BADGE, "help", "my mum", "forms"]:
        text = index._speller.correct(canonical(question))
        terms = content_terms(text)
        quick, quick_not_ours = index._rank(text, terms, every=False)
        full, full_not_ours = index._rank(text, terms, every=True)
        assert quick[:3] == full[:3]
        assert (quick_not_ours >= quick[0].score) == (full_not_ours >= full[0].score)


@pytest.mark.parametrize("question", ["", "a", "?!", "  "])
def test_too_short_questions_get_no_answer(kb, question):
    assert kb.search(question).out_of_scope


def test_speech_fillers_and_regional_words_do_not_change_the_answer(kb):
    plain = kb.search("can I get carers allowance for looking after my mum")
    spoken = kb.search("erm basically can i get carers allowance you know for looking after me mam")
    assert plain.hits[0].article_id == spoken.hits[0].article_id


def test_misspellings_are_corrected(kb):
    answer = kb.search("carers alowance elegibility")
    assert answer.hits[0].topic == "carers-allowance"


def test_clarify_offers_two_or_three_different_topics(kb):
    answers = [kb.search(q) for q in ("money", "help", "forms", "care", "assessment")]
    clarifying = [a for a in answers if a.clarify]
    for answer in clarifying:
        topics = [hit.topic for hit in answer.choices]
        assert 2 <= len(topics) <= 3 and len(set(topics)) == len(topics)
        assert answer.best is None
        first, second, *third = (hit.score for hit in answer.choices)
        assert first - second <= CLARIFY_GAP + 1e-4
        assert all(first - score <= CLARIFY_THIRD_GAP + 1e-4 for score in third)


def test_ask_json_prints_one_object(kb):
    result = CliRunner().invoke(main, ["ask", "--json", "how much is carers allowance"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"query", "urgent", "out_of_scope", "clarify", "results"}
    assert data["results"][0]["topic"] == "carers-allowance"
    assert set(data["results"][0]) == {"id", "topic", "title", "score"}


def test_ask_json_batch_reads_stdin_in_order():
    questions = ["how much is carers allowance", "recipe for lasagne", "I want to end it all"]
    result = CliRunner().invoke(main, ["ask", "--json"], input="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == questions
    assert lines[1]["out_of_scope"] and lines[2]["urgent"]


def test_ask_prints_what_a_chat_user_reads():
    result = CliRunner().invoke(main, ["ask", "I want to end it all"])
    assert "999" in result.output and "116 123" in result.output and "01632 960999" in result.output
    article = CliRunner().invoke(main, ["ask", "how much is carers allowance"]).output
    assert "£86.45" in article and "Where this comes from:" in article


def test_after_the_answer_the_results_offer_other_topics_before_more_of_the_same(kb):
    answer = kb.search("what is power of attorney", 5)
    topics = [hit.topic for hit in answer.hits]
    assert answer.best is not None and answer.best.topic == topics[0]
    distinct = list(dict.fromkeys(topics))
    assert topics[: len(distinct)] == distinct  # each topic's first hit before any repeat
    assert len(distinct) >= 2 and topics[1] != topics[0]
