"""What the core asks the store to write, in the same transaction as the new state.

Records are applied before the reply goes back.

The store adds the channel and the conversation each record came from (L12).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.limits import Action, Refusal, Subject


@dataclass(frozen=True)
class Consent:
    """Explicit consent to store and share, with when it was given and which wording was used."""

    at: datetime
    wording_version: str


@dataclass(frozen=True)
class SaveCallback:
    """A person must call this carer back by ``due_by`` (L7, L8)."""

    reference: str
    kind: str
    reason: str | None
    phone: str | None
    received_at: datetime
    due_by: datetime
    urgent: bool = False
    window_start: datetime | None = None
    window_end: datetime | None = None
    ended_early: bool = False
    recording: dict[str, Any] | None = None
    consent: Consent | None = None


@dataclass(frozen=True)
class SaveReferral:
    """A referral to the service, with the callback that starts the first contact."""

    reference: str
    source: str
    details: dict[str, Any]
    consent: Consent
    received_at: datetime
    acknowledge_due: datetime
    first_contact_due: datetime
    callback_due: datetime
    tell_referrer: bool


@dataclass(frozen=True)
class SaveCardRequest:
    """A request to join the emergency card scheme, for staff to approve (K7, W1, P2)."""

    reference: str
    details: dict[str, Any]
    contacts: tuple[dict[str, str], ...]
    consent: Consent
    received_at: datetime
    callback_due: datetime


@dataclass(frozen=True)
class SaveCardActivation:
    """Someone called because a card holder is in an emergency: urgent, whatever the number."""

    reference: str
    number_given: str
    card_id: int | None
    received_at: datetime
    due_by: datetime
    contact_phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordFeedback:
    """The answer to "Did that help?" for one article."""

    article_id: str
    helped: bool
    at: datetime


@dataclass(frozen=True)
class RecordUnanswered:
    """A question the knowledge base could not answer, for content editors."""

    question: str
    at: datetime
    clarify_offered: bool = False


@dataclass(frozen=True)
class QueueMessage:
    """A message for the outbox (SMS or Telegram), delivered and retried by the clock."""

    channel: str
    recipient: str
    text: str
    dedupe_key: str
    at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EndConversation:
    """Mark the conversation finished, with why."""

    reason: str
    at: datetime


@dataclass(frozen=True)
class ForgetConversation:
    """The carer asked us to forget this conversation (chat /forget).

    Erase its transcript and what it gathered, and the personal details of its records, except
    what an open callback, referral or card request still needs to reach the carer.
    """

    at: datetime


@dataclass(frozen=True)
class CountUse:
    """Count a costly action (a callback queued, a text sent) against each subject's limit."""

    action: Action
    subjects: tuple[Subject, ...]
    at: datetime
    reference: str | None = None


@dataclass(frozen=True)
class RefuseUse:
    """An action a limit or the block list stopped: audited with counts, never personal data."""

    action: Action
    refusal: Refusal
    count: int
    limit: int
    at: datetime


@dataclass(frozen=True)
class CountBlockedContact:
    """A blocked number or chat got in touch (and was given the emergency numbers)."""

    subjects: tuple[Subject, ...]
    at: datetime


Command = (
    SaveCallback
    | SaveReferral
    | SaveCardRequest
    | SaveCardActivation
    | RecordFeedback
    | RecordUnanswered
    | QueueMessage
    | EndConversation
    | ForgetConversation
    | CountUse
    | RefuseUse
    | CountBlockedContact
)
