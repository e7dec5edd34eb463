"""Production refuses to start with the public development key (or none)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {  # README's configuration table: what production sets
    "SECRET_KEY": "p" * 10 + "production-secret-key-of-fifty-or-more-random-characters",
    "ALLOWED_HOSTS": "festival.example",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


def _run(args, **environment):
    # Not the test run's own settings (nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE).
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    # Not this checkout's .env (scripts/run.py writes a SECRET_KEY there): only what the test sets.
    env.update(DJANGO_SETTINGS_MODULE="festival.settings", ENV_FILE=os.devnull, **environment)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _load_settings(**environment):
    return _run(["-c", "import django; django.setup(); print('loaded')"], **environment)


@pytest.mark.parametrize("debug", [None, "false"])
def test_without_debug_and_without_a_secret_key_the_app_refuses_to_start(debug):
    environment = {} if debug is None else {"DEBUG": debug}

    result = _load_settings(**environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_the_public_development_key_is_refused_without_debug():
    from django.conf import settings

    result = _load_settings(SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("environment", [{"SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"]}, {"DEBUG": "true"}])
def test_with_a_secret_key_or_in_debug_the_settings_load(environment):
    result = _load_settings(**environment)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


def test_check_deploy_with_the_documented_production_environment_has_no_secret_key_warning():
    result = _run(["manage.py", "check", "--deploy"], **PRODUCTION_ENV)

    assert "security.W009" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "command", [["makemigrations", "--check", "--dry-run"], ["check"], ["collectstatic", "--dry-run", "--noinput"]]
)
def test_build_commands_run_without_a_secret_key(command):
    """A CI's checks on a fresh checkout: no key exists yet, and none is needed to inspect the project."""
    result = _run(["manage.py", *command])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "festival.E001" not in result.stdout + result.stderr


def test_without_a_secret_key_check_deploy_fails_and_other_commands_refuse_to_start():
    deploy = _run(["manage.py", "check", "--deploy"])
    migrate = _run(["manage.py", "migrate", "--plan"])

    assert deploy.returncode != 0
    assert "festival.E001" in deploy.stderr and "SECRET_KEY is not set" in deploy.stderr
    assert migrate.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in migrate.stderr
