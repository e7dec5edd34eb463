"""The approved-participant rule for sales reports, as the API answers it."""

import pytest

from merchants.models import SalesReport
from tests.factories import FestivalFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Your merchant is not an approved participant of this festival."


def test_sales_report_refusal_body_for_a_festival_without_participation(client_a):
    other = FestivalFactory()
    body = {"festival": other.slug, "date": other.local(other.starts_at).date().isoformat(), "gmv": "1", "orders": 1}

    response = client_a.post("/api/v1/sales-reports/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE, "code": "invalid", "errors": {"festival": [MESSAGE]}}
    assert not SalesReport.objects.exists()


def test_sales_report_refusal_comes_before_the_window_check(client_a):
    """A non-participant hears about participation, not about the day (as before the rule moved)."""
    other = FestivalFactory()
    body = {"festival": other.slug, "date": "2001-01-01", "gmv": "1", "orders": 1}

    response = client_a.post("/api/v1/sales-reports/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE, "code": "invalid", "errors": {"festival": [MESSAGE]}}
