"""Count the CPU instructions one webhook costs, with valgrind: the same figure on every run.

Usage: .venv/bin/python bench/call_instructions.py [--channel phone|chat] [--calls 15]
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

``--channel chat`` plays whole Telegram chats instead (the updates of ``bench/load_chat.py``,
as in ``bench/profile_chat.py``): the count then also holds the fake Bot API server, which runs
in the same process.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from loadkit import (
    DEFAULT_DATABASE,
    Client,
    Conversation,
    Figures,
    drop_schema,
    prepare_database,
)

COLLECTED = re.compile(r"Collected : (\d+)")
REQUESTS = re.compile(r"^requests (\d+) errors (\d+)$", re.MULTILINE)


def play(channel: str, conversations: int, database_url: str) -> None:
    """Child process: build the app, play whole conversations; print the requests made."""
    from load_calls import Caller
    from load_chat import SECRET, TOKEN, BenchBotApi, Chatter
    from profile_call import BASE_URL, PHONE_LINE, FlaskPoster, in_process

    from app import create_app

    api = BenchBotApi(TOKEN) if channel == "chat" else None
    line: dict[str, str] = dict(PHONE_LINE)
    converse: Conversation = Caller(BASE_URL)
    if api is not None:
        api.start()
        line = {
            "telegram_bot_token": TOKEN,
            "telegram_webhook_secret": SECRET,
            "telegram_api_base_url": api.base_url,
        }
        converse = Chatter(api)
    settings, engine = in_process(database_url, **line)
    client = Client(FlaskPoster(create_app(settings, engine=engine).test_client()), Figures())
    for number in range(conversations):
        converse(client, number, None)
    engine.dispose()
    if api is not None:
        api.stop()
    print(f"requests {client.figures.requests} errors {client.figures.errors}")


def counted(
    channel: str, calls: int, database: str, valgrind: str, scratch: Path
) -> tuple[int, int]:
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
                "--channel",
                channel,
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
    parser.add_argument("--channel", choices=("phone", "chat"), default="phone")
    parser.add_argument("--calls", type=int, default=15, help="calls (or chats) in the shorter run")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        play(args.channel, args.child, args.database)
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        short = counted(args.channel, args.calls, args.database, valgrind, Path(scratch))
        long = counted(args.channel, 3 * args.calls, args.database, valgrind, Path(scratch))
    extra_instructions, extra_requests = long[0] - short[0], long[1] - short[1]
    whole = "calls" if args.channel == "phone" else "chats"
    print(
        f"{args.calls} {whole}: {short[1]} requests, {short[0]:,} instructions; "
        f"{3 * args.calls} {whole}: {long[1]} requests, {long[0]:,} instructions"
    )
    counted_in = "the simulated caller" if args.channel == "phone" else "the chats and fake Bot API"
    print(
        f"per request: {extra_instructions / extra_requests / 1e6:.2f} million instructions "
        f"(the app, the test client and {counted_in}; not PostgreSQL)"
    )


if __name__ == "__main__":
    main()
