"""What the load scripts share: timing, gunicorn servers, the two loads, the printed figures.

``bench/load_calls.py`` (Twilio) and ``bench/load_chat.py`` (Telegram) each give a
``Conversation``: one simulated person's whole conversation, sending its requests through a
``Client``. This module runs those conversations at saturation (closed loop) and at a paced
rate against the app under gunicorn (started as the Procfile's ``web`` line does) and, in the
same run, against a bare baseline app under the same gunicorn settings, and prints the ratio.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
sys.path.insert(0, str(ROOT))
Pacer = Iterator[float]
OPEN_HOURS = "2026-11-23T10:30"
"""The service's clock for a run (a Monday morning): the same flows whatever the time of day."""
Accept = Callable[[int, str], bool]


@dataclass
class Figures:
    """Latencies per route and the error count of one load."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.requests += 1
            self.latencies[route].append(seconds)
            if not ok:
                self.errors += 1

    def every(self) -> list[float]:
        """All latencies, whatever the route."""
        return [value for values in self.latencies.values() for value in values]


class Poster(Protocol):
    """Sends one request and returns its status and body (the HTTP or in-process transport)."""

    def send(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]: ...


class HttpPoster:
    """A kept-alive HTTP/1.1 connection to the server on loopback, reopened after a failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        try:
            self.connection.request("POST", path, body, dict(headers))
            response = self.connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, ""


class Client:
    """Posts requests through a ``Poster`` and records each one's latency under its route."""

    def __init__(self, poster: Poster, figures: Figures) -> None:
        self.poster = poster
        self.figures = figures

    def post(
        self,
        path: str,
        body: bytes,
        headers: Mapping[str, str],
        accept: Accept,
        due: float | None = None,
    ) -> str | None:
        """Send; the body, or None when ``accept`` refused the answer.

        Latency counts from ``due`` when paced, so queueing cannot hide.
        """
        started = due if due is not None else time.perf_counter()
        status, text = self.poster.send(path, body, headers)
        try:
            ok = accept(status, text)
        except ValueError:
            ok = False
        self.figures.add(urllib.parse.urlsplit(path).path, time.perf_counter() - started, ok)
        return text if ok else None


class Conversation(Protocol):
    """One whole conversation by person ``number``; ``pacer`` yields each request's due time."""

    def __call__(self, client: Client, number: int, pacer: Pacer | None) -> None: ...


def due(pacer: Pacer | None) -> float | None:
    """The next due time when paced (raises StopIteration when the paced run is over)."""
    return next(pacer) if pacer is not None else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    app: str, port: int, env: Mapping[str, str], pythonpath: str | None = None
) -> subprocess.Popen[bytes]:
    """Gunicorn with the Procfile's config file, waiting until it answers."""
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    process = subprocess.Popen(
        [*command, app],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"{app} did not start on port {port}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


class CpuMeter:
    """CPU used while a load runs: by the server, by the load generator, and the machine idle.

    The load generator is this process and its other child processes (the fake Bot API).

    Read from /proc, so only on Linux (elsewhere it prints nothing).
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.started: tuple[float, float, float, float] | None = None

    def start(self) -> None:
        self.started = self._read()

    def report(self, requests: int) -> None:
        """Print CPU per request for the server and the load generator, and the idle share."""
        if self.started is None or requests == 0:
            return
        now = self._read()
        server, bench, idle, total = (
            after - before for after, before in zip(now, self.started, strict=True)
        )
        if total <= 0:
            return
        print(
            f"  CPU per request: server {server / requests * 1000:.2f} ms, "
            f"load generator {bench / requests * 1000:.2f} ms; "
            f"machine idle {idle / total:.0%} of {os.cpu_count()} cores"
        )

    def _read(self) -> tuple[float, float, float, float]:
        tick = os.sysconf("SC_CLK_TCK")
        try:
            servers = set(_tree(self.server_pid))
            helpers = [
                pid for pid in _tree(os.getpid()) if pid not in servers and pid != os.getpid()
            ]
            server = sum(_process_ticks(pid) for pid in servers) / tick
            bench = time.process_time() + sum(_process_ticks(pid) for pid in helpers) / tick
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except (OSError, ValueError, IndexError):
            return (0.0, 0.0, 0.0, 0.0)
        counted = [int(value) for value in fields[:8]]
        idle = (counted[3] + counted[4]) / tick
        return server, bench, idle, sum(counted) / tick


def _process_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _tree(pid: int) -> list[int]:
    """``pid`` and its child processes (gunicorn's master and its workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(_tree(int(child)))
    return found


def closed_loop(
    port: int, people: int, seconds: float, converse: Conversation
) -> tuple[Figures, float]:
    """``people`` conversations at once, each starting again as soon as it ends."""
    figures = Figures()
    stop_at = time.perf_counter() + seconds
    numbers = itertools.count()

    def person() -> None:
        client = Client(HttpPoster(port), figures)
        while time.perf_counter() < stop_at:
            converse(client, next(numbers), None)

    started = time.perf_counter()
    _run_threads(person, people)
    return figures, time.perf_counter() - started


def paced(
    port: int, rate: float, seconds: float, people: int, converse: Conversation
) -> tuple[Figures, float]:
    """Requests due on a fixed schedule of ``rate`` per second, shared by ``people`` threads."""
    figures = Figures()
    start = time.perf_counter() + 0.5
    slots = itertools.count()
    slot_lock = threading.Lock()
    total = int(rate * seconds)
    numbers = itertools.count()

    def due_times() -> Pacer:
        while True:
            with slot_lock:
                slot = next(slots)
            if slot >= total:
                return
            when = start + slot / rate
            wait = when - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            yield when

    def person() -> None:
        client = Client(HttpPoster(port), figures)
        pacer = due_times()
        try:
            while True:
                converse(client, next(numbers), pacer)
        except StopIteration:
            return

    _run_threads(person, people)
    return figures, time.perf_counter() - start


def _run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (seconds), in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def report(title: str, figures: Figures, elapsed: float) -> float:
    """Print one load's figures; return its requests per second."""
    rps = figures.requests / elapsed if elapsed else 0.0
    print(
        f"\n{title}: {figures.requests} requests in {elapsed:.1f} s = {rps:.0f}/s, "
        f"errors {figures.errors}"
    )
    every = figures.every()
    if every:
        print(
            f"  {'all routes':<24} p50 {percentile(every, 0.5):6.1f} ms  "
            f"p95 {percentile(every, 0.95):6.1f} ms  p99 {percentile(every, 0.99):6.1f} ms"
        )
    for route, values in sorted(figures.latencies.items()):
        print(
            f"  {route:<24} n={len(values):<6} p50 {percentile(values, 0.5):6.1f} ms  "
            f"p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
            f"mean {statistics.fmean(values) * 1000:6.1f} ms"
        )
    return rps


def prepare_database(url: str) -> tuple[str, str]:
    """A new schema in ``url``'s database, migrated; returns the app's URL and the schema.

    Migrated in-process with the keys the app will use (this environment's, or the
    development keys), as the Procfile's release step does.
    """
    from sqlalchemy import create_engine, text

    from settings import Settings
    from store.crypto import DataKeys
    from store.database import make_engine
    from store.migrate import upgrade

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    app_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    settings = Settings.from_env(base_environment())
    keys = DataKeys(settings.data_encryption_keys, settings.phone_hash_key)
    engine = make_engine(app_url, keys=keys)
    try:
        upgrade(engine)
    except Exception:
        drop_schema(url, schema)
        raise
    finally:
        engine.dispose()
    return app_url, schema


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def arguments(description: str, people: str) -> argparse.Namespace:
    """The options every load script takes; ``--<people>`` (e.g. ``--calls``) sets how many."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        f"--{people}", dest="people", type=int, default=24, help=f"concurrent {people}"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    parser.add_argument("--rate", type=float, default=100.0, help="paced requests per second")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    return parser.parse_args()


def base_environment() -> dict[str, str]:
    """The environment of this process, without any channel credentials of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}


def server_environment(app_url: str, channel: Mapping[str, str]) -> dict[str, str]:
    """The app server's environment for a load, with ``channel``'s credentials on top.

    This process's environment, the throw-away database, the clock fixed to ``OPEN_HOURS``, and
    warnings only.
    """
    return (
        base_environment()
        | {
            "DATABASE_URL": app_url,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "LOG_LEVEL": "WARNING",
            "CARERS_LINE_NOW": OPEN_HOURS,
        }
        | dict(channel)
    )


@dataclass(frozen=True)
class Target:
    """A gunicorn app to load: its name in the printout, its import string and path."""

    name: str
    app: str
    pythonpath: str | None = None


def compare(
    args: argparse.Namespace,
    port: int,
    env: Mapping[str, str],
    conversations: tuple[Conversation, Conversation],
    targets: tuple[Target, Target],
) -> None:
    """Both loads against the app and then the bare baseline; print the ratios.

    ``conversations``: how people talk to each target (the baseline cannot hold a dialog).
    """
    results: dict[str, tuple[float, float]] = {}
    for target, converse in zip(targets, conversations, strict=True):
        server = start_server(target.app, port, env, target.pythonpath)
        try:
            converse(Client(HttpPoster(port), Figures()), 0, None)
            meter = CpuMeter(server.pid)
            meter.start()
            figures, elapsed = closed_loop(port, args.people, args.seconds, converse)
            saturated = report(
                f"{target.name}, closed loop, {args.people} at once", figures, elapsed
            )
            meter.report(figures.requests)
            figures, elapsed = paced(port, args.rate, args.seconds, max(args.people, 16), converse)
            report(f"{target.name}, paced at {args.rate:.0f} requests/s", figures, elapsed)
            results[target.name] = (saturated, percentile(figures.every(), 0.99))
        finally:
            stop_server(server)
    (ours, our_p99), (bare, bare_p99) = results[targets[0].name], results[targets[1].name]
    print(
        f"\nthroughput at saturation: {ours:.0f}/s vs bare {bare:.0f}/s = "
        f"{ours / bare:.0%} of the baseline (target at least 40%)"
    )
    print(
        f"p99 at {args.rate:.0f} requests/s: {our_p99:.1f} ms (target under 50 ms); "
        f"bare {bare_p99:.1f} ms"
    )
