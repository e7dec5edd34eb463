"""The production way of serving (docs/deploy.md): the Procfile's three processes,
systemd units for each, gunicorn's settings, and static files collected and
served compressed by whitenoise."""

import configparser
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def unit(name) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((ROOT / "deploy" / name).read_text())
    return parser


def test_the_procfile_runs_web_worker_and_beat_after_migrating_and_collecting():
    processes = procfile()

    assert set(processes) == {"release", "web", "worker", "beat"}
    assert processes["web"].startswith("gunicorn festival.wsgi -c deploy/gunicorn.conf.py")
    assert processes["worker"].startswith("celery -A festival worker")
    assert processes["beat"].startswith("celery -A festival beat")
    assert "migrate --noinput" in processes["release"] and "collectstatic --noinput" in processes["release"]


def test_each_process_has_a_systemd_unit_running_the_same_command():
    commands = {name: unit(f"festival-{name}.service")["Service"]["ExecStart"] for name in ("web", "worker", "beat")}

    assert commands["web"].endswith("gunicorn festival.wsgi -c deploy/gunicorn.conf.py")
    assert "celery -A festival worker" in commands["worker"]
    assert "celery -A festival beat" in commands["beat"]
    for name in ("web", "worker", "beat"):
        service = unit(f"festival-{name}.service")["Service"]
        assert service["EnvironmentFile"] == "/etc/festival/env"
        assert service["Restart"] == "always" and service["User"] == "festival"


def test_gunicorn_accepts_its_settings_and_loads_the_app():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "festival.settings"}

    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "festival.wsgi", "-c", "deploy/gunicorn.conf.py", "--check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]


def test_collected_static_files_are_served_compressed_without_the_finders(tmp_path):
    # Production serving: DEBUG off whatever a developer's .env says.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "festival.settings",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DEBUG": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    probe = (
        "import django; django.setup(); from django.conf import settings; from django.test import Client; "
        "r = Client().get('/static/js/site.js', HTTP_ACCEPT_ENCODING='gzip'); "
        "print(settings.WHITENOISE_USE_FINDERS, r.status_code, r.get('Content-Encoding'))"
    )

    served = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()

    assert (tmp_path / "static" / "js" / "site.js.gz").exists()
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()
    assert served == ["False", "200", "gzip"]
