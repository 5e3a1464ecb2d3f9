"""Gunicorn settings for the ``web`` process: bind address and worker count come from Settings.

``WEB_CONCURRENCY`` worker processes (default two per core) of ``THREADS`` (2) threads each: a
webhook spends part of its time waiting for PostgreSQL and the Bot API, so threads overlap
those waits, and each worker's connection pool (``store.database.POOL_SIZE``) has a
connection for every thread. More processes with fewer threads each carried more webhooks
than two workers of four threads: threads of one process share its interpreter lock, and a
thread back from a wait queued for it behind the others (docs/performance.md). The app is
built in each worker after the fork (no preload), so no database or Bot API connection is
shared between processes.
"""

from settings import Settings
from store.database import POOL_SIZE

THREADS = POOL_SIZE - 1

_settings = Settings.from_env()

bind = f"0.0.0.0:{_settings.port}"
workers = _settings.web_concurrency
worker_class = "gthread"
threads = THREADS
preload_app = False
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
