import pytest
from rest_framework.test import APIClient

from api.models import ApiScope
from api.services import create_api_key
from tests.factories import FestivalFactory, MerchantFactory, ParticipationFactory, ReviewerFactory

ALL_SCOPES = list(ApiScope.values)


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """A private in-memory cache (throttle counters) per test, generous rates and private webhook targets."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-tests"}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "key": "10000/min", "user": "10000/min"},
    }
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def key_client(raw_key=None, user=None):
    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def make_key():
    def make(merchant=None, scopes=None, name="partner"):
        api_key, raw = create_api_key(name=name, scopes=scopes or ALL_SCOPES, merchant=merchant)
        return api_key, raw

    return make


@pytest.fixture
def festival():
    return FestivalFactory()


@pytest.fixture
def merchant_a(festival):
    merchant = MerchantFactory(name="Alpha")
    ParticipationFactory(merchant=merchant, festival=festival)
    return merchant


@pytest.fixture
def merchant_b(festival):
    merchant = MerchantFactory(name="Beta")
    ParticipationFactory(merchant=merchant, festival=festival)
    return merchant


@pytest.fixture
def client_a(make_key, merchant_a):
    return key_client(make_key(merchant=merchant_a)[1])


@pytest.fixture
def client_b(make_key, merchant_b):
    return key_client(make_key(merchant=merchant_b)[1])


@pytest.fixture
def read_client(make_key):
    return key_client(make_key(scopes=["read"])[1])


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def organiser_client():
    return key_client(user=ReviewerFactory())
