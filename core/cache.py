"""Django's Redis cache backend, with its redis-py client made once per connection pool.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the
pool on every operation, which costs about 0.2 ms here — as much as a third of
the round trip it wraps, and a public page or a throttled API call makes
several. A ``redis.Redis`` is safe to share between threads (each command takes
a connection from the pool), so one per pool does the same work.
"""

from django.core.cache.backends import redis as django_redis


class ReusingRedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
