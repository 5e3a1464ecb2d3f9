"""``python -m bot --poll``: the bot by long polling, for a developer without a public URL.

The same as ``carers-line telegram poll``: the same inbound, core and rendering as the webhook.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    """Parse the one option and hand over to the ``carers-line`` command."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Run the Telegram bot by long polling (development)."
    )
    parser.add_argument(
        "--poll", action="store_true", required=True, help="fetch updates with getUpdates"
    )
    parser.parse_args(argv)
    from cli import main as carers_line

    carers_line(["telegram", "poll"])


if __name__ == "__main__":
    main()
