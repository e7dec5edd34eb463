"""Shared by run.py and test.py: make the virtualenv and install pinned requirements.

Only the standard library is used here, because it runs before anything is installed.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv if needed and install ``requirements`` when they changed since the last install."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs before anything checks the version
        sys.exit(f"Festival desk needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say(f"creating the virtualenv in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"Could not create the virtualenv ({error}). On Debian or Ubuntu install the venv module first: "
                "sudo apt-get install python3-venv"
            )
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{Path(requirements).stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing {requirements} (first run takes a minute or two)")
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "-r", ROOT / requirements], check=True)
    stamp.write_text(digest)


def ensure_local_secret_key() -> None:
    """Give this checkout a random SECRET_KEY of its own in .env (git-ignored), once, so
    commands run by hand (``.venv/bin/python manage.py …``) start like the app does. The
    settings refuse the public development key unless DEBUG is on; production sets its own."""
    import secrets

    env_file = ROOT / ".env"
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    if any(line.strip().startswith("SECRET_KEY=") for line in lines):
        return
    say("writing a random SECRET_KEY for this checkout to .env")
    lines += ["# Made by scripts/run.py for this checkout; never commit it.", f"SECRET_KEY={secrets.token_urlsafe(50)}"]
    env_file.write_text("\n".join(lines) + "\n")


def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, ROOT / "manage.py", *args], cwd=ROOT, check=True, **kwargs)
