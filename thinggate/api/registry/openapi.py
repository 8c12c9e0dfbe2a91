"""The registry door's OpenAPI 3.1 document, generated from its route table and the msgspec structs it decodes with.

Nothing here describes a route by hand: each row of the table (door.py `Route`) gives its method,
path, body struct, answer type, summary, rights, query parameters and error keys, and the schemas
are msgspec's JSON Schema of those very structs. A route added to the table is in the document.
OpenAPI 3.1 because msgspec writes JSON Schema 2020-12 (`null` as a type), which 3.1 uses as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn, Protocol

import msgspec

from thinggate.api.registry.errors import STATUS
from thinggate.api.registry.structs import ErrorBody


class Parameter(Protocol):
    """A query parameter as the document shows it (door.py's QueryParam)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def schema(self) -> Mapping[str, Any]: ...
    @property
    def allow_empty(self) -> bool: ...


class Route(Protocol):
    """A row of the route table as the document reads it (door.py's Route; door.py imports this module)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def body(self) -> type[Any] | None: ...
    @property
    def authenticated(self) -> bool: ...
    @property
    def api_key(self) -> bool: ...
    @property
    def answer(self) -> Any: ...
    @property
    def summary(self) -> str: ...
    @property
    def rights(self) -> str: ...
    @property
    def query(self) -> Sequence[Parameter]: ...
    @property
    def path_params(self) -> tuple[str, ...]: ...
    @property
    def error_keys(self) -> tuple[str, ...]: ...


OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/{name}"
_SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "An API key of the hub: the published one (GET /<stack>/metadata/manifest) or one made "
        "with `thinggate apikey add`. Missing or unknown: 403 INVALID_API_KEY.",
    },
    "token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A login's token (POST /<stack>/auth/login), raw or after `Bearer `. "
        "Missing, unknown, expired or revoked: 401 NOT_AUTHENTICATED.",
    },
}
_HEADERS: dict[str, dict[str, Any]] = {
    "TOO_MANY_REQUESTS": {
        "Retry-After": {
            "description": "Seconds until the address may log in again",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}
"""Headers that come with an error key (the door sets them whenever it answers that key)."""


def document(
    routes: Sequence[Route], *, stack: str, version: str, top: Sequence[Route] = (), server: str | None = None
) -> dict[str, Any]:
    """The OpenAPI document of `routes` (served under `/<stack>/`) and `top` (served at the origin)."""
    rows = [(route, f"/{stack}{route.path}") for route in routes] + [(route, route.path) for route in top]
    types: list[Any] = [ErrorBody]
    for route, _ in rows:
        if route.body is not None:
            types.append(route.body)
        if _succeeds(route):
            types.append(route.answer)
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=_REF)
    schema_of = dict(zip(unique, schemas, strict=True))
    for component in components.values():
        _lift_required(component)

    paths: dict[str, dict[str, Any]] = {}
    for route, path in rows:
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, path, schema_of, components)
    out: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "thinggate registry door (Managed IoT Cloud REST API)",
            "version": version,
            "description": (
                f"Every route but the discovery ones is under /{stack}/ and needs `x-api-key`; most also a "
                "login's token in `Authorization`. Every success is HTTP 200 application/json; every refusal is "
                "`{message, messageKey, messageParams, property}` with one status per messageKey."
            ),
        },
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": _SECURITY_SCHEMES},
    }
    if server is not None:
        out["servers"] = [{"url": server}]
    return out


def _succeeds(route: Route) -> bool:
    return route.answer is not NoReturn


def components_required(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    """The required properties of a body's schema (a reference to a component, or inline)."""
    ref = schema.get("$ref", "")
    if ref.startswith(_REF.format(name="")):
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    required: list[str] = schema.get("required", [])
    return required


def _operation(route: Route, path: str, schema_of: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    description = route.summary or f"{route.method} {route.path}"
    if route.rights:
        description += f"\n\nRights: {route.rights}."
    operation: dict[str, Any] = {
        "operationId": _operation_id(route.method, path),
        "summary": route.summary or f"{route.method} {route.path}",
        "description": description,
        "tags": [route.path.strip("/").split("/")[0] or "registry"],
    }
    if route.rights:
        operation["x-rights"] = route.rights
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in route.path_params
    ]
    for param in route.query:
        described: dict[str, Any] = {
            "name": param.name,
            "in": "query",
            "required": False,
            "description": param.description,
            "schema": dict(param.schema),
        }
        if param.allow_empty:
            described["allowEmptyValue"] = True
        parameters.append(described)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        # An empty body reads as {}: it may be left out unless the struct has required properties.
        required = bool(components_required(schema_of[route.body], components))
        operation["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": schema_of[route.body]}},
        }
    security: list[dict[str, list[str]]] = []
    if route.api_key and route.authenticated:
        security = [{"apiKey": [], "token": []}]
    elif route.api_key:
        security = [{"apiKey": []}]
    elif route.authenticated:
        security = [{"token": []}]
    operation["security"] = security
    responses: dict[str, Any] = {}
    if _succeeds(route):
        responses["200"] = {
            "description": "Success",
            "content": {"application/json": {"schema": schema_of[route.answer]}},
        }
    responses.update(error_responses(route.error_keys))
    operation["responses"] = responses
    return operation


def error_responses(keys: Iterable[str]) -> dict[str, Any]:
    """One response per status of the keys: the error body, its messageKey one of those keys, and their headers."""
    by_status: dict[int, list[str]] = {}
    for key in keys:
        by_status.setdefault(STATUS[key], []).append(key)
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        named = by_status[status]
        schema = {
            "allOf": [{"$ref": _REF.format(name="ErrorBody")}],
            "properties": {"messageKey": {"enum": named}},
        }
        response: dict[str, Any] = {
            "description": ", ".join(named),
            "content": {"application/json": {"schema": schema}},
        }
        headers = {name: header for key in named for name, header in _HEADERS.get(key, {}).items()}
        if headers:
            response["headers"] = headers
        responses[str(status)] = response
    return responses


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")
    return f"{method.lower()}_{words}"


def _lift_required(schema: dict[str, Any]) -> None:
    """Properties marked by structs.need() go into the object's `required` (the marker itself is dropped)."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    required = list(schema.get("required", ()))
    for name, prop in properties.items():
        if isinstance(prop, dict) and prop.pop("x-required", False) and name not in required:
            required.append(name)
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
