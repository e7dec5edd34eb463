"""Loaded before Django's settings (``-p tests.environment`` in pyproject.toml).

Without DEBUG the settings refuse to start without a SECRET_KEY of their own,
so a test run that was given none makes a random one. The xdist workers and the
Celery processes the tests start inherit it from this environment.

Under pytest-xdist each worker gets what no other worker may touch: pytest-django
gives it its own test database; here it gets its own Redis database (the tests
flush the cache and the broker's queues) and its own file cache, and the Celery
processes it starts inherit them.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

REDIS_DATABASES = 16  # Redis's default number of databases


def _redis_url_for_worker(url: str, index: int) -> str:
    parts = urlsplit(url)
    base = int(parts.path.lstrip("/") or 0)
    return parts._replace(path=f"/{(base + index) % REDIS_DATABASES}").geturl()


_worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, … (set before plugins load)
if _worker:
    _index = int(_worker.removeprefix("gw"))
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _redis_url_for_worker(os.environ["REDIS_URL"], _index)
    os.environ["FILE_CACHE_DIR"] = str(Path(__file__).resolve().parent.parent / "var" / f"cache-{_worker}")
