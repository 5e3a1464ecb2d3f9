"""The fail-safe spool: voice messages taken while the database was down, kept on local disk.

Implements ``handlers.ports.Spool`` with JSON lines in one file. Web workers append under an
exclusive ``flock`` and ``fsync`` before answering Twilio, so a message is on disk before the
caller hears "thank you". The clock claims the file by renaming it (under the same lock) to a
batch of its own, imports it, and deletes it only when all of it is in the database. A line that
cannot be read is moved to ``spool.rejected`` for a person to look at, never dropped.

The directory must be on storage the clock process can read (the same machine, or a shared
volume); see docs/operations.md.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from handlers.ports import KeptRecording, KeptTranscript, Spooled

log = logging.getLogger("carers_line.ivr.spool")
SPOOL_FILE = "spool.jsonl"
BATCH_SUFFIX = ".claimed"
REJECTED_FILE = "spool.rejected"


class FileSpool:
    """JSON lines under ``directory`` (created with owner-only permissions)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def path(self) -> Path:
        """The file new items are appended to."""
        return self.directory / SPOOL_FILE

    def append(self, item: Spooled) -> None:
        """Write one item and flush it to disk."""
        line = (json.dumps(_encode(item), sort_keys=True) + "\n").encode()
        with self._locked_spool() as fd:
            os.write(fd, line)
            os.fsync(fd)

    def claim(self) -> list[str]:
        """Rename the current spool to a batch; return every batch waiting, oldest first."""
        if self.path.exists():
            with self._locked_spool() as fd:
                if os.fstat(fd).st_size > 0:
                    os.replace(self.path, self.directory / f"{_batch_name()}{BATCH_SUFFIX}")
        return sorted(str(path) for path in self.directory.glob(f"*{BATCH_SUFFIX}"))

    def read(self, batch: str) -> list[Spooled]:
        """The batch's items; unreadable lines go to the rejected file."""
        items: list[Spooled] = []
        for number, line in enumerate(Path(batch).read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(_decode(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                log.error("unreadable spool line set aside", extra={"line": number})
                self._reject(line)
        return items

    def done(self, batch: str) -> None:
        """Delete an imported batch."""
        Path(batch).unlink(missing_ok=True)

    @contextmanager
    def _locked_spool(self) -> Iterator[int]:
        """The spool file, open for appending, exclusively locked.

        If the clock renamed the file while we waited for the lock, open the new one instead, so
        nothing is ever written to a batch that is already being imported.
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        while True:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _same_file(fd, self.path):
                    yield fd
                    return
            finally:
                os.close(fd)

    def _reject(self, line: str) -> None:
        fd = os.open(self.directory / REJECTED_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _batch_name() -> str:
    """Sortable by time of claiming, unique across processes."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def _encode(item: Spooled) -> dict[str, Any]:
    kind = "recording" if isinstance(item, KeptRecording) else "transcript"
    fields = asdict(item)
    for key, value in fields.items():
        if isinstance(value, datetime):
            fields[key] = value.isoformat()
    return {"kind": kind, **fields}


def _decode(raw: dict[str, Any]) -> Spooled:
    kind = raw.pop("kind")
    if kind == "recording":
        raw["received_at"] = _aware(raw["received_at"])
        raw["seconds"] = int(raw["seconds"])
        return KeptRecording(**raw)
    if kind == "transcript":
        raw["at"] = _aware(raw["at"])
        return KeptTranscript(**raw)
    raise ValueError(f"unknown spool item {kind!r}")


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("spooled times are time-zone aware")
    return moment
