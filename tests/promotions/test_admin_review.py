"""The promotions review queue: order, honest-price badges, single and bulk decisions, history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from festival.roles import ORGANISER_ADMIN, REVIEWER
from promotions import services
from promotions.models import CheckStatus, PromotionStatus
from tests.admin_support import client_for, staff_user
from tests.factories import CategoryFactory, PromotionFactory, PromotionItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:promotions_promotion_changelist"


def _checked_item(promotion, status, reasons=(), reference="100.00", discount="20.00"):
    return PromotionItemFactory(
        promotion=promotion,
        check_status=status,
        check_reasons=list(reasons),
        reference_price=Decimal(reference),
        reference_source="lookback",
        real_discount_percent=Decimal(discount),
        checked_at=timezone.now(),
    )


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def reviewer():
    return staff_user(REVIEWER)


def test_queue_lists_waiting_promotions_first_oldest_first(reviewer):
    now = timezone.now()
    approved = PromotionFactory(approved=True, title="Already approved")
    newer = PromotionFactory(submitted=True, title="Submitted yesterday", submitted_at=now - timedelta(days=1))
    older = PromotionFactory(submitted=True, title="Submitted last week", submitted_at=now - timedelta(days=7))
    draft = PromotionFactory(title="A draft")

    response = client_for(reviewer).get(reverse(CHANGELIST))

    listed = list(response.context["cl"].result_list)
    assert listed[:2] == [older, newer]
    assert set(listed[2:]) == {approved, draft}


def test_queue_shows_honest_price_badges_with_reasons(reviewer):
    promotion = PromotionFactory(submitted=True)
    _checked_item(promotion, CheckStatus.PASS)
    _checked_item(promotion, CheckStatus.WARNING, ["No price in the 7 days before the start."])
    _checked_item(promotion, CheckStatus.WARNING, ["Raised before the promotion."])

    html = client_for(reviewer).get(reverse(CHANGELIST)).content.decode()

    assert 'class="badge badge-pass"' in html and "pass 1" in html
    assert "warning 2" in html
    assert "No price in the 7 days before the start." in html  # in the badge's tooltip


def test_change_page_shows_each_items_check_and_is_read_only(reviewer):
    promotion = PromotionFactory(submitted=True)
    item = _checked_item(promotion, CheckStatus.WARNING, ["Only the last earlier price was found."], "120.00", "25.00")

    response = client_for(reviewer).get(reverse("admin:promotions_promotion_change", args=[promotion.pk]))

    html = response.content.decode()
    assert item.product.sku in html
    assert "120.00" in html and "25.00%" in html
    assert "Only the last earlier price was found." in html
    assert 'name="title"' not in html  # nothing editable
    assert "decide/approve/" in html and "decide/request_changes/" in html and "decide/cancel/" in html


def test_promotions_cannot_be_added_changed_or_deleted_even_by_organiser_admin():
    client = client_for(staff_user(ORGANISER_ADMIN))
    promotion = PromotionFactory(submitted=True)

    add = client.get(reverse("admin:promotions_promotion_add"))
    change = client.post(reverse("admin:promotions_promotion_change", args=[promotion.pk]), {"status": "approved"})
    delete = client.post(reverse("admin:promotions_promotion_delete", args=[promotion.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED


def test_approve_one_records_it_in_the_history(reviewer):
    promotion = PromotionFactory(submitted=True)
    _checked_item(promotion, CheckStatus.PASS)
    client = client_for(reviewer)

    response = client.post(
        reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"]), {"note": "Fine prices."}
    )
    page = client.get(reverse("admin:promotions_promotion_change", args=[promotion.pk])).content.decode()

    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.APPROVED
    event = promotion.events.get(to_status=PromotionStatus.APPROVED)
    assert (event.actor, event.note, event.from_status) == (reviewer, "Fine prices.", "submitted")
    assert "History of decisions and status changes" in page
    assert "Fine prices." in page
    admin_log = LogEntry.objects.get(object_id=str(promotion.pk))
    assert (admin_log.user, admin_log.get_change_message()) == (reviewer, "Approve: Fine prices.")


def test_decision_page_asks_for_the_note(reviewer):
    promotion = PromotionFactory(submitted=True)

    response = client_for(reviewer).get(
        reverse("admin:promotions_promotion_decide", args=[promotion.pk, "request_changes"])
    )

    assert response.status_code == 200
    assert 'name="note"' in response.content.decode()


@pytest.mark.parametrize("decision", ["request_changes", "cancel"])
def test_request_changes_and_cancel_need_a_note(reviewer, decision):
    promotion = PromotionFactory(submitted=True)

    response = client_for(reviewer).post(
        reverse("admin:promotions_promotion_decide", args=[promotion.pk, decision]), {"note": "   "}
    )

    assert response.status_code == 200
    assert "A note is required for this decision." in response.content.decode()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED
    assert not promotion.events.exists()


def test_request_changes_with_a_note(reviewer):
    promotion = PromotionFactory(submitted=True)

    client_for(reviewer).post(
        reverse("admin:promotions_promotion_decide", args=[promotion.pk, "request_changes"]),
        {"note": "Show the reference price."},
    )

    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.CHANGES_REQUESTED
    assert promotion.review_note == "Show the reference price."


def test_approving_an_item_that_fails_is_refused_with_the_reason(reviewer):
    promotion = PromotionFactory(submitted=True)
    _checked_item(promotion, CheckStatus.FAIL, ["Only 2% off."], discount="2.00")

    response = client_for(reviewer).post(
        reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"]), {"note": ""}, follow=True
    )

    assert any("fail the honest-price check" in m for m in _messages(response))
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED


def test_bulk_request_changes_shows_an_intermediate_page_then_applies_one_note(reviewer):
    first, second = PromotionFactory(submitted=True), PromotionFactory(submitted=True)
    client = client_for(reviewer)
    selection = {"action": "decide_request_changes", "_selected_action": [first.pk, second.pk]}

    intermediate = client.post(reverse(CHANGELIST), selection)
    missing_note = client.post(reverse(CHANGELIST), {**selection, "confirm": "yes", "note": ""})
    done = client.post(reverse(CHANGELIST), {**selection, "confirm": "yes", "note": "Add photos."})

    assert intermediate.status_code == 200 and 'name="note"' in intermediate.content.decode()
    assert "A note is required for this decision." in missing_note.content.decode()
    assert done.status_code == 302
    for promotion in (first, second):
        promotion.refresh_from_db()
        assert (promotion.status, promotion.review_note) == (PromotionStatus.CHANGES_REQUESTED, "Add photos.")
    assert any("2 done" in m for m in _messages(done))


def test_bulk_approve_reports_skipped_promotions_and_why(reviewer):
    waiting = PromotionFactory(submitted=True, title="Waiting")
    withdrawn = PromotionFactory(withdrawn=True, title="Withdrawn meanwhile")
    already = PromotionFactory(approved=True, title="Approved before")
    failing = PromotionFactory(submitted=True, title="Failing")
    _checked_item(failing, CheckStatus.FAIL, ["Too small a discount."])

    response = client_for(reviewer).post(
        reverse(CHANGELIST),
        {
            "action": "decide_approve",
            "_selected_action": [waiting.pk, withdrawn.pk, already.pk, failing.pk],
            "confirm": "yes",
            "note": "",
        },
    )

    texts = " ".join(_messages(response))
    assert "1 done" in texts
    assert "3 skipped" in texts
    assert "Withdrawn meanwhile" in texts and "Cannot change promotion from “Withdrawn” to “Approved”" in texts
    assert "Approved before: already “Approved”" in texts
    assert "Failing: Items that fail the honest-price check cannot be approved." in texts
    statuses = {p.title: p.status for p in (waiting, withdrawn, already, failing) if not p.refresh_from_db()}
    assert statuses == {
        "Waiting": "approved",
        "Withdrawn meanwhile": "withdrawn",
        "Approved before": "approved",
        "Failing": "submitted",
    }


def test_bulk_cancel_needs_a_reason_and_records_it(reviewer):
    live = PromotionFactory(live=True)
    client = client_for(reviewer)
    selection = {"action": "decide_cancel", "_selected_action": [live.pk], "confirm": "yes"}

    refused = client.post(reverse(CHANGELIST), {**selection, "note": ""})
    done = client.post(reverse(CHANGELIST), {**selection, "note": "Misleading banner."})

    assert refused.status_code == 200
    assert done.status_code == 302
    live.refresh_from_db()
    assert live.status == PromotionStatus.CANCELLED
    assert live.events.get(to_status="cancelled").note == "Misleading banner."
    assert live.ended_at is not None


def test_approve_all_that_pass_approves_only_promotions_whose_items_all_pass(reviewer):
    clean = PromotionFactory(submitted=True, title="All pass")
    _checked_item(clean, CheckStatus.PASS)
    _checked_item(clean, CheckStatus.PASS)
    warned = PromotionFactory(submitted=True, title="Has a warning")
    _checked_item(warned, CheckStatus.PASS)
    flagged = _checked_item(warned, CheckStatus.WARNING, ["Price raised 30% two weeks before."])
    empty = PromotionFactory(submitted=True, title="No items")
    draft = PromotionFactory(title="Still a draft")
    _checked_item(draft, CheckStatus.PASS)

    response = client_for(reviewer).post(
        reverse(CHANGELIST),
        {"action": "approve_all_that_pass", "_selected_action": [clean.pk, warned.pk, empty.pk, draft.pk]},
    )

    texts = " ".join(_messages(response))
    for promotion in (clean, warned, empty, draft):
        promotion.refresh_from_db()
    assert clean.status == PromotionStatus.APPROVED
    assert (warned.status, empty.status, draft.status) == ("submitted", "submitted", "draft")
    assert "1 done" in texts and "3 skipped" in texts
    assert f"left pending: {flagged.product.sku}: Warning (Price raised 30% two weeks before.)" in texts
    assert "No items: left pending: it has no items" in texts
    assert "not waiting for review" in texts


def test_approve_all_that_pass_is_not_offered_without_the_review_permission():
    viewer_client = client_for(staff_user("Viewer"))
    promotion = PromotionFactory(submitted=True)
    _checked_item(promotion, CheckStatus.PASS)

    page = viewer_client.get(reverse(CHANGELIST)).content.decode()
    viewer_client.post(reverse(CHANGELIST), {"action": "approve_all_that_pass", "_selected_action": [promotion.pk]})

    assert "approve_all_that_pass" not in page
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED


def test_filter_by_check_result(reviewer):
    passing = PromotionFactory(submitted=True)
    _checked_item(passing, CheckStatus.PASS)
    failing = PromotionFactory(submitted=True)
    _checked_item(failing, CheckStatus.PASS)
    _checked_item(failing, CheckStatus.FAIL)
    client = client_for(reviewer)

    only_pass = client.get(reverse(CHANGELIST), {"check": "pass"}).context["cl"].result_list
    only_fail = client.get(reverse(CHANGELIST), {"check": "fail"}).context["cl"].result_list

    assert list(only_pass) == [passing]
    assert list(only_fail) == [failing]


def test_viewer_exports_the_promotions():
    PromotionFactory(submitted=True, title="Exported promotion")

    response = client_for(staff_user("Viewer")).post(
        reverse("admin:promotions_promotion_export"),
        {"format": "0", "resource": "0", "promotionresource_title": "on", "promotionresource_status": "on"},
    )

    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert "Exported promotion" in content.decode("utf-8-sig")


EXPORT = "admin:promotions_promotion_export"
EXPORT_FIELDS = ("id", "title", "merchant", "festival", "status", "categories", "search_document")


def _export(client, fields=EXPORT_FIELDS, query=""):
    data = {"format": "0", "resource": "0", **{f"promotionresource_{name}": "on" for name in fields}}
    return client.post(reverse(EXPORT) + query, data)


def _csv_rows(response):
    import csv
    import io

    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_promotions_export_reads_names_and_categories_not_the_search_document():
    tea = CategoryFactory(name="茶叶", slug="tea")
    promotion = PromotionFactory(submitted=True, title="Spring tea", merchant__name="西湖茶庄")
    promotion.categories.add(tea)

    rows = _csv_rows(_export(client_for(staff_user("Viewer"))))

    assert rows == [
        {
            "id": str(promotion.pk),
            "title": "Spring tea",
            "merchant": "西湖茶庄",
            "festival": promotion.festival.slug,
            "status": "submitted",
            "categories": "茶叶",
        }
    ]


def test_the_promotions_export_as_xlsx_writes_dates_as_dates():
    import io

    import openpyxl

    promotion = PromotionFactory(submitted=True, title="Spring tea")
    data = {"format": "1", "resource": "0", "promotionresource_title": "on", "promotionresource_starts_at": "on"}

    response = client_for(staff_user("Viewer")).post(reverse(EXPORT), data)

    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("title", "starts_at")
    title, starts_at = rows[1]
    expected = timezone.localtime(promotion.starts_at).replace(tzinfo=None)  # a cell holds no zone
    assert title == "Spring tea" and abs(starts_at - expected) < timedelta(seconds=1)  # Excel keeps milliseconds


def test_the_promotions_export_makes_the_same_queries_for_one_row_or_thirty():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(staff_user("Viewer"))
    counts = []
    for total, added in ((1, 1), (30, 29)):
        for _ in range(added):
            PromotionFactory(submitted=True).categories.add(CategoryFactory())
        with CaptureQueriesContext(connection) as queries:
            assert len(_csv_rows(_export(client))) == total
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_an_export_above_the_row_limit_is_refused_with_a_message_and_no_file(settings):
    settings.ADMIN_EXPORT_MAX_ROWS = 2
    client = client_for(staff_user("Viewer"))
    for title in ("First", "Second", "Third"):
        PromotionFactory(submitted=True, title=title)

    refused = _export(client)
    filtered = _export(client, query="?q=Third")

    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [
        "This export would hold more than 2 rows. Filter the list first (by festival, status or date) and export "
        "again; the API pages through every row."
    ]
    assert [row["title"] for row in _csv_rows(filtered)] == ["Third"]


def test_approve_promotions_that_pass_is_a_service_every_interface_can_call(reviewer):
    clean = PromotionFactory(submitted=True)
    _checked_item(clean, CheckStatus.PASS)
    warned = PromotionFactory(submitted=True)
    _checked_item(warned, CheckStatus.WARNING)

    approved, skipped = services.approve_promotions_that_pass([clean, warned], by=reviewer)

    assert [p.pk for p in approved] == [clean.pk]
    assert [(p.pk, reason.startswith("left pending:")) for p, reason in skipped] == [(warned.pk, True)]
    assert clean.events.get().to_status == PromotionStatus.APPROVED and not warned.events.exists()


@pytest.mark.parametrize("status", PromotionStatus.values)
def test_review_buttons_follow_the_transition_table(status):
    from promotions.admin import PromotionAdmin
    from promotions.models import ALLOWED_TRANSITIONS

    promotion = PromotionFactory.build(status=status)

    offered = {d.target_status for d in PromotionAdmin.decisions if d.available(promotion)}

    assert offered == {d.target_status for d in PromotionAdmin.decisions} & ALLOWED_TRANSITIONS.get(status, set())


def test_promotion_export_writes_a_formula_title_as_text():
    PromotionFactory(submitted=True, title='=HYPERLINK("http://x","y")')

    response = client_for(staff_user("Viewer")).post(
        reverse("admin:promotions_promotion_export"),
        {"format": "0", "resource": "0", "promotionresource_title": "on", "promotionresource_status": "on"},
    )

    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200
    assert content.decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK(")
