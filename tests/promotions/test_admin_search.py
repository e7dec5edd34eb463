"""The review admin's search: Django's rule (every word in the title or the merchant's name,
or the merchant's USCC), narrowed first by the search document on PostgreSQL
(promotions.search) — for rare and common words alike, the same promotions as the rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from promotions import admin as promotions_admin
from promotions import search
from tests.admin_support import client_for, staff_user
from tests.factories import MerchantFactory, ProductFactory, PromotionFactory, PromotionItemFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:promotions_promotion_changelist"


@pytest.fixture(params=["rare", "common"], autouse=True)
def word_kind(request, monkeypatch):
    """Both PostgreSQL paths: every word is rare (index candidates) or common (walk in order)."""
    monkeypatch.setattr(search, "COMMON_QUERY_CANDIDATES", 10_000 if request.param == "rare" else 1)
    return request.param


@pytest.fixture
def promotions():
    tea_house = MerchantFactory(name="Hangzhou 西湖 Tea House")
    found = {
        "title": PromotionFactory(submitted=True, title="Spring 龙井茶叶 week"),
        "merchant": PromotionFactory(submitted=True, title="Merchant's", merchant=tea_house),
        "item": PromotionFactory(submitted=True, title="Item's"),
        "other": PromotionFactory(submitted=True, title="Other sale"),
    }
    PromotionItemFactory(
        promotion=found["item"], product=ProductFactory(merchant=found["item"].merchant, name="有机蜂蜜")
    )
    return found


def _titles(q):
    response = client_for(staff_user("Viewer")).get(reverse(CHANGELIST), {"q": q})
    assert response.status_code == 200
    return {promotion.title for promotion in response.context["cl"].result_list}


def test_a_word_of_the_title_or_the_merchants_name_in_any_case(promotions):
    assert _titles("茶叶") == {"Spring 龙井茶叶 week"}
    assert _titles("SPRING") == {"Spring 龙井茶叶 week"}
    assert _titles("西湖") == {"Merchant's"}
    assert _titles("tea hOUSE") == {"Merchant's"}  # two words, both in the name
    assert _titles('"Tea House"') == {"Merchant's"}  # a quoted phrase


def test_an_items_name_is_not_searched_and_a_missing_word_finds_nothing(promotions):
    assert _titles("有机") == set()  # in the search document, but not in Django's rule
    assert _titles("乌龙") == set()
    assert _titles("spring 西湖") == set()  # every word must match the same promotion


def test_a_merchants_credit_code_finds_its_promotions(promotions):
    merchant = promotions["merchant"].merchant

    assert _titles(merchant.uscc) == {"Merchant's"}
    assert _titles(merchant.uscc.lower()) == {"Merchant's"}


def test_a_number_finds_the_promotion_that_holds_it_and_no_other():
    for title in ["规模促销 000123-004", "规模促销 000123-005", "规模促销 000124-004", "规模促销 100123-004"]:
        PromotionFactory(submitted=True, title=title)

    assert _titles("000123-004") == {"规模促销 000123-004"}
    assert _titles("000123") == {"规模促销 000123-004", "规模促销 000123-005"}
    assert _titles("23-00") == {"规模促销 000123-004", "规模促销 000123-005", "规模促销 100123-004"}


def test_a_rare_words_matches_are_searched_for_once_not_again_for_the_count_and_the_page(word_kind):
    for n in range(3):
        PromotionFactory(submitted=True, title=f"规模促销 00012{n}-004")
    client = client_for(staff_user("Viewer"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST), {"q": "000121-004"})

    assert [p.title for p in response.context["cl"].result_list] == ["规模促销 000121-004"]
    assert response.context["cl"].result_count == 1
    searching = [q["sql"] for q in queries if "000121-004" in q["sql"] and not q["sql"].startswith("EXPLAIN")]
    # Rare: one search, then the count and the page read the matches by id. Common (on
    # PostgreSQL) or SQLite: the count and the page each search.
    rare_on_postgresql = word_kind == "rare" and connection.vendor == "postgresql"
    assert len(searching) == (1 if rare_on_postgresql else 2), searching


def test_a_search_with_more_matches_than_are_kept_by_id_still_finds_them_all(monkeypatch):
    monkeypatch.setattr(promotions_admin, "RARE_SEARCH_MATCHES_KEPT", 1)
    for title in ["规模促销 000123-004", "规模促销 000123-005", "规模促销 000124-004"]:
        PromotionFactory(submitted=True, title=title)

    assert _titles("000123") == {"规模促销 000123-004", "规模促销 000123-005"}
    assert _titles("000124") == {"规模促销 000124-004"}
