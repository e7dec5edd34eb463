"""Settings for bench/public.py: the real settings, plus the baseline views' URLs."""

from festival.settings import *  # noqa: F403

ROOT_URLCONF = "bench.public_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
