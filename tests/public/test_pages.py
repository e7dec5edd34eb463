"""What the public pages say: the badge, terms in plain words, dates for people,
search and filters, results downloads, the error pages, caching and 304s."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from core.events import DomainEvent, publish_on_commit
from promotions import pricing
from promotions.models import CheckStatus, ReferenceSource
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
)
from tests.public.conftest import fresh_get, live_item

pytestmark = pytest.mark.django_db


def _page(client, url, **extra):
    response = fresh_get(client, url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


# The badge ------------------------------------------------------------------------------


def test_the_badge_in_chinese_counts_zhe_and_in_english_percent_off(running_festival):
    item = live_item(running_festival, promo_price=Decimal("105.70"), reference_price=Decimal("129.00"))

    with translation.override("zh-hans"):
        chinese = pricing.honest_price_badge(item).text
    english = pricing.honest_price_badge(item).text

    assert chinese == "近7天最低 ¥129.00 → 活动价 ¥105.70 · 约8.2折"
    assert english == "7-day low ¥129.00 → now ¥105.70 · 18% off"


def test_a_fallback_reference_is_explained_in_words(running_festival):
    item = live_item(
        running_festival,
        promo_price=Decimal("25.00"),
        reference_price=Decimal("29.00"),
        reference_source=ReferenceSource.FALLBACK,
        check_status=CheckStatus.WARNING,
    )

    with translation.override("zh-hans"):
        chinese = pricing.honest_price_badge(item).text

    assert chinese.startswith("7天内无价格记录，按此前最后价格 ¥29.00 → 活动价 ¥25.00")


def test_an_ended_promotion_shows_its_price_as_past(client, closed_festival):
    item = live_item(closed_festival, status="ended")

    with translation.override("zh-hans"):
        assert "活动价（已结束） ¥80.00" in pricing.honest_price_badge(item).text
    page = _page(client, reverse("public:promotion", args=[item.promotion_id]))
    assert "promotional price (ended) ¥80.00" in page and "Promotional price (ended)" in page
    assert "now ¥80.00" not in page


def test_failed_items_and_items_without_a_real_discount_get_no_badge(running_festival):
    failed = live_item(running_festival, check_status=CheckStatus.FAIL)
    none = live_item(running_festival, reference_price=None, reference_source=ReferenceSource.NONE)

    assert pricing.honest_price_badge(failed) is None
    assert pricing.honest_price_badge(none) is None


def test_a_warning_is_never_shown_as_an_alarm(client, running_festival):
    item = live_item(running_festival, check_status=CheckStatus.WARNING, check_reasons=["raised"])

    page = _page(client, reverse("public:promotion", args=[item.promotion_id]))

    assert "7-day low ¥100.00 → now ¥80.00 · 20% off" in page
    assert "Warning" not in page and "check-warning" not in page


def test_the_badge_has_a_question_mark_explanation_without_javascript(client, running_festival):
    item = live_item(running_festival)

    page = _page(client, reverse("public:promotion", args=[item.promotion_id]))

    assert '<details class="badge-help">' in page
    assert "lowest price the merchant recorded in the 7 days before the promotion started" in page


def test_the_home_page_in_chinese(client, settings, running_festival):
    settings.LANGUAGE_CODE = "zh-hans"
    live_item(running_festival)

    page = _page(client, reverse("public:index"), HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert 'lang="zh-hans"' in page
    assert "近7天最低 ¥100.00 → 活动价 ¥80.00 · 约8折" in page
    assert "Asia/Shanghai" not in page


# Terms, dates, stacking ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, chinese, english",
    [
        ({"kind": "percent_off", "percent_off": Decimal("15")}, "8.5折", "15% off"),
        ({"kind": "threshold", "threshold_amount": Decimal("200"), "amount_off": Decimal("30")}, "每满200减30", None),
        ({"kind": "flash_sale", "flash_quantity": 500, "percent_off": None}, "限量500件", "500 pieces only"),
        ({"kind": "amount_off", "amount_off": Decimal("20"), "percent_off": None}, "立减¥20", "¥20 off"),
    ],
)
def test_terms_in_plain_words(client, settings, running_festival, fields, chinese, english):
    promotion = PromotionFactory(festival=running_festival, live=True, **fields)
    url = reverse("public:promotion", args=[promotion.pk])

    if english:
        assert english in _page(client, url)
    assert chinese in _page(client, url + "?lang=zh-hans")


def test_a_threshold_card_lists_the_item_price_before_the_cut_and_the_final_price_step_by_step(
    client, running_festival
):
    product = ProductFactory(name="茶具")
    PricePointFactory(product=product, price="250.00", recorded_at=running_festival.starts_at - timedelta(days=2))
    item = live_item(
        running_festival, product=product, promo_price=Decimal("250.00"), reference_price=Decimal("250.00")
    )
    promotion = item.promotion
    promotion.kind, promotion.threshold_amount, promotion.amount_off, promotion.percent_off = "threshold", 200, 30, None
    promotion.save()
    # a second public promotion on the same product stacks
    other = live_item(running_festival, title="Coupon day", product=product)
    other.promotion.kind, other.promotion.coupon_value, other.promotion.coupon_quantity = "coupon", 10, 100
    other.promotion.percent_off = None
    other.promotion.save()

    page = _page(client, reverse("public:promotion", args=[promotion.pk]))

    assert "Price before the promotion: ¥250.00" in page
    assert "¥250.00 → <strong>¥220.00</strong>" in page
    assert "¥220.00 → <strong>¥210.00</strong>" in page
    assert "Final price: ¥210.00" in page


def test_window_dates_are_written_for_people(client, running_festival):
    running_festival.starts_at = timezone.datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 21 Nov 00:00 Beijing
    running_festival.ends_at = timezone.datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    running_festival.save()

    assert "21 Nov – 2 Dec" in _page(client, reverse("public:index"))
    assert "11月21日–12月2日" in _page(client, reverse("public:index") + "?lang=zh-hans")


def test_the_promotion_page_says_beijing_time_never_the_zone_id(client, running_festival):
    item = live_item(running_festival)

    page = _page(client, reverse("public:promotion", args=[item.promotion_id]) + "?lang=zh-hans")

    assert "北京时间" in page and "Asia/Shanghai" not in page


def test_the_price_history_chart_has_its_data_and_a_table(client, running_festival):
    product = ProductFactory(name="龙井")
    for days, price in ((30, "120.00"), (5, "100.00")):
        PricePointFactory(product=product, price=price, recorded_at=running_festival.starts_at - timedelta(days=days))
    item = live_item(running_festival, product=product)

    response = fresh_get(client, reverse("public:promotion", args=[item.promotion_id]))
    page = response.content.decode()

    assert '<script id="price-history-data" type="application/json">' in page
    assert f'data-price-chart="{item.pk}"' in page
    chart = response.context["charts"][0]
    assert chart["prices"] == ["120.00", "100.00"] and chart["reference"] == "100.00" and chart["promo"] == "80.00"
    assert '<td class="num">¥120.00</td>' in page


# Lists -----------------------------------------------------------------------------------


def test_search_matches_chinese_text_in_title_merchant_and_item(client, running_festival):
    live_item(running_festival, title="双十一茶叶节")
    live_item(running_festival, title="Shop B", merchant=MerchantFactory(name="杭州茶厂"))
    live_item(running_festival, title="Shop C", product=ProductFactory(name="西湖龙井茶"))
    live_item(running_festival, title="Rice")
    url = reverse("public:promotions", args=[running_festival.slug])

    found = fresh_get(client, url, {"q": "茶"}).context["page_obj"].object_list

    assert sorted(p.title for p in found) == ["Shop B", "Shop C", "双十一茶叶节"]
    assert [p.title for p in fresh_get(client, url, {"q": "龙井"}).context["page_obj"].object_list] == ["Shop C"]


def test_filters_by_category_merchant_kind_promotion_kind_and_certificate(client, running_festival):
    from tests.factories import CertificateFactory

    brands = CategoryFactory(slug="brands")
    old = live_item(running_festival, title="Old brand", category=CategoryFactory(slug="brands-tea", parent=brands))
    CertificateFactory(merchant=old.promotion.merchant, kind="time_honoured", number="TH1", verified=True)
    live_item(running_festival, title="Platform", merchant=MerchantFactory(kind="comprehensive_platform"))
    url = reverse("public:promotions", args=[running_festival.slug])

    def titles(**params):
        return [p.title for p in fresh_get(client, url, params).context["page_obj"].object_list]

    assert titles(category="brands") == ["Old brand"]
    assert titles(certificate="time_honoured") == ["Old brand"]
    assert titles(merchant_kind="comprehensive_platform") == ["Platform"]
    assert titles(kind="flash_sale") == []
    assert sorted(titles(kind="nonsense", sort="nonsense")) == ["Old brand", "Platform"]


def test_an_unknown_category_is_an_empty_state_not_a_404(client, running_festival):
    live_item(running_festival)

    response = fresh_get(client, reverse("public:promotions", args=[running_festival.slug]), {"category": "nope"})

    assert response.status_code == 200
    assert "There is no category “nope”" in response.content.decode()


def test_sorting_by_discount_and_by_price(client, running_festival):
    live_item(running_festival, title="Small", real_discount_percent=Decimal("10"), promo_price=Decimal("90"))
    live_item(running_festival, title="Big", real_discount_percent=Decimal("40"), promo_price=Decimal("60"))
    live_item(running_festival, title="Mid", real_discount_percent=Decimal("20"), promo_price=Decimal("5"))
    url = reverse("public:promotions", args=[running_festival.slug])

    def titles(sort):
        return [p.title for p in fresh_get(client, url, {"sort": sort}).context["page_obj"].object_list]

    assert titles("discount") == ["Big", "Mid", "Small"]
    assert titles("price") == ["Mid", "Big", "Small"]


def test_the_list_has_24_a_page_and_a_bad_page_number_is_the_first(client, running_festival):
    for i in range(25):
        live_item(running_festival, title=f"Sale {i:02d}")
    url = reverse("public:promotions", args=[running_festival.slug])

    first = fresh_get(client, url, {"page": "abc"})
    second = fresh_get(client, url, {"page": "2"})

    assert len(first.context["page_obj"].object_list) == 24 and first.context["page_obj"].number == 1
    assert [p.title for p in second.context["page_obj"].object_list] == ["Sale 24"]


def test_the_home_page_lists_only_editions_that_have_started(client, running_festival, closed_festival):
    FestivalFactory(name="Next year", name_en="Next year", status="planned")

    page = _page(client, reverse("public:index"))

    assert "Double Product 2020" in page and "Next year" not in page


def test_before_the_festival_the_home_page_counts_down_and_previews_approved_promotions(client):
    festival = FestivalFactory(name_en="Coming festival")
    PromotionFactory(festival=festival, title="Coming soon sale", approved=True)

    page = _page(client, reverse("public:index"))

    assert "starts in 10 days" in page or "starts in 9 days" in page
    assert "Coming soon sale" in page


def test_an_ended_festival_is_marked_ended_with_a_link_to_its_results(client, closed_festival):
    page = _page(client, reverse("public:index"))

    assert "Ended" in page and reverse("public:results", args=[closed_festival.slug]) in page


def test_results_before_the_festival_closes_say_when_they_come(client, running_festival):
    page = _page(client, reverse("public:results", args=[running_festival.slug]))

    assert "Results are published when the festival closes." in page
    assert client.get(reverse("public:results_csv", args=[running_festival.slug])).status_code == 404


def test_results_downloads_are_attachments(client, closed_festival):
    live_item(closed_festival, status="ended")

    csv_response = client.get(reverse("public:results_csv", args=[closed_festival.slug]))
    json_response = client.get(reverse("public:results_json", args=[closed_festival.slug]))

    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response["Content-Disposition"] == 'attachment; filename="dp-2020-results.csv"'
    assert csv_response.content.decode().splitlines()[0] == "section,key,value"
    assert json_response.json()["honest_price_check"] == {"items_checked": 1, "items_passed": 1}


# Site furniture ----------------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_a_bad_url_is_a_friendly_404_in_the_visitors_language(client):
    english = client.get("/no-such-page/")
    chinese = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert english.status_code == 404 and "Page not found" in english.content.decode()
    assert chinese.status_code == 404
    assert 'lang="zh-hans"' in chinese.content.decode() and "Not Found" not in chinese.content.decode()


def test_the_500_page_renders_in_the_site_look(rf):
    from public.views import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500 and "Something went wrong" in response.content.decode()


def test_favicon_robots_and_hreflang(client, running_festival):
    favicon = client.get("/favicon.ico")
    robots = client.get("/robots.txt")
    page = _page(client, reverse("public:index"))

    assert favicon.status_code == 301 and favicon["Location"].endswith("favicon.ico")
    assert "Disallow: /admin/" in robots.content.decode() and robots["Content-Type"].startswith("text/plain")
    assert '<link rel="alternate" hreflang="zh-Hans" href="http://testserver/?lang=zh-hans">' in page
    assert '<link rel="alternate" hreflang="en" href="http://testserver/?lang=en">' in page


def test_language_links_keep_the_page_and_its_filters(client, running_festival, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the site's default language: x-default (the suite runs with "en")
    url = reverse("public:promotions", args=[running_festival.slug])
    page = _page(client, url + "?q=%E8%8C%B6&kind=percent_off&lang=zh-hans")
    here = f"{url}?q=%E8%8C%B6&amp;kind=percent_off&amp;lang="

    assert f'<link rel="alternate" hreflang="en" href="http://testserver{here}en">' in page
    assert f'<link rel="alternate" hreflang="x-default" href="http://testserver{here}zh-hans">' in page
    # The switch: the current language named, the other a link to this page in it.
    assert '<span aria-current="true" lang="zh-hans">简体中文</span>' in page
    assert f'<a href="{here}en" lang="en" hreflang="en">English</a>' in page
    assert page.count('hreflang="zh-Hans"') == 1  # the head's alternate; the switch's zh link is the current one


def test_lang_parameter_serves_the_page_in_that_language_and_remembers_it(client, running_festival):
    response = client.get(reverse("public:index"), {"lang": "zh-hans"})

    assert 'lang="zh-hans"' in response.content.decode()
    assert response.cookies["django_language"].value == "zh-hans"


# Caching ---------------------------------------------------------------------------------


def test_pages_are_cached_and_a_status_change_drops_them(client, running_festival, django_capture_on_commit_callbacks):
    item = live_item(running_festival, title="First sale")
    url = reverse("public:promotions", args=[running_festival.slug])

    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    live_item(running_festival, title="Second sale")
    assert "Second sale" not in client.get(url).content.decode()  # cached until an event says otherwise
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(DomainEvent.PROMOTION_LIVE, promotion_id=item.promotion_id)

    fresh = client.get(url)
    assert fresh["X-Page-Cache"] == "miss" and "Second sale" in fresh.content.decode()


@pytest.mark.parametrize("edit", ["festival name", "category name", "festival organisers", "organiser name"])
def test_an_organisers_edit_of_reference_data_drops_cached_pages_once_committed(
    client, running_festival, django_capture_on_commit_callbacks, edit
):
    from festival.models import Category, Organiser

    category = Category.objects.create(slug="tea", name="茶叶", name_en="Tea")
    organiser = Organiser.objects.create(name="测试主办方", name_en="Test Organising Office", short_name="测试")
    running_festival.organisers.add(organiser)
    url = reverse("public:index")
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # the admin's save, not yet committed
        if edit == "festival name":
            running_festival.name_en = "Renamed festival"
            running_festival.save()
        elif edit == "category name":
            category.name_en = "Fine tea"
            category.save()
        elif edit == "festival organisers":
            running_festival.organisers.remove(organiser)
        else:
            organiser.name_en = "MOFCOM"
            organiser.save()
    assert client.get(url)["X-Page-Cache"] == "hit"  # nothing dropped before the commit
    for callback in callbacks:
        callback()

    fresh = client.get(url)
    assert fresh["X-Page-Cache"] == "miss"
    shown = {"festival name": "Renamed festival", "category name": "Fine tea", "organiser name": "MOFCOM"}
    if edit in shown:
        assert shown[edit] in fresh.content.decode()
    else:
        assert "Test Organising Office" not in fresh.content.decode()


@pytest.mark.parametrize(
    "event", [DomainEvent.PARTICIPATION_APPROVED, DomainEvent.PRICES_RECORDED, DomainEvent.PROMOTION_ENDED]
)
def test_participation_changes_and_recorded_prices_drop_cached_pages(
    client, running_festival, django_capture_on_commit_callbacks, event
):
    url = reverse("public:index")
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(event)

    assert client.get(url)["X-Page-Cache"] == "miss"


@pytest.mark.parametrize(
    ("status", "dropped"), [("live", True), ("approved", True), ("ended", True), ("submitted", False), ("draft", False)]
)
def test_a_price_recorded_drops_cached_pages_only_when_a_public_promotion_sells_the_product(
    client, running_festival, django_capture_on_commit_callbacks, status, dropped
):
    from merchants.services import record_price

    item = live_item(running_festival, status=status)
    url = reverse("public:index")
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        record_price(item.product, price="77.00", recorded_at=timezone.now())

    assert client.get(url)["X-Page-Cache"] == ("miss" if dropped else "hit")


def test_a_price_for_a_product_no_promotion_sells_keeps_cached_pages(
    client, running_festival, django_capture_on_commit_callbacks
):
    from merchants.services import record_prices

    live_item(running_festival)
    url = reverse("public:index")
    client.get(url)
    unsold = ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        record_prices([(unsold, Decimal("9.90"), timezone.now())], source="api")

    assert client.get(url)["X-Page-Cache"] == "hit"


def test_etag_and_last_modified_give_304(client, running_festival):
    url = reverse("public:index")
    first = client.get(url)

    by_etag = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    other_language = client.get(url + "?lang=zh-hans", HTTP_IF_NONE_MATCH=first["ETag"])

    assert by_etag.status_code == 304 and by_date.status_code == 304
    assert other_language.status_code == 200


def test_a_change_gives_a_new_etag(client, running_festival, django_capture_on_commit_callbacks):
    url = reverse("public:index")
    first = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        publish_on_commit(DomainEvent.PROMOTION_CANCELLED, promotion_id=1)

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def test_merchant_and_festival_pages_show_the_consumer_report_counts(client, running_festival):
    import re

    from tests.factories import PriceReportFactory

    item = live_item(running_festival)
    PriceReportFactory(item=item, upheld=True)
    PriceReportFactory(item=item, dismissed=True)
    PriceReportFactory(upheld=True)  # another merchant, another festival

    merchant_page = client.get(reverse("public:merchant", args=[item.promotion.merchant_id])).content.decode()
    festival_page = client.get(reverse("public:festival", args=[running_festival.slug])).content.decode()

    upheld = re.findall(r'class="report-upheld" data-count="upheld">([^<]*)<', merchant_page)
    assert len(upheld) == 1 and re.search(r"\b1\b", upheld[0])
    assert '<dd data-count="received">2</dd>' in festival_page
    assert '<dd data-count="upheld">1</dd>' in festival_page
    assert '<dd data-count="dismissed">1</dd>' in festival_page


def test_a_list_longer_than_the_count_limit_says_more_than_and_pages_through_the_first(
    client, running_festival, monkeypatch, no_page_cache
):
    from public import selectors

    for n in range(7):
        live_item(running_festival, title=f"Sale {n}")
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 5)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    url = reverse("public:promotions", args=[running_festival.slug])

    first = client.get(url)
    last = client.get(url, {"page": 3})
    beyond = client.get(url, {"page": 4})

    assert first.context["page_obj"].paginator.count == 5 and first.context["page_obj"].paginator.num_pages == 3
    assert "More than 5 promotions" in first.content.decode()
    assert "These are the first 5" in last.content.decode() and len(last.context["page_obj"].object_list) == 1
    assert beyond.context["page_obj"].number == 3  # out of range: the last page, as before
    queries = [q["sql"] for q in _queries_of(client, url)]
    counting = [sql for sql in queries if "count(" in sql.lower() or "LIMIT 6" in sql]
    assert len(counting) == 1 and "LIMIT 6" in counting[0]  # counted (or its ids read) up to the limit only


def test_a_list_within_the_limit_is_counted_exactly(client, running_festival, no_page_cache):
    for n in range(3):
        live_item(running_festival, title=f"Sale {n}")

    page = client.get(reverse("public:promotions", args=[running_festival.slug]))

    assert page.context["page_obj"].paginator.count == 3 and "3 promotions" in page.content.decode()
    assert "More than" not in page.content.decode()


def _queries_of(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return queries.captured_queries


def test_the_merchant_directory_counts_to_the_limit_and_says_more_than(
    client, running_festival, monkeypatch, no_page_cache
):
    from public import selectors

    for n in range(7):
        ParticipationFactory(festival=running_festival, merchant__name=f"Shop {n}")
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 5)
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    url = reverse("public:merchants")

    first = client.get(url)
    last = client.get(url, {"page": 3})

    assert first.context["page_obj"].paginator.count == 5
    assert "More than 5 merchants" in first.content.decode()
    assert "These are the first 5" in last.content.decode()
    counted = [q["sql"] for q in _queries_of(client, url) if "COUNT(" in q["sql"]]
    assert len(counted) == 1 and "LIMIT 6" in counted[0]


def test_the_directory_lists_the_countries_of_public_merchants_only(client, running_festival, no_page_cache):
    from public import selectors

    for country, status in (("CN", "approved"), ("KZ", "approved"), ("KZ", "applied"), ("PK", "rejected")):
        ParticipationFactory(festival=running_festival, merchant__country=country, status=status)
    MerchantFactory(country="VN")  # in no festival

    countries = selectors.public_countries()

    expected = sorted(set(selectors.visible_merchants().values_list("country", flat=True)))
    assert countries == expected == ["CN", "KZ"]
    assert client.get(reverse("public:merchants")).context["countries"] == ["CN", "KZ"]


def test_category_counts_are_written_with_thousands_separators(client, running_festival, no_page_cache):
    from promotions.models import CategoryTally

    food = CategoryFactory(slug="food")
    CategoryTally.objects.create(festival=running_festival, category=food, status="live", listed=True, count=18955)

    page = client.get(reverse("public:festival", args=[running_festival.slug])).content.decode()
    chinese = client.get(reverse("public:festival", args=[running_festival.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "18,955 live" in page
    assert "18,955 个进行中" in chinese.content.decode()
