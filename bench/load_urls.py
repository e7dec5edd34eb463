"""The site's URLs plus the ceiling of bench/load.py: a view that does nothing,
served by the same gunicorn, settings and middleware as every real page."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial),
    path("", include("festival.urls")),
]
# As festival.urls: Django's own 500 view renders 500.html without a request, which public/base.html needs.
handler500 = "public.views.server_error"
