"""Partner API keys and webhook subscriptions with their delivery log."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from core.events import DomainEvent
from festival.models import Organiser
from logistics.models import Carrier
from merchants.models import Merchant


class ApiScope(models.TextChoices):
    READ = "read", _("Read")
    PROMOTIONS_WRITE = "promotions:write", _("Write promotions")
    PRICES_WRITE = "prices:write", _("Write products and prices")
    SALES_WRITE = "sales:write", _("Write sales reports")
    WEBHOOKS_WRITE = "webhooks:write", _("Manage webhooks")
    REPORTS_READ = "reports:read", _("Read consumer reports")
    PARCELS_WRITE = "parcels:write", _("Report parcels (carriers)")


# A carrier's key reports parcels and reads; it never acts on merchants' data.
CARRIER_SCOPES = frozenset({ApiScope.READ, ApiScope.PARCELS_WRITE})


class ApiKey(AbstractAPIKey):
    """A partner's key: stored hashed, with scopes, optionally bound to one merchant, one carrier or one organiser."""

    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("merchant")
    )
    carrier = models.ForeignKey(
        Carrier, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("carrier")
    )
    # An organiser's key sees what that organiser's team sees (its festivals and their sub-festivals).
    organiser = models.ForeignKey(
        Organiser,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("organiser"),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            # A key acts for one party at most: a merchant, a carrier or an organiser.
            models.CheckConstraint(
                condition=models.Q(merchant__isnull=True, carrier__isnull=True)
                | models.Q(merchant__isnull=True, organiser__isnull=True)
                | models.Q(carrier__isnull=True, organiser__isnull=True),
                name="api_key_one_binding",
            ),
        ]

    def clean(self):
        super().clean()
        if sum(bool(bound) for bound in (self.merchant_id, self.carrier_id, self.organiser_id)) > 1:
            raise ValidationError(_("Bind the key to one merchant, one carrier or one organiser, not more."))
        if self.carrier_id and not set(self.scopes or ()) <= CARRIER_SCOPES:
            raise ValidationError(
                {
                    "scopes": _("A carrier's key holds only these scopes: %(scopes)s.")
                    % {"scopes": ", ".join(sorted(CARRIER_SCOPES))}
                }
            )

    def has_scope(self, scope):
        return scope in self.scopes


class WebhookEvent(models.TextChoices):
    """The domain events partners can subscribe to (a subset of core.events.DomainEvent)."""

    FESTIVAL_OPENED = DomainEvent.FESTIVAL_OPENED.value, DomainEvent.FESTIVAL_OPENED.value
    FESTIVAL_CLOSED = DomainEvent.FESTIVAL_CLOSED.value, DomainEvent.FESTIVAL_CLOSED.value
    PROMOTION_APPROVED = DomainEvent.PROMOTION_APPROVED.value, DomainEvent.PROMOTION_APPROVED.value
    PROMOTION_LIVE = DomainEvent.PROMOTION_LIVE.value, DomainEvent.PROMOTION_LIVE.value
    PROMOTION_ENDED = DomainEvent.PROMOTION_ENDED.value, DomainEvent.PROMOTION_ENDED.value
    PROMOTION_WITHDRAWN = DomainEvent.PROMOTION_WITHDRAWN.value, DomainEvent.PROMOTION_WITHDRAWN.value
    REPORT_RECEIVED = DomainEvent.REPORT_RECEIVED.value, DomainEvent.REPORT_RECEIVED.value
    REPORT_UPHELD = DomainEvent.REPORT_UPHELD.value, DomainEvent.REPORT_UPHELD.value
    REPORT_DISMISSED = DomainEvent.REPORT_DISMISSED.value, DomainEvent.REPORT_DISMISSED.value


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", _("Active")
    FAILING = "failing", _("Failing")
    DISABLED = "disabled", _("Disabled")


def new_webhook_secret():
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookSubscription(models.Model):
    api_key = models.ForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("API key")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret, editable=False)
    active = models.BooleanField(_("active"), default=True)
    state = models.CharField(
        _("delivery state"), max_length=10, choices=SubscriptionState.choices, default=SubscriptionState.ACTIVE
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


class WebhookDelivery(models.Model):
    """One event for one subscription; each HTTP attempt is a WebhookAttempt."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook subscription")
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt is due while the delivery is pending or failing (None once it
    # succeeded or gave up); the sweep re-sends what is long overdue, e.g. a retry lost
    # with a killed worker.
    next_attempt_at = models.DateTimeField(
        _("next attempt due"), default=timezone.now, null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once_per_event")
        ]

    def __str__(self):
        return f"{self.event_type} → {self.subscription}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("webhook delivery")
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.delivery} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
