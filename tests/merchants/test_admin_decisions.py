"""Certificates and participations: verify/reject and approve/reject, singly and in bulk, recorded as history."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from festival.roles import REVIEWER
from merchants.models import CertificateStatus, ParticipationStatus
from tests.admin_support import client_for, staff_user
from tests.factories import CategoryFactory, CertificateFactory, MembershipFactory, ParticipationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _messages(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.fixture
def reviewer():
    return staff_user(REVIEWER)


def _png():
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="scan.png")


def test_certificate_page_shows_the_scan_and_offers_verify_and_reject(reviewer):
    certificate = CertificateFactory()
    certificate.document.save("scan.png", _png())

    html = (
        client_for(reviewer).get(reverse("admin:merchants_certificate_change", args=[certificate.pk])).content.decode()
    )

    document_url = reverse("admin:merchants_certificate_document", args=[certificate.pk, "full"])
    assert document_url in html
    assert 'class="document-thumbnail"' in html
    assert "decide/verify/" in html and "decide/reject/" in html
    assert certificate.document.url not in html  # never the public media URL


def test_scans_are_served_only_to_staff_who_may_view_certificates(reviewer):
    certificate = CertificateFactory()
    certificate.document.save("scan.png", _png())
    url = reverse("admin:merchants_certificate_document", args=[certificate.pk, "full"])

    allowed = client_for(reviewer).get(url)
    merchant_user = client_for(MembershipFactory(merchant=certificate.merchant).user).get(url)
    no_role = client_for(UserFactory(is_staff=True)).get(url)

    assert allowed.status_code == 200
    assert allowed["Content-Type"] == "image/png"
    assert b"".join(allowed.streaming_content).startswith(b"\x89PNG")
    assert merchant_user.status_code == 302  # to the admin login
    assert no_role.status_code == 404  # in no team: it sees no certificate, and is not told this one exists


def test_verify_then_reject_with_a_reason_is_recorded(reviewer):
    certificate = CertificateFactory()
    client = client_for(reviewer)

    client.post(reverse("admin:merchants_certificate_decide", args=[certificate.pk, "verify"]), {"note": ""})
    refused = client.post(reverse("admin:merchants_certificate_decide", args=[certificate.pk, "reject"]), {"note": ""})
    client.post(
        reverse("admin:merchants_certificate_decide", args=[certificate.pk, "reject"]), {"note": "Revoked by issuer."}
    )
    page = client.get(reverse("admin:merchants_certificate_change", args=[certificate.pk])).content.decode()

    assert refused.status_code == 200  # the reason is required
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REJECTED
    assert list(certificate.events.values_list("to_status", "actor", "note")) == [
        ("verified", reviewer.pk, ""),
        ("rejected", reviewer.pk, "Revoked by issuer."),
    ]
    assert "Revoked by issuer." in page


def test_expired_certificates_are_shown_as_such(reviewer):
    yesterday = timezone.localdate() - timedelta(days=1)
    expired = CertificateFactory(
        valid_from=yesterday - timedelta(days=400), valid_until=yesterday, number="GF111111111111"
    )
    CertificateFactory(number="GF222222222222")
    client = client_for(reviewer)

    changelist = client.get(reverse("admin:merchants_certificate_changelist")).content.decode()
    only_expired = client.get(reverse("admin:merchants_certificate_changelist"), {"validity": "expired"})

    assert f"expired {yesterday}" in changelist
    assert list(only_expired.context["cl"].result_list) == [expired]


def test_bulk_verify_reports_done_and_skipped(reviewer):
    pending = CertificateFactory()
    rejected = CertificateFactory(status=CertificateStatus.REJECTED)

    response = client_for(reviewer).post(
        reverse("admin:merchants_certificate_changelist"),
        {"action": "decide_verify", "_selected_action": [pending.pk, rejected.pk], "confirm": "yes", "note": ""},
    )

    pending.refresh_from_db()
    rejected.refresh_from_db()
    assert (pending.status, rejected.status) == ("verified", "rejected")
    assert "1 done" in _messages(response) and "1 skipped" in _messages(response)


def test_bulk_approve_participations_with_one_note(reviewer):
    first, second = ParticipationFactory(applied=True), ParticipationFactory(applied=True)
    first.categories.set([CategoryFactory()])
    second.categories.set([CategoryFactory()])
    client = client_for(reviewer)
    selection = {"action": "decide_approve", "_selected_action": [first.pk, second.pk]}

    intermediate = client.post(reverse("admin:merchants_participation_changelist"), selection)
    done = client.post(
        reverse("admin:merchants_participation_changelist"), {**selection, "confirm": "yes", "note": "Welcome!"}
    )

    assert 'name="note"' in intermediate.content.decode()
    assert "2 done" in _messages(done)
    for participation in (first, second):
        participation.refresh_from_db()
        assert (participation.status, participation.decision_note) == ("approved", "Welcome!")
        assert participation.events.get(to_status="approved").actor == reviewer


def test_approving_a_participation_without_the_needed_certificate_is_skipped_with_the_reason(reviewer):
    participation = ParticipationFactory(applied=True)
    participation.categories.set([CategoryFactory(name="Green food", required_certificate_kind="green_food")])

    response = client_for(reviewer).post(
        reverse("admin:merchants_participation_changelist"),
        {"action": "decide_approve", "_selected_action": [participation.pk], "confirm": "yes", "note": ""},
    )

    participation.refresh_from_db()
    assert participation.status == ParticipationStatus.APPLIED
    assert "needs a verified Green food certificate" in _messages(response)


def test_rejecting_participations_in_bulk_asks_for_a_reason(reviewer):
    participation = ParticipationFactory(applied=True)
    client = client_for(reviewer)
    selection = {"action": "decide_reject", "_selected_action": [participation.pk], "confirm": "yes"}

    refused = client.post(reverse("admin:merchants_participation_changelist"), {**selection, "note": " "})
    client.post(reverse("admin:merchants_participation_changelist"), {**selection, "note": "Not a brand."})

    assert "A note is required for this decision." in refused.content.decode()
    participation.refresh_from_db()
    assert (participation.status, participation.decision_note) == ("rejected", "Not a brand.")


def test_participation_page_shows_its_history(reviewer):
    participation = ParticipationFactory(applied=True)
    participation.categories.set([CategoryFactory()])
    client = client_for(reviewer)
    client.post(
        reverse("admin:merchants_participation_decide", args=[participation.pk, "approve"]), {"note": "Looks right."}
    )

    html = client.get(reverse("admin:merchants_participation_change", args=[participation.pk])).content.decode()

    assert "History of decisions and status changes" in html
    assert "Looks right." in html and reviewer.username in html
