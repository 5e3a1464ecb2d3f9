"""Telegram adapter: translates updates into core events and replies into Bot API calls."""
