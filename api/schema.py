"""OpenAPI details drf-spectacular cannot infer: the Api-Key scheme and the error answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

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
# aside) and the bidirectional controls in every text field; stated as a pattern.
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"


def state_text_rule(result, generator, request, public):
    """Postprocessing hook: request bodies' free-text properties (strings without a
    format, choices or pattern of their own) carry the control-character rule."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if (
                prop.get("type") == "string"
                and not ({"format", "enum", "pattern"} & set(prop))
                and not prop.get("readOnly")
            ):
                prop["pattern"] = NO_CONTROL_CHARACTERS
    return result
