"""The monitoring report's reads: the rows ``handlers.report`` counts, for one period.

Implements ``handlers.ports.ReportSource``. Read-only, one session, a query or two per kind of
row; each carer's monitoring answers (L10) come from their latest referral that has any.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.engine import ENDED_NODE
from handlers.ports import (
    CallbackRow,
    CardEventRow,
    CarerFacts,
    ContactRow,
    FeedbackRow,
    ReferralRow,
    ReportRows,
    SaidRow,
    UnansweredRow,
)
from store.models import (
    ArticleFeedback,
    Callback,
    CallbackAttempt,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    Referral,
    UnansweredQuestion,
)

CARER_BATCH = 500


class SqlReportSource:
    """Reads one period's rows from the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def rows(self, start: datetime, end: datetime, answer_node: str) -> ReportRows:
        """Everything that came in during [start, end), and queue items completed in it."""
        with self._sessions() as session:
            contacts = self._contacts(session, start, end)
            referrals = tuple(
                ReferralRow(*row)
                for row in session.execute(
                    select(
                        Referral.reference,
                        Referral.channel,
                        Referral.source,
                        Referral.carer_id,
                        Referral.received_at,
                        Referral.acknowledged_at,
                        Referral.first_contact_at,
                    )
                    .where(Referral.received_at >= start, Referral.received_at < end)
                    .order_by(Referral.received_at)
                )
            )
            callbacks = self._callbacks(session, start, end)
            card_events = self._card_events(session, start, end)
            answers = tuple(
                SaidRow(*row)
                for row in session.execute(
                    select(
                        Conversation.channel,
                        Conversation.carer_id,
                        ConversationTurn.at,
                        ConversationTurn.text,
                    )
                    .join(Conversation, Conversation.id == ConversationTurn.conversation_id)
                    .where(
                        ConversationTurn.direction == "out",
                        ConversationTurn.node == answer_node,
                        ConversationTurn.at >= start,
                        ConversationTurn.at < end,
                    )
                    .order_by(ConversationTurn.at)
                )
            )
            feedback = tuple(
                FeedbackRow(*row)
                for row in session.execute(
                    select(
                        ArticleFeedback.channel,
                        Conversation.carer_id,
                        ArticleFeedback.at,
                        ArticleFeedback.article_id,
                        ArticleFeedback.helped,
                    )
                    .outerjoin(Conversation, Conversation.id == ArticleFeedback.conversation_id)
                    .where(ArticleFeedback.at >= start, ArticleFeedback.at < end)
                )
            )
            unanswered = tuple(
                UnansweredRow(*row)
                for row in session.execute(
                    select(
                        UnansweredQuestion.channel,
                        Conversation.carer_id,
                        UnansweredQuestion.at,
                        UnansweredQuestion.clarify_offered,
                    )
                    .outerjoin(Conversation, Conversation.id == UnansweredQuestion.conversation_id)
                    .where(UnansweredQuestion.at >= start, UnansweredQuestion.at < end)
                )
            )
            linked: list[int | None] = [row.carer_id for row in contacts]
            linked += [row.carer_id for row in referrals]
            linked += [row.carer_id for row in callbacks]
            linked += [row.carer_id for row in card_events]
            linked += [row.carer_id for row in answers]
            linked += [row.carer_id for row in feedback]
            linked += [row.carer_id for row in unanswered]
            carer_ids = sorted({carer_id for carer_id in linked if carer_id is not None})
            carers = self._carers(session, carer_ids)
        return ReportRows(
            contacts=contacts,
            referrals=referrals,
            callbacks=callbacks,
            card_events=card_events,
            answers=answers,
            feedback=feedback,
            unanswered=unanswered,
            carers=carers,
        )

    @staticmethod
    def _contacts(session: Session, start: datetime, end: datetime) -> tuple[ContactRow, ...]:
        """Conversations started in the period, and chats that started again after ending.

        A chat keeps one conversation per chat, so a carer who comes back after it ended (the
        transcript line of their first message is at the ``ended`` node) is a new contact.
        """
        started = session.execute(
            select(
                Conversation.id,
                Conversation.channel,
                Conversation.started_at,
                Conversation.carer_id,
            ).where(Conversation.started_at >= start, Conversation.started_at < end)
        )
        restarted = session.execute(
            select(
                Conversation.id, Conversation.channel, ConversationTurn.at, Conversation.carer_id
            )
            .join(Conversation, Conversation.id == ConversationTurn.conversation_id)
            .where(
                ConversationTurn.direction == "in",
                ConversationTurn.node == ENDED_NODE,
                ConversationTurn.at >= start,
                ConversationTurn.at < end,
            )
        )
        rows = [ContactRow(*row) for row in (*started, *restarted)]
        return tuple(sorted(rows, key=lambda row: (row.started_at, row.conversation_id)))

    @staticmethod
    def _callbacks(session: Session, start: datetime, end: datetime) -> tuple[CallbackRow, ...]:
        first_attempt = (
            select(CallbackAttempt.callback_id, func.min(CallbackAttempt.at).label("first_at"))
            .group_by(CallbackAttempt.callback_id)
            .subquery()
        )
        query = (
            select(
                Callback.reference,
                Callback.kind,
                Callback.urgency,
                Callback.channel,
                func.coalesce(Callback.carer_id, Conversation.carer_id),
                Callback.received_at,
                first_attempt.c.first_at,
                Callback.completed_at,
                Callback.status,
                Callback.outcome,
                Callback.ended_early,
                Callback.signposted_to,
            )
            .outerjoin(first_attempt, first_attempt.c.callback_id == Callback.id)
            .outerjoin(Conversation, Conversation.id == Callback.conversation_id)
            .where(
                or_(
                    and_(Callback.received_at >= start, Callback.received_at < end),
                    and_(Callback.completed_at >= start, Callback.completed_at < end),
                )
            )
            .order_by(Callback.received_at, Callback.id)
        )
        return tuple(
            CallbackRow(
                reference=reference,
                kind=kind,
                urgent=urgency == "urgent",
                channel=channel,
                carer_id=carer_id,
                received_at=received,
                first_attempt_at=first_at,
                completed_at=completed,
                status=status,
                outcome=outcome,
                ended_early=bool(ended_early),
                signposted_to=tuple(str(item) for item in (signposted or ()) if item),
            )
            for (
                reference,
                kind,
                urgency,
                channel,
                carer_id,
                received,
                first_at,
                completed,
                status,
                outcome,
                ended_early,
                signposted,
            ) in session.execute(query)
        )

    @staticmethod
    def _card_events(session: Session, start: datetime, end: datetime) -> tuple[CardEventRow, ...]:
        requests = session.execute(
            select(
                EmergencyCardRequest.channel,
                EmergencyCardRequest.carer_id,
                EmergencyCardRequest.received_at,
            ).where(
                EmergencyCardRequest.received_at >= start, EmergencyCardRequest.received_at < end
            )
        )
        issued = session.execute(
            select(EmergencyCardRequest.channel, EmergencyCard.carer_id, EmergencyCard.issued_at)
            .outerjoin(EmergencyCardRequest, EmergencyCardRequest.id == EmergencyCard.request_id)
            .where(EmergencyCard.issued_at >= start, EmergencyCard.issued_at < end)
        )
        activations = session.execute(
            select(
                CardActivation.channel,
                EmergencyCard.carer_id,
                CardActivation.at,
                CardActivation.card_id.is_not(None),
            )
            .outerjoin(EmergencyCard, EmergencyCard.id == CardActivation.card_id)
            .where(CardActivation.at >= start, CardActivation.at < end)
        )
        events = [CardEventRow("request", *row) for row in requests]
        events += [CardEventRow("issued", *row) for row in issued]
        events += [
            CardEventRow("activation", channel, carer_id, at, bool(known))
            for channel, carer_id, at, known in activations
        ]
        return tuple(sorted(events, key=lambda event: event.at))

    @staticmethod
    def _carers(session: Session, ids: list[int]) -> dict[int, CarerFacts]:
        facts: dict[int, CarerFacts] = {}
        for chunk in _chunks(ids, CARER_BATCH):
            places = {
                carer_id: place
                for carer_id, place in session.execute(
                    select(Carer.id, Carer.postcode_or_district).where(Carer.id.in_(chunk))
                )
            }
            answers: dict[int, dict[str, object]] = {}
            for carer_id, demographics in session.execute(
                select(Referral.carer_id, Referral.demographics)
                .where(Referral.carer_id.in_(chunk))
                .order_by(Referral.received_at, Referral.id)
            ):
                if demographics:
                    answers[carer_id] = dict(demographics)
            for carer_id in chunk:
                given = answers.get(carer_id, {})
                disability = given.get("disability")
                facts[carer_id] = CarerFacts(
                    gender=_text(given.get("gender")),
                    age_band=_text(given.get("age_band")),
                    disability=disability if isinstance(disability, bool) else None,
                    place=places.get(carer_id),
                )
        return facts


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
