"""What the benchmarks share: they run as scripts with the checkout on ``sys.path``."""

import os
import re
import secrets
import socket
from urllib.parse import urlsplit

# What a user posting the portal's forms reads off the page before: the form's CSRF token and
# the price form's moment (bench/locustfile.py, bench/load_costs.py).
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECORDED_AT = re.compile(r'name="recorded_at" value="([^"]*)"')


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


def start_gunicorn(env: dict, port: int, *, workers: int, ready_path: str, timeout: int = 30):
    """gunicorn serving ``festival.wsgi`` on ``port`` with ``env``, once ``ready_path`` answers 2xx.

    gunicorn 27 opens ``~/.gunicorn/gunicorn.ctl`` by default: a second gunicorn on this machine
    (another benchmark, the app) would take it over; the benchmarks' need none."""
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "festival.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    command += ["--timeout", str(timeout), "--log-level", "warning", "--no-control-socket"]
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(command, cwd=root, env=env, start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5)
            return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    sys.exit("gunicorn did not start")
