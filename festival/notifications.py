"""Email notifications, each sent at most once per key (festival.SentNotification).

The key row is inserted in the same transaction that sends the mail: a second
task for the same key hits the unique constraint and sends nothing; a mail
server error rolls the row back, so the task's retry can send it.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import SentNotification

logger = logging.getLogger(__name__)


# Where permissions come from. Named because django-axes adds a backend (it only locks
# logins out), and ``with_perm`` must be told which one to ask: the team roles
# (festival/backends.py) and Django's own (superusers, direct permissions).
TEAM_BACKEND = "festival.backends.TeamPermissionBackend"
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def staff_with_permission(permission: str, *, include_superusers: bool):
    """Active users holding ``permission`` (in a team, directly or as superusers) who have an
    email address, in a stable order. What each may see is still their teams' scope."""
    users = get_user_model().objects
    direct = users.with_perm(permission, include_superusers=include_superusers, backend=PERMISSION_BACKEND)
    in_teams = users.with_perm(permission, include_superusers=False, backend=TEAM_BACKEND)
    return (
        (users.filter(pk__in=direct.values("pk")) | users.filter(pk__in=in_teams.values("pk")))
        .filter(is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def render(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) from templates/email/<template>_subject.txt and _body.txt, in the site language."""
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
        body = render_to_string(f"email/{template}_body.txt", context)
    return subject, body


def send_once(*, keys: str | Iterable[str], to: Iterable[str], template: str, context: dict) -> bool:
    """Send one mail unless any of ``keys`` was sent before; True when sent.

    Several keys cover one mail that reports several things (e.g. a merchant's
    promotions going live in one batch), each of which must be told once.
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    recipients = sorted({address for address in to if address})
    if not recipients or not keys:
        return False
    subject, body = render(template, context)
    try:
        with transaction.atomic():
            SentNotification.objects.bulk_create(
                SentNotification(key=key[:200], recipient=", ".join(recipients)[:254], subject=subject[:255])
                for key in keys
            )
            send_mail(subject, body, None, recipients)
    except IntegrityError:
        logger.info("notification %s already sent; not sending again", keys[0])
        return False
    return True


def already_sent(keys: Iterable[str]) -> set[str]:
    return set(SentNotification.objects.filter(key__in=list(keys)).values_list("key", flat=True))
