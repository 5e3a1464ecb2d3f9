"""The load baseline: a bare Flask app that answers every POST with one constant TwiML document.

``bench/load_calls.py`` runs it under the same gunicorn settings as the real app, so the ratio
between the two shows what Carers Line's own work (signature check, dialog step, database
transaction) costs on this machine.
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/ivr/step?n=1" '
    'input="dtmf speech" language="en-GB" numDigits="1"><Say voice="Polly.Amy">'
    "Press 1 for information.</Say></Gather></Response>"
)

app = Flask(__name__)


@app.post("/<path:route>")
def constant(route: str) -> Response:
    """The same TwiML whatever was asked."""
    return Response(TWIML, mimetype="text/xml")
