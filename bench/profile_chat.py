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

import argparse
import http.client
import json
import threading
import time
from dataclasses import replace
from typing import Any

from load_chat import SECRET, TOKEN, BenchBotApi, Chatter
from loadkit import (
    DEFAULT_DATABASE,
    OPEN_HOURS,
    Client,
    Figures,
    drop_schema,
    percentile,
    prepare_database,
)
from profile_call import FlaskPoster, ServerCpu, StatementCounter
from pyinstrument import Profiler

from app import create_app
from settings import Settings
from store.crypto import DataKeys
from store.database import make_engine


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=150, help="chats to profile")
    parser.add_argument("--lines", type=int, default=45, help="lines of each listing")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()

    app_url, schema = prepare_database(args.database)
    api = CountingBotApi(TOKEN)
    api.start()
    defaults = Settings.from_env({"CARERS_LINE_NOW": OPEN_HOURS})
    engine = make_engine(
        app_url, keys=DataKeys(defaults.data_encryption_keys, defaults.phone_hash_key)
    )
    server = ServerCpu(engine)
    try:
        settings = replace(
            defaults,
            database_url=app_url,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            telegram_api_base_url=api.base_url,
            log_level="WARNING",
        )
        app = create_app(settings, engine=engine)
        client = Client(FlaskPoster(app.test_client()), Figures())
        chatter = Chatter(api)
        for number in range(20):
            chatter(client, number, None)
        per_call = fake_cost(api)
        figures = client.figures = Figures()
        api.counted.clear()
        counter = StatementCounter(engine)
        server_before = server.seconds()
        started = time.process_time()
        for number in range(args.chats):
            chatter(client, number, None)
        cpu = time.process_time() - started
        server_after = server.seconds()
        statements, calls = counter.count, dict(api.counted)
        profiler = Profiler(interval=0.0005)
        client.figures = Figures()
        profiler.start()
        for number in range(args.chats):
            chatter(client, number, None)
        profiler.stop()
    finally:
        engine.dispose()
        api.stop()
        drop_schema(args.database, schema)

    updates = figures.requests
    every = figures.every()
    api_calls = sum(calls.values())
    total = cpu / updates * 1000
    fake = per_call * api_calls / updates * 1000
    print(
        f"Unprofiled: {args.chats} chats, {updates} updates, {figures.errors} errors: "
        f"{total:.2f} ms CPU per update (fake Bot API included), "
        f"{statements / updates:.1f} SQL statements, {api_calls / updates:.2f} Bot API calls "
        f"(p50 {percentile(every, 0.5):.1f} ms, p95 {percentile(every, 0.95):.1f} ms)"
    )
    print("  Bot API calls: " + ", ".join(f"{m} {n}" for m, n in sorted(calls.items())))
    print(
        f"  the fake Bot API alone: {per_call * 1000:.2f} ms CPU per call with a bare client, "
        f"so about {fake:.2f} ms per update of the above is the fake's: "
        f"the app's own is about {total - fake:.2f} ms"
    )
    if server_before is not None and server_after is not None:
        used = (server_after - server_before) / updates * 1000
        print(f"  PostgreSQL backends: {used:.2f} ms CPU per update")
    print(f"\nProfiled: {args.chats} more chats (pyinstrument adds its own overhead)")
    flat = profiler.output_text(flat=True, time="percent_of_total")
    print("\nTop functions by own time:\n" + "\n".join(flat.splitlines()[: args.lines]))
    tree = profiler.output_text(time="percent_of_total", short_mode=False)
    print("\nCall tree:\n" + "\n".join(tree.splitlines()[: args.lines * 2]))


if __name__ == "__main__":
    main()
