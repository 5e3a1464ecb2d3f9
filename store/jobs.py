"""Repositories behind the clock's jobs, and the lock that keeps one clock active.

Every write a job makes is a conditional UPDATE (the alert's time is still empty, the period
has not run yet, the recording is not yet marked deleted), and the messages it sends are added
to the outbox in the same transaction. So a second clock started by mistake, or a job run
twice, finds the work done and sends nothing twice. The PostgreSQL advisory lock in
``ClockLock`` keeps a second clock idle in the first place.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Engine,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from handlers.dialog import ConversationKey
from handlers.ports import (
    Actor,
    AlertKind,
    Expired,
    IdleConversation,
    QueueItemDue,
    QueueSummary,
    Recording,
    ReferralDue,
    StaffMessage,
)
from store.audit import add_audit
from store.models import (
    BlockedContact,
    Callback,
    CallbackAttempt,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    FollowUpTask,
    JobRun,
    OutboxMessage,
    ProcessedWebhook,
    Referral,
    StaffUser,
    UnansweredQuestion,
    UsageEvent,
    Voicemail,
)
from store.outbox import add_to_outbox
from store.types import UTCDateTime

log = logging.getLogger("carers_line.clock")
CLOCK_ACTOR = "clock"
PURGED_TRANSCRIPT = "purged"
ERASE_BATCH = 500


def _rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE changed (SQLAlchemy types ``execute`` as a plain Result)."""
    cursor: CursorResult[Any] = result
    return cursor.rowcount


def _queue_messages(
    session: Session, messages: Sequence[StaffMessage], at: datetime, dedupe: str
) -> None:
    """Add staff messages to the outbox in the caller's transaction."""
    for message in messages:
        add_to_outbox(
            session,
            message.channel,
            message.recipient,
            {"text": message.text},
            at,
            f"{dedupe}:{message.channel}:{message.recipient}"[:128],
        )


class SqlAlerts:
    """Implements ``handlers.ports.Alerts`` on the callbacks and referrals tables."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def due_soon(self, now: datetime, until: datetime, limit: int) -> list[QueueItemDue]:
        """Open, uncalled items due in (now, until], not yet reminded."""
        return self._items(
            Callback.reminder_sent_at.is_(None),
            Callback.due_by > now,
            Callback.due_by <= until,
            limit=limit,
        )

    def overdue(self, now: datetime, limit: int) -> list[QueueItemDue]:
        """Open, uncalled items past their deadline, not yet alerted."""
        return self._items(
            Callback.overdue_alerted_at.is_(None), Callback.due_by <= now, limit=limit
        )

    def referrals_overdue(self, kind: AlertKind, now: datetime, limit: int) -> list[ReferralDue]:
        """Referrals whose acknowledgement or first contact (K5) is late and not yet alerted."""
        done, due, alerted = _REFERRAL_COLUMNS[kind]
        query = (
            select(Referral.id, Referral.reference, Referral.source, due)
            .where(done.is_(None), due <= now, alerted.is_(None))
            .order_by(due)
            .limit(limit)
        )
        with self._sessions() as session:
            return [ReferralDue(*row) for row in session.execute(query)]

    def record_alert(
        self,
        kind: AlertKind,
        subject_id: int,
        messages: Sequence[StaffMessage],
        at: datetime,
        detail: Mapping[str, Any],
    ) -> bool:
        """One conditional UPDATE; only its winner queues the messages and audits the alert."""
        if kind in ("due_soon", "overdue"):
            column = (
                Callback.reminder_sent_at if kind == "due_soon" else Callback.overdue_alerted_at
            )
            claim = (
                update(Callback)
                .where(Callback.id == subject_id, Callback.status == "open", column.is_(None))
                .values({column: at})
            )
            subject = "callback"
        else:
            done, _, alerted = _REFERRAL_COLUMNS[kind]
            claim = (
                update(Referral)
                .where(Referral.id == subject_id, done.is_(None), alerted.is_(None))
                .values({alerted: at})
            )
            subject = "referral"
        with self._sessions.begin() as session:
            if _rowcount(session.execute(claim)) != 1:
                return False
            _queue_messages(session, messages, at, f"alert:{kind}:{subject_id}")
            add_audit(
                session,
                Actor(None, CLOCK_ACTOR),
                f"alert_{kind}",
                subject,
                subject_id,
                at,
                {
                    **detail,
                    "sent_to": len(messages),
                    "channel": messages[0].channel if messages else None,
                },
            )
        return True

    def _items(self, *conditions: ColumnElement[bool], limit: int) -> list[QueueItemDue]:
        attempted = exists().where(CallbackAttempt.callback_id == Callback.id)
        query = (
            select(
                Callback.id,
                Callback.reference,
                Callback.kind,
                Callback.urgency == "urgent",
                Callback.received_at,
                Callback.due_by,
                StaffUser.display_name,
            )
            .outerjoin(StaffUser, StaffUser.id == Callback.claimed_by)
            .where(Callback.status == "open", ~attempted, *conditions)
            .order_by(Callback.due_by, Callback.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                QueueItemDue(id_, reference, kind, bool(urgent), received, due, held_by)
                for id_, reference, kind, urgent, received, due, held_by in session.execute(query)
            ]


_REFERRAL_COLUMNS = {
    "acknowledgement_overdue": (
        Referral.acknowledged_at,
        Referral.acknowledge_due,
        Referral.acknowledge_alerted_at,
    ),
    "first_contact_overdue": (
        Referral.first_contact_at,
        Referral.first_contact_due,
        Referral.first_contact_alerted_at,
    ),
}


class SqlIdleConversations:
    """Implements ``handlers.ports.IdleConversations`` on the conversations table."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def idle(
        self, calls_before: datetime, chats_before: datetime, limit: int
    ) -> list[IdleConversation]:
        """Unended conversations last touched before their channel's cut-off, oldest first."""
        query = (
            select(Conversation.channel, Conversation.external_id, Conversation.updated_at)
            .where(
                Conversation.ended_at.is_(None),
                Conversation.purged_at.is_(None),
                or_(
                    and_(Conversation.channel == "voice", Conversation.updated_at < calls_before),
                    and_(Conversation.channel != "voice", Conversation.updated_at < chats_before),
                ),
            )
            .order_by(Conversation.updated_at, Conversation.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                IdleConversation(ConversationKey(channel, external_id), updated)
                for channel, external_id, updated in session.execute(query)
            ]

    def mark_idle(self, key: ConversationKey, since: datetime, at: datetime) -> bool:
        """Ended as ``idle``: still open, or just ended by the hang-up this job sent."""
        ended_at = bindparam("ended_at", at, type_=UTCDateTime())
        claim = (
            update(Conversation)
            .where(
                Conversation.channel == key.channel,
                Conversation.external_id == key.external_id,
                or_(
                    Conversation.ended_at.is_(None),
                    and_(Conversation.ended_reason == "hung_up", Conversation.ended_at >= since),
                ),
            )
            .values(
                ended_at=case(
                    (Conversation.ended_at.is_(None), ended_at), else_=Conversation.ended_at
                ),
                ended_reason="idle",
                node="ended",
            )
        )
        with self._sessions.begin() as session:
            return _rowcount(session.execute(claim)) == 1


def _conversation_in_use() -> ColumnElement[bool]:
    """True for a conversation an open record still needs (correlated to ``Conversation``)."""
    return or_(
        exists().where(Callback.conversation_id == Conversation.id, Callback.status == "open"),
        exists().where(
            Referral.conversation_id == Conversation.id, Referral.first_contact_at.is_(None)
        ),
        exists().where(
            EmergencyCardRequest.conversation_id == Conversation.id,
            EmergencyCardRequest.status == "pending",
        ),
    )


def _carer_in_use() -> ColumnElement[bool]:
    """True for a carer with an open record (correlated to ``Carer``)."""
    return or_(
        exists().where(Callback.carer_id == Carer.id, Callback.status == "open"),
        exists().where(Referral.carer_id == Carer.id, Referral.first_contact_at.is_(None)),
        exists().where(
            EmergencyCardRequest.carer_id == Carer.id, EmergencyCardRequest.status == "pending"
        ),
        exists().where(EmergencyCard.carer_id == Carer.id, EmergencyCard.status == "active"),
    )


def _carer_recent(before: datetime) -> ColumnElement[bool]:
    """True for a carer with any record newer than ``before`` (correlated to ``Carer``)."""
    return or_(
        Carer.updated_at >= before,
        exists().where(
            Callback.carer_id == Carer.id,
            or_(Callback.received_at >= before, Callback.completed_at >= before),
        ),
        exists().where(Referral.carer_id == Carer.id, Referral.received_at >= before),
        exists().where(
            EmergencyCardRequest.carer_id == Carer.id, EmergencyCardRequest.received_at >= before
        ),
        exists().where(EmergencyCard.carer_id == Carer.id, EmergencyCard.issued_at >= before),
        exists().where(Conversation.carer_id == Carer.id, Conversation.updated_at >= before),
    )


class SqlRetention:
    """Implements ``handlers.ports.RetentionStore``: counts, and removes when asked."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def recordings(self, before: datetime, limit: int | None) -> tuple[list[Recording], int]:
        """Recordings still at the provider from before ``before``; open records' kept."""
        in_use = exists().where(Callback.voicemail_id == Voicemail.id, Callback.status == "open")
        old = and_(Voicemail.deleted_at.is_(None), Voicemail.received_at < before)
        query = (
            select(Voicemail.id, Voicemail.recording_sid)
            .where(old, ~in_use)
            .order_by(Voicemail.id)
            .limit(limit)
        )
        with self._sessions() as session:
            free = [Recording(id_, sid) for id_, sid in session.execute(query)]
            held = session.scalar(select(func.count(Voicemail.id)).where(old, in_use)) or 0
        return free, held

    def mark_recording_deleted(self, voicemail_id: int, at: datetime) -> bool:
        """The provider deleted it: forget its address (once)."""
        claim = (
            update(Voicemail)
            .where(Voicemail.id == voicemail_id, Voicemail.deleted_at.is_(None))
            .values(deleted_at=at, recording_url=None)
        )
        with self._sessions.begin() as session:
            return _rowcount(session.execute(claim)) == 1

    def transcripts(self, before: datetime, purge: bool) -> Expired:
        """Transcript lines, voicemail transcripts and question wording older than ``before``."""
        held_conversations = select(Conversation.id).where(_conversation_in_use())
        turns = and_(
            ConversationTurn.at < before,
            ConversationTurn.conversation_id.not_in(held_conversations),
        )
        turns_held = and_(
            ConversationTurn.at < before, ConversationTurn.conversation_id.in_(held_conversations)
        )
        voicemail_in_use = exists().where(
            Callback.voicemail_id == Voicemail.id, Callback.status == "open"
        )
        voicemails = and_(Voicemail.transcript.is_not(None), Voicemail.received_at < before)
        questions = and_(UnansweredQuestion.question != "", UnansweredQuestion.at < before)
        question_in_use = and_(
            UnansweredQuestion.conversation_id.is_not(None),
            UnansweredQuestion.conversation_id.in_(held_conversations),
        )
        with self._sessions.begin() as session:
            due = _count(session, ConversationTurn.id, turns)
            due += _count(session, Voicemail.id, voicemails, ~voicemail_in_use)
            due += _count(session, UnansweredQuestion.id, questions, ~question_in_use)
            held = _count(session, ConversationTurn.id, turns_held)
            held += _count(session, Voicemail.id, voicemails, voicemail_in_use)
            held += _count(session, UnansweredQuestion.id, questions, question_in_use)
            if purge:
                session.execute(delete(ConversationTurn).where(turns))
                session.execute(
                    update(Voicemail)
                    .where(voicemails, ~voicemail_in_use)
                    .values(transcript=None, transcript_status=PURGED_TRANSCRIPT)
                )
                session.execute(
                    update(UnansweredQuestion)
                    .where(questions, ~question_in_use)
                    .values(question="")
                )
        return Expired(due, held)

    def conversations(self, before: datetime, at: datetime, purge: bool) -> Expired:
        """Finished conversations' answers and ids; old webhook replies, messages, counters.

        The counters are the abuse limits' (``usage_events``); a subject's newer uses prune its
        own old ones too, so this removes the counts of those who never came back. Block list
        entries lifted or run out that long ago go as well.
        """
        finished = and_(
            Conversation.ended_at < before,
            Conversation.purged_at.is_(None),
        )
        in_use = _conversation_in_use()
        webhooks = ProcessedWebhook.at < before
        messages = and_(
            OutboxMessage.status.in_(("sent", "dead")), OutboxMessage.created_at < before
        )
        counters = UsageEvent.at < before
        lapsed_blocks = or_(BlockedContact.expires_at < before, BlockedContact.removed_at < before)
        with self._sessions.begin() as session:
            due = _count(session, Conversation.id, finished, ~in_use)
            held = _count(session, Conversation.id, finished, in_use)
            due += _count(session, ProcessedWebhook.id, webhooks)
            due += _count(session, OutboxMessage.id, messages)
            due += _count(session, UsageEvent.id, counters)
            due += _count(session, BlockedContact.id, lapsed_blocks)
            if purge:
                session.execute(
                    update(Conversation)
                    .where(finished, ~in_use)
                    .values(
                        answers={},
                        caller_hash=None,
                        external_id=literal("purged-").concat(cast(Conversation.id, String)),
                        purged_at=at,
                    )
                )
                session.execute(delete(ProcessedWebhook).where(webhooks))
                session.execute(delete(OutboxMessage).where(messages))
                session.execute(delete(UsageEvent).where(counters))
                session.execute(delete(BlockedContact).where(lapsed_blocks))
        return Expired(due, held)

    def closed_records(self, before: datetime, at: datetime, purge: bool) -> Expired:
        """Erase carers (and their records' details) with nothing open or newer than ``before``.

        Queue items with no carer record are cleared on their own once closed that long.
        """
        old_carers = and_(Carer.erased_at.is_(None), Carer.updated_at < before)
        erasable = and_(old_carers, ~_carer_in_use(), ~_carer_recent(before))
        closed_items = and_(
            Callback.carer_id.is_(None),
            Callback.status != "open",
            func.coalesce(Callback.completed_at, Callback.received_at) < before,
            or_(
                Callback.phone.is_not(None),
                Callback.reason.is_not(None),
                Callback.outcome_notes.is_not(None),
            ),
        )
        with self._sessions.begin() as session:
            carer_ids = list(session.scalars(select(Carer.id).where(erasable)))
            held = _count(session, Carer.id, old_carers, _carer_in_use())
            item_ids = list(session.scalars(select(Callback.id).where(closed_items)))
            if purge:
                for start in range(0, len(carer_ids), ERASE_BATCH):
                    _erase_carers(session, carer_ids[start : start + ERASE_BATCH], at)
                for start in range(0, len(item_ids), ERASE_BATCH):
                    _clear_items(session, item_ids[start : start + ERASE_BATCH])
        return Expired(len(carer_ids) + len(item_ids), held)


def _count(session: Session, column: Any, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(column)).where(*conditions)) or 0


def _erase_carers(session: Session, ids: list[int], at: datetime) -> None:
    """Clear every personal detail of these carers; keep the rows the report counts."""
    session.execute(
        update(Carer)
        .where(Carer.id.in_(ids))
        .values(
            name=None,
            phone=None,
            phone_hash=None,
            email=None,
            postcode_or_district=None,
            communication_needs={},
            telegram_chat_id=None,
            erased_at=at,
            updated_at=at,
        )
    )
    session.execute(
        update(Referral)
        .where(Referral.carer_id.in_(ids))
        .values(
            referrer_name=None,
            referrer_phone=None,
            referrer_organisation=None,
            relationship_to_cared_for=None,
            cared_for_condition=None,
            communication_needs={},
            best_time_to_call=None,
            demographics={},
        )
    )
    session.execute(
        update(EmergencyCardRequest)
        .where(EmergencyCardRequest.carer_id.in_(ids))
        .values(cared_for_name=None, help_needed=None, contacts=[], decision_note=None)
    )
    session.execute(
        update(EmergencyCard).where(EmergencyCard.carer_id.in_(ids)).values(plan=None, contacts=[])
    )
    _clear_items(
        session, list(session.scalars(select(Callback.id).where(Callback.carer_id.in_(ids))))
    )


def _clear_items(session: Session, ids: list[int]) -> None:
    """Clear a closed queue item's number, the carer's reason and staff notes about it."""
    if not ids:
        return
    session.execute(
        update(Callback)
        .where(Callback.id.in_(ids))
        .values(phone=None, phone_hash=None, reason=None, outcome_notes=None)
    )
    session.execute(
        update(CallbackAttempt).where(CallbackAttempt.callback_id.in_(ids)).values(notes=None)
    )
    session.execute(
        update(FollowUpTask).where(FollowUpTask.callback_id.in_(ids)).values(notes=None)
    )


class SqlSummaries:
    """Implements ``handlers.ports.Summaries``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def summary(self, now: datetime, since: datetime, due_today_by: datetime) -> QueueSummary:
        """Counts of the queue now and of what came in or was done since ``since``."""
        attempted = exists().where(CallbackAttempt.callback_id == Callback.id)
        is_open = Callback.status == "open"
        with self._sessions() as session:
            return QueueSummary(
                open_items=_count(session, Callback.id, is_open),
                urgent=_count(session, Callback.id, is_open, Callback.urgency == "urgent"),
                overdue=_count(session, Callback.id, is_open, Callback.due_by <= now, ~attempted),
                due_today=_count(
                    session,
                    Callback.id,
                    is_open,
                    Callback.due_by > now,
                    Callback.due_by <= due_today_by,
                ),
                unclaimed=_count(session, Callback.id, is_open, Callback.claimed_by.is_(None)),
                contacts=_count(session, Conversation.id, Conversation.started_at >= since),
                callbacks_asked=_count(session, Callback.id, Callback.received_at >= since),
                referrals=_count(session, Referral.id, Referral.received_at >= since),
                card_requests=_count(
                    session, EmergencyCardRequest.id, EmergencyCardRequest.received_at >= since
                ),
                card_activations=_count(session, CardActivation.id, CardActivation.at >= since),
                completed=_count(session, Callback.id, Callback.completed_at >= since),
                messages_given_up=_count(
                    session,
                    OutboxMessage.id,
                    OutboxMessage.status == "dead",
                    OutboxMessage.next_attempt_at >= since,
                ),
            )

    def record_once(
        self, job: str, period: str, messages: Sequence[StaffMessage], at: datetime
    ) -> bool:
        """Claim ``period`` for ``job`` (a conditional UPDATE); only the winner queues messages."""
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(
                insert(JobRun).values(name=job, period="", ran_at=at).on_conflict_do_nothing()
            )
            claim = (
                update(JobRun)
                .where(JobRun.name == job, JobRun.period < period)
                .values(period=period, ran_at=at)
            )
            if _rowcount(session.execute(claim)) != 1:
                return False
            _queue_messages(session, messages, at, f"{job}:{period}")
        log.info(
            "once-a-day job ran", extra={"job": job, "period": period, "sent_to": len(messages)}
        )
        return True


CLOCK_LOCK_KEY = 0x4341524552534C  # "CARERSL": the advisory lock id only clocks take


class ClockLock:
    """One active clock: a PostgreSQL session advisory lock, held on its own connection.

    ``acquire`` never waits: a second clock learns at once that it is the standby, and tries
    again later. The lock goes with the connection, so a clock that dies frees it for the
    standby. SQLite has no lock between processes; there the lock is always granted and only
    the jobs' conditional updates stop a second clock sending twice.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    @property
    def across_processes(self) -> bool:
        """True when the database can hold the lock between processes (PostgreSQL)."""
        return self._engine.dialect.name == "postgresql"

    def acquire(self) -> bool:
        """Take the lock if no other clock holds it."""
        if not self.across_processes:
            return True
        if self._connection is not None:
            return self.held()
        connection = self._engine.connect()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": CLOCK_LOCK_KEY}
        ).scalar_one()
        connection.commit()
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """True while this clock still holds the lock (its connection is alive and has it)."""
        if not self.across_processes:
            return True
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND granted AND pid = pg_backend_pid() "
                    "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1)"
                ),
                {"high": CLOCK_LOCK_KEY >> 32, "low": CLOCK_LOCK_KEY & 0xFFFFFFFF},
            ).scalar_one()
            self._connection.commit()
        except DBAPIError:
            log.exception("clock lock connection lost: the lock went with it")
            self._connection.invalidate()
            self._connection.close()
            self._connection = None
            return False
        return bool(held)

    def release(self) -> None:
        """Give the lock up (a clean shutdown), so a standby can take over at once."""
        if self._connection is None:
            return
        try:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": CLOCK_LOCK_KEY}
            )
            self._connection.commit()
        except DBAPIError:
            log.warning("clock lock connection already gone: the lock went with it")
        finally:
            self._connection.close()
            self._connection = None
