"""Profile the web hot path: whole phone calls driven in-process through the Flask test client.

Usage: .venv/bin/python bench/profile_call.py [--calls 200] [--lines 45]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Builds the real app (``app.create_app``) on a throw-away, migrated PostgreSQL schema with the
phone line on, warms it up, then plays ``--calls`` whole calls (the same signed requests and
routes as ``bench/load_calls.py``, with its clock fixed to the same Monday morning) under
pyinstrument. Prints the CPU time and SQL statements per request, then the top of the profile:
the functions that take the most time themselves, and the call tree. No HTTP server and no
load generator: only the app's own work is measured.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from load_calls import ACCOUNT_SID, AUTH_TOKEN, Caller
from loadkit import (
    DEFAULT_DATABASE,
    OPEN_HOURS,
    Client,
    Conversation,
    Figures,
    drop_schema,
    percentile,
    prepare_database,
)
from pyinstrument import Profiler
from sqlalchemy import Engine, event

from app import create_app
from settings import Settings
from store.crypto import DataKeys
from store.database import make_engine

BASE_URL = "http://localhost"
WARM_UP = 20
PHONE_LINE: dict[str, Any] = {
    "twilio_account_sid": ACCOUNT_SID,
    "twilio_auth_token": AUTH_TOKEN,
    "public_base_url": BASE_URL,
}


class FlaskPoster:
    """Sends requests straight into the app through Flask's test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def send(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        response = self.client.post(path, data=body, headers=dict(headers))
        return response.status_code, response.get_data(as_text=True)


class StatementCounter:
    """Counts the SQL statements an engine sends."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


class ServerCpu:
    """CPU seconds used by the PostgreSQL backends serving an engine's connections.

    Read from /proc, so only for a server on this machine (else it reports nothing).
    """

    def __init__(self, engine: Engine) -> None:
        self.backends: set[int] = set()
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self.backends.add(int(dbapi_connection.info.backend_pid))

    def seconds(self) -> float | None:
        """Total user and system CPU of the backends so far (None when /proc cannot tell)."""
        ticks = 0
        try:
            for pid in self.backends:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return None
        return ticks / os.sysconf("SC_CLK_TCK")


def profile_arguments(description: str, people: str, default: int) -> argparse.Namespace:
    """The options of the profile scripts; ``--<people>`` (``--calls``) sets how many."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        f"--{people}", dest="people", type=int, default=default, help=f"{people} to profile"
    )
    parser.add_argument("--lines", type=int, default=45, help="lines of each listing")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    return parser.parse_args()


def in_process(app_url: str, **channel: Any) -> tuple[Settings, Engine]:
    """Settings and engine for an in-process run: the clock fixed, warnings only, a channel on.

    ``channel`` is ``PHONE_LINE`` or the chat's settings.
    """
    defaults = Settings.from_env({"CARERS_LINE_NOW": OPEN_HOURS})
    engine = make_engine(
        app_url, keys=DataKeys(defaults.data_encryption_keys, defaults.phone_hash_key)
    )
    return replace(defaults, database_url=app_url, log_level="WARNING", **channel), engine


@dataclass
class Run:
    """One measured run: latencies, the process's CPU, SQL statements and the server's CPU."""

    figures: Figures
    cpu: float
    statements: int
    server_cpu: float | None


def warm_up(client: Client, converse: Conversation, people: int = WARM_UP) -> None:
    """Let caches, pools and prepared statements settle before anything is measured."""
    for number in range(people):
        converse(client, number, None)


def measured(
    engine: Engine, server: ServerCpu, client: Client, converse: Conversation, people: int
) -> Run:
    """Play ``people`` conversations, counting CPU, statements and the server's CPU."""
    client.figures = Figures()
    counter = StatementCounter(engine)
    server_before = server.seconds()
    started = time.process_time()
    for number in range(people):
        converse(client, number, None)
    cpu = time.process_time() - started
    server_after = server.seconds()
    used = None
    if server_before is not None and server_after is not None:
        used = server_after - server_before
    return Run(client.figures, cpu, counter.count, used)


def profiled(client: Client, converse: Conversation, people: int) -> Profiler:
    """Play ``people`` more conversations under pyinstrument."""
    profiler = Profiler(interval=0.0005)
    client.figures = Figures()
    profiler.start()
    for number in range(people):
        converse(client, number, None)
    profiler.stop()
    return profiler


def print_profile(profiler: Profiler, lines: int, what: str) -> None:
    """The top functions by their own time, then the call tree."""
    print(f"\nProfiled: {what} (pyinstrument adds its own overhead)")
    flat = profiler.output_text(flat=True, time="percent_of_total")
    print("\nTop functions by own time:\n" + "\n".join(flat.splitlines()[:lines]))
    tree = profiler.output_text(time="percent_of_total", short_mode=False)
    print("\nCall tree:\n" + "\n".join(tree.splitlines()[: lines * 2]))


def main() -> None:
    """Warm up, profile ``--calls`` calls, print the figures and the top of the profile."""
    args = profile_arguments(__doc__.splitlines()[0], "calls", 200)

    app_url, schema = prepare_database(args.database)
    settings, engine = in_process(app_url, **PHONE_LINE)
    server = ServerCpu(engine)
    try:
        app = create_app(settings, engine=engine)
        client = Client(FlaskPoster(app.test_client()), Figures())
        caller = Caller(BASE_URL)
        warm_up(client, caller)
        run = measured(engine, server, client, caller, args.people)
        profiler = profiled(client, caller, args.people)
    finally:
        engine.dispose()
        drop_schema(args.database, schema)

    figures = run.figures
    every = figures.every()
    print(
        f"Unprofiled: {args.people} calls, {figures.requests} requests, {figures.errors} errors: "
        f"{run.cpu / figures.requests * 1000:.2f} ms CPU and "
        f"{run.statements / figures.requests:.1f} SQL statements per request "
        f"(p50 {percentile(every, 0.5):.1f} ms, p95 {percentile(every, 0.95):.1f} ms)"
    )
    if run.server_cpu is not None:
        per_request = run.server_cpu / figures.requests * 1000
        print(f"  PostgreSQL backends: {per_request:.2f} ms CPU per request")
    for route, values in sorted(figures.latencies.items()):
        print(f"  {route:<20} n={len(values):<5} mean {sum(values) / len(values) * 1000:.2f} ms")
    print_profile(profiler, args.lines, f"{args.people} more calls")


if __name__ == "__main__":
    main()
