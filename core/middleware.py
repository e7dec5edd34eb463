"""Response headers Django has no setting for, and the request log."""

import logging
import time

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Adds settings.PERMISSIONS_POLICY as the Permissions-Policy header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


class RequestLogMiddleware:
    """First in MIDDLEWARE: gives the request its id (core.logs), answers it in
    ``X-Request-ID`` and logs one JSON line when the response is ready: method,
    path, status, duration, user. Load balancers' successful /healthz polls are
    logged at DEBUG only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from . import logs

        request_id = logs.accept_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        request.request_id = request_id
        started = time.monotonic()
        with logs.bound(request_id):
            response = self.get_response(request)
            response.headers[logs.REQUEST_ID_HEADER] = request_id
            status = response.status_code
            if status >= 500:
                level = logging.ERROR
            elif status >= 400:
                level = logging.WARNING
            elif request.path == "/healthz":
                level = logging.DEBUG
            else:
                level = logging.INFO
            user = getattr(request, "_cached_user", None)  # only when the view looked the user up
            logs.request_logger.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": getattr(user, "pk", None),
                },
            )
        return response
