import pytest

from festival.models import Province

pytestmark = pytest.mark.django_db


def test_the_migration_loads_every_provincial_level_division():
    codes = list(Province.objects.values_list("code", flat=True))

    assert len(codes) == 34  # 31 on the mainland, Taiwan, Hong Kong, Macao
    assert codes[0] == "110000" and codes[-1] == "820000"
    assert Province.objects.get(code="330000").name == "浙江省"
    assert Province.objects.get(code="650000").name_en == "Xinjiang"
    assert all(len(code) == 6 and code.endswith("0000") for code in codes)


def test_a_flush_puts_the_reference_table_back():
    """Transactional tests flush the database after each test, and flush then sends
    post_migrate, as migrate does: the divisions must be there for the next test."""
    from django.core.management.sql import emit_post_migrate_signal

    Province.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert Province.objects.count() == 34
    assert Province.objects.get(code="330000").name == "浙江省"
