"""Sub-festivals on the public site: listed on their edition's page, each with its own page
and promotions; results roll up from the sub-festivals into the edition."""

import pytest

from tests.factories import FestivalFactory, OrganiserFactory
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


def _sub(edition, slug, name, organiser_name):
    return FestivalFactory(
        slug=slug,
        name=name,
        parent=edition,
        registration_opens_at=edition.registration_opens_at,
        registration_closes_at=edition.registration_closes_at,
        submission_deadline=edition.submission_deadline,
        starts_at=edition.starts_at,
        ends_at=edition.ends_at,
        status=edition.status,
        organisers=[OrganiserFactory(name=organiser_name)],
    )


def test_the_edition_lists_its_sub_festivals_and_each_has_its_own_page(client, running_festival):
    zhejiang = _sub(running_festival, "dp-2026-zj", "浙江分会场", "浙江省商务厅")
    live_item(running_festival, title="National tea")
    live_item(zhejiang, title="West Lake tea")

    edition = client.get(f"/festivals/{running_festival.slug}/").content.decode()
    sub = client.get(f"/festivals/{zhejiang.slug}/").content.decode()

    assert "浙江分会场" in edition and f"/festivals/{zhejiang.slug}/" in edition and "浙江省商务厅" in edition
    assert "West Lake tea" in sub and "National tea" not in sub
    assert f'href="/festivals/{running_festival.slug}/"' in sub  # back to its edition


def test_the_home_page_features_the_edition_not_a_sub_festival(client, running_festival):
    _sub(running_festival, "dp-2026-zj", "浙江分会场", "浙江省商务厅")

    home = client.get("/").content.decode()

    assert running_festival.name_en in home or running_festival.name in home
    assert "浙江分会场" in home  # listed among the edition's sub-festivals


def test_results_roll_up_from_the_sub_festivals_into_the_edition(client, closed_festival):
    sichuan = _sub(closed_festival, "dp-2020-sc", "四川分会场", "四川省商务厅")
    live_item(closed_festival, status="ended", title="National")
    live_item(sichuan, status="ended", title="Sichuan pepper")

    edition = client.get(f"/festivals/{closed_festival.slug}/results.json").json()
    sub = client.get(f"/festivals/{sichuan.slug}/results.json").json()

    assert sum(edition["promotions_by_kind"].values()) == 2
    assert sum(sub["promotions_by_kind"].values()) == 1
    assert edition["honest_price_check"]["items_checked"] == 2
