"""POST/GET /api/v1/parcels/: carriers report with a carrier-bound key holding parcels:write;
merchant keys cannot; carrier keys see nothing of merchants or promotions; anyone reads
totals, never per carrier. Bodies are compared, not only status codes."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from api.models import ApiKey
from festival.models import Province
from logistics.models import ParcelReport, ParcelReportVersion
from tests.factories import CarrierFactory, FestivalFactory, PromotionFactory

from .conftest import key_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/parcels/"


@pytest.fixture
def closed_festival():
    starts_at = timezone.now() - timedelta(days=20)
    return FestivalFactory(
        slug="closed-2026",
        registration_opens_at=starts_at - timedelta(days=30),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=13) - timedelta(seconds=1),
        status="closed",
    )


@pytest.fixture
def day(closed_festival):
    return closed_festival.local(closed_festival.starts_at).date()


@pytest.fixture
def sf():
    return CarrierFactory(code="SF", name="顺丰速运")


@pytest.fixture
def zto():
    return CarrierFactory(code="ZTO", name="中通快递")


@pytest.fixture
def sf_client(make_key, sf):
    from api.services import create_api_key

    return key_client(create_api_key(name="SF systems", scopes=["parcels:write", "read"], carrier=sf)[1])


@pytest.fixture
def zto_client(make_key, zto):
    from api.services import create_api_key

    return key_client(create_api_key(name="ZTO systems", scopes=["parcels:write"], carrier=zto)[1])


def _row(day, province="330000", **counts):
    return {
        "date": day.isoformat(),
        "province": province,
        "collected": 120000,
        "delivered": 118000,
        "rural_collected": 21000,
        "rural_delivered": 20500,
        **counts,
    }


def _post(client, rows):
    return client.post(URL, {"reports": rows}, format="json")


def test_a_carrier_reports_a_day_for_every_province_in_one_call(sf_client, day):
    rows = [_row(day, code) for code in Province.objects.values_list("code", flat=True)]

    response = _post(sf_client, rows)

    assert response.status_code == 200
    assert response.json() == {"stored": 34, "created": 34, "replaced": 0, "unchanged": 0}
    assert ParcelReport.objects.filter(carrier__code="SF", date=day).count() == 34
    assert ParcelReport.objects.first().reporter.startswith("api-key:")


def test_refused_rows_come_back_with_index_field_and_message_and_nothing_is_stored(sf_client, day):
    rows = [
        _row(day),
        _row(day, "110000", collected=-1),
        _row(day, "999999"),
        _row(day, "120000", delivered=1.5),
        _row(day, "130000", rural_delivered=200000),
        _row(day - timedelta(days=60), "140000"),
        _row(day),
    ]

    response = _post(sf_client, rows)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows" and body["stored"] == 0
    assert body["detail"] == "6 rows were refused; nothing was stored."
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "collected"),
        (2, "province"),
        (3, "delivered"),
        (4, "rural_delivered"),
        (5, "date"),
        (6, "date"),
    ]
    messages = {e["index"]: e["message"] for e in body["errors"]}
    assert messages[1] == "Cannot be negative."
    assert messages[2] == "“999999” is not a province code (GB/T 2260, e.g. 330000 for Zhejiang)."
    assert messages[4] == "rural_delivered (200000) cannot be more than delivered (118000)."
    assert "outside every festival's reporting window" in messages[5]
    assert messages[6].startswith("Row 0 already reports 330000")
    assert not ParcelReport.objects.exists()


@pytest.mark.parametrize("body", [{"rows": []}, [1, 2], {"reports": "x"}])
def test_a_body_without_a_list_of_reports_is_refused(sf_client, body):
    response = sf_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Send {"reports": [...]}: a list of rows.',
        "code": "invalid_body",
        "stored": 0,
    }


def test_a_new_report_replaces_the_old_and_keeps_it(sf_client, day):
    _post(sf_client, [_row(day)])

    response = _post(sf_client, [_row(day, collected=130000)])

    assert response.json() == {"stored": 1, "created": 0, "replaced": 1, "unchanged": 0}
    assert ParcelReport.objects.get().collected == 130000
    assert ParcelReportVersion.objects.get().collected == 120000


def test_a_merchant_key_cannot_report_parcels(make_key, merchant_a, day):
    merchant_client = key_client(make_key(merchant=merchant_a)[1])  # every scope, parcels:write too

    response = _post(merchant_client, [_row(day)])

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Reporting parcels needs an API key bound to a carrier.",
        "code": "permission_denied",
    }
    assert not ParcelReport.objects.exists()


def test_an_unbound_key_and_a_carrier_key_without_the_scope_cannot_report(make_key, sf, day):
    from api.services import create_api_key

    unbound = key_client(make_key(scopes=["read", "parcels:write"])[1])
    read_only = key_client(create_api_key(name="SF read", scopes=["read"], carrier=sf)[1])

    assert _post(unbound, [_row(day)]).json()["detail"] == "Reporting parcels needs an API key bound to a carrier."
    response = _post(read_only, [_row(day)])
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key lacks the scope for this call (needs parcels:write)."
    assert _post(key_client(), [_row(day)]).status_code == 401
    assert not ParcelReport.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/promotions/"),
        ("post", "/api/v1/promotions/"),
        ("get", "/api/v1/merchants/"),
        ("get", "/api/v1/products/"),
        ("get", "/api/v1/sales-reports/"),
        ("get", "/api/v1/reports/"),
        ("get", "/api/v1/webhooks/"),
        ("get", "/api/v1/categories/"),
        ("post", "/api/v1/prices/"),
    ],
)
def test_a_carrier_key_sees_nothing_of_merchants_or_promotions(sf_client, merchant_a, festival, method, path):
    PromotionFactory(merchant=merchant_a, festival=festival, approved=True)

    response = getattr(sf_client, method)(path, {}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "A carrier's API key reports parcels only; it has no access to this.",
        "code": "permission_denied",
    }
    assert "Alpha" not in response.content.decode()


def test_a_carrier_key_reads_the_festivals_it_reports_for(sf_client, closed_festival):
    response = sf_client.get(f"/api/v1/festivals/{closed_festival.slug}/")

    assert response.status_code == 200
    assert response.json()["slug"] == closed_festival.slug


def test_anyone_reads_totals_per_day_and_province_never_per_carrier(sf_client, zto_client, day, closed_festival):
    _post(sf_client, [_row(day), _row(day, "110000", collected=50000, rural_collected=5000)])
    _post(zto_client, [_row(day, collected=80000, delivered=70000, rural_collected=8000, rural_delivered=7000)])

    response = key_client().get(URL, {"festival": closed_festival.slug})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"national", "provinces"}  # no "own" rows for anonymous callers
    assert body["national"] == [
        {
            "date": day.isoformat(),
            "collected": 250000,
            "delivered": 306000,
            "rural_collected": 34000,
            "rural_delivered": 48000,
            "rural_share": "14.7",
            "carriers_reporting": 2,
        }
    ]
    assert [(p["province"], p["collected"], p["carriers_reporting"]) for p in body["provinces"]] == [
        ("110000", 50000, 1),
        ("330000", 200000, 2),
    ]
    assert "SF" not in response.content.decode() and "ZTO" not in response.content.decode()


def test_a_carrier_key_also_sees_its_own_rows_and_only_its_own(sf_client, zto_client, day):
    _post(sf_client, [_row(day)])
    _post(zto_client, [_row(day, collected=80000)])

    own = sf_client.get(URL, {"date": day.isoformat(), "province": "330000"}).json()["own"]

    assert len(own) == 1
    assert own[0]["collected"] == 120000 and own[0]["province"] == "330000"


def test_totals_need_a_festival_or_a_date(sf_client):
    response = key_client().get(URL)

    assert response.status_code == 400
    assert response.json()["detail"] == "Filter by festival or by date."
    assert key_client().get(URL, {"festival": "no-such"}).status_code == 400


def test_create_api_key_binds_a_carrier_and_prints_the_key_last(sf, day):
    out = StringIO()

    call_command("create_api_key", "--name", "SF systems", "--carrier", "sf", "--scopes", "parcels:write", stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert "carrier SF" in lines[0]
    api_key = ApiKey.objects.get()
    assert api_key.carrier == sf and api_key.scopes == ["parcels:write"]
    response = _post(key_client(lines[-1]), [_row(day)])
    assert response.status_code == 200


def test_create_api_key_refuses_an_unknown_carrier_and_merchant_scopes_for_a_carrier(sf):
    with pytest.raises(CommandError, match="No carrier has the code XX"):
        call_command("create_api_key", "--name", "x", "--carrier", "XX", stdout=StringIO())
    with pytest.raises(CommandError, match="A carrier's key holds only these scopes"):
        call_command(
            "create_api_key", "--name", "x", "--carrier", "SF", "--scopes", "promotions:write", stdout=StringIO()
        )
    assert not ApiKey.objects.exists()


def test_a_key_cannot_be_bound_to_a_merchant_and_a_carrier(merchant_a, sf):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from api.services import create_api_key

    with pytest.raises(ValidationError, match="one merchant, one carrier or one organiser, not more"):
        create_api_key(name="both", scopes=["read"], merchant=merchant_a, carrier=sf)
    key = ApiKey(name="both", merchant=merchant_a, carrier=sf, scopes=["read"])
    ApiKey.objects.assign_key(key)
    with pytest.raises(IntegrityError), transaction.atomic():
        key.save()


def test_the_schema_and_the_docs_cover_the_endpoint(anon_client):
    schema = json.loads(anon_client.get("/api/v1/schema/?format=json").content)

    operations = schema["paths"]["/api/v1/parcels/"]
    assert set(operations) >= {"get", "post"}
    request = operations["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request.endswith("ParcelBatchRequest")
    assert "errors" in json.dumps(operations["post"]["responses"]["400"])
    from pathlib import Path

    from django.conf import settings

    guide = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    assert "POST /api/v1/parcels/" in guide and "--carrier" in guide and "parcels:write" in guide


def test_the_festival_results_carry_parcels_next_to_sales(sf_client, day, closed_festival):
    _post(sf_client, [_row(day), _row(day + timedelta(days=1))])

    body = key_client().get(f"/api/v1/festivals/{closed_festival.slug}/results/").json()

    assert body["parcels"]["source"] == "parcel_reports"
    assert [d["date"] for d in body["parcels"]["by_day"]] == [day.isoformat(), (day + timedelta(days=1)).isoformat()]
    assert body["parcels"]["total"]["collected"] == 240000
    assert body["parcels"]["total"]["rural_share"] == "17.4"
    assert "sales" in body


def test_organisers_create_a_carrier_key_in_the_admin_and_merchants_are_not_offered_the_scope(sf, merchant_a):
    from festival.roles import ORGANISER_ADMIN
    from tests.admin_support import client_for, staff_user
    from tests.factories import MembershipFactory

    organiser = client_for(staff_user(ORGANISER_ADMIN))
    refused = organiser.post(
        "/admin/api/apikey/add/", {"name": "SF", "carrier": sf.pk, "scopes": ["parcels:write", "promotions:write"]}
    )
    response = organiser.post("/admin/api/apikey/add/", {"name": "SF", "carrier": sf.pk, "scopes": ["parcels:write"]})

    assert "A carrier&#x27;s key holds only these scopes" in refused.content.decode()
    assert response.status_code == 302
    assert ApiKey.objects.get().carrier == sf
    owner = MembershipFactory(merchant=merchant_a, role="owner").user
    portal = client_for(owner).get("/merchant/api-keys/new/")
    assert "promotions:write" in portal.content.decode() and "parcels:write" not in portal.content.decode()


def test_reading_totals_costs_the_same_queries_for_few_and_many_reports(sf_client, day, closed_festival):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _post(sf_client, [_row(day)])
    sf_client.get(URL, {"festival": closed_festival.slug})
    with CaptureQueriesContext(connection) as few:
        sf_client.get(URL, {"festival": closed_festival.slug})
    codes = list(Province.objects.values_list("code", flat=True))
    _post(sf_client, [_row(day + timedelta(days=n), code) for n in range(5) for code in codes])

    with CaptureQueriesContext(connection) as many:
        response = sf_client.get(URL, {"festival": closed_festival.slug})

    assert len(response.json()["own"]) == 5 * 34
    assert len(many) == len(few)


def test_a_big_call_is_a_handful_of_queries_not_one_per_row(sf_client, closed_festival):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from logistics.periods import reporting_period

    codes = list(Province.objects.values_list("code", flat=True))
    days = reporting_period(closed_festival).days[:40]  # days that have begun
    rows = [_row(d, code) for d in days for code in codes]
    _post(sf_client, rows[:700])  # half of them replaced below, with their versions written

    with CaptureQueriesContext(connection) as queries:
        response = _post(sf_client, [{**row, "collected": 130000} for row in rows])

    assert response.json() == {"stored": 1360, "created": 660, "replaced": 700, "unchanged": 0}
    writes = [q for q in queries if re.match(r'\s*INSERT INTO "?logistics_parcelreport(version)?"? \(', q["sql"])]
    # PostgreSQL: the versions and the upsert, one statement each; SQLite: bulk_create's batches
    # (bounded by its variable limit), never one per row.
    if connection.vendor == "postgresql":
        assert len(writes) == 2
    else:
        assert len(writes) <= (1360 + 700) // 90 + 2
    assert len(queries) - len(writes) <= 12
