"""Emergency cards from the staff side: approve a request and issue a card, decline, edit a plan.

Implements ``handlers.ports.CardWork``. A card number is a random 7-digit serial with a Luhn
check digit (``handlers.cards``); the number column is UNIQUE, so a clash (however unlikely)
is caught by the database and another serial is drawn. Random rather than sequential numbers
mean nobody can guess a neighbour's card.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handlers.cards import SERIAL_LENGTH, with_check_digit
from handlers.ports import Actor
from store.audit import add_audit
from store.models import EmergencyCard, EmergencyCardRequest
from store.queue import changed_one

NUMBER_TRIES = 20


def random_serial() -> str:
    """A 7-digit serial from the operating system's secure random source."""
    return f"{secrets.randbelow(10**SERIAL_LENGTH):0{SERIAL_LENGTH}d}"


class CardNumbersExhaustedError(RuntimeError):
    """No free card number was found (the serial source keeps repeating itself)."""


class SqlCardWork:
    """The ``emergency_card_requests`` and ``emergency_cards`` tables, staff side."""

    def __init__(
        self, sessions: sessionmaker[Session], serials: Callable[[], str] = random_serial
    ) -> None:
        self._sessions = sessions
        self._serials = serials

    def approve(
        self,
        request_id: int,
        actor: Actor,
        at: datetime,
        plan: str | None,
        contacts: tuple[dict[str, str], ...],
    ) -> int | None:
        """Approve the pending request and issue its card; None if it was already decided."""
        with self._sessions.begin() as session:
            if not changed_one(
                session,
                update(EmergencyCardRequest)
                .where(
                    EmergencyCardRequest.id == request_id,
                    EmergencyCardRequest.status == "pending",
                )
                .values(status="approved", decided_by=actor.staff_id, decided_at=at),
            ):
                return None
            carer_id = session.scalar(
                select(EmergencyCardRequest.carer_id).where(EmergencyCardRequest.id == request_id)
            )
            card = self._issue(session, request_id, carer_id, plan, contacts, at)
            detail = {"card_id": card.id}
            add_audit(session, actor, "approved", "card_request", request_id, at, detail)
            add_audit(session, actor, "issued", "card", card.id, at, {"request_id": request_id})
            return card.id

    def _issue(
        self,
        session: Session,
        request_id: int,
        carer_id: int | None,
        plan: str | None,
        contacts: tuple[dict[str, str], ...],
        at: datetime,
    ) -> EmergencyCard:
        for _ in range(NUMBER_TRIES):
            number = with_check_digit(self._serials())
            card = EmergencyCard(
                number=number,
                request_id=request_id,
                carer_id=carer_id,
                plan=plan,
                contacts=[dict(contact) for contact in contacts],
                issued_at=at,
                status="active",
            )
            try:
                with session.begin_nested():
                    session.add(card)
            except IntegrityError:
                continue
            return card
        raise CardNumbersExhaustedError(f"no free card number after {NUMBER_TRIES} tries")

    def decline(self, request_id: int, actor: Actor, at: datetime, note: str) -> bool:
        """Decline the pending request with the reason."""
        with self._sessions.begin() as session:
            done = changed_one(
                session,
                update(EmergencyCardRequest)
                .where(
                    EmergencyCardRequest.id == request_id,
                    EmergencyCardRequest.status == "pending",
                )
                .values(
                    status="declined", decided_by=actor.staff_id, decided_at=at, decision_note=note
                ),
            )
            if done:
                add_audit(session, actor, "declined", "card_request", request_id, at)
            return done

    def update_plan(
        self,
        card_id: int,
        actor: Actor,
        at: datetime,
        plan: str | None,
        contacts: tuple[dict[str, str], ...],
    ) -> bool:
        """Change an active card's plan and contacts."""
        with self._sessions.begin() as session:
            done = changed_one(
                session,
                update(EmergencyCard)
                .where(EmergencyCard.id == card_id, EmergencyCard.status == "active")
                .values(plan=plan, contacts=[dict(contact) for contact in contacts]),
            )
            if done:
                detail = {"contacts": len(contacts)}
                add_audit(session, actor, "plan_updated", "card", card_id, at, detail)
            return done
