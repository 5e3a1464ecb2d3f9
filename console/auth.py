"""Signing staff in and out: hashed passwords, lock-out, roles, Flask-Login and CSRF set-up.

Passwords are hashed with scrypt (werkzeug) and must be at least 12 characters mixing at least
two kinds of character. Five wrong passwords lock an account for 15 minutes, timed by the
injected clock; ten failed sign-ins from one client address in 15 minutes make that address
wait (counted in the database, so across workers: issue 8 item 7). Signing in starts a new
session (nothing from before survives it). Each session carries the account's session
generation: "sign out everywhere", a new password or a supervisor disabling the account raise
it, and every older session ends at its next request. Every console form carries a CSRF token
(Flask-WTF); the check runs for every POST to the console.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Request, abort, current_app, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import (  # type: ignore[import-untyped]
    LoginManager,
    current_user,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]
from werkzeug.security import check_password_hash, generate_password_hash

from handlers.callbacks import LOCK_OUT, SIGN_IN_LIMIT
from handlers.limits import AbuseLimits, Subject, decide, window_start
from handlers.phones import clean_phone, dialable
from handlers.ports import Actor, AuditTrail, SignInThrottle, StaffAccounts, StaffMember

MIN_PASSWORD_LENGTH = 12
ROLES = ("staff", "supervisor")
DEMO_USERNAME = "demo"
GENERATION_KEY = "session_generation"
CONSOLE_PATH = "/console"
_USERNAME = re.compile(r"[A-Za-z0-9._-]{3,64}")
_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^A-Za-z0-9]"),
)
P = ParamSpec("P")
R = TypeVar("R")


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password."""
    return generate_password_hash(password, method="scrypt")


@cache
def _decoy_hash() -> str:
    """A hash to check against when the username is unknown, so both take as long."""
    return hash_password(secrets.token_urlsafe(16))


def password_problems(password: str, username: str = "") -> list[str]:
    """Why a new password is not good enough (empty when it is)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if sum(bool(kind.search(password)) for kind in _CLASSES) < 2:
        problems.append(
            "Mix at least two kinds of character: lower case, capitals, numbers or symbols."
        )
    if username and username.lower() in password.lower():
        problems.append("Do not put the username in the password.")
    return problems


class AccountError(ValueError):
    """An account could not be created; the message says why, for the person creating it."""


def check_details(username: str, display_name: str, role: str, phone: str | None) -> str | None:
    """Check a new account's details (before asking for a password); the tidied phone number."""
    if not _USERNAME.fullmatch(username):
        raise AccountError("A username is 3 to 64 letters, numbers, dots, dashes or underscores.")
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    if not display_name.strip():
        raise AccountError("Give the name colleagues know this person by.")
    if not phone:
        return None
    number = clean_phone(phone)
    if number is None or dialable(number) is None:
        raise AccountError(
            "The phone number must be a UK number we may call, like 07700 900123 "
            "(a landline or mobile, never premium rate)."
        )
    return number


def create_account(
    accounts: StaffAccounts,
    *,
    username: str,
    display_name: str,
    password: str,
    role: str,
    phone: str | None,
    at: datetime,
) -> StaffMember:
    """Check the details and password policy, then create the account."""
    number = check_details(username, display_name, role, phone)
    problems = password_problems(password, username)
    if problems:
        raise AccountError(" ".join(problems))
    return accounts.add(username, display_name.strip(), hash_password(password), role, number, at)


def ensure_demo_supervisor(accounts: StaffAccounts, at: datetime) -> tuple[str, str] | None:
    """For a brand-new development database: a demo supervisor with a random password.

    Returns the username and password the first time (to print once); None when any account
    already exists.
    """
    if accounts.any_exist():
        return None
    password = secrets.token_urlsafe(12) + "-Aa1"
    while password_problems(password, DEMO_USERNAME):
        password = secrets.token_urlsafe(12) + "-Aa1"
    create_account(
        accounts,
        username=DEMO_USERNAME,
        display_name="Demo supervisor",
        password=password,
        role="supervisor",
        phone=None,
        at=at,
    )
    return DEMO_USERNAME, password


class ConsoleUser:
    """The signed-in member of staff, in the shape Flask-Login expects."""

    is_anonymous = False

    def __init__(self, member: StaffMember) -> None:
        self.member = member

    @property
    def is_authenticated(self) -> bool:
        """Always true for a loaded user."""
        return True

    @property
    def is_active(self) -> bool:
        """Inactive accounts are refused."""
        return self.member.active

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session."""
        return str(self.member.id)


@dataclass(frozen=True)
class SignIn:
    """The result of trying to sign in: the member, or why not."""

    member: StaffMember | None
    locked_until: datetime | None = None
    throttled: bool = False


@dataclass(frozen=True)
class SignInFrom:
    """Where a sign-in comes from, and the per-address count of failures (issue 8 item 7)."""

    address: str
    throttle: SignInThrottle


def check_sign_in(
    accounts: StaffAccounts,
    audit: AuditTrail,
    username: str,
    password: str,
    now: datetime,
    origin: SignInFrom | None = None,
) -> SignIn:
    """Check a username and password, counting failures towards the lock-out.

    With an ``origin``, an address with too many recent failures is refused before any password
    is checked, and every failure counts against the address.
    """
    if origin is not None:
        subject = Subject("address", origin.address)
        failures = origin.throttle.failures(origin.address, window_start(now, "sign_in"))
        if not decide("sign_in", AbuseLimits(), {subject: failures}).allowed:
            audit.record(Actor(None, "anonymous"), "sign_in_throttled", "staff", None, now)
            return SignIn(None, throttled=True)
    outcome = _check_password(accounts, audit, username, password, now)
    if outcome.member is None and origin is not None:
        origin.throttle.failed(origin.address, now)
    return outcome


def _check_password(
    accounts: StaffAccounts, audit: AuditTrail, username: str, password: str, now: datetime
) -> SignIn:
    login = accounts.find(username.strip())
    if login is None:
        check_password_hash(_decoy_hash(), password)
        audit.record(Actor(None, "anonymous"), "sign_in_failed", "staff", None, now)
        return SignIn(None)
    actor = Actor.staff(login.member)
    if login.locked_until is not None and login.locked_until > now:
        audit.record(actor, "sign_in_refused_locked", "staff", login.member.id, now)
        return SignIn(None, login.locked_until)
    if not check_password_hash(login.password_hash, password):
        until = accounts.failed_sign_in(login.member.id, now, SIGN_IN_LIMIT, LOCK_OUT)
        action = "locked_out" if until else "sign_in_failed"
        audit.record(actor, action, "staff", login.member.id, now)
        return SignIn(None, until)
    if not login.member.active:
        audit.record(actor, "sign_in_refused_inactive", "staff", login.member.id, now)
        return SignIn(None)
    accounts.signed_in(login.member.id, now)
    audit.record(actor, "signed_in", "staff", login.member.id, now)
    return SignIn(login.member)


def start_session(member: StaffMember) -> None:
    """A fresh session for the member (protection against session fixation).

    Whatever the old session held (a planted value, an old CSRF token) is dropped first; the
    new one carries the account's session generation.
    """
    session.clear()
    login_user(ConsoleUser(member))
    session[GENERATION_KEY] = member.session_generation


def sign_out_everywhere(accounts: StaffAccounts, audit: AuditTrail, now: datetime) -> None:
    """End every session of the signed-in member, this one included."""
    member = current_member()
    accounts.end_sessions(member.id)
    audit.record(Actor.staff(member), "signed_out_everywhere", "staff", member.id, now)
    end_session()


def change_password(
    accounts: StaffAccounts, audit: AuditTrail, current: str, new: str, now: datetime
) -> list[str]:
    """Change the signed-in member's password; why not, when it cannot be changed.

    Every other session of the account ends; this browser gets a fresh session.
    """
    member = current_member()
    login = accounts.find(member.username)
    if login is None or not check_password_hash(login.password_hash, current):
        return ["Your current password is not right."]
    problems = password_problems(new, member.username)
    if problems:
        return problems
    accounts.change_password(member.id, hash_password(new))
    audit.record(Actor.staff(member), "password_changed", "staff", member.id, now)
    renewed = accounts.get(member.id)
    if renewed is not None:
        start_session(renewed)
    return []


def set_account_active(
    accounts: StaffAccounts, audit: AuditTrail, staff_id: int, active: bool, now: datetime
) -> bool:
    """A supervisor enables or disables an account (not their own); disabling ends its sessions."""
    member = current_member()
    if staff_id == member.id or not accounts.set_active(staff_id, active):
        return False
    action = "account_enabled" if active else "account_disabled"
    audit.record(Actor.staff(member), action, "staff", staff_id, now)
    return True


def end_session() -> None:
    """Sign out and drop everything in the session."""
    logout_user()
    session.clear()


def current_member() -> StaffMember:
    """The signed-in member of staff (only call behind ``signed_in``)."""
    user = current_user._get_current_object()
    if not isinstance(user, ConsoleUser):
        abort(401)
    return user.member


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Send anyone not signed in to the sign-in page."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_authenticated:
            response: R = _login_manager().unauthorized()
            return response
        return view(*args, **kwargs)

    return wrapper


def supervisors_only(view: Callable[P, R]) -> Callable[P, R]:
    """Signed in as a supervisor, or 403."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_authenticated:
            response: R = _login_manager().unauthorized()
            return response
        if not current_member().is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


_MANAGER_KEY = "carers_line_login"
_CSRF_KEY = "carers_line_csrf"


class ConsoleSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions under ``/console`` only.

    Webhooks and health checks neither read nor set a cookie: they get Flask's null session,
    and building the cookie signer for every webhook was a measurable share of its CPU
    (docs/performance.md).
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == CONSOLE_PATH or request.path.startswith(f"{CONSOLE_PATH}/"):
            return super().open_session(app, request)
        return None


def install(app: Flask, accounts: StaffAccounts) -> None:
    """Flask-Login and Flask-WTF's CSRF protection for the console.

    CSRF is checked for every POST to the console (``protect_console_post``) rather than app-wide,
    because Twilio and Telegram post to their webhooks without a token (they are checked by
    signature and secret instead).
    """
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    manager = LoginManager()
    manager.login_view = "console.login"
    manager.login_message = "Please sign in to use the staff console."
    manager.login_message_category = "info"
    manager.session_protection = "strong"

    def load_user(user_id: str) -> ConsoleUser | None:
        if not user_id.isdigit():
            return None
        member = accounts.get(int(user_id))
        if member is None or not member.active:
            return None
        if session.get(GENERATION_KEY) != member.session_generation:
            return None  # ended by "sign out everywhere", a new password or disabling
        return ConsoleUser(member)

    manager.user_loader(load_user)
    manager.init_app(app)
    app.session_interface = ConsoleSessions()
    app.extensions[_MANAGER_KEY] = manager
    app.extensions[_CSRF_KEY] = CSRFProtect(app)


def protect_console_post() -> None:
    """Refuse a console POST without a valid CSRF token (Flask-WTF raises CSRFError: 400)."""
    csrf: Any = _extension(_CSRF_KEY)
    csrf.protect()


def _login_manager() -> Any:
    return _extension(_MANAGER_KEY)


def _extension(key: str) -> Any:
    return current_app.extensions[key]
