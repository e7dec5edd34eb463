"""Parts of the public pages made once per process (public/templatetags/public_site.py:
the site's navigation and the filter form's options of the enums; public/cards.py: the
cards' links). Each must still follow what it is made of: the language, the festival and
its phase, the choice made, the script prefix."""

import re

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.translation import gettext as _

from merchants.models import MerchantKind
from tests.public.conftest import fresh_get, live_item

pytestmark = pytest.mark.django_db


def _nav(response) -> str:
    assert response.status_code == 200
    return re.search(r'<nav class="site-nav".*?</nav>', response.content.decode(), re.S).group(0)


def _links(nav: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', nav)


def test_the_site_nav_links_the_festival_of_the_page_and_its_results_once_ended(
    client, running_festival, closed_festival
):
    running = _nav(fresh_get(client, reverse("public:promotions", args=[running_festival.slug])))
    closed = _nav(fresh_get(client, reverse("public:promotions", args=[closed_festival.slug])))
    home = _nav(fresh_get(client, reverse("public:index")))

    assert _links(running) == [
        reverse("public:index"),
        reverse("public:promotions", args=[running_festival.slug]),
        reverse("public:merchants"),
    ]
    assert _links(closed) == [
        reverse("public:index"),
        reverse("public:promotions", args=[closed_festival.slug]),
        reverse("public:merchants"),
        reverse("public:results", args=[closed_festival.slug]),
    ]
    assert reverse("public:index") in _links(home)


def test_the_site_nav_speaks_the_visitors_language(client, running_festival):
    url = reverse("public:promotions", args=[running_festival.slug])

    chinese = _nav(fresh_get(client, url, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _nav(fresh_get(client, url, HTTP_ACCEPT_LANGUAGE="en"))

    with translation.override("zh-hans"):
        words = [_("Home"), _("Promotions"), _("Merchants")]
    assert all(word in chinese for word in words) and "Merchants" not in chinese
    assert all(word in english for word in ("Home", "Promotions", "Merchants"))


def test_the_site_nav_follows_the_script_prefix(client, running_festival):
    """A site served under a path (SCRIPT_NAME, which the WSGI handler makes the prefix;
    the test client does not, so it is set here) links under it."""
    url = reverse("public:promotions", args=[running_festival.slug])

    at_root = _nav(fresh_get(client, url))
    set_script_prefix("/festival/")
    try:
        under_a_path = _nav(fresh_get(client, url))
    finally:
        set_script_prefix("/")

    assert _links(at_root)[0] == "/"
    assert _links(under_a_path) == ["/festival" + link for link in _links(at_root)]


def test_card_links_follow_the_script_prefix(client, running_festival):
    """The cards' links are reversed once per script prefix and URLconf (public.cards.url_for_pk)."""
    item = live_item(running_festival, title="Sale")
    url = reverse("public:promotions", args=[running_festival.slug])
    links = [
        reverse("public:promotion", args=[item.promotion_id]),
        reverse("public:merchant", args=[item.promotion.merchant_id]),
    ]

    at_root = fresh_get(client, url).content.decode()
    set_script_prefix("/festival/")
    try:
        under_a_path = fresh_get(client, url).content.decode()
    finally:
        set_script_prefix("/")

    assert all(f'href="{link}"' in at_root for link in links)
    assert all(f'href="/festival{link}"' in under_a_path and f'href="{link}"' not in under_a_path for link in links)


def _options(response, name) -> list[tuple[str, bool, str]]:
    assert response.status_code == 200
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', response.content.decode(), re.S).group(1)
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?[^>]*>([^<]*)</option>', select)
    ]


def test_the_filter_forms_enum_options_follow_the_language_and_the_choice(client, running_festival):
    url = reverse("public:promotions", args=[running_festival.slug])
    kind = MerchantKind.values[1]

    plain = _options(fresh_get(client, url, HTTP_ACCEPT_LANGUAGE="en"), "merchant_kind")
    chosen = _options(fresh_get(client, url, {"merchant_kind": kind}, HTTP_ACCEPT_LANGUAGE="en"), "merchant_kind")
    chinese = _options(fresh_get(client, url, {"merchant_kind": kind}, HTTP_ACCEPT_LANGUAGE="zh-hans"), "merchant_kind")

    with translation.override("en"):
        english_labels = [str(label) for label in MerchantKind.labels]
    with translation.override("zh-hans"):
        chinese_labels = [str(label) for label in MerchantKind.labels]
    assert plain == [
        ("", False, "All"),
        *[(v, False, label) for v, label in zip(MerchantKind.values, english_labels, strict=True)],
    ]
    assert [(v, s) for v, s, _label in chosen] == [("", False), *[(v, v == kind) for v in MerchantKind.values]]
    assert [label for _v, _s, label in chinese][1:] == chinese_labels != english_labels
