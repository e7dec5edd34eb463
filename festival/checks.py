"""System checks of the project's own settings."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    """A build command without SECRET_KEY runs on a throwaway key (festival/settings.py);
    that is fine for `check` or `makemigrations`, never for a deployment."""
    if not getattr(settings, "SECRET_KEY_IS_THROWAWAY", False):
        return []
    return [
        checks.Error(
            "SECRET_KEY is not set: this command ran on a throwaway key. The web server and the worker "
            "refuse to start without a real one.",
            hint="Set SECRET_KEY to a long random value, e.g. python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'.",
            id="festival.E001",
        )
    ]
