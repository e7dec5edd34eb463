"""core's one URL: the health check (included at /healthz by the root URLconf)."""

from django.urls import path

from . import health

urlpatterns = [path("", health.healthz, name="healthz")]
