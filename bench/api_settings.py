"""Settings for bench/api_load.py: the real settings, plus the baseline view's URL."""

from festival.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The throttles stay on (their cache round trips are part of the real cost) but never bite.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/min", "key": "1000000/min", "user": "1000000/min"},
}
