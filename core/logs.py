"""Structured logs: one JSON object a line, each carrying the id of the request
(or task) it belongs to.

- Every web request gets an id: the ``X-Request-ID`` its client or proxy sent
  (when it is a short token), else a new one. It is answered in the response's
  ``X-Request-ID`` and written on every log line of the request
  (``core.middleware.RequestLogMiddleware`` logs one line per request).
- A task enqueued during a request carries that id (the outbox row stores it, and
  ``before_task_publish`` puts it in the message headers); the worker binds it
  while the task runs and logs one line per task, so ``grep <id>`` follows a
  reviewer's click to the webhook it caused.
"""

import json
import logging
import re
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
HEADER = "request_id"  # the Celery message header
_ACCEPTED = re.compile(r"[A-Za-z0-9._:@-]{1,64}")
_request_id: ContextVar[str] = ContextVar("festival_request_id", default="")

request_logger = logging.getLogger("festival.requests")
task_logger = logging.getLogger("festival.tasks")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The caller's id when it is a plain token of at most 64 characters (so a
    header cannot forge log lines), else a new one."""
    return value if value and _ACCEPTED.fullmatch(value) else new_request_id()


@contextmanager
def bound(request_id: str):
    """Log (and enqueue) under ``request_id`` inside this block."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``%(request_id)s`` in text formats)."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", (), None)), "message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, the
    record's extra fields, and the exception's traceback (for operators only; a user
    never sees one, see public.views.server_error)."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=_plain, ensure_ascii=False)


def _plain(value):
    """What json cannot write (a request object, a datetime, a set) as its text."""
    return str(value)


# Celery: the id travels in the message headers; one line per task. ------------------

_running: dict[str, tuple] = {}


def _on_before_task_publish(sender=None, headers=None, **_kwargs):
    if headers is not None and not headers.get(HEADER):
        request_id = current_request_id()
        if request_id:
            headers[HEADER] = request_id


def _header_of(task) -> str:
    request = task.request
    value = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return value if isinstance(value, str) else ""


def _on_task_prerun(task_id=None, task=None, **_kwargs):
    request_id = accept_request_id(_header_of(task) or current_request_id() or None)
    _running[task_id] = (_request_id.set(request_id), time.monotonic())


def _on_task_postrun(task_id=None, task=None, state=None, **_kwargs):
    token, started = _running.pop(task_id, (None, time.monotonic()))
    state = state or "UNKNOWN"
    level = logging.INFO if state in ("SUCCESS", "RETRY", "IGNORED") else logging.ERROR
    verb = {"SUCCESS": "succeeded", "RETRY": "will be retried", "FAILURE": "failed"}.get(state, state.lower())
    task_logger.log(
        level,
        "task %s %s",
        task.name,
        verb,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "retries": getattr(task.request, "retries", 0),
        },
    )
    if token is not None:
        _request_id.reset(token)


def connect_celery_signals() -> None:
    """Called from CoreConfig.ready(), in the web processes and in the workers."""
    from celery import signals

    signals.before_task_publish.connect(_on_before_task_publish, weak=False, dispatch_uid="festival-request-id")
    signals.task_prerun.connect(_on_task_prerun, weak=False, dispatch_uid="festival-task-prerun")
    signals.task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="festival-task-postrun")
