"""The dialog's store: conversation state, transcript and records, in one transaction.

``SqlStore`` implements ``handlers.ports.Store``. Each command the core returns becomes rows here,
stamped with the channel and conversation it came from (L12), with an audit event for each
record a carer's contact creates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Table,
    Update,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from handlers.commands import (
    Command,
    EndConversation,
    ForgetConversation,
    QueueMessage,
    RecordFeedback,
    RecordUnanswered,
    SaveCallback,
    SaveCardActivation,
    SaveCardRequest,
    SaveReferral,
)
from handlers.dialog import ConversationKey, Reply, decode_replies, encode_replies
from handlers.ports import Actor, CardOnFile, ConnectionLostError, StoredState
from store.audit import add_audit
from store.forget import forget_conversation
from store.limits import LIMIT_COMMANDS, LimitLookups, apply_limit_command
from store.models import (
    ArticleFeedback,
    Callback,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    ProcessedWebhook,
    Referral,
    UnansweredQuestion,
    Voicemail,
    caller_hash,
)
from store.outbox import add_to_outbox

MAX_TRANSCRIPT_CHARACTERS = 4000


class SqlLookups(LimitLookups):
    """Read-only answers for the dialog, inside the current transaction (abuse limits too).

    Plain queries run on the transaction's connection; only ``card`` loads an ORM object, so
    only it asks the transaction for its session.
    """

    def __init__(self, connection: Connection, session: Callable[[], Session]) -> None:
        self._connection = connection
        self._session_of = session

    def booked_callbacks(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """Open callbacks per preferred-window start."""
        rows = self._connection.execute(BOOKED_WINDOWS, {"start": start, "end": end})
        return {when: count for when, count in rows if when is not None}

    def card(self, number: str) -> CardOnFile | None:
        """The active card with this number."""
        card = self._session_of().scalar(
            select(EmergencyCard).where(
                EmergencyCard.number == number, EmergencyCard.status == "active"
            )
        )
        if card is None:
            return None
        phones = tuple(
            str(c["phone"]) for c in card.contacts if isinstance(c, dict) and c.get("phone")
        )
        return CardOnFile(card_id=card.id, contact_phones=phones)

    def reference_taken(self, reference: str) -> bool:
        """True when any record already uses this reference."""
        for model in (Callback, Referral, EmergencyCardRequest):
            if self._connection.scalar(select(model.id).where(model.reference == reference)):
                return True
        return False


@dataclass
class ConversationRow:
    """The columns of a conversation the dialog's records need, read and written with Core."""

    id: int
    channel: str
    external_id: str
    carer_id: int | None


# The mapped tables themselves, so every column keeps its type (encryption, UTC times).
CONVERSATIONS = cast(Table, Conversation.__table__)
TURNS = cast(Table, ConversationTurn.__table__)
PROCESSED = cast(Table, ProcessedWebhook.__table__)


class SqlTransaction:
    """One unit of work over a connection (see ``handlers.ports.Transaction``).

    The hot path (every webhook) is written with Core on the mapped tables, so column types
    still apply, in as few round trips as the database allows: ``replay`` reads the state
    (locked) and any earlier reply in one SELECT, and ``finish`` writes the transcript lines
    (one executemany, so they keep their order) and then the saved state and the processed
    delivery (one statement on PostgreSQL, with a data-modifying CTE). Records a command
    creates (carers, referrals, callbacks ...) stay ORM objects with their hooks, in a session
    opened on the same connection only when a step needs one.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._orm: Session | None = None
        self.lookups = SqlLookups(connection, lambda: self._session)
        self._conversations: dict[ConversationKey, ConversationRow] = {}
        self._states: dict[ConversationKey, StoredState | None] = {}
        self._changes: dict[int, dict[str, Any]] = {}
        self._turns: list[dict[str, Any]] = []
        self._delivery: dict[str, Any] | None = None

    @property
    def _session(self) -> Session:
        """An ORM session joined to this transaction's connection, opened on first use."""
        if self._orm is None:
            self._orm = Session(bind=self._connection, expire_on_commit=False)
        return self._orm

    def close(self) -> None:
        """Let go of the ORM session, if one was opened (the connection's transaction stays)."""
        if self._orm is not None:
            self._orm.close()

    def load(self, key: ConversationKey) -> StoredState | None:
        """The saved state, locked for update on PostgreSQL (already read by ``replay``)."""
        if key not in self._states:
            self._read(key, None)
        return self._states[key]

    def _read(self, key: ConversationKey, delivery: str | None) -> str | None:
        """Lock and read the state, with the reply kept for ``delivery`` when there is one."""
        params = {"channel": key.channel, "external_id": key.external_id}
        if delivery is None:
            row = self._connection.execute(READ_STATE, params).first()
        else:
            params["key"] = _delivery_key(key, delivery)
            row = self._connection.execute(READ_STATE_AND_REPLY, params).first()
        if row is None:
            self._states[key] = None
            return None
        self._conversations[key] = ConversationRow(
            row.id, key.channel, key.external_id, row.carer_id
        )
        self._states[key] = StoredState(row.node, row.attempts, dict(row.answers))
        return row.kept if delivery is not None else None

    def _kept_reply(self, key: ConversationKey, delivery: str) -> str | None:
        params = {"channel": key.channel, "key": _delivery_key(key, delivery)}
        return self._connection.execute(KEPT_REPLY, params).scalar()

    def save(self, key: ConversationKey, state: StoredState, now: datetime) -> None:
        """Create the conversation row now, or update it with the rest in ``finish``."""
        self.load(key)
        values: dict[str, Any] = {
            "node": state.node,
            "attempts": state.attempts,
            "answers": state.data,
            # As the model's ``answers`` validator does: the caller's keyed hash (L12).
            "caller_hash": caller_hash(state.data),
            "updated_at": now,
        }
        if state.node != "ended":
            values |= {"ended_at": None, "ended_reason": None}
        conversation = self._conversations.get(key)
        if conversation is not None:
            self._changes.setdefault(conversation.id, {}).update(values)
            return
        created = self._connection.execute(
            insert(CONVERSATIONS)
            .values(channel=key.channel, external_id=key.external_id, started_at=now, **values)
            .returning(CONVERSATIONS.c.id)
        ).scalar_one()
        self._conversations[key] = ConversationRow(created, key.channel, key.external_id, None)

    def transcript(
        self, key: ConversationKey, direction: str, node: str, text: str, at: datetime
    ) -> None:
        """One line of what was said (written with the others before the commit)."""
        self._turns.append(
            {
                "conversation_id": self._conversation(key).id,
                "at": at,
                "direction": direction,
                "node": node,
                "text": text[:MAX_TRANSCRIPT_CHARACTERS],
            }
        )

    def apply(self, key: ConversationKey, command: Command) -> None:
        """Write the rows for one command."""
        conversation = self._conversation(key)
        if isinstance(command, SaveCallback):
            self._callback(conversation, command)
        elif isinstance(command, SaveReferral):
            self._referral(conversation, command)
        elif isinstance(command, SaveCardRequest):
            self._card_request(conversation, command)
        elif isinstance(command, SaveCardActivation):
            self._card_activation(conversation, command)
        elif isinstance(command, RecordFeedback):
            self._session.add(
                ArticleFeedback(
                    at=command.at,
                    channel=conversation.channel,
                    conversation_id=conversation.id,
                    article_id=command.article_id,
                    helped=command.helped,
                )
            )
        elif isinstance(command, RecordUnanswered):
            self._session.add(
                UnansweredQuestion(
                    at=command.at,
                    channel=conversation.channel,
                    conversation_id=conversation.id,
                    question=command.question,
                    clarify_offered=command.clarify_offered,
                )
            )
        elif isinstance(command, QueueMessage):
            self._queue(command)
        elif isinstance(command, EndConversation):
            self._change(conversation, ended_at=command.at, ended_reason=command.reason)
        elif isinstance(command, LIMIT_COMMANDS):
            apply_limit_command(self._session, conversation.id, conversation.channel, command)
        elif isinstance(command, ForgetConversation):
            self._write_batch()  # the transcript so far goes too, with the state saved first
            mapped = self._session.get(Conversation, conversation.id)
            if mapped is not None:
                forget_conversation(self._session, mapped, command.at)
        if self._orm is not None:
            self._orm.flush()

    def replay(self, key: ConversationKey, delivery: str) -> tuple[Reply, ...] | None:
        """The replies given to this delivery before, if it was handled.

        Read with the conversation's state, locked, in one SELECT; asked on its own only when
        there is no conversation yet.
        """
        if key in self._states:
            encoded = self._kept_reply(key, delivery)
        else:
            encoded = self._read(key, delivery)
            if self._states[key] is None:
                encoded = self._kept_reply(key, delivery)
        return None if encoded is None else decode_replies(encoded)

    def remember(
        self, key: ConversationKey, delivery: str, replies: tuple[Reply, ...], at: datetime
    ) -> None:
        """Record the delivery; its UNIQUE key makes a concurrent copy fail and roll back."""
        self._delivery = {
            "source": key.channel,
            "key": _delivery_key(key, delivery),
            "at": at,
            "response": encode_replies(replies),
        }

    def finish(self) -> None:
        """Write what was batched: the saved state, the transcript, the processed delivery."""
        self._write_batch()

    def _change(self, conversation: ConversationRow, **values: Any) -> None:
        """Update the conversation row with the batch (at once if nothing is batched for it)."""
        if conversation.id in self._changes:
            self._changes[conversation.id].update(values)
        else:
            statement = _write_statement(tuple(sorted(values)), delivery=False)
            params = {f"c_{name}": value for name, value in values.items()}
            self._connection.execute(statement, params | {"c_row": conversation.id})

    def _write_batch(self) -> None:
        """The lines in order, then the state and the delivery (together on PostgreSQL)."""
        changes, turns, delivery = self._changes, self._turns, self._delivery
        self._changes, self._turns, self._delivery = {}, [], None
        if turns:
            self._connection.execute(INSERT_TURN, turns)
        if self._connection.dialect.name != "postgresql":
            for row_id, values in changes.items():
                self._change(ConversationRow(row_id, "", "", None), **values)
            if delivery is not None:
                self._connection.execute(INSERT_DELIVERY, [delivery])
            return
        params: dict[str, Any] = {}
        columns: tuple[str, ...] = ()
        for row_id, values in changes.items():  # at most one conversation per transaction
            columns = tuple(sorted(values))
            params |= {f"c_{name}": value for name, value in values.items()} | {"c_row": row_id}
        if delivery is not None:
            params |= {f"d_{name}": value for name, value in delivery.items()}
        if params:
            statement = _write_statement(columns, delivery=delivery is not None)
            self._connection.execute(statement, params)

    def _conversation(self, key: ConversationKey) -> ConversationRow:
        conversation = self._conversations.get(key)
        if conversation is None:
            raise LookupError("save the conversation before writing its records")
        return conversation

    def _callback(
        self, conversation: ConversationRow, command: SaveCallback, **links: Any
    ) -> Callback:
        voicemail_id = None
        if command.recording:
            voicemail = Voicemail(
                conversation_id=conversation.id,
                call_sid=conversation.external_id if conversation.channel == "voice" else None,
                recording_sid=str(command.recording["id"]),
                recording_url=command.recording.get("url"),
                duration_seconds=int(command.recording.get("seconds") or 0),
                received_at=command.received_at,
            )
            self._session.add(voicemail)
            self._session.flush()
            voicemail_id = voicemail.id
        callback = Callback(
            reference=command.reference,
            kind=command.kind,
            urgency="urgent" if command.urgent else "normal",
            channel=conversation.channel,
            conversation_id=conversation.id,
            carer_id=conversation.carer_id,
            voicemail_id=voicemail_id,
            reason=command.reason,
            phone=command.phone,
            window_start=command.window_start,
            window_end=command.window_end,
            received_at=command.received_at,
            due_by=command.due_by,
            ended_early=command.ended_early,
            consent_at=command.consent.at if command.consent else None,
            consent_wording_version=command.consent.wording_version if command.consent else None,
            **links,
        )
        self._session.add(callback)
        self._session.flush()
        self._audit("callback", callback.id, "created", conversation, command.received_at)
        return callback

    def _carer(
        self, conversation: ConversationRow, details: dict[str, Any], now: datetime
    ) -> Carer:
        carer = Carer(
            name=details.get("name"),
            phone=details.get("phone"),
            email=(details.get("communication_needs") or {}).get("email"),
            postcode_or_district=details.get("postcode_or_district"),
            communication_needs=dict(details.get("communication_needs") or {}),
            telegram_chat_id=conversation.external_id
            if conversation.channel == "telegram"
            else None,
            created_at=now,
            updated_at=now,
        )
        self._session.add(carer)
        self._session.flush()
        conversation.carer_id = carer.id
        self._change(conversation, carer_id=carer.id)
        return carer

    def _referral(self, conversation: ConversationRow, command: SaveReferral) -> None:
        details = command.details
        carer = self._carer(conversation, details, command.received_at)
        referral = Referral(
            reference=command.reference,
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel=conversation.channel,
            source=command.source,
            referrer_name=details.get("referrer_name"),
            referrer_phone=details.get("referrer_phone"),
            referrer_organisation=details.get("referrer_organisation"),
            relationship_to_cared_for=details.get("relationship"),
            cared_for_condition=details.get("condition"),
            carer_is_adult=details.get("carer_is_adult"),
            is_paid_carer=details.get("is_paid_carer"),
            caring_ended_over_limit=details.get("caring_ended_over_limit"),
            communication_needs=dict(details.get("communication_needs") or {}),
            best_time_to_call=details.get("best_time_to_call"),
            demographics=dict(details.get("demographics") or {}),
            consent_given=True,
            consent_at=command.consent.at,
            consent_wording_version=command.consent.wording_version,
            tell_referrer=command.tell_referrer,
            received_at=command.received_at,
            acknowledge_due=command.acknowledge_due,
            first_contact_due=command.first_contact_due,
        )
        self._session.add(referral)
        self._session.flush()
        self._audit("referral", referral.id, "created", conversation, command.received_at)
        self._callback(
            conversation,
            SaveCallback(
                reference=f"{command.reference}-1",
                kind="referral",
                reason="New referral: first contact",
                phone=details.get("phone") or details.get("referrer_phone"),
                received_at=command.received_at,
                due_by=command.callback_due,
                consent=command.consent,
            ),
            referral_id=referral.id,
        )

    def _card_request(self, conversation: ConversationRow, command: SaveCardRequest) -> None:
        details = command.details
        carer = self._carer(conversation, details, command.received_at)
        request = EmergencyCardRequest(
            reference=command.reference,
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel=conversation.channel,
            cared_for_name=details.get("cared_for_name"),
            help_needed=details.get("help_needed"),
            contacts=[dict(contact) for contact in command.contacts],
            consent_at=command.consent.at,
            consent_wording_version=command.consent.wording_version,
            received_at=command.received_at,
        )
        self._session.add(request)
        self._session.flush()
        self._audit("card_request", request.id, "created", conversation, command.received_at)
        self._callback(
            conversation,
            SaveCallback(
                reference=f"{command.reference}-1",
                kind="card_request",
                reason="Emergency card request: check the plan",
                phone=details.get("phone"),
                received_at=command.received_at,
                due_by=command.callback_due,
                consent=command.consent,
            ),
            card_request_id=request.id,
        )

    def _card_activation(self, conversation: ConversationRow, command: SaveCardActivation) -> None:
        activation = CardActivation(
            card_id=command.card_id,
            number_given=command.number_given,
            conversation_id=conversation.id,
            channel=conversation.channel,
            at=command.received_at,
        )
        self._session.add(activation)
        self._session.flush()
        self._audit("card_activation", activation.id, "created", conversation, command.received_at)
        known = "card found" if command.card_id else "card NOT found"
        self._callback(
            conversation,
            SaveCallback(
                reference=command.reference,
                kind="card_activation",
                reason=f"Emergency card used ({known}): put the plan into action",
                phone=None,
                received_at=command.received_at,
                due_by=command.due_by,
                urgent=True,
            ),
            activation_id=activation.id,
        )

    def _queue(self, command: QueueMessage) -> None:
        add_to_outbox(
            self._session,
            command.channel,
            command.recipient,
            {"text": command.text, **command.extra},
            command.at,
            command.dedupe_key,
        )

    def _audit(
        self,
        subject: str,
        subject_id: int,
        action: str,
        conversation: ConversationRow,
        at: datetime,
    ) -> None:
        add_audit(
            self._session,
            Actor(None, f"carer:{conversation.channel}"),
            action,
            subject,
            subject_id,
            at,
            {"conversation_id": conversation.id},
        )


def _delivery_key(key: ConversationKey, delivery: str) -> str:
    return f"{key.external_id}:{delivery}"[:200]


# The hot path's statements are built once, with named parameters: building a statement and
# its cache key costs more CPU than running it (bench/profile_call.py).
KEPT_REPLY = select(PROCESSED.c.response).where(
    PROCESSED.c.source == bindparam("channel"), PROCESSED.c.key == bindparam("key")
)
BOOKED_WINDOWS = (
    select(Callback.window_start, func.count())
    .where(
        Callback.status == "open",
        Callback.window_start >= bindparam("start"),
        Callback.window_start < bindparam("end"),
    )
    .group_by(Callback.window_start)
)
READ_STATE = (
    select(
        CONVERSATIONS.c.id,
        CONVERSATIONS.c.carer_id,
        CONVERSATIONS.c.node,
        CONVERSATIONS.c.attempts,
        CONVERSATIONS.c.answers,
    )
    .where(
        CONVERSATIONS.c.channel == bindparam("channel"),
        CONVERSATIONS.c.external_id == bindparam("external_id"),
    )
    .with_for_update()
)
READ_STATE_AND_REPLY = READ_STATE.add_columns(KEPT_REPLY.scalar_subquery().label("kept"))
INSERT_TURN = insert(TURNS)
INSERT_DELIVERY = insert(PROCESSED)
DELIVERY_COLUMNS = ("source", "key", "at", "response")


@lru_cache(maxsize=128)
def _write_statement(changed: tuple[str, ...], *, delivery: bool) -> Insert | Update:
    """The conversation's UPDATE (of ``changed``) and/or the processed delivery's INSERT.

    Both: one statement, the UPDATE as a data-modifying CTE (PostgreSQL only). Parameters:
    ``c_<column>`` and ``c_row``, ``d_<column>``.
    """
    saved = (
        update(CONVERSATIONS)
        .where(CONVERSATIONS.c.id == bindparam("c_row"))
        .values({name: bindparam(f"c_{name}") for name in changed})
    )
    if not delivery:
        return saved
    kept = insert(PROCESSED).values({name: bindparam(f"d_{name}") for name in DELIVERY_COLUMNS})
    return kept.add_cte(saved.cte("saved")) if changed else kept


class SqlStore:
    """Opens one transaction per dialog step, on a pooled connection of the sessions' engine."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._engine: Engine = sessions.kw["bind"]

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """Commit on normal exit, roll back on an exception.

        A connection the database dropped (a restart, a network fault) raises
        ``ConnectionLostError``: the pool has already thrown it away, so the caller may try again.
        """
        try:
            with self._engine.begin() as connection:
                transaction = SqlTransaction(connection)
                try:
                    yield transaction
                    transaction.finish()
                finally:
                    transaction.close()
        except DBAPIError as error:
            if error.connection_invalidated:
                raise ConnectionLostError("the database connection was lost") from error
            raise
