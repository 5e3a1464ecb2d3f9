"""Staff accounts for the console: find, add, and count failed sign-ins towards a lock-out.

Implements ``handlers.ports.StaffAccounts``. A failed sign-in is counted with one atomic
``UPDATE ... SET failed_logins = failed_logins + 1``, so two wrong passwords at the same moment
both count. Raising ``session_generation`` ends every live session of an account (sign out
everywhere, a new password, disabling).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import DuplicateAccountError, StaffLogin, StaffMember
from store.models import StaffUser


def member_of(user: StaffUser) -> StaffMember:
    """The port's view of a staff row."""
    return StaffMember(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        phone=user.phone,
        active=user.active,
        session_generation=user.session_generation,
    )


class SqlStaffAccounts:
    """The ``staff_users`` table behind ``handlers.ports.StaffAccounts``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def find(self, username: str) -> StaffLogin | None:
        """The account with this username, compared without case."""
        with self._sessions() as session:
            user = session.scalar(
                select(StaffUser).where(func.lower(StaffUser.username) == username.lower())
            )
            if user is None:
                return None
            return StaffLogin(member_of(user), user.password_hash, user.locked_until)

    def get(self, staff_id: int) -> StaffMember | None:
        """The account with this id."""
        with self._sessions() as session:
            user = session.get(StaffUser, staff_id)
            return None if user is None else member_of(user)

    def add(
        self,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        phone: str | None,
        at: datetime,
    ) -> StaffMember:
        """Create an account; the username must be new (any case)."""
        if self.find(username) is not None:
            raise DuplicateAccountError(username)
        user = StaffUser(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            phone=phone,
            failed_logins=0,
            active=True,
            created_at=at,
        )
        try:
            with self._sessions.begin() as session:
                session.add(user)
        except IntegrityError:
            raise DuplicateAccountError(username) from None
        return member_of(user)

    def any_exist(self) -> bool:
        """True once any account exists."""
        with self._sessions() as session:
            return session.scalar(select(StaffUser.id).limit(1)) is not None

    def active_members(self) -> list[StaffMember]:
        """Everyone who can sign in, by name."""
        return self._members(active=True)

    def disabled_members(self) -> list[StaffMember]:
        """Accounts a supervisor disabled, by name."""
        return self._members(active=False)

    def _members(self, *, active: bool) -> list[StaffMember]:
        with self._sessions() as session:
            users = session.scalars(
                select(StaffUser)
                .where(StaffUser.active.is_(active))
                .order_by(StaffUser.display_name, StaffUser.id)
            )
            return [member_of(user) for user in users]

    def failed_sign_in(
        self, staff_id: int, at: datetime, limit: int, lock_for: timedelta
    ) -> datetime | None:
        """Count the failure; the ``limit``-th locks the account and starts the count again."""
        with self._sessions.begin() as session:
            counted: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(StaffUser)
                .where(StaffUser.id == staff_id)
                .values(failed_logins=StaffUser.failed_logins + 1)
                .returning(StaffUser.failed_logins)
            )
            failures = counted.scalar()
            if failures is None or failures < limit:
                return None
            until = at + lock_for
            session.execute(
                update(StaffUser)
                .where(StaffUser.id == staff_id)
                .values(failed_logins=0, locked_until=until)
            )
            return until

    def end_sessions(self, staff_id: int) -> None:
        """Raise the session generation: every session signed in before ends."""
        self._change(staff_id)

    def change_password(self, staff_id: int, password_hash: str) -> None:
        """A new password; every live session ends."""
        self._change(staff_id, password_hash=password_hash)

    def set_active(self, staff_id: int, active: bool) -> bool:
        """Enable or disable the account; any change ends its live sessions."""
        return self._change(staff_id, StaffUser.active.is_not(active), active=active)

    def _change(self, staff_id: int, *conditions: Any, **values: Any) -> bool:
        with self._sessions.begin() as session:
            changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(StaffUser)
                .where(StaffUser.id == staff_id, *conditions)
                .values(session_generation=StaffUser.session_generation + 1, **values)
            )
            return bool(changed.rowcount)

    def signed_in(self, staff_id: int, at: datetime) -> None:
        """Start the failure count again and clear any lock that has run out."""
        with self._sessions.begin() as session:
            session.execute(
                update(StaffUser)
                .where(StaffUser.id == staff_id)
                .values(failed_logins=0, locked_until=None)
            )
