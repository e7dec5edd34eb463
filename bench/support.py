"""What the benchmarks share: they run as scripts with the checkout on ``sys.path``."""

import os
import secrets
import socket
from urllib.parse import urlsplit


def ensure_secret_key() -> None:
    """The benchmarks run with DEBUG off, as production does, which needs a SECRET_KEY:
    without one in the environment (or .env, which scripts/run.py writes), make one for
    this run; the processes the benchmark starts inherit it."""
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names if it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    """A local port nothing listens on, for a server a benchmark starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
