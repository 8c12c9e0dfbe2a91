"""Request bodies within limits: read up to `max_body_bytes`, then decoded as JSON into a struct, or as a form.

Nesting is bounded before JSON is decoded (the decoder's depth is the interpreter's stack, which
a request must not choose), and an escaped NUL is refused (PostgreSQL keeps none in text, and an
action's values can end up in a stored state).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TypeVar

import msgspec
from aiohttp import web

from thinggate.api.http import nested_deeper_than
from thinggate.api.web.errors import WebProblem

T = TypeVar("T")

MAX_NESTING = 32
"""How deep a JSON body's arrays and objects may nest."""
MAX_FORM_FIELDS = 16

# \u0000 escaped in a JSON string (an even run of backslashes before it is text, not an escape).
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    """The whole body, or 413 TooLarge past `limit` bytes (announced or sent)."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    raw = bytearray()
    while chunk := await request.content.read(limit + 1 - len(raw)):
        raw += chunk
        if len(raw) > limit:
            raise _too_large(limit)
    return bytes(raw)


def decode_json(raw: bytes, struct: type[T]) -> T:
    """The body decoded into `struct` (400 BadRequest naming what is wrong)."""
    if nested_deeper_than(raw, MAX_NESTING):
        raise WebProblem.of("BadRequest", f"the body is nested deeper than {MAX_NESTING} levels")
    if b"u0000" in raw and _NUL.search(raw):
        raise WebProblem.of("BadRequest", "the body holds the character U+0000")
    try:
        return msgspec.json.decode(raw or b"{}", type=struct)
    except msgspec.ValidationError as exc:
        raise WebProblem.of("BadRequest", str(exc)) from None
    except msgspec.DecodeError:
        raise WebProblem.of("BadRequest", "the body is not valid JSON") from None


def decode_form(request: web.BaseRequest, raw: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as its fields (415 for another type, 400 if unreadable)."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise WebProblem.of("UnsupportedMediaType", "send the form as application/x-www-form-urlencoded")
    try:
        fields = urllib.parse.parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            encoding="utf-8",
            errors="strict",  # %ff is no character: refused, not replaced by one
        )
    except (UnicodeDecodeError, ValueError):
        raise WebProblem.of("BadRequest", "the form is not readable UTF-8 form data") from None
    form: dict[str, str] = {}
    for name, value in fields:
        if name in form:
            # Which of two values counts is not the client's to leave open.
            raise WebProblem.of("BadRequest", f"the form gives {name!r} more than once")
        if "\0" in value:
            raise WebProblem.of("BadRequest", f"the form's {name!r} holds the character U+0000")
        form[name] = value
    return form


def _too_large(limit: int) -> WebProblem:
    return WebProblem.of("TooLarge", f"the body is larger than {limit} bytes")
