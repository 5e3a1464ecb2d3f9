"""One asyncio event loop per process, on a daemon thread, for python-telegram-bot's async ``Bot``.

Flask views and the clock's jobs are synchronous; the Bot API client is asynchronous. Each
process runs one loop in the background and hands coroutines to it, so the Bot's HTTP
connections are opened once and reused. Gunicorn forks its workers after the app is loaded: a
loop thread does not survive a fork, so the loop is created on first use and created afresh
whenever the process id differs from the one that made it.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")


class LoopTimeoutError(Exception):
    """The loop did not finish a call in time (it was cancelled)."""


class ProcessLoop:
    """An event loop running on a daemon thread, owned by the process that created it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        os.register_at_fork(after_in_child=_fresh_lock_after_fork(weakref.ref(self)))

    @property
    def pid(self) -> int | None:
        """The process the current loop belongs to (None before first use)."""
        return self._pid

    def run(self, work: Callable[[], Coroutine[Any, Any, T]], timeout: float) -> T:
        """Run ``work()`` on this process's loop and wait up to ``timeout`` seconds for it."""
        future = asyncio.run_coroutine_threadsafe(work(), self._current())
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise LoopTimeoutError(f"no answer within {timeout:g} seconds") from None

    def _current(self) -> asyncio.AbstractEventLoop:
        pid = os.getpid()
        with self._lock:
            if self._loop is None or self._pid != pid:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="telegram-loop", daemon=True).start()
                self._loop, self._pid = loop, pid
            return self._loop


def _fresh_lock_after_fork(owner: weakref.ref[ProcessLoop]) -> Callable[[], None]:
    """A forked child gets the parent's lock in whatever state it was: give it a new one."""

    def reset() -> None:
        loop = owner()
        if loop is not None:
            loop._lock = threading.Lock()

    return reset
