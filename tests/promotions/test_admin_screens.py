"""The organisers' admin as a reviewer works through it: counts on the index, save and
review next, the plumbing grouped for superusers, and logging out to the admin login."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from festival.roles import REVIEWER
from promotions.models import PromotionStatus
from tests.admin_support import client_for, staff_user
from tests.factories import ParticipationFactory, PromotionFactory, SuperuserFactory

pytestmark = pytest.mark.django_db


def _app_labels(response):
    return [app["app_label"] for app in response.context["app_list"]]


def test_the_index_counts_the_waiting_promotions():
    for _ in range(3):
        PromotionFactory(submitted=True)
    PromotionFactory(approved=True)
    response = client_for(staff_user(REVIEWER)).get(reverse("admin:index"))
    assert response.context["queue_counts"]["promotion"] == 3
    assert '<span class="queue-count">3</span>' in response.content.decode()


def test_the_index_shows_a_long_queue_as_more_than_its_limit_without_counting_it_all(monkeypatch):
    from festival.admin_site import FestivalAdminSite

    monkeypatch.setattr(FestivalAdminSite, "QUEUE_COUNT_LIMIT", 2)
    for _ in range(3):
        ParticipationFactory(applied=True)
    client = client_for(SuperuserFactory())

    response = client.get(reverse("admin:index"))

    assert response.context["queue_counts"]["participation"] == "2+"
    assert '<span class="queue-count">2+</span>' in response.content.decode()
    monkeypatch.setattr(FestivalAdminSite, "QUEUE_COUNT_LIMIT", 3)
    assert client.get(reverse("admin:index")).context["queue_counts"]["participation"] == 3


def test_plumbing_is_one_system_section_for_superusers_only():
    superuser = client_for(SuperuserFactory()).get(reverse("admin:index"))
    labels = _app_labels(superuser)
    assert "django_celery_beat" not in labels
    assert labels[-1] == "system_settings"
    system = superuser.context["app_list"][-1]
    assert {model["object_name"] for model in system["models"]} >= {"PeriodicTask", "CrontabSchedule"}
    # One API-keys entry: the key library's own model is not registered.
    api_key_entries = [
        model["object_name"]
        for app in superuser.context["app_list"]
        for model in app["models"]
        if "key" in model["object_name"].lower()
    ]
    assert api_key_entries == ["ApiKey"]

    reviewer = client_for(staff_user(REVIEWER, is_superuser=False)).get(reverse("admin:index"))
    assert "system_settings" not in _app_labels(reviewer)
    assert "django_celery_beat" not in _app_labels(reviewer)


def test_save_and_review_next_goes_to_the_next_submitted_promotion_in_queue_order():
    now = timezone.now()
    first = PromotionFactory(submitted=True, submitted_at=now - timedelta(days=3))
    PromotionFactory(submitted=True, submitted_at=now - timedelta(days=1))  # third in the queue
    second = PromotionFactory(submitted=True, submitted_at=now - timedelta(days=2))
    client = client_for(staff_user(REVIEWER))

    decide = reverse("admin:promotions_promotion_decide", args=[first.pk, "approve"])
    page = client.get(decide)
    assert 'name="_review_next"' in page.content.decode()
    response = client.post(decide, {"note": "", "_review_next": "1"})

    first.refresh_from_db()
    assert first.status == PromotionStatus.APPROVED
    assert response.status_code == 302
    assert response.url == reverse("admin:promotions_promotion_change", args=[second.pk])


def test_an_empty_queue_after_the_last_decision_lands_on_the_changelist():
    only = PromotionFactory(submitted=True)
    client = client_for(staff_user(REVIEWER))
    response = client.post(
        reverse("admin:promotions_promotion_decide", args=[only.pk, "approve"]), {"_review_next": "1"}
    )
    assert response.url == reverse("admin:promotions_promotion_changelist")


def test_admin_logout_lands_on_the_admin_login():
    client = client_for(staff_user(REVIEWER))
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 302
    assert response.url == reverse("admin:login")


def test_the_chinese_dashboard_groups_money_by_thousands():
    from decimal import Decimal

    from festival.roles import VIEWER
    from tests.factories import FestivalFactory, MerchantFactory, SalesReportFactory

    festival = FestivalFactory()
    SalesReportFactory(
        merchant=MerchantFactory(),
        festival=festival,
        date=festival.local(festival.starts_at).date(),
        gmv=Decimal("84504911.37"),
        orders=12345,
    )
    client = client_for(staff_user(VIEWER))
    response = client.get(
        reverse("admin:promotions_dashboard_festival", args=[festival.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert "¥84,504,911.37" in page
    assert "12,345" in page
