"""Registering merchants one by one in the admin: USCC checks, duplicates, overrides, filters, inlines."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from festival.roles import ORGANISER_ADMIN
from merchants.models import CertificateStatus, Merchant, ParticipationStatus
from merchants.uscc import make_uscc
from tests.admin_support import client_for, staff_user
from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    MembershipFactory,
    MerchantFactory,
    ParticipationFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

VALID = make_uscc("91110108MA01ABCD1")
WRONG_CHECK = VALID[:17] + ("0" if VALID[17] != "0" else "1")
ADD = reverse("admin:merchants_merchant_add")


def _form(**overrides):
    return {
        "name": "全聚德",
        "legal_name": "中国全聚德（集团）股份有限公司",
        "uscc": VALID,
        "kind": "catering",
        "country": "CN",
        "website": "",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "uscc_override_reason": "",
        **{f"{prefix}-{key}": value for prefix in _INLINES for key, value in _EMPTY_INLINE.items()},
        **overrides,
    }


_INLINES = ("memberships", "participations", "certificates", "products")
_EMPTY_INLINE = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


@pytest.fixture
def organiser():
    return staff_user(ORGANISER_ADMIN)


def test_register_a_merchant_with_a_valid_uscc(organiser):
    response = client_for(organiser).post(ADD, _form(uscc=f" {VALID.lower()} "))

    assert response.status_code == 302
    merchant = Merchant.objects.get()
    assert merchant.uscc == VALID
    assert not merchant.uscc_overridden


def test_duplicate_uscc_is_refused_with_a_clear_message(organiser):
    MerchantFactory(uscc=VALID)

    response = client_for(organiser).post(ADD, _form())

    assert response.status_code == 200
    assert "A merchant with this Unified Social Credit Code is already registered." in response.content.decode()
    assert Merchant.objects.count() == 1


def test_uscc_with_a_wrong_check_character_is_refused_without_a_reason(organiser):
    response = client_for(organiser).post(ADD, _form(uscc=WRONG_CHECK))

    assert response.status_code == 200
    assert "The check character of this Unified Social Credit Code is wrong" in response.content.decode()
    assert not Merchant.objects.exists()


def test_override_with_a_reason_is_recorded_and_shown(organiser):
    client = client_for(organiser)

    client.post(ADD, _form(uscc=WRONG_CHECK, uscc_override_reason="Pilot-region code issued in 2015."))
    merchant = Merchant.objects.get()
    change_page = client.get(reverse("admin:merchants_merchant_change", args=[merchant.pk])).content.decode()
    list_page = client.get(reverse("admin:merchants_merchant_changelist")).content.decode()

    assert merchant.uscc == WRONG_CHECK
    assert merchant.uscc_override_by == organiser
    assert merchant.uscc_override_at is not None
    assert "Pilot-region code issued in 2015." in change_page
    assert "check overridden" in change_page and "check overridden" in list_page


def test_override_field_is_offered_only_with_the_override_permission():
    staff = staff_user(ORGANISER_ADMIN)
    staff.team_memberships.all().delete()  # no role: only the permissions given here
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_merchant", "view_merchant"]))
    client = client_for(staff)

    form_page = client.get(ADD).content.decode()
    response = client.post(ADD, _form(uscc=WRONG_CHECK, uscc_override_reason="I say so."))

    assert 'name="uscc_override_reason"' not in form_page
    assert response.status_code == 200
    assert "The check character of this Unified Social Credit Code is wrong" in response.content.decode()
    assert not Merchant.objects.exists()


def test_search_by_name_and_uscc(organiser):
    wanted = MerchantFactory(name="Daoxiangcun")
    other = MerchantFactory(name="Another shop")
    client = client_for(organiser)

    by_name = client.get(reverse("admin:merchants_merchant_changelist"), {"q": "daoxiang"}).context["cl"].result_list
    by_uscc = client.get(reverse("admin:merchants_merchant_changelist"), {"q": other.uscc}).context["cl"].result_list

    assert list(by_name) == [wanted]
    assert list(by_uscc) == [other]


@pytest.mark.parametrize(
    ("parameter", "matching"),
    [
        ("kind", "catering"),
        ("country", "TH"),
        ("participation_status", ParticipationStatus.REJECTED),
        ("certificate_status", CertificateStatus.VERIFIED),
        ("certificate_status", "expired"),
        ("category", None),
    ],
)
def test_filters(organiser, parameter, matching):
    category = CategoryFactory()
    wanted = MerchantFactory(kind="catering", country="TH", uscc=None)
    ParticipationFactory(merchant=wanted, rejected=True).categories.set([category])
    CertificateFactory(merchant=wanted, verified=True, valid_from="2019-01-01", valid_until="2020-01-01")
    other = MerchantFactory()
    ParticipationFactory(merchant=other).categories.set([CategoryFactory()])
    CertificateFactory(merchant=other)
    value = category.pk if parameter == "category" else matching

    listed = client_for(organiser).get(reverse("admin:merchants_merchant_changelist"), {parameter: value})

    assert list(listed.context["cl"].result_list) == [wanted]


def test_change_page_shows_people_participations_certificates_and_products(organiser):
    merchant = MerchantFactory()
    membership = MembershipFactory(merchant=merchant)
    ParticipationFactory(merchant=merchant, festival__name="Spring edition")
    CertificateFactory(merchant=merchant, number="GF123456789012")
    ProductFactory(merchant=merchant, sku="TEA-001")

    html = client_for(organiser).get(reverse("admin:merchants_merchant_change", args=[merchant.pk])).content.decode()

    for text in (membership.user.username, "Spring edition", "GF123456789012", "TEA-001", "Invite staff"):
        assert text in html


def test_participations_filter_by_claimed_category(organiser):
    category = CategoryFactory()
    wanted = ParticipationFactory()
    wanted.categories.set([category])
    ParticipationFactory().categories.set([CategoryFactory()])

    listed = client_for(organiser).get(reverse("admin:merchants_participation_changelist"), {"category": category.pk})

    assert list(listed.context["cl"].result_list) == [wanted]
