"""The Integration Kit's query strings: `&&` and bare flags (`fb`) parse, names are case-insensitive."""

from __future__ import annotations

from urllib.parse import unquote_plus

from thinggate.api.thinknx.errors import params_errors

MAX_QUERY_LENGTH = 8192
"""Longer query strings (or form bodies) are refused with "params errors"."""


def parse_query(raw: str) -> dict[str, str | None]:
    """Params by lower-case name; a bare name (`fb`) has the value None; the first of a repeated name wins."""
    if len(raw) > MAX_QUERY_LENGTH:
        raise params_errors(f"the query has {len(raw)} characters; at most {MAX_QUERY_LENGTH} are read")
    params: dict[str, str | None] = {}
    for piece in raw.split("&"):
        if not piece:
            continue  # "&&" as in the seed's own examples
        name, separator, value = piece.partition("=")
        if "%" in piece or "+" in piece:  # most queries need no unquoting: skip its cost
            name, value = unquote_plus(name), unquote_plus(value)
        key = name.strip().lower()
        if key and key not in params:
            params[key] = value if separator else None
    return params
