"""Twilio Voice and SMS adapter: translates webhooks into core events and replies into TwiML."""
