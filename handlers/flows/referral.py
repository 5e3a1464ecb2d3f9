"""Referral: a carer, or someone on their behalf, asks to be registered with the service (L9).

Who is referring comes first, then consent, before any personal detail is asked for. Three
questions check the carer is in scope (L2): anyone outside it is signposted kindly, by name and
number, and nothing is kept. Then the details, each skippable where that makes sense: the
communication needs the team must honour (L11), the best time to call, and optional monitoring
questions for carers referring themselves (L10). A read-back lets the carer correct any answer
before the referral is saved with its reference and the date we will call by (K5, P1). A third
party's referral asks the team to tell the referrer once contact is made (K6). Once consent and
a phone number are in hand, a caller who hangs up still gets a callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from handlers.commands import Consent, SaveReferral
from handlers.dialog import Event, Keyed, NoInput, Said
from handlers.engine import Choice, Node, Target, Turn, match_choice
from handlers.flows.confirmations import offer_text
from handlers.flows.nodes import AskNode, MenuNode, PhoneNode, answer, is_skip
from handlers.phones import phone_ending, spoken_phone

Action = Callable[[Turn], None]
Values = Callable[[Turn], dict[str, str]]

CONSENT_PROMPT = "referral_consent"
CONSENT_PROMPT_OTHER = "referral_consent_other"
CHANGING = "referral_changing"
ORGANISATION_SOURCES = ("professional", "agency")
FIELDS = (
    "referral_source",
    "referral_consent",
    CHANGING,
    "name",
    "phone",
    "postcode_or_district",
    "relationship",
    "condition",
    "carer_is_adult",
    "is_paid_carer",
    "caring_ended_over_limit",
    "communication_formats",
    "interpreter_language",
    "email",
    "best_time_to_call",
    "demographics",
    "referrer_name",
    "referrer_phone",
    "referrer_organisation",
)
"""Every answer this flow gathers: forgotten when it starts, is declined, signposts or saves."""

SOURCES = (
    ("self", "referral_option_self"),
    ("family", "referral_option_family"),
    ("professional", "referral_option_professional"),
    ("agency", "referral_option_agency"),
)
RELATIONSHIPS = (
    ("partner", "referral_rel_partner"),
    ("parent", "referral_rel_parent"),
    ("child", "referral_rel_child"),
    ("other_family", "referral_rel_family"),
    ("friend_or_neighbour", "referral_rel_friend"),
    ("other", "referral_rel_other"),
)
CONDITIONS = (
    ("older_age_frailty", "referral_cond_frailty"),
    ("dementia", "referral_cond_dementia"),
    ("physical_disability_long_term_illness", "referral_cond_physical"),
    ("mental_health", "referral_cond_mental_health"),
    ("learning_disability_autism", "referral_cond_learning"),
    ("substance_misuse", "referral_cond_substance"),
    ("end_of_life", "referral_cond_end_of_life"),
    ("other", "referral_cond_other"),
)
FORMATS = (
    ("large_print", "referral_comm_large_print"),
    ("easy_read", "referral_comm_easy_read"),
    ("british_sign_language", "referral_comm_bsl"),
    ("interpreter", "referral_comm_interpreter"),
    ("email", "referral_comm_email"),
    ("braille", "referral_comm_braille"),
)
BEST_TIMES = (
    ("morning", "referral_time_morning"),
    ("afternoon", "referral_time_afternoon"),
    ("any_time", "referral_time_any"),
)
GENDERS = (
    ("woman", "referral_gender_woman"),
    ("man", "referral_gender_man"),
    ("another_way", "referral_gender_another_way"),
)
AGE_BANDS = (
    ("under_25", "referral_age_under_25", 24),
    ("25_to_49", "referral_age_25_to_49", 49),
    ("50_to_64", "referral_age_50_to_64", 64),
    ("65_to_74", "referral_age_65_to_74", 74),
    ("75_and_over", "referral_age_75_and_over", 130),
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
_AGE = re.compile(r"\b(\d{2,3})\b")


def _third_party(turn: Turn) -> bool:
    return str(turn.answers.get("referral_source", "self")) != "self"


def _eligibility_values(turn: Turn) -> dict[str, str]:
    eligibility = turn.context.profile.eligibility
    return {"age": str(eligibility.minimum_age), "months": str(eligibility.former_carer_months)}


class Question(MenuNode):
    """A menu worded for the carer, or (``other_prompt``) for someone referring them.

    ``skip`` is where "skip", the keypad's hash key or the skip button lead; ``values`` fill
    run-time tokens in the question and in the choices' labels.
    """

    def __init__(
        self,
        node_id: str,
        prompt: str,
        choices: Sequence[Choice],
        *,
        other_prompt: str | None = None,
        skip: Target | None = None,
        skip_button: bool = True,
        values: Values | None = None,
    ) -> None:
        super().__init__(node_id, prompt, choices)
        self.other_prompt = other_prompt or prompt
        self.skip = skip
        self.skip_button = skip_button
        self.values = values

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The declared choices with their values, and a skip button when skipping is allowed."""
        choices = list(self._choices)
        if self.values is not None:
            values = self.values(turn)
            choices = [replace(choice, values=values) for choice in choices]
        if self.skip is not None and self.skip_button:
            choices.append(Choice("skip", "option_skip", self.skip))
        return choices

    def enter(self, turn: Turn) -> None:
        """Ask the question in the words that fit who is answering."""
        prompt = self.other_prompt if _third_party(turn) else self.prompt
        values = self.values(turn) if self.values else {}
        turn.menu(prompt, self.choices(turn), **values)

    def handle(self, turn: Turn, event: Event) -> None:
        """Skip where allowed, else follow the choice or reprompt."""
        if self.skip is not None and is_skip(event):
            turn.go(self.skip)
            return
        super().handle(turn, event)


class AgeQuestion(Question):
    """The age band, chosen, or worked out from an age said or typed ("I'm 52")."""

    def handle(self, turn: Turn, event: Event) -> None:
        """An age in words picks its band; anything else is handled as a menu answer."""
        if isinstance(event, Said) and match_choice(event, self.choices(turn), turn) is None:
            found = _AGE.search(event.text)
            age = int(found.group(1)) if found else 0
            band = next((value for value, _, upper in AGE_BANDS if 16 <= age <= upper), None)
            if band is not None:
                _demographic("age_band", band, "referral.disability")(turn)
                return
        super().handle(turn, event)


class FreeAnswer(AskNode):
    """A free answer, worded for the carer or (``other_prompt``) for someone referring them."""

    def __init__(
        self,
        node_id: str,
        prompt: str,
        key: str,
        then: Target,
        *,
        other_prompt: str | None = None,
        skippable: bool = False,
        clean: Callable[[str], str | None] = lambda text: text.strip() or None,
        max_length: int = 100,
    ) -> None:
        super().__init__(
            node_id, prompt, key, then, skippable=skippable, clean=clean, max_length=max_length
        )
        self.other_prompt = other_prompt or prompt

    def enter(self, turn: Turn) -> None:
        """Ask the question in the words that fit who is answering."""
        prompt = self.other_prompt if _third_party(turn) else self.prompt
        turn.ask(prompt, skippable=self.skippable)


class CarerPhone(PhoneNode):
    """The carer's number, given by someone referring them: the caller's own is not offered."""

    def enter(self, turn: Turn) -> None:
        """Ask for the number."""
        turn.ask(self.prompt, "phone", max_digits=11)

    def handle(self, turn: Turn, event: Event) -> None:
        """Take keyed, typed or spoken digits, or reprompt."""
        if isinstance(event, Keyed):
            self._keep(turn, event.digits)
        elif isinstance(event, Said):
            self._keep(turn, event.text)
        else:
            turn.no_match(silence=isinstance(event, NoInput))


class Start(Question):
    """Who is referring: a fresh start, forgetting any half-finished referral."""

    def __init__(self) -> None:
        super().__init__(
            "referral.start", "referral_who", _pick(SOURCES, "referral_source", "referral.consent")
        )

    def enter(self, turn: Turn) -> None:
        """Forget an earlier attempt, then ask who is referring."""
        _forget(turn)
        super().enter(turn)


class ReadBack(Question):
    """Read back what we have (never a whole phone number on the phone), then confirm."""

    def enter(self, turn: Turn) -> None:
        """The summary, then "Is that right?"."""
        lines = [turn.text("referral_summary_intro")]
        lines += [turn.text(key, value=value) for key, value in _summary(turn)]
        turn.say_text(("\n" if turn.medium == "chat" else " ").join(lines))
        super().enter(turn)


def _yes_no(yes: Target, no: Target) -> tuple[Choice, Choice]:
    return Choice("yes", "option_yes", yes, "1"), Choice("no", "option_no", no, "2")


def _pick(options: Sequence[tuple[str, str]], key: str, then: Target) -> list[Choice]:
    """One numbered choice per (value, label) that stores ``value`` under ``key``."""
    return [
        Choice(value, label, answer(key, value, then), str(digit))
        for digit, (value, label) in enumerate(options, start=1)
    ]


def _forget(turn: Turn) -> None:
    """Drop everything this flow gathered, and its pending callback."""
    for key in FIELDS:
        turn.answers.pop(key, None)
    if (turn.answers.get("pending_callback") or {}).get("kind") == "referral":
        turn.clear_pending_callback()


def _leave(turn: Turn, node_id: str) -> None:
    """Forget the referral and leave it: "back" then goes to where the carer was before."""
    _forget(turn)
    turn.state.history[:] = [
        node for node in turn.state.history if not node.startswith("referral.")
    ]
    turn.goto(node_id, remember=False)


def _then(target: Target) -> Action:
    """Go on to ``target``, or back to the read-back when the carer is correcting one answer."""

    def go_on(turn: Turn) -> None:
        if turn.answers.pop(CHANGING, False):
            turn.goto("referral.readback")
        else:
            turn.go(target)

    return go_on


def _skipped(key: str, then: Target) -> Action:
    def skip(turn: Turn) -> None:
        turn.answers.pop(key, None)
        turn.go(then)

    return skip


def _consented(turn: Turn) -> None:
    consent = turn.consent(CONSENT_PROMPT_OTHER if _third_party(turn) else CONSENT_PROMPT)
    turn.answers["referral_consent"] = {
        "at": consent.at.isoformat(),
        "version": consent.wording_version,
    }
    turn.goto("referral.referrer_name" if _third_party(turn) else "referral.adult")


def _declined(turn: Turn) -> None:
    turn.say("referral_no_consent")
    _leave(turn, "referral.other_help")


def _after_referrer_phone(turn: Turn) -> None:
    organisation = turn.answers.get("referral_source") in ORGANISATION_SOURCES
    turn.goto("referral.organisation" if organisation else "referral.adult")


def _signpost(kind: str, prompt: str) -> Action:
    """Out of scope (L2): say kindly where to go instead, keep nothing, offer other help."""

    def signpost(turn: Turn) -> None:
        where = turn.context.profile.eligibility.signposts[kind]
        turn.say(prompt, service=where.service, **_eligibility_values(turn))
        if where.phone:
            phone = where.phone
            if turn.medium == "voice":
                phone = spoken_phone(re.sub(r"\D", "", phone))
            turn.say("referral_signpost_phone", phone=phone)
        _leave(turn, "referral.other_help")

    return signpost


def _to_phone(turn: Turn) -> None:
    turn.goto("referral.carer_phone" if _third_party(turn) else "referral.phone")


def _phone_given(turn: Turn) -> None:
    turn.pending_callback(
        "referral",
        "Referral not finished",
        phone_key="referrer_phone" if _third_party(turn) else "phone",
    )
    _then("referral.place")(turn)


def _no_formats(turn: Turn) -> None:
    turn.answers.setdefault("communication_formats", [])
    _then("referral.best_time")(turn)


def _add_format(value: str) -> Action:
    def add(turn: Turn) -> None:
        formats = turn.answers.setdefault("communication_formats", [])
        if value not in formats:
            formats.append(value)
        ask_next = {"interpreter": "referral.language", "email": "referral.email"}
        turn.goto(ask_next.get(value, "referral.communication_more"))

    return add


def _clean_email(text: str) -> str | None:
    """An e-mail address, typed or spoken ("jane at example dot com")."""
    spoken = re.sub(r"\s+dot\s+", ".", re.sub(r"\s+at\s+", "@", f" {text.strip().lower()} "))
    address = spoken.replace(" ", "")
    return address if _EMAIL.fullmatch(address) else None


def _to_demographics(turn: Turn) -> None:
    """Monitoring questions are for the carer to answer, so third parties are not asked."""
    turn.goto("referral.readback" if _third_party(turn) else "referral.demographics")


def _demographic(key: str, value: str | bool, then: str) -> Action:
    def store(turn: Turn) -> None:
        turn.answers.setdefault("demographics", {})[key] = value
        turn.goto(then)

    return store


def _change(target: Target, *clear: str) -> Action:
    """Correct one answer from the read-back, then come back to it."""

    def change(turn: Turn) -> None:
        for key in clear:
            turn.answers.pop(key, None)
        turn.answers[CHANGING] = True
        turn.go(target)

    return change


def _label(turn: Turn, options: Sequence[tuple[str, str]], value: object) -> str:
    key = next(label for option, label in options if option == value)
    return turn.context.knowledge.prompts.text(key)


def _summary(turn: Turn) -> list[tuple[str, str]]:
    """(prompt key, value) for each line of the read-back, skipped answers left out."""
    answers, voice = turn.answers, turn.medium == "voice"
    lines: list[tuple[str, str]] = []
    if "name" in answers:
        lines.append(("referral_summary_name", answers["name"]))
    phone = answers["phone"]
    lines.append(("referral_summary_phone", phone_ending(phone) if voice else phone))
    if "postcode_or_district" in answers:
        lines.append(("referral_summary_place", answers["postcode_or_district"]))
    if "relationship" in answers:
        relationship = _label(turn, RELATIONSHIPS, answers["relationship"])
        lines.append(("referral_summary_relationship", relationship))
    if "condition" in answers:
        lines.append(("referral_summary_condition", _label(turn, CONDITIONS, answers["condition"])))
    needs = [_need(turn, value) for value in answers.get("communication_formats", [])]
    if needs:
        lines.append(("referral_summary_communication", ", ".join(needs)))
    if "best_time_to_call" in answers:
        best_time = _label(turn, BEST_TIMES, answers["best_time_to_call"])
        lines.append(("referral_summary_best_time", best_time))
    if _third_party(turn):
        referrer = [answers.get("referrer_name"), answers.get("referrer_organisation")]
        if not voice:
            referrer.append(answers.get("referrer_phone"))
        lines.append(
            ("referral_summary_referrer", ", ".join(str(part) for part in referrer if part))
        )
    return lines


def _need(turn: Turn, value: str) -> str:
    if value == "interpreter" and turn.answers.get("interpreter_language"):
        return turn.text("referral_summary_language", language=turn.answers["interpreter_language"])
    if value == "email" and turn.answers.get("email"):
        return turn.text("referral_summary_email", email=turn.answers["email"])
    return _label(turn, FORMATS, value)


def _details(answers: dict[str, Any]) -> dict[str, Any]:
    """The referral's details, with the keys staff tools expect; answers not given are left out."""
    plain = (
        "name",
        "phone",
        "postcode_or_district",
        "relationship",
        "condition",
        "carer_is_adult",
        "is_paid_carer",
        "caring_ended_over_limit",
        "best_time_to_call",
        "referrer_name",
        "referrer_phone",
        "referrer_organisation",
    )
    details = {key: answers[key] for key in plain if key in answers}
    if "communication_formats" in answers:
        needs: dict[str, Any] = {"formats": list(answers["communication_formats"])}
        for key in ("interpreter_language", "email"):
            if key in answers:
                needs[key] = answers[key]
        details["communication_needs"] = needs
    if answers.get("demographics"):
        details["demographics"] = dict(answers["demographics"])
    return details


def _save(turn: Turn) -> None:
    """Save the referral with its deadlines (K5), then give the reference and our promise."""
    answers, now, due_by = turn.answers, turn.now, turn.context.due_by
    source = str(answers["referral_source"])
    consent = answers["referral_consent"]
    reference = turn.context.new_reference("R")
    callback_due = due_by.referral_callback(now)
    turn.command(
        SaveReferral(
            reference=reference,
            source=source,
            details=_details(answers),
            consent=Consent(datetime.fromisoformat(consent["at"]), consent["version"]),
            received_at=now,
            acknowledge_due=due_by.referral_acknowledgement(now),
            first_contact_due=due_by.referral_first_contact(now),
            callback_due=callback_due,
            tell_referrer=source != "self",
        )
    )
    turn.clear_pending_callback()
    spelled = turn.reference_words(reference)
    saved = "referral_saved_other" if source != "self" else "referral_saved"
    turn.say(saved, reference=spelled, when=turn.callback_promise(callback_due))
    caller_phone = answers.get("referrer_phone" if source != "self" else "phone")
    _leave(
        turn,
        offer_text(turn, "referral", reference, caller_phone, callback_due, "main.anything_else"),
    )


NODES: tuple[Node, ...] = (
    Start(),
    Question(
        "referral.consent",
        CONSENT_PROMPT,
        _yes_no(_consented, _declined),
        other_prompt=CONSENT_PROMPT_OTHER,
    ),
    MenuNode(
        "referral.other_help",
        "what_next",
        (
            Choice("information", "option_information", "information.ask", "1"),
            Choice("menu", "option_main_menu", "main.menu", "2"),
        ),
    ),
    FreeAnswer(
        "referral.referrer_name",
        "referral_ask_referrer_name",
        "referrer_name",
        "referral.referrer_phone",
    ),
    PhoneNode(
        "referral.referrer_phone",
        "referrer_phone",
        _after_referrer_phone,
        prompt="referral_ask_referrer_phone",
    ),
    FreeAnswer(
        "referral.organisation",
        "referral_ask_organisation",
        "referrer_organisation",
        "referral.adult",
        max_length=200,
    ),
    Question(
        "referral.adult",
        "referral_ask_adult",
        _yes_no(
            answer("carer_is_adult", True, "referral.paid"),
            _signpost("young_carers", "referral_signpost_young"),
        ),
        other_prompt="referral_ask_adult_other",
        values=_eligibility_values,
    ),
    Question(
        "referral.paid",
        "referral_ask_paid",
        _yes_no(
            _signpost("paid_carers", "referral_signpost_paid"),
            answer("is_paid_carer", False, "referral.caring_now"),
        ),
        other_prompt="referral_ask_paid_other",
    ),
    Question(
        "referral.caring_now",
        "referral_ask_caring_now",
        (
            Choice(
                "now",
                "referral_caring_now",
                answer("caring_ended_over_limit", False, "referral.name"),
                "1",
            ),
            Choice(
                "recently",
                "referral_caring_ended_recently",
                answer("caring_ended_over_limit", False, "referral.name"),
                "2",
            ),
            Choice(
                "long_ago",
                "referral_caring_ended_long_ago",
                _signpost("former_carers", "referral_signpost_former"),
                "3",
            ),
        ),
        other_prompt="referral_ask_caring_now_other",
        values=_eligibility_values,
    ),
    FreeAnswer(
        "referral.name",
        "referral_ask_name",
        "name",
        _then(_to_phone),
        other_prompt="referral_ask_name_other",
        skippable=True,
    ),
    PhoneNode("referral.phone", "phone", _phone_given),
    CarerPhone("referral.carer_phone", "phone", _phone_given, prompt="referral_ask_carer_phone"),
    FreeAnswer(
        "referral.place",
        "referral_ask_place",
        "postcode_or_district",
        _then("referral.relationship"),
        other_prompt="referral_ask_place_other",
        skippable=True,
    ),
    Question(
        "referral.relationship",
        "referral_ask_relationship",
        _pick(RELATIONSHIPS, "relationship", _then("referral.condition")),
        other_prompt="referral_ask_relationship_other",
        skip=_skipped("relationship", _then("referral.condition")),
    ),
    Question(
        "referral.condition",
        "referral_ask_condition",
        _pick(CONDITIONS, "condition", _then("referral.communication")),
        skip=_skipped("condition", _then("referral.communication")),
    ),
    Question(
        "referral.communication",
        "referral_ask_communication",
        (
            *(
                Choice(value, label, _add_format(value), str(digit))
                for digit, (value, label) in enumerate(FORMATS, start=1)
            ),
            Choice("none", "referral_comm_none", _no_formats, str(len(FORMATS) + 1)),
        ),
        other_prompt="referral_ask_communication_other",
        skip=_no_formats,
        skip_button=False,
    ),
    FreeAnswer(
        "referral.language",
        "referral_ask_language",
        "interpreter_language",
        "referral.communication_more",
        other_prompt="referral_ask_language_other",
        skippable=True,
        max_length=60,
    ),
    FreeAnswer(
        "referral.email",
        "referral_ask_email",
        "email",
        "referral.communication_more",
        other_prompt="referral_ask_email_other",
        skippable=True,
        clean=_clean_email,
        max_length=200,
    ),
    Question(
        "referral.communication_more",
        "referral_ask_more_communication",
        _yes_no("referral.communication", _then("referral.best_time")),
    ),
    Question(
        "referral.best_time",
        "referral_ask_best_time",
        _pick(BEST_TIMES, "best_time_to_call", _then(_to_demographics)),
        other_prompt="referral_ask_best_time_other",
    ),
    Question(
        "referral.demographics",
        "referral_ask_demographics",
        (
            Choice("answer", "referral_demographics_answer", "referral.gender", "1"),
            Choice("skip_all", "referral_demographics_skip_all", "referral.readback", "2"),
        ),
        skip="referral.readback",
        skip_button=False,
    ),
    Question(
        "referral.gender",
        "referral_ask_gender",
        [
            Choice(value, label, _demographic("gender", value, "referral.age"), str(digit))
            for digit, (value, label) in enumerate(GENDERS, start=1)
        ],
        skip="referral.age",
    ),
    AgeQuestion(
        "referral.age",
        "referral_ask_age",
        [
            Choice(value, label, _demographic("age_band", value, "referral.disability"), str(digit))
            for digit, (value, label, _) in enumerate(AGE_BANDS, start=1)
        ],
        skip="referral.disability",
    ),
    Question(
        "referral.disability",
        "referral_ask_disability",
        _yes_no(
            _demographic("disability", True, "referral.readback"),
            _demographic("disability", False, "referral.readback"),
        ),
        skip="referral.readback",
    ),
    ReadBack("referral.readback", "referral_confirm", _yes_no(_save, "referral.change")),
    Question(
        "referral.change",
        "referral_ask_change",
        (
            Choice("name", "referral_change_name", _change("referral.name"), "1"),
            Choice("phone", "referral_change_phone", _change(_to_phone), "2"),
            Choice("place", "referral_change_place", _change("referral.place"), "3"),
            Choice(
                "relationship",
                "referral_change_relationship",
                _change("referral.relationship"),
                "4",
            ),
            Choice("condition", "referral_change_condition", _change("referral.condition"), "5"),
            Choice(
                "communication",
                "referral_change_communication",
                _change(
                    "referral.communication",
                    "communication_formats",
                    "interpreter_language",
                    "email",
                ),
                "6",
            ),
            Choice("best_time", "referral_change_best_time", _change("referral.best_time"), "7"),
        ),
    ),
)
