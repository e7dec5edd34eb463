"""Throttles: anonymous calls by client address, keyed calls per API key, sessions per user.

Rates come from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (``anon``,
``key``, ``user``) and are read per request, so a settings change applies at once.
DRF answers a throttled call with 429 and ``Retry-After``. When the cache that
holds the counters is unreachable the throttles fail open: the call is served
and a warning is logged (an outage of Redis must not take the API down).
"""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import actor_for

logger = logging.getLogger(__name__)


class _ApiThrottle(SimpleRateThrottle):
    def __init__(self):
        # The rate is resolved per request (see allow_request), not at construction.
        pass

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:
            # Fail open: an unreachable cache must not take the API down. The
            # call goes through unthrottled and the outage is logged.
            logger.warning(
                "API throttle %r cannot reach the cache; letting the call through unthrottled",
                self.scope,
                exc_info=True,
            )
            return True


class AnonThrottle(_ApiThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if actor_for(request).is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class KeyThrottle(_ApiThrottle):
    scope = "key"

    def get_cache_key(self, request, view):
        actor = actor_for(request)
        if actor.api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": actor.api_key.pk}


class UserThrottle(_ApiThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        actor = actor_for(request)
        if actor.api_key is not None or actor.user is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": actor.user.pk}
