"""The approved-participant rule for sales reports lives in the service, for every interface."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.workflow import DomainError
from merchants import services
from merchants.models import SalesReport
from tests.factories import FestivalFactory, MerchantFactory, ParticipationFactory

pytestmark = pytest.mark.django_db


def first_day(festival):
    return festival.local(festival.starts_at).date()


def test_an_approved_participant_reports_and_replaces_its_figure():
    participation = ParticipationFactory()
    merchant, festival = participation.merchant, participation.festival

    _, created = services.report_sales(merchant, festival, date=first_day(festival), gmv="100", orders=1)
    report, again = services.report_sales(merchant, festival, date=first_day(festival), gmv="150.5", orders=2)

    assert created and not again
    assert report.gmv == Decimal("150.5")
    assert SalesReport.objects.count() == 1


@pytest.mark.parametrize("participation", [None, "applied", "rejected"])
def test_only_an_approved_participant_may_report(participation):
    festival, merchant = FestivalFactory(), MerchantFactory()
    if participation:
        ParticipationFactory(merchant=merchant, festival=festival, **{participation: True})

    with pytest.raises(ValidationError) as excinfo:
        services.report_sales(merchant, festival, date=first_day(festival), gmv="100", orders=1)

    assert excinfo.value.message_dict == {
        "festival": ["Your merchant is not an approved participant of this festival."]
    }
    assert excinfo.value.error_dict["festival"][0].code == "not_participant"
    assert not SalesReport.objects.exists()


def test_participation_is_checked_before_the_figures():
    festival, merchant = FestivalFactory(), MerchantFactory()

    with pytest.raises(ValidationError):
        services.report_sales(merchant, festival, date=first_day(festival), gmv="-1", orders=1)


def test_a_participant_still_gets_the_figure_checks():
    participation = ParticipationFactory()

    with pytest.raises(DomainError) as excinfo:
        services.report_sales(
            participation.merchant, participation.festival, date=first_day(participation.festival), gmv="-1", orders=1
        )

    assert excinfo.value.code == "negative"
