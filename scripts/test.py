#!/usr/bin/env python3
"""Set up and run the whole test suite, with the checks CI runs first.

    python3 scripts/test.py [pytest arguments]

Creates .venv, installs requirements-dev.txt, makes sure Debian's Chromium and
CJK fonts are there for the browser tests (installing them with apt-get when
run as root), runs ruff, bandit (high severity), Django's checks, the migrations check, then pytest.
Uses SQLite and kombu's filesystem transport unless DATABASE_URL / REDIS_URL
point to PostgreSQL and Redis.
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from _env import BIN, PYTHON, ROOT, ensure_venv, manage, say

CHROMIUM = Path("/usr/bin/chromium")


# Our code (tests, benchmarks and scripts run only on developers' machines).
BANDIT_PATHS = ["api", "core", "demo", "festival", "logistics", "merchants", "promotions", "public", "reports"]


def ensure_browser() -> None:
    fonts = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if CHROMIUM.exists() and fonts.exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium and fonts-noto-cjk for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"], check=True, env=env)
        return
    sys.exit(
        "The browser tests need Debian's Chromium and CJK fonts: "
        "sudo apt-get install chromium fonts-noto-cjk  (then run this command again)"
    )


def main() -> int:
    ensure_venv("requirements-dev.txt")
    ensure_browser()
    # The checks run with DEBUG off, like production, so they need a key of their own (a random one per run).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    say("ruff check and ruff format --check")
    subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT, check=True)
    subprocess.run([BIN / "ruff", "format", "--check", "."], cwd=ROOT, check=True)
    say("bandit: no high-severity findings in our code")
    subprocess.run(
        [BIN / "bandit", "-q", "-r", *BANDIT_PATHS, "--severity-level", "high", "--confidence-level", "low"],
        cwd=ROOT,
        check=True,
    )
    say("manage.py check and makemigrations --check")
    manage("check")
    manage("makemigrations", "--check", "--dry-run")
    say("pytest")
    return subprocess.run(
        [PYTHON, "-m", "pytest", *parallel_arguments(sys.argv[1:]), *sys.argv[1:]], cwd=ROOT
    ).returncode


def parallel_arguments(arguments: list[str]) -> list[str]:
    """One pytest-xdist worker per core (at most four) unless the caller chose (-n, -p no:xdist).

    Each worker has its own database, Redis database and cache (tests/environment.py).
    ``loadscope`` keeps a module on one worker, so a module that seeds the demo once
    for all its tests (tests/festival/test_seed_demo.py) seeds it once, not once per worker.
    """
    chosen = any(
        a in ("-n", "--numprocesses", "no:xdist") or a.startswith(("-n", "--numprocesses=")) for a in arguments
    )
    workers = min(os.cpu_count() or 1, 4)
    if chosen or workers < 2:
        return []
    return ["-n", str(workers), "--dist", "loadscope"]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
