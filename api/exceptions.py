"""One exception handler for the API (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Every error is JSON: ``{"detail": message, "code": code}`` plus, for invalid
input, ``"errors": {field: [messages]}`` (400). Business refusals of the
services (DomainError) are 400, illegal status changes (TransitionNotAllowed)
409, Django's ValidationError 400 per field, PermissionDenied 403, Http404 404,
oversized bodies 413, the database unreachable 503 (core/outages.py).
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.outages import database_unavailable, mark_unavailable, unavailable_body
from core.workflow import DomainError, TransitionNotAllowed

logger = logging.getLogger(__name__)


def _field_errors(django_error: DjangoValidationError):
    if hasattr(django_error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in django_error.message_dict.items()
        }
    return {"non_field_errors": django_error.messages}


def _first_message(errors):
    if isinstance(errors, dict):
        for value in errors.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(errors, list):
        for value in errors:
            found = _first_message(value)
            if found:
                return found
    elif errors:
        return str(errors)
    return ""


def _body(detail, code, **extra):
    return {"detail": str(detail), "code": code, **extra}


def api_exception_handler(exc, context):
    if isinstance(exc, TransitionNotAllowed):
        return Response(
            _body(exc.message, exc.code, current_status=exc.current, target_status=exc.target),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DomainError):
        extra = {"details": exc.details} if exc.details else {}
        return Response(_body(exc.message, exc.code, **extra), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        errors = _field_errors(exc)
        return Response(
            _body(_first_message(errors) or _("Invalid input."), "invalid", errors=errors),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            _body(_("The request body is too large."), "too_large"), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(_body(_("Bad request."), "bad_request"), status=status.HTTP_400_BAD_REQUEST)

    if database_unavailable(exc):
        return mark_unavailable(Response(unavailable_body()), exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django answer 500 and log it
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = _body(_first_message(errors) or _("Invalid input."), "invalid", errors=errors)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = detail.code if hasattr(detail, "code") else exc.default_code
        if isinstance(detail, dict | list):
            response.data = _body(_first_message(detail), code, errors=detail)
        else:
            response.data = _body(detail, code)
    elif isinstance(exc, Http404):
        response.data = _body(_("Not found."), "not_found")
    elif isinstance(exc, DjangoPermissionDenied):
        response.data = _body(str(exc) or _("You do not have permission to do this."), "permission_denied")
    return response


@csrf_exempt  # only ever answers a JSON 404; without this an unsafe method got the HTML CSRF 403
def unmatched_path(request, path=""):
    """Any address under /api/v1/ that names no endpoint (an unknown resource, an id that
    is not a number, a slug in Chinese): the API's JSON 404, never the site's HTML page."""
    return JsonResponse(_body(_("Not found."), "not_found"), status=status.HTTP_404_NOT_FOUND)
