"""Settings for bench/load.py: the real settings, plus the trivial view's URL."""

from festival.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# The throttles stay on (their cache round trips are part of the real cost) but never
# bite: the load's partners share a few keys and one client address.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "1000000/min", "key": "1000000/min", "user": "1000000/min"},
}
