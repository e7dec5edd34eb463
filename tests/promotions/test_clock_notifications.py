"""Mails to merchants and reviewers: sent after commit, translated, never twice."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.utils import translation

from festival.models import SentNotification
from merchants import services as merchant_services
from promotions import notifications
from promotions import services as promotion_services
from promotions.clock import run_clock_tick
from promotions.tasks import task_notify
from tests import clock
from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    MerchantFactory,
    ParticipationFactory,
    PromotionFactory,
    ReviewerFactory,
    UserFactory,
    join_team,
)

pytestmark = pytest.mark.django_db

# The clock's tests run at each instant that could expose a time-of-day or date bug.
clock_at = clock.at_each_instant()


@pytest.fixture
def merchant():
    merchant = MerchantFactory(contact_email="shop@merchant.example")
    MembershipFactory(merchant=merchant, user=UserFactory(email="owner@merchant.example"))
    return merchant


def test_approval_mails_the_merchant_after_commit(merchant, mailoutbox, django_capture_on_commit_callbacks):
    promotion = PromotionFactory(merchant=merchant, submitted=True, title="Spring tea")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        promotion_services.approve_promotion(promotion, by=ReviewerFactory(), note="Nice prices")
        sent_before_commit = len(mailoutbox)
    for callback in callbacks:
        callback()

    assert sent_before_commit == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == "Promotion approved: Spring tea"
    assert sorted(mail.to) == ["owner@merchant.example", "shop@merchant.example"]
    assert "Nice prices" in mail.body


def test_the_same_event_is_mailed_once(merchant, mailoutbox, django_capture_on_commit_callbacks):
    promotion = PromotionFactory(merchant=merchant, submitted=True)
    with django_capture_on_commit_callbacks(execute=True):
        promotion_services.approve_promotion(promotion, by=ReviewerFactory())

    task_notify.apply(kwargs={"event_type": "promotion.approved", "object_ids": [promotion.pk]})
    notifications.notify_event("promotion.approved", [promotion.pk])

    assert len(mailoutbox) == 1
    assert SentNotification.objects.count() == 1


def test_each_request_for_changes_is_mailed(merchant, mailoutbox, django_capture_on_commit_callbacks):
    promotion = PromotionFactory(merchant=merchant, submitted=True)
    reviewer = ReviewerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        promotion_services.request_changes(promotion, by=reviewer, note="Add a photo")
    promotion.status = "submitted"  # the merchant resubmitted (shortcut)
    promotion.save()
    with django_capture_on_commit_callbacks(execute=True):
        promotion_services.request_changes(promotion, by=reviewer, note="Fix the title")

    assert [m.subject for m in mailoutbox] == [f"Changes requested: {promotion.title}"] * 2
    assert "Fix the title" in mailoutbox[1].body


def test_participation_decisions_are_mailed(merchant, mailoutbox, django_capture_on_commit_callbacks):
    participation = ParticipationFactory(merchant=merchant, applied=True)
    reviewer = ReviewerFactory()

    with django_capture_on_commit_callbacks(execute=True):
        merchant_services.reject_participation(participation, by=reviewer, reason="Missing licence")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == f"Your application to {participation.festival.name} was not approved"
    assert "Missing licence" in mailoutbox[0].body


def test_going_live_and_ending_mail_each_merchant_once_per_batch(
    merchant, mailoutbox, django_capture_on_commit_callbacks
):
    festival = FestivalFactory()
    promotions = PromotionFactory.create_batch(3, festival=festival, merchant=merchant, approved=True)
    other = PromotionFactory(festival=festival, approved=True, merchant=MerchantFactory(contact_email="b@x.example"))
    start, end = promotions[0].starts_at, promotions[0].ends_at

    for moment in (start, start + timedelta(minutes=1), end):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            run_clock_tick()

    subjects = sorted((tuple(m.to), m.subject) for m in mailoutbox)
    assert subjects == [
        (("b@x.example",), "Your promotion has ended"),
        (("b@x.example",), "Your promotion is live now"),
        (("owner@merchant.example", "shop@merchant.example"), "3 of your promotions are live now"),
        (("owner@merchant.example", "shop@merchant.example"), "3 of your promotions have ended"),
    ]
    live_mail = next(m for m in mailoutbox if m.subject == "3 of your promotions are live now")
    assert all(p.title in live_mail.body for p in promotions)
    assert SentNotification.objects.filter(key__startswith="promotion.live:").count() == 4
    assert other.pk in [int(k.rsplit(":", 1)[1]) for k in SentNotification.objects.values_list("key", flat=True)]


def test_mails_are_rendered_in_the_site_language(merchant, mailoutbox, settings, monkeypatch):
    from festival import notifications as mail

    languages = []
    real_render = mail.render_to_string
    monkeypatch.setattr(
        mail, "render_to_string", lambda *a, **kw: languages.append(translation.get_language()) or real_render(*a, **kw)
    )
    settings.LANGUAGE_CODE = "zh-hans"
    promotion = PromotionFactory(merchant=merchant, submitted=True)
    promotion_services.approve_promotion(promotion, by=ReviewerFactory())

    with translation.override("en"):
        notifications.notify_event("promotion.approved", [promotion.pk])
        caller_language = translation.get_language()

    assert languages == ["zh-hans", "zh-hans"]  # subject and body
    assert caller_language == "en"
    assert len(mailoutbox) == 1


def test_deadline_reminder_goes_24_hours_ahead_to_merchants_with_drafts_once(merchant, mailoutbox):
    festival = FestivalFactory(name="Double Product 2026")
    PromotionFactory(festival=festival, merchant=merchant, title="Unsent draft")
    PromotionFactory(festival=festival, merchant=merchant, changes_requested=True, title="Needs a fix")
    PromotionFactory(festival=festival, submitted=True, merchant=MerchantFactory(contact_email="done@x.example"))
    deadline = festival.submission_deadline

    too_early = notifications.send_deadline_reminders(now=deadline - timedelta(hours=25))
    in_time = notifications.send_deadline_reminders(now=deadline - timedelta(hours=23))
    again = notifications.send_deadline_reminders(now=deadline - timedelta(hours=22))
    after = notifications.send_deadline_reminders(now=deadline + timedelta(minutes=1))

    assert (too_early, in_time, again, after) == (0, 1, 0, 0)
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["owner@merchant.example", "shop@merchant.example"]
    assert "Double Product 2026" in mail.subject
    assert "Unsent draft" in mail.body and "Needs a fix" in mail.body
    assert f"{festival.local(deadline):%Y-%m-%d %H:%M}" in mail.body


def test_reviewer_digest_lists_what_waits_once_a_day(mailoutbox):
    reviewer = ReviewerFactory(email="rev@festival.example")
    group_reviewer = UserFactory(email="grp@festival.example", is_staff=True)
    # A reviewer's digest lists the queue of their teams' festivals: one of the national team's.
    join_team(group_reviewer, "reviewer")
    group = Group.objects.create(name="Reviewers")
    group.permissions.add(Permission.objects.get(codename="review_promotion"))
    group_reviewer.groups.add(group)
    UserFactory(email="merchant@x.example")
    festival = FestivalFactory(name="Spring Festival")
    PromotionFactory.create_batch(2, festival=festival, submitted=True)
    ParticipationFactory(festival=festival, applied=True)
    now = datetime(2026, 5, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))  # +2 h stays the same local day

    first = notifications.send_reviewer_digest(now=now)
    same_day = notifications.send_reviewer_digest(now=now + timedelta(hours=2))
    next_day = notifications.send_reviewer_digest(now=now + timedelta(days=1))

    assert (first, same_day, next_day) == (2, 0, 2)
    assert sorted(m.to[0] for m in mailoutbox[:2]) == [group_reviewer.email, reviewer.email]
    body = mailoutbox[0].body
    assert "2 promotions wait for review." in body
    assert "Spring Festival: 2" in body
    assert "1 participation application waits for a decision." in body


def test_no_digest_when_nothing_waits(mailoutbox):
    ReviewerFactory(email="rev@festival.example")
    PromotionFactory(approved=True)

    assert notifications.send_reviewer_digest() == 0
    assert mailoutbox == []


def test_a_mail_server_error_leaves_the_notification_to_be_sent_again(merchant, mailoutbox, monkeypatch):
    from smtplib import SMTPException

    promotion = PromotionFactory(merchant=merchant, submitted=True)
    promotion_services.approve_promotion(promotion, by=ReviewerFactory())

    def broken(*args, **kwargs):
        raise SMTPException("try later")

    monkeypatch.setattr("festival.notifications.send_mail", broken)
    with pytest.raises(SMTPException):
        notifications.notify_event("promotion.approved", [promotion.pk])
    monkeypatch.undo()
    sent = notifications.notify_event("promotion.approved", [promotion.pk])

    assert sent == 1
    assert len(mailoutbox) == 1


def test_mail_task_retries_mail_server_errors():
    from smtplib import SMTPException

    assert SMTPException in task_notify.autoretry_for
    assert task_notify.acks_late is True
