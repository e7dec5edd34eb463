"""What every view of the partner API shares: the lookup patterns, the 409
answer, and the ApiView mixin (pagination, throttles, ETag/304 and Vary)."""

import hashlib
from functools import partial

from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError

from api.authentication import actor_for
from api.pagination import ApiPagination
from api.throttling import AnonThrottle, KeyThrottle, UserThrottle

ID_PATTERN = r"[0-9]{1,18}"
SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,60}"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Conflict."


def _with_etag(request, response):
    """After rendering: tag the body and answer 304 when the client already has it."""
    etag = quote_etag(hashlib.md5(response.content, usedforsecurity=False).hexdigest())
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)


# What every API view shares: pagination, throttles, ETag/304 and Vary. (A comment,
# not a docstring: drf-spectacular would show a docstring on every operation.)
class ApiView:
    pagination_class = ApiPagination
    throttle_classes = (AnonThrottle, KeyThrottle, UserThrottle)
    filter_backends = (DjangoFilterBackend,)
    # A carrier's key reports parcels and reads festivals; it is refused everywhere
    # else (merchants, promotions, products, prices, sales, reports, webhooks).
    carrier_keys_allowed = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Every query parameter of the API is one value: a repeated one (``?page=2&page=``)
        # would be read as its last value, silently. Refused instead, as the schema says.
        repeated = sorted(name for name, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            raise ValidationError({name: [_("Give this parameter once.")] for name in repeated})
        # An empty value of a typed filter (``?kind=``, ``?merchant=``) is no choice, number or
        # date at all: refused as the schema says, not read as "no filter" (text filters may be empty).
        filterset = getattr(self, "filterset_class", None)
        typed = {
            name
            for name, filter_ in (filterset.base_filters.items() if filterset is not None else ())
            if not isinstance(filter_, filters.CharFilter)
        }
        empty = sorted(name for name, value in request.query_params.items() if value == "" and name in typed)
        if empty:
            raise ValidationError({name: [_("Give a value, or leave this parameter out.")] for name in empty})

    def check_permissions(self, request):
        if not self.carrier_keys_allowed and actor_for(request).carrier is not None:
            raise PermissionDenied(_("A carrier's API key reports parcels only; it has no access to this."))
        super().check_permissions(request)

    @property
    def actor(self):
        return actor_for(self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["actor"] = self.actor
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.add_post_render_callback(partial(_with_etag, request._request))
        return response
