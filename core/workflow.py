"""The one path every audited status change takes (festivals, participations,
certificates, promotions): lock the row, check the transition table, set the
status and any timestamps, save only what changed, and record who, when, from,
to and why."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule refused the operation; the message is shown to the user."""

    def __init__(self, message, *, code="invalid", details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}


class TransitionNotAllowed(DomainError):
    def __init__(self, message, *, current=None, target=None):
        super().__init__(message, code="transition_not_allowed")
        self.current = current
        self.target = target


def transition(instance, to, *, allowed, event_model, event_fk, by=None, note="", at=None, on_change=None, **changes):
    """Move ``instance`` to status ``to``; call inside ``transaction.atomic``.

    ``at`` is when the change happened (default: now); the clock and the demo
    data pass their own moment so the record shows it.

    ``on_change(locked, previous_status)`` runs after the save, in the same transaction
    (promotions keep their roll-up counts with it).

    Returns the locked, updated instance. Raises TransitionNotAllowed when the
    table does not allow the move from the row's *current* status, which may
    differ from the caller's copy when somebody else was faster.
    """
    model = type(instance)
    locked = model.objects.select_for_update().get(pk=instance.pk)
    current = locked.status
    if to not in allowed.get(current, frozenset()):
        raise TransitionNotAllowed(
            _("Cannot change %(object)s from “%(current)s” to “%(target)s”.")
            % {
                "object": model._meta.verbose_name,
                "current": locked.get_status_display(),
                "target": dict(model._meta.get_field("status").choices).get(to, to),
            },
            current=current,
            target=to,
        )
    locked.status = to
    for field, value in changes.items():
        setattr(locked, field, value)
    update_fields = ["status", *changes]
    if any(f.name == "updated_at" for f in model._meta.get_fields() if isinstance(f, models.Field)):
        locked.updated_at = at or timezone.now()
        update_fields.append("updated_at")
    locked.save(update_fields=update_fields)
    if on_change is not None:
        on_change(locked, current)
    event_model.objects.create(
        **{event_fk: locked},
        from_status=current,
        to_status=to,
        actor=by,
        note=note or "",
        created_at=at or timezone.now(),
    )
    return locked
