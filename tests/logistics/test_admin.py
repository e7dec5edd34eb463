"""The Post bureau in the admin: importing a carrier's CSV/XLSX (preview, per-row errors, all or
nothing, replacements kept), editing coverage, and seeing the logistics data only."""

from datetime import timedelta

import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from festival.roles import ORGANISER_ADMIN, POST_BUREAU
from logistics.models import Coverage, ParcelReport, ParcelReportVersion
from tests.admin_support import client_for, staff_user
from tests.factories import ParcelReportFactory, PriceReportFactory, PromotionFactory

from .conftest import first_day

pytestmark = pytest.mark.django_db
CSV_FORMAT, XLSX_FORMAT = "0", "1"
IMPORT = "admin:logistics_parcelreport_import"


@pytest.fixture
def bureau():
    return client_for(staff_user(POST_BUREAU))


def _csv(festival, rows=None):
    day = first_day(festival).isoformat()
    rows = rows or [
        f"{day},330000,120000,118000,21000,20500",
        f"{day},广东省,300000,200000,15000,30000",
        f"{day},Beijing,50000,60000,1000,2000",
    ]
    return "date,province,collected,delivered,rural_collected,rural_delivered\n" + "\n".join(rows) + "\n"


def _preview(client, carrier, content, *, name="sf.csv", file_format=CSV_FORMAT):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        reverse(IMPORT),
        {"carrier": carrier.pk, "format": file_format, "import_file": SimpleUploadedFile(name, data)},
    )


def _confirm(client, preview):
    return client.post(reverse("admin:logistics_parcelreport_process_import"), preview.context["confirm_form"].initial)


def test_the_bureau_previews_then_imports_a_carriers_file(bureau, festival, carrier):
    preview = _preview(bureau, carrier, _csv(festival))

    assert preview.status_code == 200
    assert [row.import_type for row in preview.context["result"].rows] == ["new", "new", "new"]
    assert not ParcelReport.objects.exists()  # the preview stores nothing

    response = _confirm(bureau, preview)

    assert response.status_code == 302
    stored = {r.province_id: r.figures() for r in ParcelReport.objects.filter(carrier=carrier)}
    assert stored == {
        "330000": (120000, 118000, 21000, 20500),
        "440000": (300000, 200000, 15000, 30000),
        "110000": (50000, 60000, 1000, 2000),
    }
    assert set(ParcelReport.objects.values_list("channel", "reporter")) == {("import", _username(bureau))}


def _username(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"]).username


def test_a_reimport_replaces_changed_rows_and_keeps_the_old_figures(bureau, festival, carrier):
    day = first_day(festival)
    ParcelReportFactory(carrier=carrier, date=day, province_id="330000", collected=100000, rural_collected=100)
    ParcelReportFactory(carrier=carrier, date=day, province_id="110000", collected=50000, delivered=60000,
                        rural_collected=1000, rural_delivered=2000)  # fmt: skip

    preview = _preview(bureau, carrier, _csv(festival))
    _confirm(bureau, preview)

    assert [row.import_type for row in preview.context["result"].rows] == ["update", "new", "skip"]
    assert ParcelReport.objects.get(carrier=carrier, province_id="330000").collected == 120000
    assert list(ParcelReportVersion.objects.values_list("report__province_id", "collected")) == [("330000", 100000)]


def test_bad_rows_are_listed_with_row_numbers_and_nothing_is_stored(bureau, festival, carrier):
    day = first_day(festival)
    rows = [
        f"{day.isoformat()},330000,120000,118000,21000,20500",
        f"{day.isoformat()},330000,1,1,0,0",
        f"{day.isoformat()},Atlantis,1,1,0,0",
        f"{(day - timedelta(days=90)).isoformat()},110000,1,1,0,0",
        f"{day.isoformat()},120000,-5,1.5,0,0",
        f"{day.isoformat()},130000,10,10,11,0",
    ]

    preview = _preview(bureau, carrier, _csv(festival, rows))

    result = preview.context["result"]
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert "already reports 330000" in str(errors[2]["date"])
    assert "is not a province code" in str(errors[3]["province"])
    assert "outside every festival's reporting window" in str(errors[4]["date"])
    assert "Cannot be negative." in str(errors[5]["collected"])
    assert "Enter a whole number of parcels." in str(errors[5]["delivered"])
    assert "cannot be more than collected" in str(errors[6]["rural_collected"])
    assert preview.context.get("confirm_form") is None
    assert "Some rows failed to validate" in preview.content.decode()
    assert not ParcelReport.objects.exists()


def test_a_file_without_the_columns_gets_one_clear_message_and_nothing_is_stored(bureau, festival, carrier):
    preview = _preview(bureau, carrier, "when,where,how many\n2026-11-01,330000,5\n")

    html = preview.content.decode()
    assert preview.context.get("confirm_form") is None
    assert "The file lacks the column(s) date, province, collected" in html
    assert "Nothing was saved." in html
    assert "Traceback" not in html
    assert not ParcelReport.objects.exists()


def test_an_unreadable_file_is_refused(bureau, festival, carrier):
    preview = _preview(bureau, carrier, b"\x00\x01 not a spreadsheet", name="sf.xlsx", file_format=XLSX_FORMAT)

    assert preview.context.get("confirm_form") is None
    assert preview.context["form"].errors
    assert not ParcelReport.objects.exists()


def test_a_row_of_another_carrier_is_refused(bureau, festival, carrier):
    day = first_day(festival).isoformat()
    content = f"carrier,date,province,collected,delivered,rural_collected,rural_delivered\nZTO,{day},330000,1,1,0,0\n"

    result = _preview(bureau, carrier, content).context["result"]

    assert "the import is for SF" in str(result.invalid_rows[0].error_dict["carrier"])


def test_an_xlsx_with_chinese_headers_and_excel_dates(bureau, festival, carrier):
    from logistics.resources import ParcelReportResource

    headers = ParcelReportResource.chinese_headers()
    dataset = tablib.Dataset(headers=[headers[name] for name in list(headers)[1:]])
    dataset.append([first_day(festival), "浙江", 1200, 1100.0, 100, 200])
    _confirm(bureau, _preview(bureau, carrier, dataset.export("xlsx"), name="sf.xlsx", file_format=XLSX_FORMAT))

    assert ParcelReport.objects.get().figures() == (1200, 1100, 100, 200)


def test_the_template_and_the_export_round_trip(bureau, festival, carrier):
    template = bureau.get(reverse("admin:logistics_parcelreport_import_template"))
    assert template.status_code == 200
    assert template.content.decode("utf-8-sig").splitlines()[0].startswith("日期,省份")
    ParcelReportFactory(carrier=carrier, date=first_day(festival))

    response = bureau.post(
        reverse("admin:logistics_parcelreport_export"),
        {"format": CSV_FORMAT, "resource": "0", **{f"parcelreportresource_{f}": "on" for f in (
            "carrier", "date", "province", "collected", "delivered", "rural_collected", "rural_delivered")}},
    )  # fmt: skip

    content = b"".join(response.streaming_content) if response.streaming else response.content
    exported = content.decode("utf-8-sig")
    assert exported.splitlines()[1].startswith(f"SF,{first_day(festival).isoformat()},330000,1000")
    preview = _preview(bureau, carrier, exported)
    assert [row.import_type for row in preview.context["result"].rows] == ["skip"]


def test_the_bureau_edits_coverage(bureau):
    response = bureau.post(
        reverse("admin:logistics_coverage_add"),
        {"province": "540000", "date": "2026-06-30", "townships": 697, "townships_served": 650,
         "villages": 5300, "villages_served": 1800},
    )  # fmt: skip

    assert response.status_code == 302
    coverage = Coverage.objects.get()
    assert coverage.townships_share == 93.3 and coverage.updated_by is not None
    refused = bureau.post(
        reverse("admin:logistics_coverage_add"),
        {"province": "540000", "date": "2026-07-31", "townships": 697, "townships_served": 700,
         "villages": 5300, "villages_served": 1800},
    )  # fmt: skip
    assert "Cannot exceed the number of townships." in refused.content.decode()


def test_the_post_bureau_role_holds_logistics_permissions_only():
    codenames = set(Group.objects.get(name=POST_BUREAU).permissions.values_list("content_type__app_label", "codename"))

    assert {app for app, _codename in codenames} == {"logistics"}
    assert ("logistics", "add_parcelreport") in codenames and ("logistics", "change_coverage") in codenames
    assert ("logistics", "change_carrier") not in codenames  # organisers register carriers


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/pricereport/",
        "/admin/promotions/promotion/",
        "/admin/merchants/merchant/",
        "/admin/promotions/promotion/dashboard/",
        "/admin/merchants/salesreport/",
    ],
)
def test_the_post_bureau_sees_nothing_of_reviews_merchants_or_promotions(bureau, url):
    PriceReportFactory(description="Secret review evidence")
    PromotionFactory(title="Hidden promotion")

    response = bureau.get(url)

    assert response.status_code == 403
    assert "Secret review evidence" not in response.content.decode()
    assert "Hidden promotion" not in response.content.decode()


def test_the_post_bureau_index_lists_logistics_only(bureau):
    html = bureau.get(reverse("admin:index")).content.decode()

    assert "/admin/logistics/parcelreport/" in html and "/admin/logistics/coverage/" in html
    for hidden in ("/admin/reports/", "/admin/promotions/promotion/", "/admin/merchants/merchant/"):
        assert hidden not in html


def test_organisers_register_carriers_and_the_bureau_cannot(bureau):
    organiser = client_for(staff_user(ORGANISER_ADMIN))
    data = {"code": "sto", "name": "申通快递", "name_en": "STO Express", "uscc": "91310000MA1FL0D04W", "active": "on"}

    assert bureau.post(reverse("admin:logistics_carrier_add"), data).status_code == 403
    response = organiser.post(reverse("admin:logistics_carrier_add"), data)

    assert response.status_code == 302
    from logistics.models import Carrier

    assert Carrier.objects.get().code == "STO"
