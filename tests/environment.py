"""Loaded before Django's settings (``-p tests.environment`` in pyproject.toml).

Without DEBUG the settings refuse to start without a SECRET_KEY of their own,
so a test run that was given none makes a random one. The xdist workers and the
Celery processes the tests start inherit it from this environment.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
