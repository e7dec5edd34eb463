"""Serializers of the partner API (/api/v1/): the payload shapes of issue 6,
one module per resource (festivals, merchants, products, promotions, sales,
webhooks) and the shared fields in ``common``.

Output shapes are the contract partners code against, and webhook payloads
reuse them ("the object as the API shows it"), so every serializer here works
without a request in its context: ``PromotionSerializer(promotion).data``.

Writes are only *validated* here; views hand validated data to the services
(promotions.services, merchants.services), which own every state change.

The names are re-exported here, so ``from api.serializers import X`` keeps working.
"""

from api.serializers.common import (
    FIRST_YEAR,
    LAST_YEAR,
    MONEY,
    SCOPE_CHOICES,
    ErrorDetailField,
    ErrorSerializer,
    MomentField,
    SlugLookupField,
)
from api.serializers.festivals import (
    CategoryChildrenField,
    CategoryTreeSerializer,
    FestivalResultsSerializer,
    FestivalSerializer,
    MerchantResultSerializer,
    PromotionResultSerializer,
    SalesDaySerializer,
    SalesResultSerializer,
    SalesTotalSerializer,
)
from api.serializers.merchants import MerchantContactSerializer, MerchantSerializer
from api.serializers.products import (
    MAX_BULK_PRICES,
    BoundedListField,
    BulkPricePointSerializer,
    BulkPricesResultSerializer,
    BulkPricesSerializer,
    PricePointSerializer,
    ProductSerializer,
)
from api.serializers.promotions import (
    DECIMAL_KIND_FIELDS,
    KIND_FIELD_HELP,
    MAX_PROMOTION_ITEMS,
    PromotionCreateSerializer,
    PromotionItemSerializer,
    PromotionSerializer,
    PromotionUpdateSerializer,
    SubmissionRefusedItemSerializer,
    SubmissionRefusedSerializer,
    promotion_representation,
)
from api.serializers.sales import SalesReportSerializer
from api.serializers.webhooks import WebhookSubscriptionCreatedSerializer, WebhookSubscriptionSerializer

__all__ = [
    "DECIMAL_KIND_FIELDS",
    "FIRST_YEAR",
    "KIND_FIELD_HELP",
    "LAST_YEAR",
    "MAX_BULK_PRICES",
    "MAX_PROMOTION_ITEMS",
    "MONEY",
    "SCOPE_CHOICES",
    "BoundedListField",
    "BulkPricePointSerializer",
    "BulkPricesResultSerializer",
    "BulkPricesSerializer",
    "CategoryChildrenField",
    "CategoryTreeSerializer",
    "ErrorDetailField",
    "ErrorSerializer",
    "FestivalResultsSerializer",
    "FestivalSerializer",
    "MerchantContactSerializer",
    "MerchantResultSerializer",
    "MerchantSerializer",
    "MomentField",
    "PricePointSerializer",
    "ProductSerializer",
    "PromotionCreateSerializer",
    "PromotionItemSerializer",
    "PromotionResultSerializer",
    "PromotionSerializer",
    "PromotionUpdateSerializer",
    "SalesDaySerializer",
    "SalesReportSerializer",
    "SalesResultSerializer",
    "SalesTotalSerializer",
    "SlugLookupField",
    "SubmissionRefusedItemSerializer",
    "SubmissionRefusedSerializer",
    "WebhookSubscriptionCreatedSerializer",
    "WebhookSubscriptionSerializer",
    "promotion_representation",
]
