"""Webhook subscriptions."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from api.models import WebhookEvent, WebhookSubscription


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A webhook subscription; ``secret`` is only in the answer to the POST that created it."""

    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        min_length=1,  # what allow_empty=False enforces, in the form the schema states (minItems)
        max_length=len(WebhookEvent),
    )
    active = serializers.BooleanField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "active", "state", "created_at"]
        read_only_fields = ["id", "active", "state", "created_at"]

    def validate_url(self, url):
        from django.core.exceptions import ValidationError as DjangoValidationError

        from api.webhook_targets import validate_webhook_url

        try:
            validate_webhook_url(url)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return url

    def validate_events(self, events):
        return list(dict.fromkeys(events))


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text=gettext_lazy("Shown once; store it to check signatures."))

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSubscriptionSerializer.Meta.read_only_fields, "secret"]
