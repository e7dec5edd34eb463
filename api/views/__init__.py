"""Views of the partner API (/api/v1/), one module per resource (festivals,
merchants, promotions, products, sales, webhooks) and what they share in
``base``. Thin: reads come from api.selectors, writes go through
promotions.services and merchants.services, who may do what is
api.permissions' job, and errors are shaped by api.exceptions.

The names are re-exported here, so ``from api import views`` keeps working.
"""

from api.views.base import ID_PATTERN, SLUG_PATTERN, ApiView, Conflict
from api.views.festivals import CategoryTreeView, FestivalViewSet
from api.views.merchants import MerchantViewSet
from api.views.products import BulkPricesView, ProductViewSet
from api.views.promotions import ITEM_REFUSED, PromotionViewSet
from api.views.sales import SalesReportViewSet
from api.views.webhooks import WebhookViewSet

__all__ = [
    "ID_PATTERN",
    "ITEM_REFUSED",
    "SLUG_PATTERN",
    "ApiView",
    "BulkPricesView",
    "CategoryTreeView",
    "Conflict",
    "FestivalViewSet",
    "MerchantViewSet",
    "ProductViewSet",
    "PromotionViewSet",
    "SalesReportViewSet",
    "WebhookViewSet",
]
