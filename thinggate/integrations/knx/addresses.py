"""KNX group addresses as thing params: parsing, validation and their canonical spelling."""

from __future__ import annotations

from xknx.exceptions import CouldNotParseAddress
from xknx.telegram import GroupAddress

from thinggate.core.errors import ThingError, ThingFailure


def parse_group_address(text: str) -> GroupAddress:
    """A group address from "main/middle/sub", "main/sub" or a free number; ValueError if it is none."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a group address")
    try:
        address = GroupAddress(text.strip())
    except CouldNotParseAddress:
        raise ValueError(f"{text!r} is not a group address") from None
    if address.raw == 0:
        # 0/0/0 is the broadcast address: a write there would reach every device on the bus.
        raise ValueError(f"{text!r} is not a group address (0/0/0 is the broadcast address)")
    return address


def canonical(text: str) -> str:
    """The three-level spelling of a group address ("1/1" and "2049" become "1/0/1")."""
    return str(parse_group_address(text))


def optional_address(param_name: str, text: str) -> GroupAddress | None:
    """The group address a param names, None for "" (not used); INVALID_PARAMETER if malformed."""
    if text is None or text == "":
        return None
    try:
        return parse_group_address(text)
    except ValueError:
        raise ThingFailure(
            ThingError.INVALID_PARAMETER, f"param {param_name!r}: {text!r} is not a group address"
        ) from None
