"""Text messages past the limit (issue 8 item 6): not queued, never retried, audited in counts.

Five texts per caller number or chat, and five to any one number, in 24 hours. The duty team's
alert about a used emergency card goes to the service's own number and is never limited.
"""

from __future__ import annotations

from handlers.cards import with_check_digit
from handlers.limits import Subject
from store.limits import stored_subject
from store.models import AuditEvent, Callback, EmergencyCard, OutboxMessage, UsageEvent
from tests.conftest import london

CALLER = "+447700900123"
CONTACT = "07700900456"


def callback_with_text_offer(call):
    c = call(CALLER)
    c.press("4")
    c.press("#")
    c.press("2")
    c.press("1")
    c.press("1")
    c.press("1")
    c.press("1")  # that is right: the text is offered next
    assert "text" in c.text
    return c


def test_a_confirmation_text_within_the_limit_is_queued_and_counted(call, rows):
    c = callback_with_text_offer(call)
    c.press("1")  # yes, text me
    assert "The text will come" in c.text
    [text] = rows(OutboxMessage)
    assert text.recipient == "07700900123"
    sms = [event.subject for event in rows(UsageEvent, action="sms")]
    assert sms == [stored_subject(Subject("phone", CALLER))]
    assert "900123" not in sms[0]  # counted by a keyed hash, never the number (L12)


def test_past_the_limit_no_text_is_queued_and_the_reference_is_given_again(call, rows, used):
    used("sms", Subject("phone", CALLER), 5)
    c = callback_with_text_offer(call)
    c.press("1")  # yes, text me
    [callback] = rows(Callback)
    assert "as many texts to that number as we can today" in c.text
    assert " ".join(callback.reference.replace("-", "")) in c.text
    assert rows(OutboxMessage) == []  # not queued, so never sent or retried
    [refused] = rows(AuditEvent, action="limit_refused")
    assert refused.detail == {"action": "sms", "refusal": "over_limit", "count": 5, "limit": 5}


def test_a_card_activation_alerts_the_duty_team_even_when_the_contact_is_over_the_limit(
    db, call, rows, used
):
    number = with_check_digit("1234567")
    with db.sessions.begin() as session:
        session.add(
            EmergencyCard(
                number=number,
                contacts=[{"name": "Sam", "relationship": "son", "phone": CONTACT}],
                issued_at=london("2026-10-01T12:00"),
            )
        )
    used("sms", Subject("phone", "+447700900456"), 5)  # the contact has had five texts today
    c = call("+447700900789")
    c.press("3")
    c.press("2")  # a card is being used
    c.press(number)
    [duty] = rows(OutboxMessage)
    assert duty.recipient == "01632960999"  # the duty team is always told
    [activation] = rows(Callback, kind="card_activation")
    assert activation.urgency == "urgent"  # staff act on it whatever the texts
    [refused] = rows(AuditEvent, action="limit_refused")
    assert refused.detail["action"] == "sms"
