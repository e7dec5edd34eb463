"""Page caching of the public site, in the default cache (Redis when REDIS_URL is set).

Every cached page is stored with the site-wide version it was rendered under,
and served only while that version stands; any domain event that can change
what the public sees (a promotion or participation changing status, prices
recorded, a festival opening or closing) bumps it (public.handlers), so no page
outlives the change. The version and the page are read in one round trip. The
version's bump time is the pages' Last-Modified and, with the language and the
URL, their ETag: a client that already holds the page gets a 304 without the
page being rendered (nor read from the cache).

The cache is an accelerator, never a dependency: with it down (Redis away) pages
are rendered uncached and a warning is logged.

A page the cache does not hold yet (another filter, sort or page number of the same
list) is usually rendered under a version the process has already rendered pages
for, and most of its frame is the same: the festival, the categories. ``kept``
holds such values in this process for as long as the page identity they were read
under (the version's state and the time bucket) stands, so a page rendered from them is no staler
than the cached page it becomes; with the page cache off nothing is kept.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Hashable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

# A (version, bump time, token) tuple; "public:version" held the two-field form
# before, which a rollback to that code still reads.
VERSION_KEY = "public:state"
# Pages also change with time alone (a countdown, "live now"): they are
# rebuilt at least this often even when nothing is published.
TIME_BUCKET_SECONDS = 300
LANGUAGE_PARAMETER = "lang"
# The most values ``kept`` holds at once (festivals by slug and the like: a handful).
KEPT_LIMIT = 256

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _new_state(version: int) -> tuple[int, int, str]:
    # The token tells apart two states of one version and second (a cache emptied
    # and started again), so ``kept`` never serves what an earlier state read.
    return (version, int(timezone.now().timestamp()), secrets.token_hex(8))


def _state() -> tuple:
    """(version, unix time of the last bump, token)."""
    state = cache.get(VERSION_KEY)
    if state is None:
        state = _new_state(1)
        cache.add(VERSION_KEY, state, None)
        state = cache.get(VERSION_KEY, state)
    return state


def _state_and_page(key: str | None) -> tuple[tuple, tuple | None]:
    """The state and, when ``key`` is given, what the cache holds under it (a page
    with the state it was rendered under), in one round trip."""
    if key is None:
        return _state(), None
    found = cache.get_many([VERSION_KEY, key])
    if VERSION_KEY not in found:  # no state yet: no page stored can be current
        return _state(), None
    return found[VERSION_KEY], found.get(key)


def bump() -> None:
    """Invalidate every cached public page."""
    try:
        version = _state()[0]
        cache.set(VERSION_KEY, _new_state(version + 1), None)
    except Exception as exc:  # a cache that is down serves no stale page either
        logger.warning("public pages not invalidated, the cache is unavailable: %s", exc)


def _language_from_query(request) -> str | None:
    code = request.GET.get(LANGUAGE_PARAMETER, "")
    if code and code in dict(settings.LANGUAGES):
        translation.activate(code)
        request.LANGUAGE_CODE = code
        return code
    return None


def public_page(view):
    """Cache a public page (GET/HEAD, 200 only) and answer conditional requests with 304."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        chosen = _language_from_query(request)
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        now = int(timezone.now().timestamp())
        bucket = now - now % TIME_BUCKET_SECONDS
        language = translation.get_language()
        path = request.get_full_path()
        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        # The page is stored under its URL, language and time bucket, with the state it
        # was rendered under: a request without a conditional header reads the state and
        # the page in one round trip.
        key = "public:page:" + hashlib.sha256(f"{bucket}:{language}:{path}".encode()).hexdigest()[:32]
        conditional = "If-None-Match" in request.headers or "If-Modified-Since" in request.headers
        try:
            state, stored = _state_and_page(key if seconds and not conditional else None)
            version, changed_at = state[:2]
        except Exception as exc:
            logger.warning("public page served uncached, the cache is unavailable: %s", exc)
            return view(request, *args, **kwargs)
        last_modified = max(changed_at, bucket)
        if seconds:
            request.public_page_identity = (*state, bucket)
        digest = hashlib.sha256(f"{version}:{bucket}:{language}:{path}".encode()).hexdigest()[:32]
        etag = f'"{digest}"'

        def finish(response):
            response["ETag"] = etag
            response["Last-Modified"] = http_date(last_modified)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            if chosen:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, samesite="Lax")
            return response

        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            if etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*":
                return finish(HttpResponseNotModified())
        else:
            since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
            if since is not None and since >= last_modified:
                return finish(HttpResponseNotModified())

        if seconds and conditional:  # not read with the state
            try:
                stored = cache.get(key)
            except Exception as exc:  # went away since _state()
                logger.warning("public page served uncached, the cache is unavailable: %s", exc)
                seconds = 0
        if stored is not None and stored[0] == state:
            _state_then, content, content_type = stored
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return finish(response)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if seconds and response.status_code == 200 and not response.streaming and not response.cookies:
            try:
                cache.set(key, (state, response.content, response["Content-Type"]), seconds)
                response["X-Page-Cache"] = "miss"
            except Exception as exc:
                logger.warning("public page not cached, the cache is unavailable: %s", exc)
        return finish(response)

    return wrapped


class _Kept:
    """Values read under one page identity; a new identity starts afresh."""

    def __init__(self):
        self.identity = None
        self.values: dict[Hashable, object] = {}
        self.lock = threading.Lock()


_KEPT = _Kept()


def kept(request, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or what it returned for ``key`` under this page's identity (see above).

    Only for public values every visitor sees alike, read-only while a page renders."""
    identity = getattr(request, "public_page_identity", None)
    if identity is None:
        return load()
    with _KEPT.lock:
        if _KEPT.identity == identity and key in _KEPT.values:
            return _KEPT.values[key]
    value = load()  # outside the lock: a raised 404 keeps nothing
    with _KEPT.lock:
        if _KEPT.identity != identity:
            _KEPT.identity, _KEPT.values = identity, {}
        if len(_KEPT.values) < KEPT_LIMIT:
            _KEPT.values[key] = value
    return value
