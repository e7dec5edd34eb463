"""`manage.py check --deploy` is clean with the documented production environment
(docs/security.md), and the production headers and cookies are set."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# docs/security.md, "Production environment".
PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "festival.example",
    "HTTPS": "true",
}


def _run(args, **environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    for name in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "HTTPS"):
        env.pop(name, None)
    env.update(DJANGO_SETTINGS_MODULE="festival.settings", ENV_FILE=os.devnull, **environment)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_https_only():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )
    result = _run(["-c", code], **PRODUCTION_ENV)

    assert result.stdout.split() == ["True", "True", "True", "31536000", "True", "False"], result.stderr
