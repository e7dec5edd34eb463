"""A non-blocking lock shared by every worker, so only one clock tick runs at a time.

Redis (``SET NX`` with a short TTL, renewed by a thread while the holder runs,
released by token) when REDIS_URL is set;
otherwise the database: a PostgreSQL session advisory lock, or for SQLite an
``flock`` on a lock file under var/ named after the database file (SQLite is
single-host anyway).
The database variants are released by the operating system or server when the
process dies; the Redis one by its TTL, which is short (CLOCK_LOCK_TTL_SECONDS,
10 s) because the holder renews it every third of it: a killed worker keeps the
next tick out for seconds, however long a healthy tick runs.
"""

import hashlib
import logging
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


@contextmanager
def exclusive(name: str, *, ttl: int | None = None):
    """Yield True when this process holds lock ``name``, False when somebody else does."""
    ttl = ttl or settings.CLOCK_LOCK_TTL_SECONDS
    if settings.REDIS_URL:
        lock_cm = _redis_lock(name, ttl)
    elif connection.vendor == "postgresql":
        lock_cm = _advisory_lock(name)
    else:
        lock_cm = _file_lock(name)
    with lock_cm as acquired:
        yield acquired


@contextmanager
def _redis_lock(name, ttl):
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    # Not thread-local: the renewing thread must see the token the holder got.
    lock = client.lock(f"festival:lock:{name}", timeout=ttl, blocking=False, thread_local=False)
    acquired = lock.acquire()
    renewer = _Renewer(lock, name, ttl) if acquired else None
    try:
        yield acquired
    finally:
        if renewer is not None:
            renewer.stop()
        if acquired:
            try:
                lock.release()
            except redis.exceptions.LockError:  # expired meanwhile; somebody else may hold it now
                logger.warning("lock %s expired before it was released", name)
            except redis.exceptions.RedisError as exc:  # Redis away: the TTL frees it
                logger.warning("lock %s not released (%s); it expires in %s s", name, exc, ttl)
        client.close()


class _Renewer:
    """Resets the lock's TTL every third of it while its holder runs."""

    def __init__(self, lock, name, ttl):
        self.lock, self.name, self.interval = lock, name, max(ttl / 3, 0.05)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"renew-{name}", daemon=True)
        self.thread.start()

    def run(self):
        import redis

        while not self.stopped.wait(self.interval):
            try:
                self.lock.reacquire()
            except redis.exceptions.LockNotOwnedError:
                logger.warning("lock %s was lost (expired and taken); the holder goes on unprotected", self.name)
                return
            except redis.exceptions.RedisError as exc:
                logger.warning("lock %s could not be renewed: %s", self.name, exc)

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=5)


def _advisory_key(name):
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory_lock(name):
    key = _advisory_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(name):
    import fcntl

    # One lock file per database file (tests and the dev server keep separate clocks), under var/.
    database = str(Path(str(connection.settings_dict["NAME"])).resolve())
    path = Path(settings.VAR_DIR) / "locks" / f"{name}-{hashlib.sha256(database.encode()).hexdigest()[:16]}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
