"""OpenAPI details drf-spectacular cannot infer: the Api-Key scheme and the error answers."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension

from core.validators import ControlCharacterValidator

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` holds the messages per field.",
    "401": "No valid API key (or session).",
    "403": "The key lacks the scope, is not bound to a merchant (a carrier, for parcels), or the object is another "
    "merchant's; a carrier's key is refused everywhere but parcels and festivals.",
    "404": "Not found, or not visible to you.",
    "409": "The promotion's status does not allow this.",
    "413": "The request body is too large.",
    "415": "The body is not JSON (send `Content-Type: application/json`).",
    "429": "Throttled: retry after `Retry-After` seconds.",
}
READ_ONLY_ERRORS = ("400", "401", "403", "404", "429")
# Public reads: a key is optional (it only raises the throttle rate).
PUBLIC_READ_PREFIXES = (
    "/api/v1/festivals/",
    "/api/v1/categories/",
    "/api/v1/merchants/",
    "/api/v1/promotions/",
    "/api/v1/parcels/",
)
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "429")


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>`. Keys have scopes and may be bound to one merchant or "
            "one express carrier.",
        }


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: document the JSON error answers every operation can give."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method == "get" and path.startswith(PUBLIC_READ_PREFIXES) and {} not in operation.get("security", []):
                operation.setdefault("security", []).append({})
            codes = READ_ONLY_ERRORS if method == "get" else WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code not in responses:
                    responses[code] = {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    }
                if code == "429":
                    responses[code].setdefault("headers", {})["Retry-After"] = {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait.",
                    }
            if method == "get" and "304" not in responses:
                responses["304"] = {"description": "Not modified (If-None-Match matched the ETag)."}
    return result


# core.validators refuses C0/C1 control characters (tab, newline and carriage return
# aside) and the bidirectional controls in every text field; stated as a pattern. It
# needs one character: where a field may be blank, drf-spectacular adds the empty string
# as a second ``oneOf`` branch (``maxLength: 0``), and a pattern that matched "" too would
# make "" match both branches, which ``oneOf`` refuses.
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]+$"


def enforces_text_rule(field) -> bool:
    """Whether the server refuses control characters in this serializer field (its validators)."""
    return any(isinstance(validator, ControlCharacterValidator) for validator in field.validators)


def value_bounds(field) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest value the field's validators let through (DRF turns
    ``min_value``/``max_value`` into these validators), or None."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return (max(lows) if lows else None, min(highs) if highs else None)


def decimal_pattern(field) -> str:
    """The decimal strings a DecimalField takes: at least one digit, at most its whole digits
    and decimal places, no sign when it refuses negatives and never zero when it refuses zero.
    Bounds a pattern cannot draw (a minimum of 5.00, say) are only in ``minimum``/``maximum``."""
    low, high = value_bounds(field)
    places, whole = field.decimal_places, field.max_whole_digits
    step = Decimal(1).scaleb(-places)
    if high is not None:
        # 99.99 at two places is "two whole digits at most".
        for digits in range(whole):
            if high == Decimal(10) ** digits - step:
                whole = digits
                break
    sign = "" if low is not None and low >= 0 else "-?"
    nonzero = r"(?!0*\.?0*$)" if low is not None and low > 0 else ""
    return rf"^{sign}{nonzero}(?=\.?\d)\d{{0,{whole}}}(?:\.\d{{0,{places}}})?$"


class TextRuleField(OpenApiSerializerFieldExtension):
    """Request text fields state the control-character rule exactly where their validators
    enforce it (model fields get the validator from core.validators.guard_text_fields)."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        # A field's own RegexValidator is drf-spectacular's to state; none of ours has both.
        has_regex = any(isinstance(v, RegexValidator) for v in self.target.validators)
        if (
            direction == "request"
            and enforces_text_rule(self.target)
            and schema.get("type") == "string"
            and not has_regex
            and "pattern" not in schema
        ):
            schema["pattern"] = NO_CONTROL_CHARACTERS
        return schema


class NestedListBounds(OpenApiSerializerFieldExtension):
    """A nested ``many=True`` serializer's ``min_length``/``max_length`` (and ``allow_empty``),
    which DRF enforces and drf-spectacular leaves out, as ``minItems``/``maxItems``."""

    target_class = "rest_framework.serializers.ListSerializer"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request" or schema.get("type") != "array":
            return schema
        field = self.target
        low = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
        if low:
            schema["minItems"] = low
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


class DecimalBoundsField(OpenApiSerializerFieldExtension):
    """Request decimals state the bounds their validators enforce: ``minimum``/``maximum``
    and, as decimals travel as strings (which JSON Schema's numeric keywords do not
    constrain), a pattern that refuses what the bounds refuse where a pattern can."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        low, high = value_bounds(self.target)
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
        if schema.get("type") == "string" and self.target.max_whole_digits is not None:
            schema["pattern"] = decimal_pattern(self.target)
        return schema


# OpenAPI links: how a client (and schemathesis' stateful tests) goes from one answer to
# the next call: the id a create answers, or the id in the path of a call, opens the
# object's read, edit, delete and transitions. Link name -> (target operationId, id).
CREATED_ID = "$response.body#/id"
SAME_ID = "$request.path.id"
PROMOTION_NEXT = {
    "GetPromotion": ("promotions_retrieve", CREATED_ID),
    "EditPromotion": ("promotions_partial_update", CREATED_ID),
    "SubmitPromotion": ("promotions_submit_create", CREATED_ID),
    "WithdrawPromotion": ("promotions_withdraw_create", CREATED_ID),
    "DeletePromotion": ("promotions_destroy", CREATED_ID),
}
PRODUCT_NEXT = {
    "GetProduct": ("products_retrieve", CREATED_ID),
    "EditProduct": ("products_partial_update", CREATED_ID),
    "RecordPrice": ("products_prices_create", CREATED_ID),
    "ListPrices": ("products_prices_list", CREATED_ID),
}
LINKS = {
    ("/api/v1/products/", "post", "201"): PRODUCT_NEXT,
    ("/api/v1/products/{id}/", "patch", "200"): PRODUCT_NEXT,
    ("/api/v1/products/{id}/prices/", "post", "201"): {
        "ListPrices": ("products_prices_list", SAME_ID),
        "RecordPrice": ("products_prices_create", SAME_ID),
        "GetProduct": ("products_retrieve", SAME_ID),
    },
    ("/api/v1/promotions/", "post", "201"): PROMOTION_NEXT,
    ("/api/v1/promotions/{id}/", "patch", "200"): PROMOTION_NEXT,
    ("/api/v1/promotions/{id}/submit/", "post", "200"): PROMOTION_NEXT,
    ("/api/v1/promotions/{id}/withdraw/", "post", "200"): PROMOTION_NEXT,
    # After a delete the object is gone: its read answers 404.
    ("/api/v1/promotions/{id}/", "delete", "204"): {"GetPromotion": ("promotions_retrieve", SAME_ID)},
    ("/api/v1/sales-reports/", "post", "201"): {"GetSalesReport": ("sales_reports_retrieve", CREATED_ID)},
    ("/api/v1/sales-reports/", "post", "200"): {"GetSalesReport": ("sales_reports_retrieve", CREATED_ID)},
    ("/api/v1/webhooks/", "post", "201"): {
        "GetWebhook": ("webhooks_retrieve", CREATED_ID),
        "DeleteWebhook": ("webhooks_destroy", CREATED_ID),
    },
    ("/api/v1/webhooks/{id}/", "delete", "204"): {"GetWebhook": ("webhooks_retrieve", SAME_ID)},
}


def add_links(result, generator, request, public):
    """Postprocessing hook: the links of LINKS on the answers they follow."""
    paths = result.get("paths", {})
    operation_ids = {op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op}
    for (path, method, status), links in LINKS.items():
        if path not in paths:  # a schema generated for part of the API
            continue
        response = paths[path][method]["responses"][status]
        for name, (operation_id, value) in links.items():
            assert operation_id in operation_ids, f"link {name}: no operation {operation_id}"
            response.setdefault("links", {})[name] = {"operationId": operation_id, "parameters": {"id": value}}
    return result
