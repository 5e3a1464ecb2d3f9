"""The chat load baseline: a bare Flask app that answers every POST with one constant JSON body.

``bench/load_chat.py`` runs it under the same gunicorn settings as the real app, so the ratio
between the two shows what Carers Line's own work (secret check, update parsing, dialog step,
database transaction, Bot API calls) costs on this machine.
"""

from __future__ import annotations

from flask import Flask, Response

app = Flask(__name__)


@app.post("/<path:route>")
def constant(route: str) -> Response:
    """The same 200 whatever was sent."""
    return Response('{"ok": true}', mimetype="application/json")
