"""The root URLconf. Apps are included by name, so the project package imports none of them."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("healthz", include("core.urls")),  # no auth, no secrets; exempt from the HTTPS redirect
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("merchant/api-keys/", include("api.portal_urls")),
    path("merchant/reports/", include("reports.portal_urls")),
    path("merchant/", include("promotions.portal_urls")),
    path("api/v1/", include("api.urls")),
    path("", include("reports.public_urls")),
    path("", include("public.urls")),
]
handler500 = "public.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
