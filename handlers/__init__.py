"""The channel-agnostic dialog core: flows, working-day rules and the ports it needs.

No Flask, Twilio, Telegram or SQLAlchemy imports here (checked by import-linter).
"""
