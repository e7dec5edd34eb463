"""Promotion cards (public/cards.py): the HTML of a card is kept under a key made of
everything it shows, so any change shows on the next render of a page that is not
served from the page cache, whatever made the change; the pages read a bounded
number of rows and queries whatever the page size; pagination follows Django's rules
whether it counts in the page's own query or reads the ids up to the count limit."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.events import DomainEvent, publish_on_commit
from festival.models import FestivalStatus
from promotions import services
from promotions.models import CheckStatus, Promotion, PromotionItem, ReferenceSource
from public import cards, selectors
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    PromotionItemFactory,
)
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db

# The promotions list: its festival, the categories, then its page in one query on
# PostgreSQL (public.selectors.card_lists), else the count, the page's ids, rows and items.
LIST_QUERIES = 3 if connection.vendor == "postgresql" else 6


def _list(client, festival, **params):
    response = client.get(reverse("public:promotions", args=[festival.slug]), params)
    assert response.status_code == 200
    return response.content.decode()


def _card_keys():
    return [key for key in cache._cache if cards.KEY_PREFIX in key]  # LocMemCache (tests/public/conftest.py)


# The card cache -------------------------------------------------------------------------


def test_cards_are_rendered_once_and_then_read_from_the_cache(client, running_festival, no_page_cache):
    live_item(running_festival, title="Tea week")
    first = _list(client, running_festival)
    kept = _card_keys()

    with CaptureQueriesContext(connection) as queries:
        again = _list(client, running_festival)

    assert len(kept) == 1 and _card_keys() == kept
    assert again == first and "Tea week" in again
    assert len(queries) == LIST_QUERIES


def test_a_card_from_the_cache_is_the_card_rendered_now(client, running_festival, settings, no_page_cache):
    for i in range(3):
        live_item(running_festival, title=f"Sale {i}", reference_source=ReferenceSource.FALLBACK)
    url = reverse("public:index")
    settings.PUBLIC_CARD_CACHE_SECONDS = 0
    rendered = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    settings.PUBLIC_CARD_CACHE_SECONDS = 300
    client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    cards.RECENT.clear()  # another process: the cards come from the shared cache

    shared = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    kept = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content  # this process kept them

    assert _card_keys()
    assert _without_nonce(shared) == _without_nonce(kept) == _without_nonce(rendered)
    assert "7天内无价格记录" in shared.decode()


def test_the_process_keeps_the_cards_it_used_last():
    recent = cards.RecentCards(2)
    recent.set_many({"a": "A", "b": "B"})
    recent.get_many(["a"])
    recent.set_many({"c": "C"})

    assert recent.get_many(["a", "b", "c"]) == {"a": "A", "c": "C"}


def _without_nonce(html: bytes) -> bytes:
    import re

    return re.sub(rb'nonce="[^"]*"', b"", html)


def _change_price(item, promotion):
    PromotionItem.objects.filter(pk=item.pk).update(promo_price=Decimal("70.00"), real_discount_percent=30)
    return "now ¥70.00", "now ¥80.00"


def _change_reference(item, promotion):
    PromotionItem.objects.filter(pk=item.pk).update(reference_price=Decimal("120.00"))
    return "7-day low ¥120.00", "7-day low ¥100.00"


def _change_reference_source(item, promotion):
    PromotionItem.objects.filter(pk=item.pk).update(reference_source=ReferenceSource.FALLBACK)
    return "No price in the last 7 days", "7-day low ¥100.00"


def _fail_the_item(item, promotion):
    PromotionItem.objects.filter(pk=item.pk).update(check_status=CheckStatus.FAIL)
    return None, "Green tea"


def _uncheck_the_item(item, promotion):
    PromotionItem.objects.filter(pk=item.pk).update(checked_at=None)
    return None, "now ¥80.00"


def _end_the_promotion(item, promotion):
    Promotion.objects.filter(pk=promotion.pk).update(status="ended")
    return "promotional price (ended) ¥80.00", "now ¥80.00"


def _rename_the_promotion(item, promotion):
    Promotion.objects.filter(pk=promotion.pk).update(title="Renamed week")
    return "Renamed week", "Tea week"


def _change_the_terms(item, promotion):
    Promotion.objects.filter(pk=promotion.pk).update(kind="percent_off", percent_off=Decimal("15"))
    return "15% off", None


def _move_the_dates(item, promotion):
    Promotion.objects.filter(pk=promotion.pk).update(ends_at=promotion.starts_at + timedelta(days=1, hours=2))
    return None, None  # checked by comparing the whole card


def _rename_the_merchant(item, promotion):
    type(promotion.merchant).objects.filter(pk=promotion.merchant_id).update(name="Renamed merchant")
    return "Renamed merchant", None


def _rename_the_product(item, promotion):
    type(item.product).objects.filter(pk=item.product_id).update(name="Black tea")
    return "Black tea", "Green tea"


def _change_the_lookback(item, promotion):
    type(promotion.festival).objects.filter(pk=promotion.festival_id).update(price_lookback_days=14)
    return "14-day low ¥100.00", "7-day low ¥100.00"


def _change_the_time_zone(item, promotion):
    # A zone in which the promotion starts on another day than in Beijing, whatever the time of day.
    festival = promotion.festival
    beijing = festival.local(promotion.starts_at).date()
    for zone in ("America/Los_Angeles", "Pacific/Pago_Pago", "Pacific/Kiritimati"):
        if promotion.starts_at.astimezone(ZoneInfo(zone)).date() != beijing:
            type(festival).objects.filter(pk=festival.pk).update(time_zone=zone)
            return None, None
    raise AssertionError("no zone moves the day")


def _add_a_banner(item, promotion):
    Promotion.objects.filter(pk=promotion.pk).update(banner="banners/tea.jpg")
    return 'class="banner" src="/media/banners/tea.jpg"', None


@pytest.mark.parametrize(
    "change",
    [
        _change_price,
        _change_reference,
        _change_reference_source,
        _fail_the_item,
        _uncheck_the_item,
        _end_the_promotion,
        _rename_the_promotion,
        _change_the_terms,
        _move_the_dates,
        _rename_the_merchant,
        _rename_the_product,
        _change_the_lookback,
        _change_the_time_zone,
        _add_a_banner,
    ],
)
def test_any_change_to_what_a_card_shows_shows_on_the_next_uncached_render(
    client, running_festival, settings, no_page_cache, change
):
    item = live_item(running_festival, title="Tea week")
    type(item.product).objects.filter(pk=item.product_id).update(name="Green tea")
    before = _card(_list(client, running_festival))
    assert "now ¥80.00" in before  # the card is now in the card cache

    shown, gone = change(item, item.promotion)
    after = _card(_list(client, running_festival))

    assert after != before
    if shown:
        assert shown in after
    if gone:
        assert gone not in after
    settings.PUBLIC_CARD_CACHE_SECONDS = 0
    assert _card(_list(client, running_festival)) == after  # what a fresh render says


def _card(html: str) -> str:
    start = html.index('<article class="promo-card">')
    return html[start : html.index("</article>", start)]


def test_a_card_is_kept_per_language(client, running_festival, no_page_cache):
    live_item(running_festival)
    url = reverse("public:promotions", args=[running_festival.slug])

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "7-day low ¥100.00 → now ¥80.00 · 20% off" in english
    assert "近7天最低 ¥100.00 → 活动价 ¥80.00 · 约8折" in chinese
    assert len(_card_keys()) == 2


def test_a_status_change_through_the_services_shows_with_the_page_cache_on(
    client, running_festival, settings, django_capture_on_commit_callbacks
):
    """The page cache and the card cache together: the event drops the page, the
    card's key follows its status."""
    item = live_item(running_festival, title="Tea week")
    url = reverse("public:promotions", args=[running_festival.slug])
    assert "pill live" in _card(client.get(url).content.decode())
    assert client.get(url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        services.end_due_promotions(now=item.promotion.ends_at + timedelta(seconds=1))

    page = client.get(url)
    assert page["X-Page-Cache"] == "miss"
    assert "pill ended" in _card(page.content.decode()) and "promotional price (ended)" in page.content.decode()


def test_a_price_recorded_event_drops_the_page_and_the_card_follows_its_item(
    client, running_festival, django_capture_on_commit_callbacks
):
    item = live_item(running_festival)
    url = reverse("public:index")
    assert "now ¥80.00" in client.get(url).content.decode()
    PromotionItem.objects.filter(pk=item.pk).update(promo_price=Decimal("75.00"))
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(DomainEvent.PRICES_RECORDED, product_ids=[item.product_id])

    page = client.get(url)

    assert page["X-Page-Cache"] == "miss" and "now ¥75.00" in page.content.decode()


def test_a_changed_card_template_makes_new_keys(running_festival, settings, monkeypatch, no_page_cache):
    item = live_item(running_festival)
    promotions = list(selectors.with_cards(Promotion.objects.filter(pk=item.promotion_id)))
    cards.promotion_cards(promotions)
    kept = set(_card_keys())
    monkeypatch.setattr(cards, "_kept_templates_digest", lambda: "another-template")

    cards.promotion_cards(promotions)

    assert len(set(_card_keys()) - kept) == 1


# Bounded reads ----------------------------------------------------------------------------


def test_a_card_reads_its_first_three_shown_items_only(running_festival):
    item = live_item(running_festival)
    failed = PromotionItemFactory(promotion=item.promotion, check_status=CheckStatus.FAIL)
    more = [PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at) for _ in range(5)]

    rows = selectors.card_items([item.promotion_id])

    assert [row[1] for row in rows[item.promotion_id]] == [item.pk, more[0].pk, more[1].pk]
    assert failed.pk not in [row[1] for row in rows[item.promotion_id]]


def test_the_written_out_card_items_query_reads_what_the_orm_one_reads(running_festival):
    promotions = []
    for i in range(4):
        item = live_item(running_festival, title=f"Sale {i}")
        for j in range(i * 2):
            PromotionItemFactory(
                promotion=item.promotion,
                checked_at=item.checked_at if j % 3 else None,
                check_status=CheckStatus.FAIL if j == 1 else CheckStatus.WARNING,
                reference_price=Decimal("99.90"),
                reference_source=ReferenceSource.FALLBACK,
            )
        promotions.append(item.promotion_id)
    promotions.append(live_item(running_festival, check_status=CheckStatus.FAIL).promotion_id)  # nothing shown

    expected: dict[int, list[tuple]] = {}
    for row in selectors.card_items_queryset(promotions):
        expected.setdefault(row[0], []).append(row)

    assert selectors.card_items(promotions) == expected
    assert promotions[-1] not in expected and max(len(rows) for rows in expected.values()) == 3


@pytest.mark.parametrize("page_size", [2, 24, 60])
def test_the_list_makes_the_same_queries_whatever_the_page_size(
    client, running_festival, monkeypatch, no_page_cache, page_size
):
    for i in range(70):
        item = live_item(running_festival, title=f"Sale {i:02}")
        for _ in range(i % 6):
            PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at)
    monkeypatch.setattr(selectors, "PAGE_SIZE", page_size)
    url = reverse("public:promotions", args=[running_festival.slug])

    cold = _count_queries(client, url, clear=True)
    warm = _count_queries(client, url)
    second_page = _count_queries(client, url + "?page=2")
    page = client.get(url).context["page_obj"]

    assert cold == warm == second_page == LIST_QUERIES
    assert len(page.object_list) == page_size and page.paginator.count == 70


def test_home_reads_the_same_queries_with_cards_cached_or_not(client, running_festival, no_page_cache):
    for i in range(12):
        live_item(running_festival, title=f"Sale {i}")
    url = reverse("public:index")

    assert _count_queries(client, url, clear=True) == _count_queries(client, url)


def _count_queries(client, url, *, clear=False):
    if clear:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# Pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [None, "", "abc", "1", "2", "3", "4", "99", "0", "-1", "2.0", 1.5, 2.0, " 2 "])
def test_pagination_counted_in_the_page_query_follows_djangos_rules(running_festival, number):
    for i in range(7):
        live_item(running_festival, title=f"Sale {i}")
    promotions = selectors.visible_promotions(running_festival).order_by("starts_at", "pk")

    counted = selectors.paginate_counted(promotions, number, per_page=3)
    plain = selectors.paginate(promotions, number, per_page=3)

    assert counted.number == plain.number
    assert counted.paginator.count == plain.paginator.count == 7
    assert [p.pk for p in counted.object_list] == [p.pk for p in plain.object_list]


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_pagination_counts_every_sort_of_the_list_and_each_promotion_once(running_festival, sort):
    for i in range(7):
        item = live_item(running_festival, title=f"Sale {i}")
        PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at, reference_price="90.00")
    found = selectors.search_promotions(running_festival, selectors.PromotionFilters(sort=sort))
    promotions = selectors.with_cards(found, festival=running_festival)

    plain = selectors.paginate(promotions, 2, per_page=3)
    for counted in [
        selectors.paginate_counted(promotions, 2, per_page=3),
        selectors.paginate_counted(promotions, 2, per_page=3, counted=found),
    ]:
        assert counted.paginator.count == plain.paginator.count == 7
        assert [p.pk for p in counted.object_list] == [p.pk for p in plain.object_list]


@pytest.mark.parametrize("number", [None, "", "abc", "1", "2", "3", "4", "99", "0", "-1", "2.0", 1.5, 2.0, " 2 "])
def test_the_listed_page_follows_djangos_rules(running_festival, number):
    for i in range(7):
        live_item(running_festival, title=f"Sale {i}")
    promotions = selectors.visible_promotions(running_festival).order_by("starts_at", "pk")

    listed = selectors.listed_promotions(promotions, number, festival=running_festival, per_page=3).page
    plain = selectors.paginate(promotions, number, per_page=3)

    assert listed.number == plain.number
    assert listed.paginator.count == plain.paginator.count == 7 and not listed.paginator.is_bounded
    assert [p.pk for p in listed.object_list] == [p.pk for p in plain.object_list]


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_the_listed_pages_keep_every_sort_and_stop_at_the_count_limit(running_festival, monkeypatch, sort):
    for i in range(7):
        item = live_item(running_festival, title=f"Sale {i}", promo_price=Decimal(80 - i))
        PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at, reference_price="90.00")
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 5)
    found = selectors.search_promotions(running_festival, selectors.PromotionFilters(sort=sort))
    in_order = [p.pk for p in found]

    pages = [
        selectors.listed_promotions(found, number, festival=running_festival, per_page=2).page
        for number in (1, 2, 3, 4, 99, -1)
    ]
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 7)
    exactly = selectors.listed_promotions(found, 4, festival=running_festival, per_page=2).page

    assert [[p.pk for p in page.object_list] for page in pages] == [
        in_order[0:2],
        in_order[2:4],
        in_order[4:5],
        *[in_order[4:5]] * 3,  # out of range, or below 1: the last page
    ]
    assert [page.number for page in pages] == [1, 2, 3, 3, 3, 3]
    assert all(page.paginator.count == 5 and page.paginator.is_bounded for page in pages)
    assert [p.pk for p in exactly.object_list] == in_order[6:7] and exactly.paginator.count == 7
    assert not exactly.paginator.is_bounded  # as many as the limit: no more to say


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_a_listed_page_reads_in_one_query_what_the_portable_reading_reads(running_festival, monkeypatch, sort):
    """On PostgreSQL a page of the list is one query (public.selectors.card_lists): the
    count, the page's promotions in order with their card fields, and their first shown
    items; it must give what the portable reading gives, field for field."""
    for i in range(7):
        item = live_item(running_festival, title=f"Sale {i}", promo_price=Decimal(70 + i))
        for j in range(i):
            PromotionItemFactory(
                promotion=item.promotion,
                promo_price=Decimal(f"{60 + j}.50"),
                checked_at=item.checked_at if j % 2 else None,
                check_status=CheckStatus.FAIL if j == 2 else CheckStatus.WARNING,
                reference_price=None if j == 3 else Decimal("99.90"),
                reference_source=ReferenceSource.FALLBACK,
            )
    live_item(running_festival, title="Nothing shown", check_status=CheckStatus.FAIL)
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 6)
    found = selectors.search_promotions(running_festival, selectors.PromotionFilters(sort=sort))
    fields = [*selectors.CARD_PROMOTION_FIELDS, "merchant_name"]

    def read(number):
        listed = selectors.listed_promotions(found, number, festival=running_festival, per_page=4)
        page = listed.page
        return (
            page.number,
            page.paginator.count,
            page.paginator.is_bounded,
            # The same fields read, the rest deferred (asked first: reading a deferred field loads it).
            [p.get_deferred_fields() for p in page.object_list],
            [[getattr(p, name) for name in fields] for p in page.object_list],
            listed.items,
        )

    ours = [read(number) for number in (1, 2, 3)]
    monkeypatch.setattr(selectors, "_card_lists_on_postgresql", selectors._card_lists_anywhere)
    portable = [read(number) for number in (1, 2, 3)]

    assert ours == portable
    assert [len(page[4]) for page in ours] == [4, 2, 2] and all(page[2] for page in ours)
    assert all(deferred and "title" not in deferred for page in ours for deferred in page[3])
    assert max(len(rows) for page in ours for rows in page[5].values()) == selectors.CARD_ITEMS


def test_card_lists_read_each_list_in_its_order_in_one_query_on_postgresql(running_festival, monkeypatch):
    ids = [live_item(running_festival, title=f"Sale {i}").promotion_id for i in range(5)]
    PromotionItemFactory(promotion_id=ids[1], check_status=CheckStatus.FAIL)
    visible = selectors.visible_promotions(running_festival)
    lists = (
        visible.order_by("-pk").values_list("pk", flat=True)[:3],
        visible.order_by("pk").values_list("pk", flat=True)[1:3],
        visible.none().values_list("pk", flat=True),
    )

    with CaptureQueriesContext(connection) as queries:
        read = selectors.card_lists(*lists, festival=running_festival)
    monkeypatch.setattr(selectors, "_card_lists_on_postgresql", selectors._card_lists_anywhere)
    portable = selectors.card_lists(*lists, festival=running_festival)

    for each in (read, portable):
        assert [[p.pk for p in listed] for listed in each.lists] == [ids[:-4:-1], ids[1:3], []]
        assert each.count is None and set(each.items) == {ids[1], ids[2], ids[3], ids[4]}
        assert all(p.festival is running_festival for listed in each.lists for p in listed)
    assert read.items == portable.items and [len(rows) for rows in read.items.values()] == [1, 1, 1, 1]
    if connection.vendor == "postgresql":
        assert len(queries) == 1


def test_card_promotions_keep_the_order_of_the_ids_and_leave_out_a_deleted_one(running_festival):
    items = [live_item(running_festival, title=f"Sale {i}") for i in range(4)]
    ids = [items[2].promotion_id, items[0].promotion_id, items[3].promotion_id, items[1].promotion_id]
    gone = items[3].promotion
    gone.items.all().delete()
    gone.delete()

    read = selectors.card_promotions(ids, festival=running_festival)

    assert [p.pk for p in read] == [ids[0], ids[1], ids[3]]
    assert all(p.festival is running_festival and p.merchant_name == p.merchant.name for p in read)
    assert selectors.card_promotions([], festival=running_festival) == []


def test_the_list_counts_the_promotions_it_lists_of_its_festival_only(client, running_festival):
    other = FestivalFactory(
        slug="other",
        registration_opens_at=running_festival.registration_opens_at,
        registration_closes_at=running_festival.registration_closes_at,
        submission_deadline=running_festival.submission_deadline,
        starts_at=running_festival.starts_at,
        ends_at=running_festival.ends_at,
        status=running_festival.status,
    )
    live_item(running_festival, title="Tea sale")
    live_item(running_festival, title="Rice sale")
    live_item(other, title="Tea elsewhere")

    listing = client.get(reverse("public:promotions", args=[running_festival.slug]), {"q": "Tea"})

    assert listing.context["page_obj"].paginator.count == 1
    assert [card.pk for card in listing.context["cards"]] == [p.pk for p in listing.context["page_obj"].object_list]
    assert len(listing.context["cards"]) == 1


def test_pagination_of_nothing_is_one_empty_page(running_festival):
    counted = selectors.paginate_counted(selectors.visible_promotions(running_festival), None)

    assert counted.number == 1 and counted.paginator.count == 0 and counted.object_list == []


def test_a_promotion_in_a_category_and_its_sub_category_is_listed_and_counted_once(client, running_festival):
    parent = CategoryFactory(slug="brands", name="老字号")
    child = CategoryFactory(slug="brands-food", name="食品", parent=parent)
    item = live_item(running_festival, category=parent)
    item.promotion.categories.add(child)

    listing = client.get(reverse("public:promotions", args=[running_festival.slug]), {"category": "brands"})
    home = client.get(reverse("public:index"))

    assert listing.context["page_obj"].paginator.count == 1
    assert [p.pk for p in listing.context["page_obj"].object_list] == [item.promotion_id]
    assert {row.category.slug: row.count for row in home.context["category_counts"]} == {"brands": 1}


# The home page's festivals ------------------------------------------------------------------


def test_home_features_the_running_festival_else_the_next_else_the_latest():
    now = timezone.now()

    def festival(slug, starts, ends, status):
        return FestivalFactory(
            slug=slug,
            registration_opens_at=now + starts - timedelta(days=30),
            registration_closes_at=now + starts - timedelta(days=10),
            submission_deadline=now + starts - timedelta(days=9),
            starts_at=now + starts,
            ends_at=now + ends,
            status=status,
        )

    old = festival("old", timedelta(days=-400), timedelta(days=-390), FestivalStatus.CLOSED)
    older = festival("older", timedelta(days=-800), timedelta(days=-790), FestivalStatus.CLOSED)
    assert selectors.home_festivals(now=now)[:2] == (old, [older])
    later = festival("later", timedelta(days=60), timedelta(days=70), FestivalStatus.PLANNED)
    soon = festival("soon", timedelta(days=20), timedelta(days=30), FestivalStatus.PLANNED)
    assert selectors.home_festivals(now=now)[:2] == (soon, [old, older])
    running = festival("running", timedelta(days=-2), timedelta(days=5), FestivalStatus.RUNNING)

    featured, editions, _sub_festivals = selectors.home_festivals(now=now)

    assert (featured, editions) == (running, [old, older])
    assert featured == selectors.featured_festival(now=now)
    assert editions == [f for f in selectors.past_and_current_festivals(now=now) if f != featured]
    assert later not in editions


def test_badge_words_follow_the_language(running_festival):
    item = live_item(running_festival)

    with translation.override("zh-hans"):
        chinese = cards.stored_badge(item)
    english = cards.stored_badge(item)

    assert chinese.words.help.startswith("折扣按商家在活动开始前7天内")
    assert english.words.help.startswith("The discount is measured against the lowest price")
    assert english.words.help_label == "How is this discount checked?"


def _promotion_compiles(monkeypatch) -> list:
    """The top-level compilations of promotion queries from here on (not their subqueries)."""
    from django.db.models.sql.compiler import SQLCompiler

    compiled = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        if self.query.model is Promotion and not self.query.subquery:
            compiled.append(self.query)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return compiled


@pytest.mark.parametrize("sort", selectors.SORTS)
def test_a_listed_page_compiles_its_matches_once_for_the_count_and_the_page(running_festival, monkeypatch, sort):
    """Building the filters' SQL costs more than running it: on PostgreSQL the count and the
    page share one compiled query of the matches (a CTE it inlines into both); the portable
    reading compiles the count and the page apart."""
    for i in range(3):
        live_item(running_festival, title=f"Sale {i}")
    found = selectors.search_promotions(running_festival, selectors.PromotionFilters(sort=sort, q="Sale"))
    compiled = _promotion_compiles(monkeypatch)

    listed = selectors.listed_promotions(found, 1, festival=running_festival, per_page=2)

    assert len(compiled) == (1 if connection.vendor == "postgresql" else 2)
    assert listed.page.paginator.count == 3 and len(listed.page.object_list) == 2


@pytest.mark.parametrize(
    "ordering",
    [
        ("-starts_at", "pk"),  # by names: the shared query
        (models.F("starts_at").desc(), "pk"),  # an expression: the count and the page compiled apart
    ],
    ids=["names", "expression"],
)
def test_a_listed_page_follows_any_order_of_its_matches(running_festival, ordering):
    for i in range(5):
        live_item(running_festival, title=f"Sale {i}")
    found = selectors.visible_promotions(running_festival).order_by(*ordering)

    pages = [
        selectors.listed_promotions(found, number, festival=running_festival, per_page=2).page for number in (1, 2, 3)
    ]

    assert [p.pk for page in pages for p in page.object_list] == [p.pk for p in found]
    assert [page.paginator.count for page in pages] == [5, 5, 5]


def test_a_listed_page_in_random_order_counts_and_fills_its_pages(running_festival):
    for i in range(5):
        live_item(running_festival, title=f"Sale {i}")
    found = selectors.visible_promotions(running_festival).order_by("?")

    pages = [
        selectors.listed_promotions(found, number, festival=running_festival, per_page=2).page for number in (1, 2, 3)
    ]

    assert [len(page.object_list) for page in pages] == [2, 2, 1]
    assert [page.paginator.count for page in pages] == [5, 5, 5]


def test_a_listed_page_of_a_search_that_cannot_match_is_empty(running_festival):
    live_item(running_festival, title="Sale")
    found = selectors.visible_promotions(running_festival).filter(pk__in=[]).order_by("starts_at", "pk")

    listed = selectors.listed_promotions(found, 1, festival=running_festival)

    assert listed.page.paginator.count == 0 and list(listed.page.object_list) == [] and listed.items == {}
