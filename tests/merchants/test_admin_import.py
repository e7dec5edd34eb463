"""Spreadsheet import and export of merchants (CSV, XLSX) and of the time-honoured brands list."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from festival.roles import ORGANISER_ADMIN, VIEWER
from merchants.models import Merchant, TimeHonouredBrand
from merchants.uscc import make_uscc
from tests.admin_support import client_for, staff_user
from tests.factories import CategoryFactory, MerchantFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

CSV_FORMAT, XLSX_FORMAT = "0", "1"
HEADER = "uscc,name,legal_name,kind,country,website,contact_email\n"
USCC_A = make_uscc("91110108MA01AAAA1")
USCC_B = make_uscc("91310115MA1KBBBB2")
WRONG_CHECK = USCC_B[:17] + ("0" if USCC_B[17] != "0" else "1")
GOOD_CSV = (
    HEADER
    + f"{USCC_A},Daoxiangcun,北京稻香村食品有限责任公司,brand_enterprise,CN,https://dxc.example,shop@dxc.example\n"
    + f"{USCC_B.lower()},Laiyifen,上海来伊份股份有限公司,Brand enterprise,,,\n"
    + ",Thai Silk House,,silk_road,th,,\n"
)


@pytest.fixture
def organiser_client():
    return client_for(staff_user(ORGANISER_ADMIN))


def _preview(client, content, *, name="merchants.csv", file_format=CSV_FORMAT, model="merchant"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        reverse(f"admin:merchants_{model}_import"),
        {"format": file_format, "import_file": SimpleUploadedFile(name, data)},
    )


def _confirm(client, preview, *, model="merchant"):
    return client.post(reverse(f"admin:merchants_{model}_process_import"), preview.context["confirm_form"].initial)


def _import(client, content, **kwargs):
    preview = _preview(client, content, **kwargs)
    assert preview.context["confirm_form"] is not None, preview.context["result"].invalid_rows
    return _confirm(client, preview, model=kwargs.get("model", "merchant"))


def test_preview_then_confirm_imports_every_row(organiser_client):
    preview = _preview(organiser_client, GOOD_CSV)

    assert [row.import_type for row in preview.context["result"].rows] == ["new", "new", "new"]
    assert not Merchant.objects.exists()  # the preview saves nothing

    response = _confirm(organiser_client, preview)

    assert response.status_code == 302
    assert Merchant.objects.count() == 3
    laiyifen = Merchant.objects.get(name="Laiyifen")
    assert (laiyifen.uscc, laiyifen.kind, laiyifen.country) == (USCC_B, "brand_enterprise", "CN")
    thai = Merchant.objects.get(name="Thai Silk House")
    assert (thai.uscc, thai.country) == (None, "TH")


def test_bad_rows_are_reported_with_row_numbers_and_nothing_is_saved(organiser_client):
    bad = (
        HEADER
        + f"{USCC_A},Daoxiangcun,,brand_enterprise,CN,,\n"
        + f"{WRONG_CHECK},Bad check,,brand_enterprise,CN,,\n"
        + f"{make_uscc('91440300MA5CCCC33')},Unknown kind,,bakery,CN,,\n"
        + ",No code in China,,catering,CN,,not-an-email\n"
    )

    preview = _preview(organiser_client, bad)

    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 3, 4]
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    assert "check character" in str(errors[2]["uscc"])
    assert "“bakery” is not a known value" in str(errors[3]["kind"])
    assert "needs its Unified Social Credit Code" in str(errors[4]["uscc"])
    assert "contact_email" in errors[4]
    assert preview.context.get("confirm_form") is None  # cannot be confirmed
    html = preview.content.decode()
    assert "Some rows failed to validate" in html and "is not a known value" in html
    assert not Merchant.objects.exists()


def test_a_uscc_repeated_in_the_file_is_an_error_on_the_later_row(organiser_client):
    repeated = HEADER + f"{USCC_A},First,,catering,CN,,\n" + f"{USCC_A.lower()},Second,,catering,CN,,\n"

    result = _preview(organiser_client, repeated).context["result"]

    assert [row.number for row in result.invalid_rows] == [2]
    assert "already in row 1" in str(result.invalid_rows[0].error_dict["uscc"])
    assert not Merchant.objects.exists()


def test_reimporting_the_same_file_updates_instead_of_duplicating(organiser_client):
    _import(organiser_client, GOOD_CSV)
    changed = GOOD_CSV.replace("Daoxiangcun", "Daoxiangcun Beijing")

    preview = _preview(organiser_client, changed)
    _confirm(organiser_client, preview)

    assert [row.import_type for row in preview.context["result"].rows] == ["update", "skip", "skip"]
    assert Merchant.objects.count() == 3
    assert Merchant.objects.get(uscc=USCC_A).name == "Daoxiangcun Beijing"


def test_import_xlsx(organiser_client):
    dataset = tablib.Dataset(headers=["uscc", "name", "legal_name", "kind", "country"])
    dataset.append([USCC_A, "全聚德", "中国全聚德（集团）股份有限公司", "Catering platform", "CN"])
    dataset.append(["", "Kazakh Honey", "", "silk_road", "KZ"])

    _import(organiser_client, dataset.export("xlsx"), name="merchants.xlsx", file_format=XLSX_FORMAT)

    assert set(Merchant.objects.values_list("name", "kind")) == {("全聚德", "catering"), ("Kazakh Honey", "silk_road")}


def test_import_with_an_override_reason_is_recorded(organiser_client):
    rows = "uscc,name,kind,country,uscc_override_reason\n" + f"{WRONG_CHECK},Pilot shop,catering,CN,Pilot-region code\n"

    _import(organiser_client, rows)

    merchant = Merchant.objects.get()
    assert merchant.uscc_override_reason == "Pilot-region code"
    assert merchant.uscc_override_by is not None


@pytest.mark.parametrize(("file_format", "reader"), [(CSV_FORMAT, "csv"), (XLSX_FORMAT, "xlsx")])
def test_export_then_reimport_changes_nothing(file_format, reader):
    MerchantFactory(name="Exported one", kind="tourism")
    MerchantFactory(name="Exported two", uscc=None, country="PK", kind="silk_road")
    viewer = client_for(staff_user(VIEWER))
    fields = ["uscc", "name", "legal_name", "kind", "country", "website", "contact_name", "contact_email"]

    response = viewer.post(
        reverse("admin:merchants_merchant_export"),
        {"format": file_format, "resource": "0", **{f"merchantresource_{f}": "on" for f in fields}},
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    exported = tablib.Dataset().load(io.BytesIO(content).read().decode("utf-8-sig") if reader == "csv" else content)
    preview = _preview(client_for(staff_user(ORGANISER_ADMIN)), exported.export("csv"))

    assert response.status_code == 200
    assert {"Exported one", "Exported two"} <= set(exported["name"])
    assert [row.import_type for row in preview.context["result"].rows] == ["skip", "skip"]


def test_time_honoured_brands_import_and_the_reviewer_sees_the_match(organiser_client):
    brands = "brand,company,region,batch\n全聚德,中国全聚德（集团）股份有限公司,北京,2006\n稻香村,北京稻香村食品有限责任公司,北京,2006\n"
    _import(organiser_client, brands, name="brands.csv", model="timehonouredbrand")
    _import(organiser_client, brands, name="brands.csv", model="timehonouredbrand")  # again: no duplicates
    time_honoured = CategoryFactory(name="中华老字号", required_certificate_kind="time_honoured")
    listed = ParticipationFactory(merchant=MerchantFactory(name="全聚德", legal_name="Other Ltd"), applied=True)
    listed.categories.set([time_honoured])
    unlisted = ParticipationFactory(merchant=MerchantFactory(name="New Bakery"), applied=True)
    unlisted.categories.set([time_honoured])
    reviewer = client_for(staff_user("Reviewer"))

    changelist = reviewer.get(reverse("admin:merchants_participation_changelist")).content.decode()
    listed_page = reviewer.get(reverse("admin:merchants_participation_change", args=[listed.pk])).content.decode()
    unlisted_page = reviewer.get(reverse("admin:merchants_participation_change", args=[unlisted.pk])).content.decode()

    assert TimeHonouredBrand.objects.count() == 2
    assert "on the list" in changelist and "not found" in changelist
    assert "On the official list:" in listed_page and "中国全聚德（集团）股份有限公司" in listed_page
    assert "Not on the official list." in unlisted_page


FORMULAE = ['=HYPERLINK("http://x","y")', '==HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"]


@pytest.mark.parametrize(("file_format", "reader"), [(CSV_FORMAT, "csv"), (XLSX_FORMAT, "xlsx")])
def test_export_escapes_formulae_in_merchant_names(file_format, reader):
    for name in FORMULAE:
        MerchantFactory(name=name, contact_phone="+86 10 6512 3456")
    organiser = client_for(staff_user(ORGANISER_ADMIN))
    fields = ["uscc", "name", "kind", "contact_phone"]

    response = organiser.post(
        reverse("admin:merchants_merchant_export"),
        {"format": file_format, "resource": "0", **{f"merchantresource_{f}": "on" for f in fields}},
    )

    content = b"".join(response.streaming_content) if response.streaming else response.content
    exported = tablib.Dataset().load(io.BytesIO(content).read().decode("utf-8-sig") if reader == "csv" else content)
    cells = [str(cell) for row in exported for cell in row]
    assert response.status_code == 200
    assert sorted(map(str, exported["name"])) == sorted(f"'{name}" for name in FORMULAE)  # shown as text, nothing lost
    assert set(exported["contact_phone"]) == {"'+86 10 6512 3456"}
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]


def test_the_template_has_chinese_headers_and_imports_as_it_is(organiser_client):
    response = organiser_client.get(reverse("admin:merchants_merchant_import_template"))
    content = response.content.decode("utf-8-sig")
    header = content.splitlines()[0]
    assert header.startswith("统一社会信用代码,名称,法定名称,类型")

    _import(organiser_client, content)

    merchant = Merchant.objects.get()
    assert (merchant.name, merchant.kind) == ("稻香村", "brand_enterprise")


def test_chinese_headers_and_kinds_import_beside_english_codes(organiser_client):
    csv_text = f"统一社会信用代码,名称,类型,国家\n{USCC_A},稻香村,品牌企业,CN\n{USCC_B},来伊份,brand_enterprise,CN\n"
    _import(organiser_client, csv_text)
    assert sorted(Merchant.objects.values_list("kind", flat=True)) == ["brand_enterprise", "brand_enterprise"]


def test_the_template_needs_the_import_permission():
    viewer = client_for(staff_user(VIEWER))
    assert viewer.get(reverse("admin:merchants_merchant_import_template")).status_code == 403
