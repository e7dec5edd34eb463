"""Parts of the system made unreachable for a test: a port nothing listens on, and
the threads that race each other in the concurrency tests.

The fixtures (``broker_down``, ``cache_down``) live in tests/conftest.py."""

import socket
import threading

from django.db import connection


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def race(work, *, threads=2, timeout=60):
    """Run ``work()`` in ``threads`` threads released together; returns (results, errors).

    Each thread closes its own database connection, as a worker process would."""
    results, errors, barrier = [], [], threading.Barrier(threads)

    def run():
        try:
            barrier.wait(10)
            results.append(work())
        except Exception as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout)
    return results, errors
