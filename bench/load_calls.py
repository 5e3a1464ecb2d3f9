"""Drive simulated phone calls at the real app under gunicorn and compare with a bare baseline.

Usage: .venv/bin/python bench/load_calls.py [--calls 24] [--seconds 20] [--rate 100]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

What it does, in one run:
1. Migrates a throw-away PostgreSQL schema and starts the app exactly as the Procfile's ``web``
   process does (gunicorn with gunicorn.conf.py), on loopback, with a Twilio auth token so every
   request is signed and checked.
2. Closed loop (saturation): ``--calls`` concurrent callers each place whole calls: the call
   comes in, they follow the TwiML (Gather action, Redirect), press keys or speak along one of
   several scripted routes (information by keypad and by speech, callback request, message),
   then hang up (status callback). Requests/s, latency per route and errors are printed.
3. Paced: requests sent on a fixed schedule at ``--rate`` per second; latency is measured from
   the moment each request was due, so a slow server cannot hide its queueing.
4. The same two loads against ``bench/bare_twiml.py`` (constant TwiML) under the same gunicorn
   settings, and the ratio of the two.
The load generator shares the machine's cores with the server, as the targets assume. The
service's clock is fixed to a Monday morning (``CARERS_LINE_NOW``), so the line is open and the
same flows run whatever the time of day.
"""

from __future__ import annotations

import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from loadkit import (
    ROOT,
    Client,
    Pacer,
    Target,
    arguments,
    compare,
    drop_schema,
    due,
    free_port,
    prepare_database,
    server_environment,
)
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
CALLER = "+447700900{:03d}"
MAX_STEPS = 14

# Each route: what the caller does at each <Gather> in turn (digits, or "say:" words).
ROUTES: tuple[tuple[str, ...], ...] = (
    ("1", "say:how do i claim carers allowance", "2"),
    ("1", "say:can i get a break from caring", "1"),
    ("4", "say:help with respite", "2", "1", "1", "5", "1"),
    ("say:information", "say:what is a carers assessment", "2"),
)


def is_twiml(status: int, text: str) -> bool:
    """A 200 with a TwiML document that parses (raises ValueError when it does not)."""
    if status != 200 or not text.lstrip().startswith("<?xml"):
        return False
    try:
        ET.fromstring(text)
    except ET.ParseError as error:
        raise ValueError("TwiML that does not parse") from error
    return True


class Caller:
    """Plays Twilio's part in calls: signs each request and follows the TwiML it gets back."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.validator = RequestValidator(AUTH_TOKEN)

    def __call__(self, client: Client, number: int, pacer: Pacer | None) -> None:
        """One whole call along one of ``ROUTES``, then the hang-up status callback."""
        route = ROUTES[number % len(ROUTES)]
        sid = "CA" + uuid.uuid4().hex
        base = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": CALLER.format(number % 1000)}
        base |= {"To": "+441130000000", "Direction": "inbound", "CallStatus": "in-progress"}
        twiml = self.post(client, "/ivr/voice", base, pacer)
        inputs = iter(route)
        for _ in range(MAX_STEPS):
            action = next_action(twiml)
            if action is None:
                break
            path, kind = action
            params = dict(base)
            if kind == "gather":
                answer = next(inputs, None)
                if answer is None:
                    break
                if answer.startswith("say:"):
                    params |= {"SpeechResult": answer[4:], "Confidence": "0.92"}
                else:
                    params["Digits"] = answer
            twiml = self.post(client, path, params, pacer)
        status = base | {"CallStatus": "completed", "CallDuration": "60"}
        self.post(client, "/ivr/status", status, pacer)

    def post(self, client: Client, path: str, params: dict[str, str], pacer: Pacer | None) -> str:
        """POST like Twilio: form-encoded and signed over the public URL."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(self.base_url + path, params),
        }
        body = urllib.parse.urlencode(params).encode()
        return client.post(path, body, headers, is_twiml, due(pacer)) or ""


def next_action(twiml: str) -> tuple[str, str] | None:
    """Where Twilio would go next: a Gather's action, a Redirect, or nowhere (hang-up/record)."""
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return None
    for verb in root:
        if verb.tag == "Gather" and verb.get("action"):
            return _path(verb.get("action", "")), "gather"
        if verb.tag == "Redirect" and verb.text:
            return _path(verb.text), "redirect"
        if verb.tag in {"Hangup", "Record", "Dial"}:
            return None
    return None


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def main() -> None:
    """Run both loads against both servers and print the figures and ratios."""
    args = arguments(__doc__.splitlines()[0], "calls")
    app_url, schema = prepare_database(args.database)
    port = free_port()
    env = server_environment(
        app_url,
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        },
    )
    targets = (
        Target("carers-line", "app:create_app()"),
        Target("bare baseline", "bare_twiml:app", str(ROOT / "bench")),
    )
    try:
        caller = Caller(f"http://127.0.0.1:{port}")
        compare(args, port, env, (caller, caller), targets)
    finally:
        drop_schema(args.database, schema)


if __name__ == "__main__":
    main()
