"""Finding 1 (security half): with the cache down the API's throttles fail open with a warning, never a 500."""

import logging

import pytest
from django.core.cache import caches

from tests.api.conftest import key_client
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def throttled_cache_down(cache_down, settings):
    """The cache down, and throttle rates low enough that a working cache would refuse the third call."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "key": "2/min", "user": "2/min"},
    }
    # Django's setting_changed handler rebuilds the cache connections.
    assert caches["default"].__class__.__name__ == "RedisCache"


def test_anonymous_calls_answer_with_the_cache_down_and_a_warning_is_logged(throttled_cache_down, festival, caplog):
    caplog.set_level(logging.WARNING, logger="api.throttling")
    for _ in range(4):  # more than the rate: the throttle cannot count, so it lets calls through
        response = key_client().get("/api/v1/festivals/")
        assert response.status_code == 200, response.content
    assert any("cache" in record.getMessage().lower() for record in caplog.records if record.name == "api.throttling")


def test_keyed_and_session_calls_answer_with_the_cache_down(throttled_cache_down, festival, make_key, merchant_a):
    _, raw = make_key(merchant=merchant_a)
    for _ in range(3):
        assert key_client(raw).get("/api/v1/promotions/").status_code == 200
        session = key_client(user=MembershipFactory(merchant=merchant_a).user)
        assert session.get("/api/v1/promotions/").status_code == 200
