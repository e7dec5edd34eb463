"""The public promotions search (?q=): a case-insensitive substring of the title, the
merchant's name or a shown item's product name, on SQLite (icontains) and PostgreSQL
(search document + bigram index, then the same exact rules), for rare and common words."""

from decimal import Decimal

import pytest

from merchants.services import save_product
from promotions import search
from promotions.models import CheckStatus, PromotionStatus
from promotions.services import update_promotion
from public import selectors
from tests.factories import MerchantFactory, ProductFactory
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["rare", "common"], autouse=True)
def word_kind(request, monkeypatch):
    """Both PostgreSQL paths: every query is rare (index candidates) or common (walk by start)."""
    monkeypatch.setattr(search, "COMMON_QUERY_CANDIDATES", 10_000 if request.param == "rare" else 1)
    return request.param


def _found(festival, q):
    return {p.title for p in selectors.search_promotions(festival, selectors.PromotionFilters(q=q))}


def test_matches_title_merchant_and_item_names_case_insensitively(running_festival):
    live_item(running_festival, title="Spring 龙井茶叶 week")
    live_item(running_festival, title="Merchant's", merchant=MerchantFactory(name="Hangzhou 西湖 Tea House"))
    live_item(running_festival, title="Item's", product=ProductFactory(name="Organic 有机 HONEY jar"))
    live_item(running_festival, title="Other")

    assert _found(running_festival, "茶叶") == {"Spring 龙井茶叶 week"}
    assert _found(running_festival, "spring") == {"Spring 龙井茶叶 week"}
    assert _found(running_festival, "西湖") == {"Merchant's"}
    assert _found(running_festival, "tea hOUSE") == {"Merchant's"}
    assert _found(running_festival, "有机") == {"Item's"}
    assert _found(running_festival, "honey") == {"Item's"}
    assert _found(running_festival, "机") == {"Item's"}
    assert _found(running_festival, "有机 HONEY JAR") == {"Item's"}
    assert _found(running_festival, "没有这个") == set()


def test_pairs_of_the_query_scattered_in_the_text_do_not_match(running_festival):
    live_item(running_festival, title="茶叶 and 叶茶")  # holds 茶叶 and 叶茶, not 茶叶茶

    assert _found(running_festival, "茶叶茶") == set()
    assert _found(running_festival, "叶茶") == {"茶叶 and 叶茶"}


def test_a_failed_items_name_never_matches(running_festival):
    live_item(
        running_festival, title="Failed one", product=ProductFactory(name="假折扣茶叶"), check_status=CheckStatus.FAIL
    )

    assert _found(running_festival, "假折扣") == set()


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested", "withdrawn", "cancelled"])
def test_a_non_public_promotion_never_matches(running_festival, status):
    live_item(running_festival, title="隐藏茶叶", status=status)

    assert _found(running_festival, "茶叶") == set()


def test_a_renamed_product_is_found_by_its_new_name_only(running_festival):
    item = live_item(running_festival, title="Renamed", product=ProductFactory(name="旧名字"))
    item.product.name = "新名字红茶"
    save_product(item.product)

    assert _found(running_festival, "红茶") == {"Renamed"}
    assert _found(running_festival, "旧名") == set()


def test_a_renamed_merchant_is_found_by_its_new_name(running_festival):
    merchant = MerchantFactory(name="Old name")
    live_item(running_festival, title="Their sale", merchant=merchant)
    merchant.name = "山里人家"
    merchant.save(update_fields=["name"])

    assert _found(running_festival, "人家") == {"Their sale"}
    assert _found(running_festival, "old") == set()


def test_replaced_items_and_a_new_title_are_found(running_festival):
    item = live_item(running_festival, title="Before", status="draft")
    promotion = item.promotion
    update_promotion(
        promotion,
        title="After 之后",
        items=[
            {"product": ProductFactory(merchant=promotion.merchant, name="新品蜂蜜"), "promo_price": Decimal("50.00")}
        ],
    )
    type(promotion).objects.filter(pk=promotion.pk).update(status=PromotionStatus.LIVE)
    promotion.items.update(check_status=CheckStatus.PASS)

    assert _found(running_festival, "蜂蜜") == {"After 之后"}
    assert _found(running_festival, "之后") == {"After 之后"}
    assert _found(running_festival, "before") == set()
