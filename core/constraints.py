"""Model validation that checks all of a model's CheckConstraints in one query.

Django validates each CheckConstraint with a query of its own, and builds for each
one an expression for every field of the instance (and a savepoint around it inside
a transaction): a promotion's ten constraints cost about 55 ms of ``full_clean``,
most of the time it takes to create one (seeding the demo spent a sixth of its time
there). ``OneQueryCheckConstraints`` asks the same questions with the same
expressions, all in one ``SELECT``, and raises the same errors in the same order.
"""

import logging
from contextlib import nullcontext

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, ExpressionWrapper, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)


def failed_check_constraints(model, instance, constraints, *, exclude=None, using="default") -> list:
    """The constraints among ``constraints`` (CheckConstraints of ``model``) that
    ``instance`` breaks, asked in one query. A constraint on a field in ``exclude``
    is not asked (as Django's CheckConstraint.validate skips it); a condition that
    comes out NULL passes, as it does in the database."""
    query = Query(None)
    for name, value in instance._get_field_expression_map(meta=model._meta, exclude=exclude).items():
        query.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
    asked = []
    for constraint in constraints:
        passes = Coalesce(
            ExpressionWrapper(Q(constraint.condition), output_field=BooleanField()),
            Value(True),
            output_field=BooleanField(),
        )
        try:
            query.add_annotation(passes, f"_passes_{len(asked)}")
        except FieldError:  # a field it reads is excluded
            continue
        asked.append(constraint)
    if not asked:
        return []
    connection = connections[using]
    in_transaction = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with in_transaction:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as error:  # as Django does: the database will have the last word
        logger.warning("Could not check the constraints of %r: %s", instance, error)
        return []
    return [constraint for constraint, passes in zip(asked, row, strict=True) if not passes]


class OneQueryCheckConstraints:
    """A model mixin: ``validate_constraints`` asks every CheckConstraint in one query
    (``failed_check_constraints``) and the other constraints as Django does; the errors
    are the ones Django's own validation raises."""

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        errors = {}
        for model_class, constraints in self.get_constraints():
            checks = [c for c in constraints if isinstance(c, CheckConstraint)]
            # By identity: constraints compare equal by their definition and are not hashable.
            failed = {id(c) for c in failed_check_constraints(model_class, self, checks, exclude=exclude, using=using)}
            for constraint in constraints:
                try:
                    if id(constraint) in failed:
                        raise ValidationError(
                            constraint.get_violation_error_message(), code=constraint.violation_error_code
                        )
                    if not isinstance(constraint, CheckConstraint):
                        constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
