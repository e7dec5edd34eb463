"""The merchant portal's reports pages, mounted at merchant/reports/ (namespace ``merchant_reports``)."""

from django.urls import path

from . import portal_views

app_name = "merchant_reports"

urlpatterns = [
    path("", portal_views.report_list, name="list"),
    path("<int:pk>/", portal_views.report_detail, name="detail"),
]
