from rest_framework.pagination import PageNumberPagination

from core.pagination import EXACT_COUNT_LIMIT, EstimatedCountPaginator


class ApiPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``page_size`` up to 100.

    ``count`` is exact up to ``core.pagination.EXACT_COUNT_LIMIT`` rows and the
    planner's estimate above, so a list of millions costs the same as a list of
    thousands (docs/api.md says so to partners).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = EstimatedCountPaginator
    exact_count_limit = EXACT_COUNT_LIMIT
