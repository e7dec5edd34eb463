"""The data the migrations write survives the flush that ends a transactional test
(tests/conftest.py puts it back), so no test depends on the order xdist's workers run modules in."""

import pytest
from django_celery_beat.models import PeriodicTask

from festival.models import Province


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", ["first", "after a flush"])
def test_the_schedule_and_the_provinces_are_there_in_every_transactional_test(run):
    assert PeriodicTask.objects.filter(task="reports.send_association_digest").exists()
    assert PeriodicTask.objects.filter(task="festival.sync_festival_clock").exists()
    assert Province.objects.count() >= 31

    PeriodicTask.objects.all().delete()  # as the worker tests do; the flush after the test empties the rest
