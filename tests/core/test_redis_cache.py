"""core.cache.RedisCache: Django's Redis cache with one redis-py client per connection
pool, against a redis-server of the test's own (stopped and started again)."""

import pytest
import redis
from django.core.cache import caches

from tests.outages import RedisServer, closed_port


@pytest.fixture
def redis_cache(settings, tmp_path):
    server = RedisServer(tmp_path, port=closed_port())
    server.start()
    settings.CACHES = {
        **settings.CACHES,
        "own": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    yield caches["own"], server
    caches["own"].close()
    server.kill()


def test_every_operation_uses_the_one_client_of_its_pool(redis_cache):
    cache, _server = redis_cache
    client = cache._cache.get_client("a", write=True)

    cache.set("a", {"price": "105.70"}, 60)
    cache.set_many({"b": 1, "c": 2}, 60)

    assert cache.get("a") == {"price": "105.70"}
    assert cache.get_many(["b", "c", "missing"]) == {"b": 1, "c": 2}
    assert cache.incr("b") == 2
    assert cache._cache.get_client("x") is client
    assert cache._cache.get_client("y", write=True) is client


def test_a_kept_client_works_again_after_redis_restarts(redis_cache):
    cache, server = redis_cache
    cache.set("before", 1, 60)
    server.kill()
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.get("before")

    server.start()  # an empty Redis: it keeps nothing on disk

    assert cache.get("before") is None
    cache.set("after", 2, 60)
    assert cache.get("after") == 2


def test_one_client_per_pool_when_reads_go_to_replicas(settings, tmp_path):
    primary, replica = RedisServer(tmp_path / "p", port=closed_port()), RedisServer(tmp_path / "r", port=closed_port())
    for server in (primary, replica):
        server.tmp_path.mkdir()
        server.start()
    try:
        settings.CACHES = {
            **settings.CACHES,
            "pair": {"BACKEND": "core.cache.RedisCache", "LOCATION": [primary.url, replica.url]},
        }
        cache = caches["pair"]._cache
        writer, reader = cache.get_client(write=True), cache.get_client()

        # Django sends writes to the first server and reads to the others.
        assert writer.connection_pool.connection_kwargs["port"] == primary.port
        assert reader.connection_pool.connection_kwargs["port"] == replica.port
        assert all(cache.get_client(write=True) is writer and cache.get_client() is reader for _ in range(5))
        caches["pair"].close()
    finally:
        primary.kill()
        replica.kill()
