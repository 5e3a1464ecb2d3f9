"""Protocols the core needs from the outside world; the store and the adapters implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from handlers.commands import Command
from handlers.dialog import ConversationKey, Event, Reply
from handlers.limits import Action, BlockKind, Subject


class Clock(Protocol):
    """Tells the core what time it is (UTC-aware)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...


class Heartbeats(Protocol):
    """Where a long-running process records that it is alive."""

    def record(self, name: str, at: datetime) -> None:
        """Record that ``name`` was alive at ``at``."""
        ...

    def last(self, name: str) -> datetime | None:
        """When ``name`` last recorded a beat."""
        ...


@dataclass(frozen=True)
class CardOnFile:
    """What the core may know about an issued emergency card: never read back to a caller."""

    card_id: int
    contact_phones: tuple[str, ...]


@dataclass(frozen=True)
class RequestOnFile:
    """An open callback a carer already asked for: confirmed instead of queueing another."""

    reference: str
    due_by: datetime


class Lookups(Protocol):
    """Read-only questions the dialog asks the store while it decides."""

    def booked_callbacks(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """Open callbacks per preferred-window start, for windows starting in [start, end)."""
        ...

    def card(self, number: str) -> CardOnFile | None:
        """The active card with this number, if any."""
        ...

    def reference_taken(self, reference: str) -> bool:
        """True when a record already uses this reference."""
        ...

    def usage(
        self, action: Action, subjects: Sequence[Subject], since: datetime
    ) -> dict[Subject, int]:
        """How many of ``action`` each subject set off since ``since`` (abuse limits)."""
        ...

    def blocked(self, subjects: Sequence[Subject], now: datetime) -> bool:
        """True when staff have blocked any of these subjects and the block has not expired."""
        ...

    def request_on_file(self, subjects: Sequence[Subject], since: datetime) -> RequestOnFile | None:
        """The latest still-open callback these subjects asked for since ``since``."""
        ...


@dataclass
class StoredState:
    """A conversation's saved position: the node, attempts and everything gathered so far."""

    node: str
    attempts: int
    data: dict[str, Any] = field(default_factory=dict)


class Transaction(Protocol):
    """One unit of work: the state, the records and the transcript commit together or not at all."""

    @property
    def lookups(self) -> Lookups:
        """Read-only questions, answered inside this transaction."""
        ...

    def load(self, key: ConversationKey) -> StoredState | None:
        """The conversation's saved state (locked for update where the database can)."""
        ...

    def save(self, key: ConversationKey, state: StoredState, now: datetime) -> None:
        """Create or update the conversation."""
        ...

    def transcript(
        self, key: ConversationKey, direction: str, node: str, text: str, at: datetime
    ) -> None:
        """Append one line to the conversation's transcript."""
        ...

    def apply(self, key: ConversationKey, command: Command) -> None:
        """Write one record the dialog asked for."""
        ...

    def replay(self, key: ConversationKey, delivery: str) -> tuple[Reply, ...] | None:
        """The replies already given to this delivery (a webhook retry), or None if it is new."""
        ...

    def remember(
        self, key: ConversationKey, delivery: str, replies: tuple[Reply, ...], at: datetime
    ) -> None:
        """Record the replies given to this delivery: a retry gets the same, changes nothing."""
        ...


class ConnectionLostError(Exception):
    """The store's connection to the database dropped (a restart, a network fault).

    Raised by ``Store.transaction`` when the database itself is likely fine and a fresh
    connection may work: the work may be tried once more. A delivery already committed is
    then found by ``Transaction.replay``, so nothing is written twice.
    """


class Store(Protocol):
    """Opens transactions."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction that commits on normal exit and rolls back on an exception."""
        ...


SendStatus = Literal["sent", "retry", "blocked", "failed"]


@dataclass(frozen=True)
class SendResult:
    """What happened to one attempt to send a message.

    ``retry``: a passing fault (network, 5xx, rate limit; ``retry_after`` seconds when the other
    side said). ``blocked``: the recipient refused us (never retried). ``failed``: the message
    itself is wrong (never retried).
    """

    status: SendStatus
    retry_after: float | None = None
    error: str | None = None


class MessageSender(Protocol):
    """Sends one outbox payload on one channel (SMS by Twilio, Telegram by the Bot API)."""

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        """Try once; never raise for a delivery fault, report it instead."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting in the outbox."""

    id: int
    channel: str
    recipient: str
    payload: dict[str, Any]
    attempts: int


class Outbox(Protocol):
    """Messages that wait for delivery, in order per recipient, retried by the clock."""

    def enqueue(
        self,
        channel: str,
        recipient: str,
        payload: Mapping[str, Any],
        at: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Add a message behind any others waiting for the same recipient."""
        ...

    def waiting(self, channel: str, recipient: str) -> bool:
        """True when a message for this recipient is still waiting (send new ones behind it)."""
        ...

    def claim_due(
        self, channels: Collection[str], now: datetime, lease_seconds: int, limit: int
    ) -> list[OutboxItem]:
        """Take the oldest due message of each recipient on these channels.

        A claimed message is not due again for ``lease_seconds`` (so a second clock cannot take
        it, and a clock that dies mid-send does not lose it).
        """
        ...

    def sent(self, item_id: int, at: datetime) -> None:
        """Mark a claimed message delivered."""
        ...

    def retry(self, item_id: int, at: datetime, error: str) -> None:
        """Put a claimed message back, to be tried again at ``at``."""
        ...

    def give_up(self, item_id: int, error: str, at: datetime) -> None:
        """Never try this message again (blocked recipient, bad message, too many attempts)."""
        ...


@dataclass(frozen=True)
class KeptRecording:
    """A voice message taken by the phone line's fail-safe, outside the dialog.

    It becomes a voicemail and a callback (by ``recording_sid``, so never twice). ``caller`` is
    the caller ID as the phone network gave it; ``consent_wording`` names the words the caller
    heard before recording (``<prompt key>:<hash>``).
    """

    call_sid: str
    recording_sid: str
    url: str | None
    seconds: int
    caller: str | None
    received_at: datetime
    consent_wording: str | None = None


@dataclass(frozen=True)
class KeptTranscript:
    """The phone company's transcript of a recorded message (``status``: completed or failed)."""

    recording_sid: str
    text: str | None
    status: str
    at: datetime


Spooled = KeptRecording | KeptTranscript


class Voicemails(Protocol):
    """Voice messages the phone line keeps outside a dialog step (fail-safe, transcripts)."""

    def keep_message(self, recording: KeptRecording, due_by: datetime) -> str:
        """Save the message and a callback due by ``due_by``; return the callback's reference.

        A recording already kept is not kept again: its existing reference comes back.
        """
        ...

    def add_transcript(self, transcript: KeptTranscript) -> bool:
        """Store a transcript on its voicemail; False when that voicemail is not saved yet.

        A transcript that arrives first waits and is attached by ``attach_waiting_transcripts``.
        """
        ...

    def recording_completed(self, recording_sid: str, url: str | None, seconds: int) -> bool:
        """Record the final address and length of a recording; False if no voicemail has it."""
        ...

    def attach_waiting_transcripts(self) -> int:
        """Attach transcripts whose voicemail now exists; the number attached."""
        ...


class Spool(Protocol):
    """A local file for messages taken while the database was down, imported by the clock."""

    def append(self, item: Spooled) -> None:
        """Add one item durably (it is on disk when this returns)."""
        ...

    def claim(self) -> list[str]:
        """Set aside everything spooled so far as batches to import (older batches first)."""
        ...

    def read(self, batch: str) -> list[Spooled]:
        """The items of a claimed batch, in the order they were spooled."""
        ...

    def done(self, batch: str) -> None:
        """The batch is in the database: remove it."""
        ...


# The staff console's ports: accounts, the queue, case files, casework and the audit trail.


class DuplicateAccountError(ValueError):
    """A staff account with this username already exists."""


@dataclass(frozen=True)
class StaffMember:
    """A member of staff as the console sees them (never their password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    phone: str | None
    active: bool
    session_generation: int = 0
    """A session signed in under an older generation has ended (sign out everywhere)."""

    @property
    def is_supervisor(self) -> bool:
        """Supervisors may reassign items, release anyone's and read the audit trail."""
        return self.role == "supervisor"


@dataclass(frozen=True)
class StaffLogin:
    """What signing in needs: the member, their password hash and any lock-out."""

    member: StaffMember
    password_hash: str
    locked_until: datetime | None


class StaffAccounts(Protocol):
    """Staff accounts for the console."""

    def find(self, username: str) -> StaffLogin | None:
        """The account with this username (any case), if there is one."""
        ...

    def get(self, staff_id: int) -> StaffMember | None:
        """The account with this id."""
        ...

    def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        phone: str | None,
        at: datetime,
    ) -> StaffMember:
        """Create an account; raises ``DuplicateAccountError`` if the username is taken."""
        ...

    def any_exist(self) -> bool:
        """True once any account exists."""
        ...

    def active_members(self) -> list[StaffMember]:
        """Everyone who can sign in, by name (for reassigning work)."""
        ...

    def disabled_members(self) -> list[StaffMember]:
        """Accounts a supervisor disabled, by name (to enable again)."""
        ...

    def failed_sign_in(
        self, staff_id: int, at: datetime, limit: int, lock_for: timedelta
    ) -> datetime | None:
        """Count a failed sign-in atomically; at ``limit`` failures lock the account.

        Returns the time the lock ends when this failure locked the account.
        """
        ...

    def signed_in(self, staff_id: int, at: datetime) -> None:
        """A successful sign-in: the failure count starts again."""
        ...

    def end_sessions(self, staff_id: int) -> None:
        """End every live session of this account (raise its session generation)."""
        ...

    def change_password(self, staff_id: int, password_hash: str) -> None:
        """Set a new password hash; every live session of the account ends."""
        ...

    def set_active(self, staff_id: int, active: bool) -> bool:
        """Enable or disable an account (disabling ends its sessions); False if unchanged."""
        ...


@dataclass(frozen=True)
class BlockEntry:
    """A blocked phone number (E.164) or Telegram chat id, as the console lists it."""

    id: int
    kind: BlockKind
    value: str
    reason: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    contacts: int
    last_contact_at: datetime | None


class BlockList(Protocol):
    """The block list supervisors manage; every change is audited in its own transaction."""

    def add(
        self, subject: Subject, reason: str, expires_at: datetime, actor: Actor, at: datetime
    ) -> BlockEntry:
        """Block a number or chat until ``expires_at``."""
        ...

    def remove(self, entry_id: int, actor: Actor, at: datetime) -> bool:
        """Lift a block now; False when it was not active."""
        ...

    def active(self, now: datetime) -> list[BlockEntry]:
        """Blocks in force now, soonest to expire first."""
        ...


class SignInThrottle(Protocol):
    """Failed console sign-ins per client address, counted in the database (all workers)."""

    def failures(self, address: str, since: datetime) -> int:
        """Failed sign-ins from this address since ``since``."""
        ...

    def failed(self, address: str, at: datetime) -> None:
        """Count one failed sign-in from this address."""
        ...


@dataclass(frozen=True)
class Actor:
    """Who did something, for the audit trail: a member of staff, or nobody signed in."""

    staff_id: int | None
    name: str

    @classmethod
    def staff(cls, member: StaffMember) -> Actor:
        """A signed-in member of staff."""
        return cls(member.id, f"staff:{member.username}")


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail."""

    id: int
    at: datetime
    staff_id: int | None
    actor: str
    action: str
    subject_type: str
    subject_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit trail and how many lines match (``exact`` False: at least that)."""

    entries: list[AuditEntry]
    total: int
    exact: bool = True


@dataclass(frozen=True)
class AuditQuery:
    """Which audit lines to show; None means any."""

    staff_id: int | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    action: str | None = None


class AuditTrail(Protocol):
    """Who viewed or changed what, when (L12). Append-only: nothing edits or deletes a line."""

    def record(
        self,
        actor: Actor,
        action: str,
        subject_type: str,
        subject_id: int | None,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Add one line."""
        ...

    def search(self, query: AuditQuery, offset: int, limit: int) -> AuditPage:
        """Lines matching the query, newest first, and how many match (counted up to a cap)."""
        ...


@dataclass(frozen=True)
class QueueQuery:
    """A filtered view of the open queue. ``view``: all, mine or unclaimed."""

    view: str = "all"
    overdue: bool = False
    urgent: bool = False
    kind: str | None = None


@dataclass(frozen=True)
class QueueRow:
    """One open item as the queue lists it."""

    id: int
    reference: str
    kind: str
    urgency: str
    channel: str
    reason: str | None
    received_at: datetime
    due_by: datetime
    attempts_count: int
    holder_id: int | None
    holder_name: str | None


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and the number of matching items.

    ``exact`` is False when counting stopped early: there are at least ``total`` items.
    """

    rows: tuple[QueueRow, ...]
    total: int
    offset: int
    limit: int
    exact: bool = True


class CallbackQueue(Protocol):
    """The open queue: listing, and who holds each item.

    Claiming is one conditional update, so two staff can never hold the same item.
    """

    def page(
        self, query: QueueQuery, staff_id: int, now: datetime, offset: int, limit: int
    ) -> QueuePage:
        """Open items, urgent first, then by due-by (then oldest first)."""
        ...

    def claim(self, callback_id: int, actor: Actor, at: datetime) -> bool:
        """Take an open, unheld item; False when someone else holds it or it is closed."""
        ...

    def release(self, callback_id: int, actor: Actor, at: datetime, *, anyone: bool) -> bool:
        """Give an item back; only its holder may, unless ``anyone`` (a supervisor)."""
        ...

    def reassign(self, callback_id: int, to: StaffMember, actor: Actor, at: datetime) -> bool:
        """Give an open item to someone else (supervisors)."""
        ...


@dataclass(frozen=True)
class TranscriptLine:
    """One line of what was said."""

    at: datetime
    direction: str
    text: str


@dataclass(frozen=True)
class ConversationRecord:
    """A call or chat with its transcript."""

    id: int
    channel: str
    started_at: datetime
    ended_at: datetime | None
    ended_reason: str | None
    lines: tuple[TranscriptLine, ...]


@dataclass(frozen=True)
class CarerRecord:
    """What a carer chose to tell us about themselves."""

    id: int
    name: str | None
    phone: str | None
    email: str | None
    postcode_or_district: str | None
    communication_needs: dict[str, Any]


@dataclass(frozen=True)
class ReferralRecord:
    """A referral's answers and where its deadlines stand (K5, K6)."""

    id: int
    reference: str
    channel: str
    source: str
    received_at: datetime
    referrer_name: str | None
    referrer_phone: str | None
    referrer_organisation: str | None
    relationship_to_cared_for: str | None
    cared_for_condition: str | None
    carer_is_adult: bool | None
    is_paid_carer: bool | None
    caring_ended_over_limit: bool | None
    communication_needs: dict[str, Any]
    best_time_to_call: str | None
    demographics: dict[str, Any]
    consent_at: datetime | None
    tell_referrer: bool
    referrer_told_at: datetime | None
    acknowledge_due: datetime
    acknowledged_at: datetime | None
    first_contact_due: datetime
    first_contact_at: datetime | None


@dataclass(frozen=True)
class VoicemailRecord:
    """An answerphone message: the audio is fetched through the console, never linked."""

    id: int
    received_at: datetime
    duration_seconds: int | None
    transcript: str | None
    transcript_status: str | None
    recording_sid: str
    deleted_at: datetime | None


@dataclass(frozen=True)
class NotificationRecord:
    """A message the service queued (for example to a card's emergency contacts)."""

    channel: str
    recipient: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class ActivationRecord:
    """An emergency card being used, and the messages it sent."""

    id: int
    at: datetime
    channel: str
    number_given: str
    card_id: int | None
    reference: str | None
    notifications: tuple[NotificationRecord, ...]


@dataclass(frozen=True)
class CardRecord:
    """An issued emergency card: number, plan, contacts and every time it was used."""

    id: int
    number: str
    carer_name: str | None
    plan: str | None
    contacts: tuple[dict[str, str], ...]
    issued_at: datetime
    status: str
    request_id: int | None
    activations: tuple[ActivationRecord, ...]


@dataclass(frozen=True)
class CardRequestRecord:
    """A request to join the emergency card scheme and what was decided."""

    id: int
    reference: str
    channel: str
    received_at: datetime
    cared_for_name: str | None
    help_needed: str | None
    contacts: tuple[dict[str, str], ...]
    status: str
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str | None
    card_id: int | None


@dataclass(frozen=True)
class AttemptRecord:
    """One try at reaching the carer."""

    at: datetime
    staff_name: str | None
    result: str
    notes: str | None


@dataclass(frozen=True)
class FollowUpRecord:
    """A letter or e-mail to send because the phone did not reach the carer."""

    id: int
    callback_id: int
    reference: str
    method: str
    reason: str
    status: str
    created_at: datetime
    done_at: datetime | None
    done_by_name: str | None
    notes: str | None


@dataclass(frozen=True)
class EarlierContact:
    """Another item for the same phone number or carer."""

    id: int
    reference: str
    kind: str
    channel: str
    received_at: datetime
    status: str
    outcome: str | None


@dataclass(frozen=True)
class CaseFile:
    """Everything about one queue item: what the carer told us on every channel (L12)."""

    item: QueueRow
    status: str
    phone: str | None
    window_start: datetime | None
    window_end: datetime | None
    ended_early: bool
    claimed_at: datetime | None
    outcome: str | None
    outcome_notes: str | None
    signposted_to: tuple[str, ...]
    completed_at: datetime | None
    carer: CarerRecord | None
    conversations: tuple[ConversationRecord, ...]
    referral: ReferralRecord | None
    voicemail: VoicemailRecord | None
    card_request: CardRequestRecord | None
    card: CardRecord | None
    activation: ActivationRecord | None
    attempts: tuple[AttemptRecord, ...]
    follow_up: FollowUpRecord | None
    earlier: tuple[EarlierContact, ...]


class CaseFiles(Protocol):
    """Read one item, card or recording in full."""

    def callback(self, callback_id: int) -> CaseFile | None:
        """The item with everything linked to it, or None."""
        ...

    def card(self, card_id: int) -> CardRecord | None:
        """An issued card with its activations."""
        ...

    def voicemail(self, voicemail_id: int) -> VoicemailRecord | None:
        """A voicemail, for streaming its audio."""
        ...


@dataclass(frozen=True)
class Closing:
    """How an item closes without a completed call, and the follow-up task it leaves."""

    outcome: str
    follow_up_method: str | None
    follow_up_reason: str | None


@dataclass(frozen=True)
class NewAttempt:
    """An attempt to record, checked against the count the member of staff saw."""

    callback_id: int
    at: datetime
    result: str
    notes: str | None
    seen_attempts: int


class CallbackWork(Protocol):
    """Changes to an item by the member of staff holding it; each one audited in its transaction."""

    def record_attempt(self, attempt: NewAttempt, actor: Actor, closing: Closing | None) -> bool:
        """Add an attempt, closing the item too when ``closing`` is given.

        Only while the actor holds the open item and nobody recorded another attempt meanwhile.
        """
        ...

    def complete(
        self,
        callback_id: int,
        actor: Actor,
        at: datetime,
        outcome: str,
        services: tuple[str, ...],
        notes: str | None,
    ) -> bool:
        """Finish an open item held by the actor with its outcome and the services given (K10)."""
        ...

    def follow_ups(
        self, open_only: bool, offset: int, limit: int
    ) -> tuple[list[FollowUpRecord], int]:
        """Follow-up tasks, oldest open first, and how many there are."""
        ...

    def finish_follow_up(self, task_id: int, actor: Actor, at: datetime, notes: str | None) -> bool:
        """Mark a follow-up letter or e-mail as sent."""
        ...


@dataclass(frozen=True)
class ReferrerNotice:
    """What telling a third-party referrer needs (K6)."""

    referral_id: int
    reference: str
    referrer_phone: str | None
    tell_referrer: bool
    first_contact_at: datetime | None
    referrer_told_at: datetime | None


class ReferralWork(Protocol):
    """The referral clocks (K5) and telling the referrer (K6)."""

    def acknowledge(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Stop the acknowledgement clock, once."""
        ...

    def first_contact(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Record first contact with the carer, once (also acknowledges if not yet done)."""
        ...

    def notice(self, referral_id: int) -> ReferrerNotice | None:
        """Whether and where the referrer may be told."""
        ...

    def referrer_told(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Record that the referrer was told, once."""
        ...


class CardWork(Protocol):
    """Deciding emergency card requests and keeping plans up to date (K7, P2)."""

    def approve(
        self,
        request_id: int,
        actor: Actor,
        at: datetime,
        plan: str | None,
        contacts: tuple[dict[str, str], ...],
    ) -> int | None:
        """Approve a pending request and issue a card with a unique number; the card's id."""
        ...

    def decline(self, request_id: int, actor: Actor, at: datetime, note: str) -> bool:
        """Decline a pending request, saying why."""
        ...

    def update_plan(
        self,
        card_id: int,
        actor: Actor,
        at: datetime,
        plan: str | None,
        contacts: tuple[dict[str, str], ...],
    ) -> bool:
        """Change an active card's plan and emergency contacts."""
        ...


class DialogEvents(Protocol):
    """The dialog as a clock job drives it (``handlers.service.DialogService``)."""

    def handle(
        self, key: ConversationKey, event: Event, *, delivery: str | None = None
    ) -> tuple[Reply, ...]:
        """Handle one event, idempotently per ``delivery``."""
        ...


@dataclass(frozen=True)
class StaffMessage:
    """A notice for staff (never carrying a carer's personal data) on one outbox channel."""

    channel: str
    recipient: str
    text: str


AlertKind = Literal["due_soon", "overdue", "acknowledgement_overdue", "first_contact_overdue"]


@dataclass(frozen=True)
class QueueItemDue:
    """A queue item the clock may alert staff about: ids, deadlines and who holds it."""

    callback_id: int
    reference: str
    kind: str
    urgent: bool
    received_at: datetime
    due_by: datetime
    held_by: str | None


@dataclass(frozen=True)
class ReferralDue:
    """A referral whose acknowledgement or first contact (K5) is past its deadline."""

    referral_id: int
    reference: str
    source: str
    due: datetime


class Alerts(Protocol):
    """Queue items and referrals near or past their deadlines, and the record of alerts sent.

    ``record_alert`` is one conditional UPDATE (the alert's time is still empty) with the
    outbox messages and an audit event in the same transaction: it returns False, and writes
    nothing, when another clock has already sent this alert.
    """

    def due_soon(self, now: datetime, until: datetime, limit: int) -> list[QueueItemDue]:
        """Open items with no call attempt yet, due after ``now`` and by ``until``."""
        ...

    def overdue(self, now: datetime, limit: int) -> list[QueueItemDue]:
        """Open items with no call attempt yet whose deadline has passed."""
        ...

    def referrals_overdue(self, kind: AlertKind, now: datetime, limit: int) -> list[ReferralDue]:
        """Referrals not yet acknowledged, or not yet contacted, after their deadline."""
        ...

    def record_alert(
        self,
        kind: AlertKind,
        subject_id: int,
        messages: Sequence[StaffMessage],
        at: datetime,
        detail: Mapping[str, Any],
    ) -> bool:
        """Mark the alert sent and queue its messages, unless it was sent already."""
        ...


@dataclass(frozen=True)
class IdleConversation:
    """A conversation nobody has touched for a while and that never ended."""

    key: ConversationKey
    last_activity: datetime


class IdleConversations(Protocol):
    """Conversations left open: a lost hang-up webhook, a chat the carer walked away from."""

    def idle(
        self, calls_before: datetime, chats_before: datetime, limit: int
    ) -> list[IdleConversation]:
        """Unended calls last touched before ``calls_before``, chats before ``chats_before``."""
        ...

    def mark_idle(self, key: ConversationKey, since: datetime, at: datetime) -> bool:
        """End the conversation as idle, unless someone else ended it before ``since``."""
        ...


@dataclass(frozen=True)
class Recording:
    """A voicemail's audio held at the telephony provider."""

    voicemail_id: int
    recording_sid: str


@dataclass(frozen=True)
class Expired:
    """Records past their retention period: how many may go, how many an open record needs."""

    due: int = 0
    held: int = 0


class RetentionStore(Protocol):
    """What the retention purge reads and removes; it never touches what an open record needs.

    An open record is a callback not yet done, a referral whose first contact is not yet made,
    an emergency card request not yet decided, or an active emergency card.
    """

    def recordings(self, before: datetime, limit: int | None) -> tuple[list[Recording], int]:
        """Recordings from before ``before`` still held at the provider (up to ``limit``).

        The number is how many more of that age are kept because an open record needs them.
        """
        ...

    def mark_recording_deleted(self, voicemail_id: int, at: datetime) -> bool:
        """Forget the recording's address once the provider deleted it (conditional)."""
        ...

    def transcripts(self, before: datetime, purge: bool) -> Expired:
        """Transcript lines, voicemail transcripts and unanswered questions from before then.

        Removed when ``purge``; only counted otherwise.
        """
        ...

    def conversations(self, before: datetime, at: datetime, purge: bool) -> Expired:
        """Conversations that ended before ``before``: their saved answers and channel id.

        Webhook replies, finished outbox messages, abuse-limit counts and lapsed block list
        entries of that age go too. Cleared when ``purge``; only counted otherwise.
        """
        ...

    def closed_records(self, before: datetime, at: datetime, purge: bool) -> Expired:
        """Carers and queue items whose last record closed before ``before``.

        When ``purge``, their personal details are erased; the rows the monitoring report
        counts stay.
        """
        ...


class RecordingDeleter(Protocol):
    """Deletes a recording at the telephony provider (Twilio)."""

    def delete(self, recording_sid: str) -> bool:
        """True when the recording is gone (deleted now, or already gone); False to retry."""
        ...


@dataclass(frozen=True)
class QueueSummary:
    """Counts for the daily summary: no names, numbers or messages."""

    open_items: int
    urgent: int
    overdue: int
    due_today: int
    unclaimed: int
    contacts: int
    callbacks_asked: int
    referrals: int
    card_requests: int
    card_activations: int
    completed: int
    messages_given_up: int


class Summaries(Protocol):
    """The figures for the daily summary, and the once-a-day guard."""

    def summary(self, now: datetime, since: datetime, due_today_by: datetime) -> QueueSummary:
        """The queue now, and what came in and was done since ``since``."""
        ...

    def record_once(
        self, job: str, period: str, messages: Sequence[StaffMessage], at: datetime
    ) -> bool:
        """Queue the messages unless ``job`` already ran for ``period`` (conditional UPDATE)."""
        ...


@dataclass(frozen=True)
class CarerFacts:
    """What a carer chose to tell us for monitoring (L10): all optional."""

    gender: str | None = None
    age_band: str | None = None
    disability: bool | None = None
    place: str | None = None


@dataclass(frozen=True)
class ContactRow:
    """One call or chat."""

    conversation_id: int
    channel: str
    started_at: datetime
    carer_id: int | None


@dataclass(frozen=True)
class ReferralRow:
    """One referral and its K5 milestones."""

    reference: str
    channel: str
    source: str
    carer_id: int | None
    received_at: datetime
    acknowledged_at: datetime | None
    first_contact_at: datetime | None


@dataclass(frozen=True)
class CallbackRow:
    """One queue item: when it came in, when staff first tried to call, how it ended."""

    reference: str
    kind: str
    urgent: bool
    channel: str
    carer_id: int | None
    received_at: datetime
    first_attempt_at: datetime | None
    completed_at: datetime | None
    status: str
    outcome: str | None
    ended_early: bool
    signposted_to: tuple[str, ...]


@dataclass(frozen=True)
class CardEventRow:
    """An emergency-card request, card issued, or card activation (K7, P2)."""

    event: Literal["request", "issued", "activation"]
    channel: str | None
    carer_id: int | None
    at: datetime
    card_known: bool = True


@dataclass(frozen=True)
class SaidRow:
    """Something the service said while giving information (a transcript line)."""

    channel: str
    carer_id: int | None
    at: datetime
    text: str


@dataclass(frozen=True)
class FeedbackRow:
    """One answer to "Did that help?"."""

    channel: str
    carer_id: int | None
    at: datetime
    article_id: str
    helped: bool


@dataclass(frozen=True)
class UnansweredRow:
    """A question the knowledge base could not answer (its words are not reported)."""

    channel: str
    carer_id: int | None
    at: datetime
    clarify_offered: bool


@dataclass(frozen=True)
class ReportRows:
    """Every row the monitoring report counts, for one period."""

    contacts: tuple[ContactRow, ...] = ()
    referrals: tuple[ReferralRow, ...] = ()
    callbacks: tuple[CallbackRow, ...] = ()
    card_events: tuple[CardEventRow, ...] = ()
    answers: tuple[SaidRow, ...] = ()
    feedback: tuple[FeedbackRow, ...] = ()
    unanswered: tuple[UnansweredRow, ...] = ()
    carers: Mapping[int, CarerFacts] = field(default_factory=dict)


class ReportSource(Protocol):
    """Reads the rows the monitoring report counts."""

    def rows(self, start: datetime, end: datetime, answer_node: str) -> ReportRows:
        """Everything that came in during [start, end), and queue items completed in it.

        ``answers`` are the lines the service said at ``answer_node`` (where an answer is given).
        """
        ...
