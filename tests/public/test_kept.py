"""public.cache: what a page-cache miss reuses from the pages the process rendered
under the same version (``kept``: the festival, the categories) — never longer than the
cached page it becomes would live, nothing with the page cache off — and the round
trips to the cache a page costs."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from public import cache as page_cache
from tests.factories import CategoryFactory, FestivalFactory
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


def _frame_reads(client, url, **data):
    """The page's text and how many of its queries read festivals or categories alone."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data)
    assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
    frame = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT")
        and "promotions_promotion" not in q["sql"]
        and ('FROM "festival_festival"' in q["sql"] or 'FROM "festival_category"' in q["sql"])
    ]
    return response.content.decode(), len(frame)


@pytest.fixture
def listed(running_festival):
    live_item(running_festival, title="Spring tea", category=CategoryFactory(slug="tea", name="茶叶", name_en="Tea"))
    return reverse("public:promotions", args=[running_festival.slug])


@pytest.fixture
def pinned():
    with time_machine.travel(timezone.now().replace(minute=1, second=0), tick=False) as traveller:
        yield traveller


def test_a_second_url_under_one_version_reads_the_festival_and_categories_once(client, listed, pinned):
    first, first_reads = _frame_reads(client, listed)
    second, second_reads = _frame_reads(client, listed, sort="price")
    third, third_reads = _frame_reads(client, listed, page="1", category="tea")

    assert first_reads == 2  # the festival, the top categories
    assert second_reads == third_reads == 0
    assert all("Spring tea" in page and "Tea" in page for page in (first, second, third))


def test_a_bump_reads_the_frame_again(client, listed, running_festival, pinned):
    _frame_reads(client, listed)
    running_festival.name_en = "Double Product, renamed"
    running_festival.save()

    stale, _reads = _frame_reads(client, listed, sort="price")
    page_cache.bump()
    fresh, reads = _frame_reads(client, listed, sort="discount")

    assert "renamed" not in stale  # as the cached page would be until the version moves
    assert reads == 2 and "Double Product, renamed" in fresh


def test_nothing_is_kept_past_the_pages_time_bucket(client, listed, running_festival, pinned):
    _frame_reads(client, listed)
    CategoryFactory(slug="silk", name="丝绸", name_en="Silk")

    pinned.shift(timedelta(seconds=page_cache.TIME_BUCKET_SECONDS))
    page, reads = _frame_reads(client, listed, sort="price")

    assert reads == 2 and "Silk" in page


def test_an_emptied_cache_keeps_nothing_read_before_even_in_the_same_second(client, listed, running_festival, pinned):
    _frame_reads(client, listed)
    running_festival.name_en = "Double Product, renamed"
    running_festival.save()

    cache.clear()  # the version starts again at 1, at the same (pinned) second
    page, reads = _frame_reads(client, listed, sort="price")

    assert reads == 2 and "Double Product, renamed" in page


def test_nothing_is_kept_with_the_page_cache_off(client, listed, running_festival, settings, pinned):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    client.get(listed)
    running_festival.name_en = "Double Product, renamed"
    running_festival.save()

    with CaptureQueriesContext(connection) as queries:
        page = client.get(listed, {"sort": "price"}).content.decode()

    assert any('FROM "festival_festival"' in q["sql"] for q in queries)
    assert "Double Product, renamed" in page


def test_an_unknown_festival_keeps_nothing(client, pinned):
    url = reverse("public:promotions", args=["dp-2027"])
    assert client.get(url).status_code == 404

    FestivalFactory(slug="dp-2027", status="running")

    assert client.get(url).status_code == 200


def test_each_festival_is_kept_under_its_own_slug(client, listed, running_festival, pinned):
    other = FestivalFactory(slug="dp-2027", name_en="Double Product 2027", status="running")

    ours, _reads = _frame_reads(client, listed)
    theirs, reads = _frame_reads(client, reverse("public:promotions", args=[other.slug]))

    assert reads == 1  # the categories are kept; the festival is another
    assert "Double Product 2027" in theirs and "Double Product 2027" not in ours


class _CountingCache:
    """The default cache, counting the calls the page cache makes on it."""

    def __init__(self, cache):
        self.cache, self.calls = cache, []

    def __getattr__(self, name):
        method = getattr(self.cache, name)

        def counted(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)

        return counted


def test_a_page_is_served_from_the_cache_with_one_round_trip_and_rendered_with_two(client, listed, monkeypatch):
    counting = _CountingCache(cache)
    monkeypatch.setattr(page_cache, "cache", counting)
    client.get(listed)  # the state made, the page stored

    counting.calls.clear()
    hit = client.get(listed)
    hit_calls, counting.calls = counting.calls, []
    miss = client.get(listed, {"sort": "price"})

    assert hit["X-Page-Cache"] == "hit" and hit_calls == ["get_many"]  # the state and the page
    assert miss["X-Page-Cache"] == "miss" and counting.calls == ["get_many", "set"]


def test_a_conditional_request_reads_the_page_only_when_it_is_not_a_304(client, listed, monkeypatch):
    counting = _CountingCache(cache)
    monkeypatch.setattr(page_cache, "cache", counting)
    etag = client.get(listed)["ETag"]

    counting.calls.clear()
    not_modified = client.get(listed, HTTP_IF_NONE_MATCH=etag)
    calls, counting.calls = counting.calls, []
    other = client.get(listed, HTTP_IF_NONE_MATCH='"another"')

    assert not_modified.status_code == 304 and calls == ["get"]  # the state alone
    assert other.status_code == 200 and other["X-Page-Cache"] == "hit" and counting.calls == ["get", "get"]
