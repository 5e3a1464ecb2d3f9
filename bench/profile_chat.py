"""Profile the Telegram webhook: whole chats driven in-process through the Flask test client.

Usage: .venv/bin/python bench/profile_chat.py [--chats 150] [--lines 45]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds the real app (``app.create_app``) on a throw-away, migrated PostgreSQL schema with the
Telegram webhook on, its clock fixed to a Monday morning as in ``bench/load_chat.py``, and that
script's fake Bot API server on loopback in this same process, warms it up, then plays ``--chats``
whole chats (the same updates and routes as ``bench/load_chat.py``) under pyinstrument. Prints the
CPU time, SQL statements and Bot API calls per update; the fake server's own CPU per call, measured
alone, so it can be taken off; then the top of the profile. No gunicorn and no load generator: only
the app's work (and the fake's) is measured, which is far steadier on a busy machine than
requests/s.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

from load_chat import SECRET, TOKEN, BenchBotApi, Chatter
from loadkit import (
    Client,
    Figures,
    drop_schema,
    percentile,
    prepare_database,
)
from profile_call import (
    FlaskPoster,
    ServerCpu,
    in_process,
    measured,
    print_profile,
    profile_arguments,
    profiled,
    warm_up,
)

from app import create_app


class CountingBotApi(BenchBotApi):
    """The bench's fake Bot API, counting the calls it answers by method."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.counted: dict[str, int] = {}
        self._count_lock = threading.Lock()

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._count_lock:
            self.counted[method] = self.counted.get(method, 0) + 1
        return super().answer(method, params)


def fake_cost(api: BenchBotApi, calls: int = 400) -> float:
    """CPU seconds this process spends per ``sendMessage`` with a bare keep-alive client."""
    host, port = api.base_url.split("//", 1)[1].split("/", 1)[0].split(":")
    connection = http.client.HTTPConnection(host, int(port))
    body = json.dumps({"chat_id": 1, "text": "Hello", "parse_mode": "HTML"}).encode()
    headers = {"Content-Type": "application/json"}
    started = time.process_time()
    for _ in range(calls):
        connection.request("POST", f"/bot{TOKEN}/sendMessage", body, headers)
        connection.getresponse().read()
    used = time.process_time() - started
    connection.close()
    return used / calls


def main() -> None:
    """Warm up, measure and profile ``--chats`` chats, print the figures and the profile."""
    args = profile_arguments(__doc__.splitlines()[0], "chats", 150)

    app_url, schema = prepare_database(args.database)
    api = CountingBotApi(TOKEN)
    api.start()
    settings, engine = in_process(
        app_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url=api.base_url,
    )
    server = ServerCpu(engine)
    try:
        app = create_app(settings, engine=engine)
        client = Client(FlaskPoster(app.test_client()), Figures())
        chatter = Chatter(api)
        warm_up(client, chatter)
        per_call = fake_cost(api)
        api.counted.clear()
        run = measured(engine, server, client, chatter, args.people)
        calls = dict(api.counted)
        profiler = profiled(client, chatter, args.people)
    finally:
        engine.dispose()
        api.stop()
        drop_schema(args.database, schema)

    figures = run.figures
    updates = figures.requests
    every = figures.every()
    api_calls = sum(calls.values())
    total = run.cpu / updates * 1000
    fake = per_call * api_calls / updates * 1000
    print(
        f"Unprofiled: {args.people} chats, {updates} updates, {figures.errors} errors: "
        f"{total:.2f} ms CPU per update (fake Bot API included), "
        f"{run.statements / updates:.1f} SQL statements, {api_calls / updates:.2f} Bot API calls "
        f"(p50 {percentile(every, 0.5):.1f} ms, p95 {percentile(every, 0.95):.1f} ms)"
    )
    print("  Bot API calls: " + ", ".join(f"{m} {n}" for m, n in sorted(calls.items())))
    print(
        f"  the fake Bot API alone: {per_call * 1000:.2f} ms CPU per call with a bare client, "
        f"so about {fake:.2f} ms per update of the above is the fake's: "
        f"the app's own is about {total - fake:.2f} ms"
    )
    if run.server_cpu is not None:
        print(f"  PostgreSQL backends: {run.server_cpu / updates * 1000:.2f} ms CPU per update")
    print_profile(profiler, args.lines, f"{args.people} more chats")


if __name__ == "__main__":
    main()
