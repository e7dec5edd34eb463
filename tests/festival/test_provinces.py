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
