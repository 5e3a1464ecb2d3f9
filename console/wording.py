"""What the console says to staff when it cannot do something, and labels for records.

Staff-facing only: carers never see these words (theirs live in ``knowledge/prompts``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from handlers.callbacks import Result
from handlers.ports import ReferralRecord
from handlers.profile import ServiceProfile

CHANNELS = {
    "voice": "Phone",
    "sms": "Text message",
    "telegram": "Telegram chat",
    "terminal": "Test terminal",
    "console": "Staff console",
}
STATUSES = {"open": "Open", "done": "Completed", "closed": "Closed"}
REFERRAL_SOURCES = {
    "self": "Self-referral",
    "family": "Family member",
    "professional": "Health or social care professional",
    "agency": "Voluntary or community agency",
}
CARD_REQUEST_STATUSES = {
    "pending": "Waiting for a decision",
    "approved": "Approved",
    "declined": "Declined",
}
NOTIFICATION_STATUSES = {"pending": "Waiting to send", "sent": "Sent", "dead": "Could not be sent"}
FOLLOW_UP_REASONS = {
    "attempts_used": "All phone tries used",
    "wrong_number": "Wrong number",
}

_REFUSALS = {
    "not_found": "That record no longer exists.",
    "not_holder": "Someone else holds this item now (or nobody does). Claim it first.",
    "closed": "This has already been done, or the item is closed. Nothing was changed.",
    "changed": (
        "Someone changed this item while you were working on it. "
        "Check the latest details below, then try again."
    ),
    "unknown_choice": "That choice is not on the list. Check the form and try again.",
    "not_allowed": "The referrer did not ask to be told, so no message was sent.",
    "no_phone": "There is no UK phone number for the referrer, so no text can be sent.",
}


def refusal_message(result: Result, when: Callable[[datetime], str]) -> str:
    """Why a request was refused, in plain words."""
    if result.refusal == "too_soon" and result.not_before is not None:
        return (
            "Too soon for another try: leave time between tries so the carer has a fair chance "
            f"to answer. You can record the next try from {when(result.not_before)}."
        )
    return _REFUSALS.get(result.refusal or "", "That could not be done. Nothing was changed.")


def referrer_message(profile: ServiceProfile, referral: ReferralRecord | None) -> str:
    """A starting point for the text to a referrer (K6): no personal details; staff may edit."""
    if referral is None:
        return ""
    return (
        f"Hello, this is {profile.name}. Thank you for your referral "
        f"(reference {referral.reference}). We have now been in touch with the carer. "
        f"If you have any questions, call us on {profile.phones.main}."
    )


# The block list and account protection (issue 8 items 6 and 7).

BLOCK_KINDS = {"phone": "Phone number", "chat": "Telegram chat"}
BLOCK_NOT_A_CONTACT = (
    "Enter a phone number (a UK number like 07700 900123, or +country code for abroad) or a "
    "Telegram chat id (digits, perhaps with a minus sign in front)."
)
BLOCK_ADDED = "Blocked until {until}. They will still be given the emergency numbers."
BLOCK_REMOVED = "Block lifted."
BLOCK_ALREADY_GONE = "That block had already been lifted or had run out. Nothing was changed."
SIGN_IN_THROTTLED = (
    "Too many failed sign-ins from this computer or network. Wait 15 minutes, then try again."
)
SIGNED_OUT_EVERYWHERE = "You have been signed out on every computer and phone."
PASSWORD_CHANGED = "Password changed. You have been signed out everywhere else."
PASSWORDS_DIFFER = "The two new passwords are not the same."
ACCOUNT_DISABLED = "Account disabled: it is signed out everywhere and cannot sign in."
ACCOUNT_ENABLED = "Account enabled: it can sign in again with its password."
ACCOUNT_NOT_CHANGED = "That account could not be changed (you cannot disable your own)."
