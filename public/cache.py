"""Page caching of the public site, in the default cache (Redis when REDIS_URL is set).

Every cached page key carries a site-wide version; any domain event that can
change what the public sees (a promotion or participation changing status,
prices recorded, a festival opening or closing) bumps it (public.handlers),
so no page outlives the change. The version's bump time is the pages'
Last-Modified and, with the language and the URL, their ETag: a client that
already holds the page gets a 304 without the page being rendered.

The cache is an accelerator, never a dependency: with it down (Redis away) pages
are rendered uncached and a warning is logged.
"""

from __future__ import annotations

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

VERSION_KEY = "public:version"
# Pages also change with time alone (a countdown, "live now"): they are
# rebuilt at least this often even when nothing is published.
TIME_BUCKET_SECONDS = 300
LANGUAGE_PARAMETER = "lang"

logger = logging.getLogger(__name__)


def _state() -> tuple[int, int]:
    """(version, unix time of the last bump)."""
    state = cache.get(VERSION_KEY)
    if state is None:
        state = (1, int(timezone.now().timestamp()))
        cache.add(VERSION_KEY, state, None)
        state = cache.get(VERSION_KEY, state)
    return state


def bump() -> None:
    """Invalidate every cached public page."""
    try:
        version, _at = _state()
        cache.set(VERSION_KEY, (version + 1, int(timezone.now().timestamp())), None)
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
        try:
            version, changed_at = _state()
        except Exception as exc:
            logger.warning("public page served uncached, the cache is unavailable: %s", exc)
            return view(request, *args, **kwargs)
        now = int(timezone.now().timestamp())
        bucket = now - now % TIME_BUCKET_SECONDS
        last_modified = max(changed_at, bucket)
        language = translation.get_language()
        identity = f"{version}:{bucket}:{language}:{request.get_full_path()}"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
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

        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        key = f"public:page:{digest}"
        try:
            hit = cache.get(key) if seconds else None
        except Exception as exc:  # went away since _state()
            logger.warning("public page served uncached, the cache is unavailable: %s", exc)
            hit, seconds = None, 0
        if hit is not None:
            content, content_type = hit
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return finish(response)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if seconds and response.status_code == 200 and not response.streaming and not response.cookies:
            try:
                cache.set(key, (response.content, response["Content-Type"]), seconds)
                response["X-Page-Cache"] = "miss"
            except Exception as exc:
                logger.warning("public page not cached, the cache is unavailable: %s", exc)
        return finish(response)

    return wrapped
