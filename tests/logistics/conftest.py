from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import CarrierFactory, FestivalFactory


@pytest.fixture
def festival():
    """A festival of 13 days that ended a week ago: its days, the 13 days before it (the
    dashboard's baseline) and the week since can all be reported."""
    shanghai = ZoneInfo("Asia/Shanghai")
    starts_at = datetime.combine(timezone.localtime(timezone.now(), shanghai).date(), time.min, tzinfo=shanghai)
    starts_at -= timedelta(days=20)
    return FestivalFactory(
        slug="parcels-festival",
        registration_opens_at=starts_at - timedelta(days=30),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=13) - timedelta(seconds=1),
        status="closed",
    )


@pytest.fixture
def carrier():
    return CarrierFactory(code="SF", name="顺丰速运", name_en="SF Express")


@pytest.fixture
def other_carrier():
    return CarrierFactory(code="ZTO", name="中通快递", name_en="ZTO Express")


def row(day, province="330000", collected=1000, delivered=900, rural_collected=100, rural_delivered=200, **extra):
    return {
        "date": day.isoformat() if hasattr(day, "isoformat") else day,
        "province": province,
        "collected": collected,
        "delivered": delivered,
        "rural_collected": rural_collected,
        "rural_delivered": rural_delivered,
        **extra,
    }


def first_day(festival):
    return festival.local(festival.starts_at).date()
