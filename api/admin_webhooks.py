"""Admin for webhook subscriptions, deliveries and attempts."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin

from . import webhooks
from .models import SubscriptionState, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription

# What each event means, for organisers; the code (what partners receive) stays beside it.
EVENT_LABELS = {
    WebhookEvent.FESTIVAL_OPENED: _("Festival opened"),
    WebhookEvent.FESTIVAL_CLOSED: _("Festival closed"),
    WebhookEvent.PROMOTION_APPROVED: _("Promotion approved"),
    WebhookEvent.PROMOTION_LIVE: _("Promotion live"),
    WebhookEvent.PROMOTION_ENDED: _("Promotion ended"),
    WebhookEvent.PROMOTION_WITHDRAWN: _("Promotion withdrawn"),
}


def event_choices():
    return [(value, f"{EVENT_LABELS.get(value, value)} ({value})") for value in WebhookEvent.values]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("events"), choices=event_choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["api_key", "owner", "url", "events", "active"]


def _titled(filter_class, title):
    """A list filter with a translated title (the delivery log's fields have English names)."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["url", "api_key", "owner", "active", "state", "consecutive_failures", "created_at"]
    list_filter = ["active", "state"]
    search_fields = ["url"]
    # The signing secret is shown to the partner once, at creation; not here.
    readonly_fields = ["state", "consecutive_failures", "created_at", "updated_at"]
    raw_id_fields = ["api_key", "owner"]
    actions = ["reactivate"]

    @admin.action(description=_("Reactivate (deliver again)"))
    def reactivate(self, request, queryset):
        count = queryset.update(active=True, state=SubscriptionState.ACTIVE, consecutive_failures=0)
        self.message_user(
            request,
            ngettext("%(count)d subscription reactivated.", "%(count)d subscriptions reactivated.", count)
            % {"count": count},
        )


class WebhookAttemptInline(ScopedInlineMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    ]
    list_filter = [
        ("status", _titled(admin.ChoicesFieldListFilter, _("status"))),
        ("event_type", _titled(admin.AllValuesFieldListFilter, _("event type"))),
    ]
    search_fields = ["subscription__url", "event_id"]
    readonly_fields = [
        "subscription",
        "event_id",
        "event_type",
        "payload",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    ]
    list_select_related = ["subscription"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request, queryset):
        sent = sum(webhooks.redeliver(delivery) for delivery in queryset)
        refused = queryset.count() - sent
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", sent)
                % {"count": sent},
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery not queued: its subscription is disabled.",
                    "%(count)d deliveries not queued: their subscriptions are disabled.",
                    refused,
                )
                % {"count": refused},
                level=messages.WARNING,
            )
