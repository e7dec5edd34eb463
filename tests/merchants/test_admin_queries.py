"""The change lists make a bounded number of queries, whatever the number of merchants (109 in the demo)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from festival.roles import ORGANISER_ADMIN
from tests.admin_support import client_for, populate_festival, staff_user
from tests.factories import FestivalFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    ("admin:merchants_merchant_changelist", {}),
    ("admin:merchants_merchant_changelist", {"participation_status": "approved", "q": "Merchant"}),
    ("admin:merchants_participation_changelist", {}),
    ("admin:merchants_certificate_changelist", {"status__exact": "pending"}),
    ("admin:promotions_promotion_changelist", {}),
    ("admin:promotions_promotion_changelist", {"status__exact": "submitted", "check": "pass"}),
]


@pytest.mark.parametrize(("url_name", "params"), CHANGELISTS)
def test_changelist_queries_do_not_grow_with_the_merchants(url_name, params, django_assert_max_num_queries):
    festival = FestivalFactory()
    client = client_for(staff_user(ORGANISER_ADMIN))
    url = reverse(url_name)
    populate_festival(festival, 3)
    client.get(url, params)  # warm the per-process caches (content types)

    with CaptureQueriesContext(connection) as few:
        small = client.get(url, params)
    populate_festival(festival, 106, start=3)  # the demo's 109 merchants
    with django_assert_max_num_queries(len(few)):
        large = client.get(url, params)

    assert small.status_code == large.status_code == 200
    assert large.context["cl"].result_count > small.context["cl"].result_count
    assert len(few) <= 20, [q["sql"][:120] for q in few.captured_queries]
