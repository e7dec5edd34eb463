"""Webhook subscriptions."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from api import selectors
from api import services as api_services
from api.permissions import OwnWebhooks
from api.serializers.webhooks import WebhookSubscriptionCreatedSerializer, WebhookSubscriptionSerializer
from api.views.base import ID_PATTERN, ApiView


@extend_schema_view(
    list=extend_schema(summary="Your webhook subscriptions"),
    retrieve=extend_schema(summary="One of your webhook subscriptions"),
    create=extend_schema(
        summary="Subscribe to events (the signing secret is in this answer only)",
        request=WebhookSubscriptionSerializer,
        responses={201: WebhookSubscriptionCreatedSerializer},
    ),
    destroy=extend_schema(summary="Delete a subscription"),
)
class WebhookViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = (OwnWebhooks,)
    lookup_value_regex = ID_PATTERN
    filter_backends = ()

    def get_queryset(self):
        return selectors.own_webhooks(self.actor)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = api_services.create_webhook_subscription(
            url=serializer.validated_data["url"],
            events=serializer.validated_data["events"],
            api_key=self.actor.api_key,
            owner=self.actor.user,
        )
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        api_services.delete_webhook_subscription(instance)
