"""Throttles: anonymous calls by client address, keyed calls per API key, sessions per user.

Rates come from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (``anon``,
``key``, ``user``) and are read per request, so a settings change applies at once.
DRF answers a throttled call with 429 and ``Retry-After``.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import actor_for


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
        return super().allow_request(request, view)


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
