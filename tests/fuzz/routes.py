"""Every route of the app, by the fuzz test that covers it.

``test_every_route_is_fuzzed`` compares this with ``app.url_map``: a route added without a
place here (and so without a strategy) fails the suite until it gets one.
"""

from __future__ import annotations

VOICE = (
    "/ivr/voice",
    "/ivr/step",
    "/ivr/confirm",
    "/ivr/recording",
    "/ivr/dial-result",
    "/ivr/failsafe-recording",
    "/ivr/fallback",
)
"""Voice routes that speak: always TwiML, the fail-safe at worst."""
VOICE_QUIET = (
    "/ivr/screen",
    "/ivr/screen-result",
    "/ivr/status",
    "/ivr/transcription",
    "/ivr/recording-status",
)
"""Voice routes that only record or whisper to staff: always TwiML too."""
SMS = ("/sms/incoming",)
TELEGRAM = ("/telegram/webhook",)
CONSOLE_FORMS = (
    "/console/login",
    "/console/logout",
    "/console/callbacks/<int:callback_id>/claim",
    "/console/callbacks/<int:callback_id>/release",
    "/console/callbacks/<int:callback_id>/reassign",
    "/console/callbacks/<int:callback_id>/attempts",
    "/console/callbacks/<int:callback_id>/complete",
    "/console/callbacks/<int:callback_id>/call",
    "/console/callbacks/<int:callback_id>/referral/acknowledge",
    "/console/callbacks/<int:callback_id>/referral/first-contact",
    "/console/callbacks/<int:callback_id>/referral/tell-referrer",
    "/console/callbacks/<int:callback_id>/card-request/approve",
    "/console/callbacks/<int:callback_id>/card-request/decline",
    "/console/cards/<int:card_id>/plan",
    "/console/follow-ups/<int:task_id>/done",
    "/console/account/password",
    "/console/account/sign-out-everywhere",
    "/console/staff/<int:staff_id>/disable",
    "/console/staff/<int:staff_id>/enable",
    "/console/blocklist",
    "/console/blocklist/<int:entry_id>/remove",
)
"""Console forms (POST), each fuzzed field by field with a proper CSRF token."""
PAGES = (
    "/",
    "/healthz",
    "/readyz",
    "/static/<path:filename>",
    "/console/",
    "/console/audit",
    "/console/callbacks/<int:callback_id>",
    "/console/cards/<int:card_id>",
    "/console/cards/<int:card_id>/plan",
    "/console/follow-ups",
    "/console/login",
    "/console/report",
    "/console/static/<path:filename>",
    "/console/voicemails/<int:voicemail_id>/audio",
    "/console/account",
    "/console/staff",
    "/console/blocklist",
)
"""Pages (GET), fuzzed through their query strings and path values."""
COVERED = frozenset((*VOICE, *VOICE_QUIET, *SMS, *TELEGRAM, *CONSOLE_FORMS, *PAGES))
