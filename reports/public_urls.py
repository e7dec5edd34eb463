"""Consumers' report pages (namespace ``reports``), included before the public site."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("promotions/<int:pk>/report/", views.report_form, name="new"),
    path("reports/<str:code>/", views.report_status, name="status"),
    path("reports/<str:code>/screenshot/", views.report_screenshot, name="screenshot"),
]
