"""The referral flow on chat and phone: consent first, eligibility, details, read-back, save."""

from __future__ import annotations

import hashlib

import pytest

from handlers.commands import SaveCallback, SaveReferral
from handlers.dialog import (
    Ask,
    Chose,
    Event,
    HungUp,
    Keyed,
    NoInput,
    Said,
    SharedContact,
    Transfer,
)
from handlers.flows import all_nodes
from handlers.flows.referral import FIELDS
from handlers.hours import DueByRules, WorkingCalendar
from tests.handlers.conftest import MONDAY_MORNING

CONSENTED = [Chose("referral"), Chose("self"), Chose("yes")]
ELIGIBLE = [Chose("yes"), Chose("no"), Chose("now")]
TO_READBACK = [
    *CONSENTED,
    *ELIGIBLE,
    Said("Jane Smith"),
    Said("07700 900123"),
    Said("CH41 5AB"),
    Chose("child"),
    Chose("dementia"),
    Chose("none"),
    Chose("morning"),
    Chose("skip_all"),
]


def run(d, events):
    d.start()
    for event in events:
        d.send(event)
    return d


def consent_version(knowledge, key):
    prompt = knowledge.prompts.get(key)
    digest = hashlib.sha256(f"{prompt.chat}\n{prompt.voice}".encode()).hexdigest()[:8]
    return f"{key}:{digest}"


def assert_nothing_kept(d):
    assert not d.saved(SaveReferral)
    assert not set(FIELDS) & set(d.answers)
    assert "pending_callback" not in d.answers


@pytest.mark.parametrize(
    ("medium", "caller", "events", "details"),
    [
        pytest.param(
            "chat",
            None,
            [
                Said("I want to register as a carer"),
                Said("It's for me"),
                Said("Yes"),
                Said("yes"),
                Said("no"),
                Said("still caring"),
                Said("Jane Smith"),
                SharedContact("+447700900123"),
                Said("CH41 5AB"),
                Said("I look after my mum"),
                Said("She has dementia"),
                Said("large print"),
                Said("yes"),
                Said("an interpreter"),
                Said("Polish"),
                Said("no"),
                Said("mornings are best"),
                Said("ok"),
                Said("woman"),
                Said("I'm 52"),
                Said("no"),
            ],
            {
                "name": "Jane Smith",
                "phone": "07700900123",
                "postcode_or_district": "CH41 5AB",
                "relationship": "child",
                "condition": "dementia",
                "carer_is_adult": True,
                "is_paid_carer": False,
                "caring_ended_over_limit": False,
                "communication_needs": {
                    "formats": ["large_print", "interpreter"],
                    "interpreter_language": "Polish",
                },
                "best_time_to_call": "morning",
                "demographics": {"gender": "woman", "age_band": "50_to_64", "disability": False},
            },
            id="chat-typed",
        ),
        pytest.param(
            "voice",
            "+447700900123",
            [
                Keyed("2"),
                Said("I'd like to refer myself"),
                Keyed("1"),
                Said("yes I am"),
                Said("no I'm not"),
                Keyed("1"),
                Said("Jane Smith"),
                Keyed("1"),
                Said("CH41 5AB"),
                Keyed("3"),
                Said("dementia"),
                Keyed("7"),
                Said("in the afternoon"),
                Keyed("2"),
            ],
            {
                "name": "Jane Smith",
                "phone": "07700900123",
                "postcode_or_district": "CH41 5AB",
                "relationship": "child",
                "condition": "dementia",
                "carer_is_adult": True,
                "is_paid_carer": False,
                "caring_ended_over_limit": False,
                "communication_needs": {"formats": []},
                "best_time_to_call": "afternoon",
            },
            id="voice-keypad-and-speech",
        ),
    ],
)
def test_self_referral_is_saved_with_deadlines_consent_and_reference(
    dialog, knowledge, profile, medium, caller, events, details
):
    d = run(dialog(medium=medium, caller=caller), events)
    assert d.node == "referral.readback"
    if medium == "voice":
        assert "ending 1 2 3" in d.text()
        assert "07700900123" not in d.text()
        assert "9 0 0" not in d.text()
    else:
        assert "07700900123" in d.text()
        assert "An interpreter for Polish" in d.text()

    d.send(Keyed("1") if medium == "voice" else Said("yes that's right"))

    [referral] = d.saved(SaveReferral)
    due_by = DueByRules(WorkingCalendar(profile))
    assert referral.source == "self"
    assert referral.tell_referrer is False
    assert referral.details == details
    assert referral.received_at == MONDAY_MORNING
    assert referral.acknowledge_due == due_by.referral_acknowledgement(MONDAY_MORNING)
    assert referral.first_contact_due == due_by.referral_first_contact(MONDAY_MORNING)
    assert referral.callback_due == due_by.referral_callback(MONDAY_MORNING)
    assert referral.consent.wording_version == consent_version(knowledge, "referral_consent")
    assert referral.consent.at == MONDAY_MORNING
    assert referral.reference.startswith("R-")
    spoken = " ".join(referral.reference.replace("-", ""))
    assert (spoken if medium == "voice" else referral.reference) in d.text()
    assert "We will call you by" in d.text()
    assert "information pack" in d.text()
    assert d.node == ("texts.offer" if medium == "voice" else "main.anything_else")
    assert_nothing_kept_after_save(d)


def assert_nothing_kept_after_save(d):
    assert not set(FIELDS) & set(d.answers)
    assert "pending_callback" not in d.answers
    assert not d.saved(SaveCallback)


def test_professional_referral_tells_the_referrer_and_keeps_their_details(dialog, knowledge):
    d = run(
        dialog(),
        [
            Chose("referral"),
            Chose("professional"),
            Chose("yes"),
            Said("Dr Ann Lee"),
            Said("01632 960777"),
            Said("Westshire Community Nursing"),
            Chose("yes"),
            Chose("no"),
            Chose("recently"),
            Said("Sam Jones"),
            Said("07700 900456"),
            Chose("skip"),
            Chose("partner"),
            Chose("mental_health"),
            Chose("none"),
            Chose("any_time"),
        ],
    )
    assert d.node == "referral.readback", "third parties are not asked monitoring questions"
    assert "Referred by: Dr Ann Lee, Westshire Community Nursing, 01632960777" in d.text()
    d.send(Chose("yes"))

    [referral] = d.saved(SaveReferral)
    assert referral.source == "professional"
    assert referral.tell_referrer is True
    assert referral.consent.wording_version == consent_version(knowledge, "referral_consent_other")
    assert referral.details == {
        "name": "Sam Jones",
        "phone": "07700900456",
        "relationship": "partner",
        "condition": "mental_health",
        "carer_is_adult": True,
        "is_paid_carer": False,
        "caring_ended_over_limit": False,
        "communication_needs": {"formats": []},
        "best_time_to_call": "any_time",
        "referrer_name": "Dr Ann Lee",
        "referrer_phone": "01632960777",
        "referrer_organisation": "Westshire Community Nursing",
    }
    assert "We will call the carer by" in d.text()


def test_family_referral_on_the_phone_asks_for_the_carers_own_number(dialog):
    d = run(
        dialog(medium="voice", caller="+447700900123"),
        [Keyed("2"), Keyed("2"), Keyed("1"), Said("Priya Shah"), Keyed("1")],
    )
    assert d.node == "referral.adult", "a family member has no organisation to give"
    assert d.answers["referrer_phone"] == "07700900123"
    d.send(Keyed("1"))
    d.send(Keyed("2"))
    d.send(Keyed("2"))
    d.send(Said("Ravi Shah"))
    assert d.node == "referral.carer_phone"
    assert isinstance(d.replies[-1], Ask), "the caller's own number is not offered for the carer"
    d.send(Keyed("07700900456"))
    assert d.answers["phone"] == "07700900456"
    assert d.node == "referral.place"


@pytest.mark.parametrize("source", ["self", "family", "agency"])
def test_declining_consent_keeps_nothing_and_offers_other_help(dialog, source):
    d = run(dialog(), [Chose("referral"), Chose(source), Chose("no")])
    assert d.node == "referral.other_help"
    assert "haven't kept anything" in d.text()
    assert_nothing_kept(d)
    d.send(Chose("menu"))
    assert d.node == "main.menu"


@pytest.mark.parametrize(
    ("medium", "answers", "signpost", "also_says"),
    [
        ("chat", [Chose("no")], "young_carers", "16 or 17"),
        ("voice", [Keyed("2")], "young_carers", "0 1 6 3 2, 9 6 0, 3 0 0"),
        ("chat", [Chose("yes"), Chose("yes")], "paid_carers", "without being paid"),
        ("chat", [Chose("yes"), Chose("no"), Chose("long_ago")], "former_carers", "12 months"),
        ("voice", [Keyed("1"), Keyed("2"), Said("years ago")], "former_carers", "12 months"),
    ],
)
def test_out_of_scope_carers_are_signposted_and_nothing_is_kept(
    dialog, profile, medium, answers, signpost, also_says
):
    start = [Keyed("2"), Keyed("1"), Keyed("1")] if medium == "voice" else CONSENTED
    d = run(dialog(medium=medium), [*start, *answers])
    where = profile.eligibility.signposts[signpost]
    assert where.service in d.text()
    assert also_says in d.text()
    if where.phone and medium == "chat":
        assert where.phone in d.text()
    assert d.node == "referral.other_help"
    assert_nothing_kept(d)
    d.send(Said("back"))
    assert d.node == "main.menu", "going back does not re-enter the referral"


def test_questions_can_be_skipped(dialog):
    d = run(
        dialog(medium="voice", caller="+447700900123"),
        [
            Keyed("2"),
            Keyed("1"),
            Keyed("1"),
            Keyed("1"),
            Keyed("2"),
            Keyed("1"),
            Keyed("#"),
            Keyed("1"),
            Said("skip"),
            Keyed("#"),
            Said("rather not say"),
            Said("no thanks"),
            Keyed("3"),
            Keyed("1"),
            Keyed("#"),
            Said("prefer not to say"),
            Keyed("#"),
        ],
    )
    assert d.node == "referral.readback"
    d.send(Keyed("1"))
    [referral] = d.saved(SaveReferral)
    assert referral.details == {
        "phone": "07700900123",
        "carer_is_adult": True,
        "is_paid_carer": False,
        "caring_ended_over_limit": False,
        "communication_needs": {"formats": []},
        "best_time_to_call": "any_time",
    }


@pytest.mark.parametrize(
    ("change", "events", "expected"),
    [
        ("name", [Said("Janet Smith")], {"name": "Janet Smith"}),
        ("phone", [Said("01632 960999")], {"phone": "01632960999"}),
        ("place", [Said("Birkenhead")], {"postcode_or_district": "Birkenhead"}),
        ("relationship", [Chose("friend_or_neighbour")], {"relationship": "friend_or_neighbour"}),
        ("relationship", [Chose("skip")], {"relationship": None}),
        ("condition", [Chose("end_of_life")], {"condition": "end_of_life"}),
        (
            "communication",
            [Chose("email"), Said("jane at example dot com"), Chose("no")],
            {"communication_needs": {"formats": ["email"], "email": "jane@example.com"}},
        ),
        ("best_time", [Chose("afternoon")], {"best_time_to_call": "afternoon"}),
    ],
)
def test_an_answer_can_be_changed_from_the_read_back(dialog, change, events, expected):
    d = run(dialog(), TO_READBACK)
    assert d.node == "referral.readback"
    d.send(Chose("no"))
    assert d.node == "referral.change"
    d.send(Chose(change))
    for event in events:
        d.send(event)
    assert d.node == "referral.readback"
    assert "referral_changing" not in d.answers
    d.send(Chose("yes"))
    [referral] = d.saved(SaveReferral)
    for key, value in expected.items():
        assert referral.details.get(key) == value


@pytest.mark.parametrize(
    ("medium", "node_id", "person_node"),
    [
        ("voice", "referral.start", "person.offer"),
        ("chat", "referral.start", "person.options"),
        ("chat", "referral.name", "person.options"),
    ],
)
def test_silence_and_nonsense_reprompt_then_offer_a_person(dialog, medium, node_id, person_node):
    start: list[Event] = [Keyed("2")] if medium == "voice" else [Chose("referral")]
    if node_id == "referral.name":
        start += [Chose("self"), Chose("yes"), *ELIGIBLE]
    d = run(dialog(medium=medium), start)
    assert d.node == node_id
    d.send(NoInput())
    assert "didn't" in d.text()
    assert d.node == node_id
    d.send(Said("") if node_id == "referral.name" else Said("purple elephants"))
    assert d.node == node_id
    d.send(NoInput())
    assert d.node == person_node
    if person_node == "person.offer":
        assert isinstance(d.replies[-1], Transfer)


def test_crisis_words_mid_referral_divert_to_crisis(dialog):
    if "crisis.start" not in all_nodes():
        pytest.skip("the crisis flow is not built yet")
    d = run(dialog(), [*CONSENTED, *ELIGIBLE, Said("Jane Smith"), Said("07700 900123")])
    assert d.node == "referral.place"
    d.send(Said("I feel suicidal"))
    assert d.node == "crisis.start"
    assert not d.saved(SaveReferral)


@pytest.mark.parametrize(
    ("medium", "caller", "events", "callback_phone"),
    [
        ("chat", None, [Said("Jane Smith"), Said("07700 900123")], "07700900123"),
        ("voice", "+447700900123", [Said("Jane Smith"), Keyed("1")], "07700900123"),
        ("chat", None, [Said("Jane Smith")], None),
        ("voice", "+447700900123", [], None),
    ],
)
def test_hanging_up_after_consent_and_phone_still_gets_a_callback(
    dialog, medium, caller, events, callback_phone
):
    start = [Keyed("2"), Keyed("1"), Keyed("1")] if medium == "voice" else CONSENTED
    eligible = [Keyed("1"), Keyed("2"), Keyed("1")] if medium == "voice" else ELIGIBLE
    d = run(dialog(medium=medium, caller=caller), [*start, *eligible, *events])
    d.send(HungUp())
    callbacks = d.saved(SaveCallback)
    assert not d.saved(SaveReferral)
    if callback_phone is None:
        assert not callbacks, "no callback before a phone number is given with consent"
        return
    [callback] = callbacks
    assert callback.ended_early is True
    assert callback.kind == "referral"
    assert callback.reason == "Referral not finished"
    assert callback.phone == callback_phone
