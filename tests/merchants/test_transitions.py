"""Every legal and illegal participation and certificate status change, from their tables."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.workflow import DomainError, TransitionNotAllowed, transition
from merchants import services
from merchants.models import (
    CERTIFICATE_TRANSITIONS,
    PARTICIPATION_TRANSITIONS,
    CertificateEvent,
    CertificateStatus,
    ParticipationEvent,
    ParticipationStatus,
)
from tests.factories import CategoryFactory, CertificateFactory, ParticipationFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db

P, C = ParticipationStatus, CertificateStatus


def pairs(statuses, table):
    legal = sorted((a, b) for a, targets in table.items() for b in targets)
    illegal = [(a, b) for a in statuses for b in statuses if a != b and (a, b) not in legal]
    return legal, illegal


def sources_of(table, target):
    return {a for a, targets in table.items() if target in targets}


P_LEGAL, P_ILLEGAL = pairs(P.values, PARTICIPATION_TRANSITIONS)
C_LEGAL, C_ILLEGAL = pairs(C.values, CERTIFICATE_TRANSITIONS)


def move_participation(participation, to, **kwargs):
    with transaction.atomic():
        return transition(
            participation,
            to,
            allowed=PARTICIPATION_TRANSITIONS,
            event_model=ParticipationEvent,
            event_fk="participation",
            **kwargs,
        )


def move_certificate(certificate, to, **kwargs):
    with transaction.atomic():
        return transition(
            certificate,
            to,
            allowed=CERTIFICATE_TRANSITIONS,
            event_model=CertificateEvent,
            event_fk="certificate",
            **kwargs,
        )


@pytest.mark.parametrize("from_status, to_status", P_LEGAL)
def test_legal_participation_transition_is_recorded(from_status, to_status):
    participation = ParticipationFactory(status=from_status)
    actor = ReviewerFactory()

    move_participation(participation, to_status, by=actor, note="why")

    participation.refresh_from_db()
    assert participation.status == to_status
    event = participation.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == (from_status, to_status, actor, "why")


@pytest.mark.parametrize("from_status, to_status", P_ILLEGAL)
def test_illegal_participation_transition_changes_nothing(from_status, to_status):
    participation = ParticipationFactory(status=from_status)

    with pytest.raises(TransitionNotAllowed):
        move_participation(participation, to_status, by=ReviewerFactory())

    participation.refresh_from_db()
    assert participation.status == from_status
    assert not participation.events.exists()


@pytest.mark.parametrize("from_status, to_status", C_LEGAL)
def test_legal_certificate_transition_is_recorded(from_status, to_status):
    certificate = CertificateFactory(status=from_status)
    actor = ReviewerFactory()

    move_certificate(certificate, to_status, by=actor, note="why")

    certificate.refresh_from_db()
    assert certificate.status == to_status
    event = certificate.events.get()
    assert (event.from_status, event.to_status, event.actor, event.note) == (from_status, to_status, actor, "why")


@pytest.mark.parametrize("from_status, to_status", C_ILLEGAL)
def test_illegal_certificate_transition_changes_nothing(from_status, to_status):
    certificate = CertificateFactory(status=from_status)

    with pytest.raises(TransitionNotAllowed):
        move_certificate(certificate, to_status, by=ReviewerFactory())

    certificate.refresh_from_db()
    assert certificate.status == from_status
    assert not certificate.events.exists()


# Services --------------------------------------------------------------------------------


@pytest.mark.parametrize("from_status", P.values)
def test_approve_participation_from_every_status(from_status):
    participation = ParticipationFactory(status=from_status)
    participation.categories.set([CategoryFactory()])
    reviewer = ReviewerFactory()

    if from_status in sources_of(PARTICIPATION_TRANSITIONS, P.APPROVED):
        services.approve_participation(participation, by=reviewer, note="welcome")
        participation.refresh_from_db()
        assert (participation.status, participation.decided_by, participation.decision_note) == (
            P.APPROVED,
            reviewer,
            "welcome",
        )
        assert participation.events.get().to_status == P.APPROVED
    else:
        with pytest.raises(TransitionNotAllowed):
            services.approve_participation(participation, by=reviewer)
        participation.refresh_from_db()
        assert participation.status == from_status
        assert not participation.events.exists()


@pytest.mark.parametrize("from_status", P.values)
def test_reject_participation_from_every_status(from_status):
    participation = ParticipationFactory(status=from_status)
    reviewer = ReviewerFactory()

    if from_status in sources_of(PARTICIPATION_TRANSITIONS, P.REJECTED):
        services.reject_participation(participation, by=reviewer, reason=" Licence unreadable ")
        participation.refresh_from_db()
        assert (participation.status, participation.decision_note) == (P.REJECTED, "Licence unreadable")
    else:
        with pytest.raises(TransitionNotAllowed):
            services.reject_participation(participation, by=reviewer, reason="Licence unreadable")
        participation.refresh_from_db()
        assert participation.status == from_status


@pytest.mark.parametrize("from_status", P.values)
def test_withdraw_participation_from_every_status(from_status):
    participation = ParticipationFactory(status=from_status)

    if from_status in sources_of(PARTICIPATION_TRANSITIONS, P.WITHDRAWN):
        services.withdraw_participation(participation, note="Not this year")
        participation.refresh_from_db()
        assert participation.status == P.WITHDRAWN
    else:
        with pytest.raises(TransitionNotAllowed):
            services.withdraw_participation(participation)
        participation.refresh_from_db()
        assert participation.status == from_status


@pytest.mark.parametrize("from_status", P.values)
def test_applying_again_is_allowed_only_after_a_rejection(from_status):
    participation = ParticipationFactory(status=from_status)
    category = CategoryFactory()

    if from_status in sources_of(PARTICIPATION_TRANSITIONS, P.APPLIED):
        services.apply_to_festival(participation.merchant, participation.festival, categories=[category])
        participation.refresh_from_db()
        assert participation.status == P.APPLIED
        assert list(participation.categories.all()) == [category]
        assert participation.events.get().from_status == from_status
    else:
        with pytest.raises(DomainError) as excinfo:
            services.apply_to_festival(participation.merchant, participation.festival, categories=[category])
        assert excinfo.value.code == "duplicate"
        participation.refresh_from_db()
        assert participation.status == from_status


def test_reject_participation_needs_a_reason():
    participation = ParticipationFactory(applied=True)

    with pytest.raises(DomainError):
        services.reject_participation(participation, by=ReviewerFactory(), reason=" ")

    participation.refresh_from_db()
    assert participation.status == P.APPLIED


@pytest.mark.parametrize("from_status", C.values)
def test_verify_certificate_from_every_status(from_status):
    certificate = CertificateFactory(status=from_status)
    reviewer = ReviewerFactory()
    moment = certificate.created_at - timedelta(days=1)

    if from_status in sources_of(CERTIFICATE_TRANSITIONS, C.VERIFIED):
        services.verify_certificate(certificate, by=reviewer, now=moment)
        certificate.refresh_from_db()
        assert (certificate.status, certificate.reviewed_by, certificate.reviewed_at) == (C.VERIFIED, reviewer, moment)
        assert certificate.events.get().created_at == moment
    else:
        with pytest.raises(TransitionNotAllowed):
            services.verify_certificate(certificate, by=reviewer)
        certificate.refresh_from_db()
        assert certificate.status == from_status


@pytest.mark.parametrize("from_status", C.values)
def test_reject_certificate_from_every_status(from_status):
    certificate = CertificateFactory(status=from_status)
    reviewer = ReviewerFactory()

    if from_status in sources_of(CERTIFICATE_TRANSITIONS, C.REJECTED):
        services.reject_certificate(certificate, by=reviewer, reason="Revoked by its issuer")
        certificate.refresh_from_db()
        assert (certificate.status, certificate.review_note) == (C.REJECTED, "Revoked by its issuer")
    else:
        with pytest.raises(TransitionNotAllowed):
            services.reject_certificate(certificate, by=reviewer, reason="Revoked by its issuer")
        certificate.refresh_from_db()
        assert certificate.status == from_status


@pytest.mark.parametrize(
    "call",
    [
        lambda user: services.approve_participation(ParticipationFactory(applied=True), by=user),
        lambda user: services.reject_participation(ParticipationFactory(applied=True), by=user, reason="r"),
        lambda user: services.verify_certificate(CertificateFactory(), by=user),
        lambda user: services.reject_certificate(CertificateFactory(), by=user, reason="r"),
    ],
    ids=["approve participation", "reject participation", "verify certificate", "reject certificate"],
)
def test_only_organisers_decide_on_participations_and_certificates(call):
    with pytest.raises(PermissionDenied):
        call(UserFactory(is_staff=True))

    assert not ParticipationEvent.objects.exists()
    assert not CertificateEvent.objects.exists()
