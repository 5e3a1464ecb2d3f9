"""Count the CPU instructions one phone webhook costs, with valgrind: the same figure on every run.

Usage: .venv/bin/python bench/call_instructions.py [--calls 15]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Timings on a shared two-core machine swing by a third from one run to the next, so a change
worth 5 or 10% cannot be seen in them. Instructions can: ``valgrind --tool=callgrind`` counts
them, and the count barely moves whatever else the machine is doing. The script plays
``--calls`` and then three times as many whole calls (the requests of ``bench/load_calls.py``,
in-process through Flask's test client as in ``bench/profile_call.py``, the service's clock
fixed to the same Monday morning), each run in a fresh process on a fresh schema under
callgrind, and divides the difference in instructions by the difference in requests, so
start-up (imports, the knowledge base) cancels out. What is counted is the Python process:
the app, the test client and the simulated caller; PostgreSQL's own work is not.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from loadkit import DEFAULT_DATABASE, Client, Figures, drop_schema, prepare_database

COLLECTED = re.compile(r"Collected : (\d+)")
REQUESTS = re.compile(r"^requests (\d+) errors (\d+)$", re.MULTILINE)


def play(calls: int, database_url: str) -> None:
    """Child process: build the app and play ``calls`` whole calls; print the requests made."""
    from load_calls import Caller
    from profile_call import BASE_URL, PHONE_LINE, FlaskPoster, in_process

    from app import create_app

    settings, engine = in_process(database_url, **PHONE_LINE)
    client = Client(FlaskPoster(create_app(settings, engine=engine).test_client()), Figures())
    caller = Caller(BASE_URL)
    for number in range(calls):
        caller(client, number, None)
    engine.dispose()
    print(f"requests {client.figures.requests} errors {client.figures.errors}")


def counted(calls: int, database: str, valgrind: str, scratch: Path) -> tuple[int, int]:
    """Instructions and requests for one run of ``calls`` calls under callgrind."""
    app_url, schema = prepare_database(database)
    try:
        finished = subprocess.run(
            [
                valgrind,
                "--tool=callgrind",
                f"--callgrind-out-file={scratch / f'callgrind.{calls}'}",
                sys.executable,
                __file__,
                "--child",
                str(calls),
                "--database",
                app_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        drop_schema(database, schema)
    instructions = COLLECTED.search(finished.stderr)
    requests = REQUESTS.search(finished.stdout)
    if instructions is None or requests is None:
        raise SystemExit(f"could not read the counts:\n{finished.stdout}\n{finished.stderr}")
    if int(requests.group(2)):
        raise SystemExit(f"{requests.group(2)} requests failed: the figures would mislead")
    return int(instructions.group(1)), int(requests.group(1))


def main() -> None:
    """Count two runs and print instructions per request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=15, help="calls in the shorter run")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        play(args.child, args.database)
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        short = counted(args.calls, args.database, valgrind, Path(scratch))
        long = counted(3 * args.calls, args.database, valgrind, Path(scratch))
    extra_instructions, extra_requests = long[0] - short[0], long[1] - short[1]
    print(
        f"{args.calls} calls: {short[1]} requests, {short[0]:,} instructions; "
        f"{3 * args.calls} calls: {long[1]} requests, {long[0]:,} instructions"
    )
    print(
        f"per request: {extra_instructions / extra_requests / 1e6:.2f} million instructions "
        "(the app, the test client and the simulated caller; not PostgreSQL)"
    )


if __name__ == "__main__":
    main()
