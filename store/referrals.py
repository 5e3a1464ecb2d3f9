"""Referral clocks and telling the referrer: acknowledged (K5), first contact (K5), told (K6).

Implements ``handlers.ports.ReferralWork``. Each time is set once, by a conditional UPDATE
(``... WHERE acknowledged_at IS NULL``), with its audit line in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import Actor, ReferrerNotice
from store.audit import add_audit
from store.models import Referral
from store.queue import changed_one


class SqlReferralWork:
    """The ``referrals`` table's staff-side times."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def acknowledge(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Stop the acknowledgement clock, once."""
        with self._sessions.begin() as session:
            done = changed_one(
                session,
                update(Referral)
                .where(Referral.id == referral_id, Referral.acknowledged_at.is_(None))
                .values(acknowledged_at=at),
            )
            if done:
                add_audit(session, actor, "acknowledged", "referral", referral_id, at)
            return done

    def first_contact(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Record first contact, once; a referral not yet acknowledged is acknowledged too."""
        with self._sessions.begin() as session:
            done = changed_one(
                session,
                update(Referral)
                .where(Referral.id == referral_id, Referral.first_contact_at.is_(None))
                .values(
                    first_contact_at=at,
                    acknowledged_at=func.coalesce(Referral.acknowledged_at, at),
                ),
            )
            if done:
                add_audit(session, actor, "first_contact", "referral", referral_id, at)
            return done

    def notice(self, referral_id: int) -> ReferrerNotice | None:
        """What telling the referrer needs."""
        with self._sessions() as session:
            referral = session.scalar(select(Referral).where(Referral.id == referral_id))
            if referral is None:
                return None
            return ReferrerNotice(
                referral_id=referral.id,
                reference=referral.reference,
                referrer_phone=referral.referrer_phone,
                tell_referrer=referral.tell_referrer,
                first_contact_at=referral.first_contact_at,
                referrer_told_at=referral.referrer_told_at,
            )

    def referrer_told(self, referral_id: int, actor: Actor, at: datetime) -> bool:
        """Record that the referrer was told, once."""
        with self._sessions.begin() as session:
            done = changed_one(
                session,
                update(Referral)
                .where(Referral.id == referral_id, Referral.referrer_told_at.is_(None))
                .values(referrer_told_at=at),
            )
            if done:
                add_audit(session, actor, "referrer_told", "referral", referral_id, at)
            return done
