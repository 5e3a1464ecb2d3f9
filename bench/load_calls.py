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
The load generator shares the machine's cores with the server, as the targets assume.
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
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CALLER = "+447700900{:03d}"
MAX_STEPS = 14

# Each route: what the caller does at each <Gather> in turn (digits, or "say:" words).
ROUTES: tuple[tuple[str, ...], ...] = (
    ("1", "say:how do i claim carers allowance", "2"),
    ("1", "say:can i get a break from caring", "1"),
    ("4", "say:help with respite", "2", "1", "1", "5", "1"),
    ("say:information", "say:what is a carers assessment", "2"),
)


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


class Caller:
    """One simulated caller: signs requests like Twilio and follows the TwiML it gets back."""

    def __init__(self, port: int, figures: Figures) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.validator = RequestValidator(AUTH_TOKEN)
        self.figures = figures
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, params: dict[str, str], due: float | None = None) -> str:
        """POST like Twilio; record latency (from ``due`` when paced)."""
        body = urllib.parse.urlencode(params)
        signature = self.validator.compute_signature(self.base + path, params)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        started = due if due is not None else time.perf_counter()
        route = urllib.parse.urlsplit(path).path
        try:
            self.connection.request("POST", path, body, headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            ok = response.status == 200 and text.lstrip().startswith("<?xml")
            if ok:
                ET.fromstring(text)
        except (OSError, http.client.HTTPException, ET.ParseError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            text, ok = "", False
        self.figures.add(route, time.perf_counter() - started, ok)
        return text

    def call(self, number: int, route: tuple[str, ...], pacer: Iterator[float] | None) -> None:
        """One whole call along ``route``, then the hang-up status callback."""
        sid = "CA" + uuid.uuid4().hex
        base = {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": CALLER.format(number % 1000)}
        base |= {"To": "+441130000000", "Direction": "inbound", "CallStatus": "in-progress"}
        twiml = self.post("/ivr/voice", base, next(pacer) if pacer else None)
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
            twiml = self.post(path, params, next(pacer) if pacer else None)
        status = base | {"CallStatus": "completed", "CallDuration": "60"}
        self.post("/ivr/status", status, next(pacer) if pacer else None)


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    app: str, port: int, env: dict[str, str], pythonpath: str | None
) -> subprocess.Popen[bytes]:
    """Gunicorn with the Procfile's config file, waiting until it answers."""
    command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py"]
    if pythonpath:
        command += ["--pythonpath", pythonpath]
    process = subprocess.Popen(
        [*command, app],
        cwd=ROOT,
        env=env | {"PORT": str(port)},
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


def closed_loop(port: int, calls: int, seconds: float) -> tuple[Figures, float]:
    """``calls`` callers calling again and again for ``seconds``."""
    figures = Figures()
    stop_at = time.perf_counter() + seconds
    numbers = itertools.count()

    def caller_loop() -> None:
        caller = Caller(port, figures)
        for route in itertools.cycle(ROUTES):
            if time.perf_counter() >= stop_at:
                return
            caller.call(next(numbers), route, None)

    started = time.perf_counter()
    threads = [threading.Thread(target=caller_loop) for _ in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures, time.perf_counter() - started


def paced(port: int, rate: float, seconds: float, callers: int) -> tuple[Figures, float]:
    """Requests due on a fixed schedule of ``rate`` per second, shared by ``callers`` threads."""
    figures = Figures()
    start = time.perf_counter() + 0.5
    slots = itertools.count()
    slot_lock = threading.Lock()
    total = int(rate * seconds)

    def due_times() -> Iterator[float]:
        while True:
            with slot_lock:
                slot = next(slots)
            if slot >= total:
                return
            due = start + slot / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            yield due

    def caller_loop() -> None:
        caller = Caller(port, figures)
        pacer = due_times()
        try:
            for number, route in enumerate(itertools.cycle(ROUTES)):
                caller.call(number, route, pacer)
        except StopIteration:
            return

    threads = [threading.Thread(target=caller_loop) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures, time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def report(title: str, figures: Figures, elapsed: float) -> float:
    """Print one load's figures; return its requests per second."""
    rps = figures.requests / elapsed if elapsed else 0.0
    print(
        f"\n{title}: {figures.requests} requests in {elapsed:.1f} s = {rps:.0f}/s, "
        f"errors {figures.errors}"
    )
    every = [value for values in figures.latencies.values() for value in values]
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
    """A new schema in ``url``'s database, migrated; returns the app's URL and the schema."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    app_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    env = os.environ | {"DATABASE_URL": app_url}
    subprocess.run(
        [str(BIN / "carers-line"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return app_url, schema


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    """Run both loads against both servers and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24, help="concurrent callers (closed loop)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load")
    parser.add_argument("--rate", type=float, default=100.0, help="paced requests per second")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()

    app_url, schema = prepare_database(args.database)
    port = free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}
    env = base_env | {
        "DATABASE_URL": app_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "LOG_LEVEL": "WARNING",
    }
    results: dict[str, dict[str, float]] = {}
    try:
        for name, app, pythonpath in (
            ("carers-line", "app:create_app()", None),
            ("bare baseline", "bare_twiml:app", str(ROOT / "bench")),
        ):
            server = start_server(app, port, env, pythonpath)
            try:
                Caller(port, Figures()).call(0, ROUTES[0], None)
                figures, elapsed = closed_loop(port, args.calls, args.seconds)
                saturated = report(f"{name}, closed loop, {args.calls} callers", figures, elapsed)
                figures, elapsed = paced(port, args.rate, args.seconds, max(args.calls, 16))
                report(f"{name}, paced at {args.rate:.0f} requests/s", figures, elapsed)
                every = [v for values in figures.latencies.values() for v in values]
                results[name] = {"rps": saturated, "p99": percentile(every, 0.99)}
            finally:
                stop_server(server)
    finally:
        drop_schema(args.database, schema)
    ours, bare = results["carers-line"], results["bare baseline"]
    print(
        f"\nthroughput at saturation: {ours['rps']:.0f}/s vs bare {bare['rps']:.0f}/s = "
        f"{ours['rps'] / bare['rps']:.0%} of the baseline (target at least 40%)"
    )
    print(
        f"p99 at {args.rate:.0f} requests/s: {ours['p99']:.1f} ms (target under 50 ms); "
        f"bare {bare['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
