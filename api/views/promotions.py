"""Promotions: drafts, edits, submission for review and withdrawal."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from api import selectors
from api.filters import PromotionFilter, stated_limits
from api.permissions import PublicReadMerchantWrite
from api.serializers.promotions import (
    PromotionCreateSerializer,
    PromotionSerializer,
    PromotionUpdateSerializer,
    SubmissionRefusedSerializer,
)
from api.views.base import ID_PATTERN, ApiView, Conflict
from promotions import services as promotion_services

ITEM_REFUSED = OpenApiResponse(
    SubmissionRefusedSerializer, description="Refused: items fail the honest-price check, with reasons."
)


@extend_schema_view(
    list=extend_schema(summary="Promotions you may see", parameters=stated_limits(PromotionFilter)),
    retrieve=extend_schema(summary="A promotion with its items and their honest-price check"),
    create=extend_schema(
        summary="Create a draft",
        request=PromotionCreateSerializer,
        responses={201: PromotionSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a draft (or a promotion whose changes were requested)",
        request=PromotionUpdateSerializer,
        responses={200: PromotionSerializer},
    ),
    destroy=extend_schema(summary="Delete a draft (or a promotion whose changes were requested)"),
)
class PromotionViewSet(ApiView, viewsets.ModelViewSet):
    serializer_class = PromotionSerializer
    permission_classes = (PublicReadMerchantWrite,)
    filterset_class = PromotionFilter
    filter_backends = (DjangoFilterBackend, OrderingFilter)
    ordering_fields = ("starts_at",)
    lookup_value_regex = ID_PATTERN
    http_method_names = ("get", "post", "patch", "delete", "head", "options")

    def get_queryset(self):
        queryset = selectors.visible_promotions(self.actor)
        # A list paginates ids and reads its page below; one promotion gets its categories
        # and items from the serializer.
        if self.action == "list":
            return selectors.listed_promotion_ids(queryset)
        if self.action == "retrieve":
            return selectors.promotions_for_listing(queryset)
        return queryset

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            page = selectors.listed_page(page)
        return page

    def get_serializer_class(self):
        if self.action == "create":
            return PromotionCreateSerializer
        if self.action == "partial_update":
            return PromotionUpdateSerializer
        return PromotionSerializer

    def _items(self, validated_items):
        """Resolve item product ids to the merchant's own products (one query)."""
        if validated_items is None:
            return None
        ids = [item["product_id"] for item in validated_items]
        products = {p.pk: p for p in selectors.own_products(self.actor.merchant).filter(pk__in=ids)}
        errors = {
            index: {"product": [_("Unknown product %(id)s: choose one of your own products.") % {"id": pk}]}
            for index, pk in enumerate(ids)
            if pk not in products
        }
        if errors:
            raise ValidationError({"items": errors})
        return [
            {"product": products[item["product_id"]], "promo_price": item["promo_price"]} for item in validated_items
        ]

    def _output(self, promotion, status_code=status.HTTP_200_OK):
        promotion = selectors.promotion_for_output(promotion.pk)
        return Response(PromotionSerializer(promotion, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        items = self._items(data.pop("items", []))
        categories = data.pop("categories", [])
        festival = data.pop("festival")
        promotion = promotion_services.create_promotion(
            merchant=self.actor.merchant,
            festival=festival,
            by=self.actor.user,
            items=items,
            categories=categories,
            **data,
        )
        return self._output(promotion, status.HTTP_201_CREATED)

    def _editable_object(self):
        promotion = self.get_object()
        if not promotion.is_editable:
            raise Conflict(
                _("Only drafts and promotions with changes requested can be changed; this one is “%(status)s”.")
                % {"status": promotion.get_status_display()}
            )
        return promotion

    def partial_update(self, request, *args, **kwargs):
        promotion = self._editable_object()
        serializer = self.get_serializer(promotion, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("festival", None)
        items = self._items(data.pop("items", None))
        categories = data.pop("categories", None)
        promotion = promotion_services.update_promotion(
            promotion, by=self.actor.user, items=items, categories=categories, **data
        )
        return self._output(promotion)

    def destroy(self, request, *args, **kwargs):
        promotion = self._editable_object()
        promotion_services.delete_promotion(promotion, by=self.actor.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit for review",
        request=None,
        responses={200: PromotionSerializer, 400: ITEM_REFUSED},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=())
    def submit(self, request, pk=None):
        promotion = self.get_object()
        try:
            promotion = promotion_services.submit_promotion(promotion, by=self.actor.user)
        except promotion_services.SubmissionRefused as refused:
            return Response(self._refusal(promotion, refused), status=status.HTTP_400_BAD_REQUEST)
        return self._output(promotion)

    @staticmethod
    def _refusal(promotion, refused):
        failing = refused.details
        items = [
            {
                "product": item.product_id,
                "sku": item.product.sku,
                "check_status": item.check_status,
                "reasons": failing[item.product.sku],
            }
            for item in promotion.items.select_related("product").order_by("pk")
            if item.product.sku in failing
        ]
        return {"detail": refused.message, "code": refused.code, "items": items}

    @extend_schema(summary="Withdraw", request=None, responses={200: PromotionSerializer}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=())
    def withdraw(self, request, pk=None):
        promotion = self.get_object()
        promotion = promotion_services.withdraw_promotion(promotion, by=self.actor.user)
        return self._output(promotion)
