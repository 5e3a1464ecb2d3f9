"""Hostile console forms and pages: never a 5xx, and nothing typed comes back unescaped.

A supervisor signs in (so every page and form is open to the fuzz) and posts every form with a
real CSRF token from the page, hostile values in every field and odd extra fields. Pages get
hostile query strings and path values (ids that do not exist, ids too big for any database).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.auth import create_account
from store.models import FollowUpTask
from store.staff import SqlStaffAccounts
from tests.console.conftest import PASSWORD, csrf_token
from tests.console.seeding import (
    add_callback,
    add_card,
    add_card_request,
    add_referral,
    add_voicemail,
)
from tests.fuzz import hostile, routes
from tests.fuzz.conftest import FUZZ, OPEN, no_errors_logged

RAW_HTML = ("<script>alert(", "<img src=x", "</textarea><script>", "' onmouseover='")
HUGE_IDS = (0, 2**31, 2**63, 10**30)
RECORDING = "RE" + "c" * 32


@dataclass(frozen=True)
class Seeded:
    """Ids of one of each kind of item, so the forms have something real to act on."""

    referral_item: int
    card_item: int
    voicemail: int
    voicemail_item: int
    card: int
    follow_up: int
    colleague: int


@pytest.fixture
def seeded(db, fuzz_app, supervisor) -> Seeded:
    now = OPEN
    colleague = create_account(
        SqlStaffAccounts(db.sessions),
        username="bob",
        display_name="Bob Brown",
        password=PASSWORD,
        role="staff",
        phone=None,
        at=now,
    )
    referral = add_referral(db, now - timedelta(hours=2))
    referral_item = add_callback(db, now, kind="referral", referral_id=referral)
    card_request = add_card_request(db, now)
    card_item = add_callback(db, now, kind="card_request", card_request_id=card_request)
    voicemail = add_voicemail(db, now, recording_sid=RECORDING)
    voicemail_item = add_callback(db, now, kind="voicemail", voicemail_id=voicemail)
    fuzz_app.recordings.audio[RECORDING] = b"ID3 fuzz audio"
    card = add_card(db, now, "12345678", plan="Tablets at 8am.", contacts=[])
    with db.sessions.begin() as session:
        task = FollowUpTask(
            callback_id=voicemail_item, method="letter", reason="no_answer", created_at=now
        )
        session.add(task)
        session.flush()
        follow_up = task.id
    return Seeded(
        referral_item, card_item, voicemail, voicemail_item, card, follow_up, colleague.id
    )


def ids(real: int) -> st.SearchStrategy[int]:
    return st.one_of(st.just(real), st.sampled_from(HUGE_IDS))


def never_fails(response) -> str:
    """No 5xx, and no hostile HTML echoed raw."""
    assert response.status_code < 500, response.status_code
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    for marker in RAW_HTML:
        assert marker not in body, marker
    return body


def fields(**named: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    """A form: the named fields (each may be left out) plus hostile extra fields."""
    return st.fixed_dictionaries(
        {},
        optional={**named, "extra": hostile.hostile_text(), "csrf_token_2": hostile.hostile_text()},
    )


def form_for(rule: str, seeded: Seeded) -> st.SearchStrategy[tuple[str, dict[str, object]]]:
    """The path and the hostile form for one console form route."""
    text = hostile.hostile_text()
    choice = lambda *valid: st.one_of(st.sampled_from(valid), text)  # noqa: E731
    item = {
        "card-request": seeded.card_item,
        "referral": seeded.referral_item,
    }
    real = next((value for key, value in item.items() if key in rule), seeded.voicemail_item)
    by_rule: dict[str, st.SearchStrategy[dict[str, object]]] = {
        "reassign": fields(staff_id=choice(str(seeded.colleague), "0", "9" * 30)),
        "attempts": fields(result=choice("no_answer", "voicemail_left", "reached"), notes=text),
        "complete": fields(
            outcome=choice("information", "referred"),
            services=st.lists(choice("carers_assessment", "respite"), max_size=3),
            notes=text,
        ),
        "tell-referrer": fields(message=text),
        "decline": fields(note=text),
        "plan": fields(
            plan=text,
            **{
                f"contacts-{index}-{name}": text
                for index in ("0", "1", "99999999999999999999")
                for name in ("name", "relationship", "phone")
            },
        ),
        "done": fields(notes=text),
        "password": fields(current=choice(PASSWORD), new=text, again=text),
        "blocklist": fields(
            kind=choice("phone", "chat"),
            value=choice("07700 900999", "5512345678"),
            reason=text,
            days=choice("1", "30", "0", "9" * 30),
        ),
    }
    shape = next((value for key, value in by_rule.items() if rule.endswith(key)), fields())
    if "<int:callback_id>" in rule:
        path = ids(real).map(lambda value: rule.replace("<int:callback_id>", str(value)))
    elif "<int:card_id>" in rule:
        path = ids(seeded.card).map(lambda value: rule.replace("<int:card_id>", str(value)))
    elif "<int:task_id>" in rule:
        path = ids(seeded.follow_up).map(lambda value: rule.replace("<int:task_id>", str(value)))
    elif "<int:staff_id>" in rule:  # never the fuzzing supervisor: it must stay signed in
        path = ids(seeded.colleague).map(lambda value: rule.replace("<int:staff_id>", str(value)))
    elif "<int:entry_id>" in rule:
        path = ids(1).map(lambda value: rule.replace("<int:entry_id>", str(value)))
    else:
        path = st.just(rule)
    return st.tuples(path, shape)


SIGNED_IN_FORMS = tuple(rule for rule in routes.CONSOLE_FORMS if rule != "/console/login")
SIGNING_OUT = ("/console/logout", "/console/account/sign-out-everywhere")


@FUZZ
@given(data=st.data(), rule=st.sampled_from(SIGNED_IN_FORMS))
def test_every_console_form_survives_hostile_values(browser, supervisor, seeded, data, rule):
    path, form = data.draw(form_for(rule, seeded))
    with no_errors_logged():
        response = browser.post(path, form)
    never_fails(response)
    if rule in SIGNING_OUT:
        assert browser.sign_in(supervisor).status_code == 302  # back in for the next example


@FUZZ
@given(
    username=hostile.hostile_text(), password=hostile.hostile_text(), next_=hostile.hostile_text()
)
def test_the_sign_in_form_survives_hostile_values(app, username, password, next_):
    client = app.test_client()
    token = csrf_token(client.get("/console/login").get_data(as_text=True))
    data = {"csrf_token": token, "username": username, "password": password}
    with no_errors_logged():
        response = client.post(f"/console/login?{urlencode({'next': next_})}", data=data)
    never_fails(response)


QUERY_NAMES = (
    "view",
    "kind",
    "overdue",
    "urgent",
    "page",
    "show",
    "subject_type",
    "subject_id",
    "staff_id",
    "from",
    "to",
    "format",
    "item",
    "next",
)


def _fill(rule: str, placeholder: str, value: int) -> str:
    return rule.replace(placeholder, str(value))


def page_path(rule: str, seeded: Seeded) -> st.SearchStrategy[str]:
    if "<path:filename>" in rule:
        return st.one_of(st.just("console.css"), hostile.hostile_text()).map(
            lambda name: rule.replace("<path:filename>", quote(name or "x", safe=""))
        )
    real = {
        "<int:callback_id>": seeded.referral_item,
        "<int:card_id>": seeded.card,
        "<int:voicemail_id>": seeded.voicemail,
    }
    for placeholder, value in real.items():
        if placeholder in rule:
            return ids(value).map(partial(_fill, rule, placeholder))
    return st.just(rule)


@FUZZ
@given(
    data=st.data(),
    rule=st.sampled_from(routes.PAGES),
    query=st.dictionaries(
        st.one_of(st.sampled_from(QUERY_NAMES), st.text(max_size=8)),
        st.one_of(
            st.sampled_from(("1", "0", "-1", "9" * 30, "all", "csv", "2026-07-01", "y")),
            hostile.hostile_text(),
        ),
        max_size=5,
    ),
)
def test_every_page_survives_a_hostile_query(browser, seeded, data, rule, query):
    path = data.draw(page_path(rule, seeded))
    with no_errors_logged():
        response = browser.get(f"{path}?{urlencode(query)}")
    never_fails(response)
    if rule == "/readyz":
        assert response.status_code == 200
