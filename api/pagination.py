import base64
import binascii
import json

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page
from django.db import connections
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.pagination import EstimatedCountPaginator

# A partner's list is counted to the row up to here, estimated above (docs/api.md): counting
# more costs more than the rest of the request, and ``next`` never depends on the count.
API_EXACT_COUNT_LIMIT = 1_000

# Pages up to here are read by number (OFFSET); past it ``next`` and ``previous`` carry a
# cursor, the last (or first) row's place in the list's order, and the page is read from
# there through the ordering's index: a deep page by number reads and skips every row
# before it (page 5,000 of a million promotions skipped 499,900).
KEYSET_FROM_PAGE = 50


class ApiPaginator(EstimatedCountPaginator):
    exact_limit = API_EXACT_COUNT_LIMIT


def keyset_ordering(queryset) -> list[tuple[str, bool]] | None:
    """The list's order as (column attribute, descending) pairs ending with the primary key,
    or None when rows cannot be placed by their own values in it (an expression, a related
    model's ordering, a column that may be NULL): such a list pages by number only."""
    model, query = queryset.model, queryset.query
    if query.extra_order_by:
        return None
    order = list(query.order_by) or (list(model._meta.ordering) if query.default_ordering else [])
    pk = model._meta.pk
    fields = []
    for item in order:
        if not isinstance(item, str) or item == "?":
            return None
        name = item.removeprefix("-")
        try:
            field = pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:  # an annotation or a related model's field
            return None
        if field.null or not field.concrete or (field.is_relation and name != field.attname):
            return None  # ordering by a foreign key orders by the related model's ordering
        fields.append((field.attname, item.startswith("-")))
    if pk.attname not in [name for name, _descending in fields]:
        # A tie-breaker, so every row has one place; in the last column's direction, so a
        # list in one direction compares its rows as a whole (below).
        fields.append((pk.attname, fields[-1][1] if fields else False))
    return fields


def ordered(queryset, fields, *, reverse: bool = False):
    """``queryset`` in the order ``fields`` (the other way round when ``reverse``)."""
    return queryset.order_by(*[("-" if descending != reverse else "") + name for name, descending in fields])


def _beyond(queryset, fields, values, *, backward: bool) -> Q | RawSQL:
    """Rows after ``values`` in the order ``fields`` (before them when ``backward``)."""
    model, connection = queryset.model, connections[queryset.db]
    if len({descending for _name, descending in fields}) == 1:
        # One direction: a row comparison, which the ordering's index seeks to directly
        # (however many rows share the first column's value, e.g. a festival's opening).
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(
            f"{table}.{connection.ops.quote_name(model._meta.get_field(name).column)}" for name, _d in fields
        )
        later = "<" if fields[0][1] != backward else ">"
        placeholders = ", ".join(["%s"] * len(values))
        # As the database stores them (SQLite: moments as UTC text), since RawSQL is not a lookup.
        params = [
            model._meta.get_field(name).get_db_prep_value(value, connection)
            for (name, _d), value in zip(fields, values, strict=True)
        ]
        return RawSQL(f"({columns}) {later} ({placeholders})", params, output_field=BooleanField())
    rows = Q()
    for index, (name, descending) in enumerate(fields):
        later = "lt" if descending != backward else "gt"
        step = Q(**{f"{name}__{later}": values[index]})
        for earlier_name, earlier_value in zip([n for n, _d in fields[:index]], values[:index], strict=True):
            step &= Q(**{earlier_name: earlier_value})
        rows |= step
    # The first column's bound on its own lets the ordering's index start the scan there.
    first, descending = fields[0]
    return rows & Q(**{f"{first}__{'lte' if descending != backward else 'gte'}": values[0]})


class CursorPage(Page):
    """A page read from a cursor: its number is where the cursor says it is."""

    def __init__(self, object_list, number, paginator, *, more_after: bool, more_before: bool):
        super().__init__(object_list, number, paginator)
        self.more_after, self.more_before = more_after, more_before

    def has_next(self):
        return self.more_after

    def has_previous(self):
        return self.more_before


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

    cursor_query_param = "cursor"
    invalid_cursor_message = _("Invalid cursor: follow the next and previous links as given.")

    def paginate_queryset(self, queryset, request, view=None):
        # An empty ``page=`` is not "page 1" (as DRF reads it) but no page number at all:
        # answered like any other page that does not exist.
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(self.invalid_page_message)
        self._ends = {}  # ordering values of the page's first and last ids (_values)
        self.fields = keyset_ordering(queryset)
        if self.fields is not None:  # the order the cursors follow, the tie-breaker included
            queryset = ordered(queryset, self.fields)
        self.queryset = queryset
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is None:
            return super().paginate_queryset(queryset, request, view)
        if self.page_query_param in request.query_params:
            raise ValidationError({self.cursor_query_param: [_("Give a page number or a cursor, not both.")]})
        self.request = request
        number, values, backward = self._decode(cursor)
        page_size = self.get_page_size(request)
        beyond = queryset.filter(_beyond(queryset, self.fields, values, backward=backward))
        # Backward: the rows just before, nearest first.
        rows = list(ordered(beyond, self.fields, reverse=backward)[: page_size + 1])
        more = len(rows) > page_size
        rows = rows[:page_size]
        if backward:
            rows.reverse()
        if not rows:
            raise NotFound(self.invalid_cursor_message)
        self.page = CursorPage(
            rows,
            number,
            self.django_paginator_class(queryset, page_size),
            more_after=more or backward,
            more_before=more or not backward,
        )
        return rows

    def _values(self, row) -> list:
        """``row``'s values of the ordering's columns (the row, or its primary key: then the
        page's first and last rows, which the links start from, are read in one query)."""
        model = self.queryset.model
        if isinstance(row, model):
            return [getattr(row, name) for name, _descending in self.fields]
        if row not in self._ends:
            ends = {self.page.object_list[0], self.page.object_list[-1]}
            names = [name for name, _descending in self.fields]
            self._ends = {
                pk: values for pk, *values in model._base_manager.filter(pk__in=ends).values_list("pk", *names)
            }
        return self._ends[row]

    def _cursor_link(self, row, number: int, *, backward: bool) -> str:
        values = [field.get_prep_value(value) for field, value in zip(self._columns(), self._values(row), strict=True)]
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, encode_cursor(number, values, backward=backward))

    def _columns(self):
        return [self.queryset.model._meta.get_field(name) for name, _descending in self.fields]

    def _decode(self, cursor: str) -> tuple[int, list, bool]:
        if self.fields is None:
            raise NotFound(self.invalid_cursor_message)
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            number, raw_values, backward = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(number, int) or isinstance(number, bool) or number <= KEYSET_FROM_PAGE:
                raise ValueError("a cursor leads past the numbered pages")
            if not isinstance(backward, bool) or not isinstance(raw_values, list):
                raise ValueError("not a cursor")
            values = [field.to_python(value) for field, value in zip(self._columns(), raw_values, strict=True)]
        except (ValueError, TypeError, binascii.Error, DjangoValidationError, UnicodeDecodeError):
            raise NotFound(self.invalid_cursor_message) from None
        return number, values, backward

    def get_next_link(self):
        if not self.page.has_next():
            return None
        number = self.page.number + 1
        if number <= KEYSET_FROM_PAGE or self.fields is None:  # never a cursor page's: those are past both
            return super().get_next_link()
        return self._cursor_link(self.page.object_list[-1], number, backward=False)

    def get_previous_link(self):
        if not self.page.has_previous():
            return None
        number = self.page.number - 1
        if number <= KEYSET_FROM_PAGE:
            url = remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
            return (
                remove_query_param(url, self.page_query_param)
                if number == 1
                else replace_query_param(url, self.page_query_param, number)
            )
        return self._cursor_link(self.page.object_list[0], number, backward=True)

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
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Where a page past page %(page)d starts: given in the next and previous links, "
                        "not made by hand (instead of page)."
                    )
                    % {"page": KEYSET_FROM_PAGE}
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters


def encode_cursor(number: int, values: list, *, backward: bool = False) -> str:
    """The ``cursor`` of page ``number``, which starts after the row whose ordering columns
    hold ``values`` (before it when ``backward``)."""
    token = json.dumps([number, [_as_json(value) for value in values], backward], separators=(",", ":"))
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def _as_json(value):
    """A column's prepared value as JSON holds it (read back by the field's ``to_python``)."""
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
