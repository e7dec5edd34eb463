from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from core.pagination import EstimatedCountPaginator

# A partner's list is counted to the row up to here, estimated above (docs/api.md): counting
# more costs more than the rest of the request, and ``next`` never depends on the count.
API_EXACT_COUNT_LIMIT = 1_000


class ApiPaginator(EstimatedCountPaginator):
    exact_limit = API_EXACT_COUNT_LIMIT


class ApiPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``page_size`` up to 100.

    ``count`` is exact up to ``API_EXACT_COUNT_LIMIT`` rows and the
    planner's estimate above, so a list of millions costs the same as a list of
    thousands (docs/api.md says so to partners). A ``page_size`` that is not a whole
    number of at least 1 (``null``, ``abc``, ``0``) is refused with 400 rather than
    silently replaced by the default; above 100 it is capped.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = ApiPaginator

    def paginate_queryset(self, queryset, request, view=None):
        # An empty ``page=`` is not "page 1" (as DRF reads it) but no page number at all:
        # answered like any other page that does not exist.
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise ValidationError({self.page_size_query_param: [_("Give page_size as a whole number from 1.")]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = str(_("Results per page, 1 to 100 (larger values are capped at 100)."))
        return parameters
