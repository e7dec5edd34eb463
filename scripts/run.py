#!/usr/bin/env python3
"""Set up and run Festival desk: web server, Celery worker and beat, demo data.

    python3 scripts/run.py

Creates .venv, installs requirements, migrates, seeds the demo festival on the
first run, prints the demo logins, then serves http://127.0.0.1:8000 with a
Celery worker and beat beside it. Ctrl-C stops all three.
"""

import os
import signal
import subprocess
import sys
import time

from _env import BIN, PYTHON, ROOT, ensure_local_secret_key, ensure_venv, manage, say

ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")


def main() -> int:
    ensure_venv("requirements.txt")
    ensure_local_secret_key()
    os.environ.setdefault("DEBUG", "true")  # a local run serves uploaded media and shows errors
    os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # local demo receivers
    (ROOT / "var").mkdir(exist_ok=True)
    say("applying database migrations")
    manage("migrate", "--no-input", "-v", "0")
    say("loading the demo festival (first run only; later runs change nothing) and the demo logins")
    manage("seed_demo")

    processes = {
        "web": [PYTHON, "manage.py", "runserver", ADDRESS, "--noreload"],
        "worker": [BIN / "celery", "-A", "festival", "worker", "--loglevel", "info", "--concurrency", "2"],
        "beat": [BIN / "celery", "-A", "festival", "beat", "--loglevel", "info"],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True) for name, cmd in processes.items()}
    say(
        f"Festival desk runs at http://{ADDRESS}/  (admin: http://{ADDRESS}/admin/, merchants: http://{ADDRESS}/merchant/)"
    )
    say("press Ctrl-C to stop the web server, worker and beat")

    def stop(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started with SIGINT ignored (e.g. from a script)
    exit_code = 0
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"{name} stopped (exit code {child.returncode}); stopping the others")
                    exit_code = child.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        say("stopping")
    finally:
        for child in children.values():
            if child.poll() is None:
                # The leader shuts its own pool down (Celery's warm shutdown); the group is killed only if it hangs.
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
