"""The root URLconf: the project package sits above every app and wires them together."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from merchants import urls as merchant_portal_urls
from promotions import portal_urls as promotion_portal_urls

# The merchant portal is one namespace over two apps: merchants' pages and, above
# them, promotions' (which may import merchants; merchants never imports promotions).
merchant_portal_patterns = [
    *promotion_portal_urls.home_patterns,
    *merchant_portal_urls.urlpatterns,
    path("promotions/", include(promotion_portal_urls.urlpatterns)),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("merchant/api-keys/", include("api.portal_urls")),
    path("merchant/", include((merchant_portal_patterns, "merchant"))),
    path("api/v1/", include("api.urls")),
    path("", include("promotions.public_urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
