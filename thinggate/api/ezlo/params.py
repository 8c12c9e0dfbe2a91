"""Every Ezlo method's params as a msgspec struct, and the Ezlo error a params problem answers.

The door decodes a request's `params` into its method's struct (`session.Method.params`) before
the handler runs, so handlers read typed attributes and check only what depends on the hub (the
item exists, the value fits that item). A `msgspec.ValidationError` becomes a `ParamsProblem`
(which field, what is wrong with it), and the method's `bad_params` turns that into the error the
hub answers for that method: most follow Ezlo's convention (`ezlo_convention`), a few answer
their own documented error (`rpc.params.empty._id` "Bad request, id is empty" of percent.apply).

No struct forbids unknown fields: the original hub ignores them, and clients send some (`api`,
`source` on setters, `valueType` and `elementType` beside a value: reference/ezlo-hub.md §2.2, §4.4).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from thinggate.api.ezlo import errors
from thinggate.api.ezlo.errors import EzloError

NonEmptyStr = Annotated[str, Meta(min_length=1)]


class Params(msgspec.Struct, kw_only=True, gc=False):
    """Base of the params structs (decoded JSON holds no cycles, so the GC need not track them)."""


# -- the structs, method by method -------------------------------------------------------------


class NoParams(Params):
    """Methods without params: `{}`, `""`, null or none at all (fields sent anyway are ignored)."""


class LoginParams(Params):
    """`hub.offline.login.ui`: a thinggate user name and one of that user's tokens."""

    user: NonEmptyStr
    token: NonEmptyStr


class ItemsListParams(Params):
    """`hub.items.list`: the items of these devices (absent, null or [] means all)."""

    device_ids: list[str] | None = msgspec.field(default=None, name="deviceIds")


class ItemValue(Params):
    """One entry of `hub.item.value.set`'s `items` form."""

    value: Any
    scale: str | None = None


class ItemValueSetParams(Params):
    """`hub.item.value.set` in its three forms: `_id` + value, `ids` + one value, `items` of id -> value.

    Which form a request uses (and that `_id` or `value` is there for it) the handler decides:
    `items` wins over `ids`, `ids` over `_id`, as the firmware reads them.
    """

    id: str | None = msgspec.field(default=None, name="_id")
    ids: Annotated[list[str], Meta(min_length=1)] | UnsetType = UNSET
    items: Annotated[dict[str, ItemValue], Meta(min_length=1)] | UnsetType = UNSET
    value: Any | UnsetType = UNSET  # null is a value (of the wrong type for every item); absent is not
    scale: str | None = None


class PercentApplyParams(Params):
    """`hub.item.value.percent.apply`: an item and a whole percent of its range, -100..100."""

    id: NonEmptyStr = msgspec.field(name="_id")
    # A float that is a multiple of 1: 40.0 is accepted as 40, as before structs.
    percent: Annotated[float, Meta(ge=-100, le=100, multiple_of=1)]


class DictionaryElement(Params):
    """`element` of the dictionary setters: its type must be the item's `elementType` (checked with the item)."""

    type: str
    value: Any  # its shape depends on the item's element type (a userCode object, or that as JSON text)


class DictionaryAddParams(Params):
    """`hub.item.dictionary.value.add`: an element for the first free key."""

    id: NonEmptyStr = msgspec.field(name="_id")
    element: DictionaryElement


class DictionarySetParams(Params):
    """`hub.item.dictionary.value.set`: a new element under an existing key."""

    id: NonEmptyStr = msgspec.field(name="_id")
    key: NonEmptyStr
    element: DictionaryElement


class DictionaryRemoveParams(Params):
    """`hub.item.dictionary.value.remove`: the element under an existing key."""

    id: NonEmptyStr = msgspec.field(name="_id")
    key: NonEmptyStr


class ModesSwitchParams(Params):
    """`hub.modes.switch`: the mode by `modeId` or by `name` (one of them; the handler checks)."""

    mode_id: str | None = msgspec.field(default=None, name="modeId")
    name: str | None = None


class ScenesRunParams(Params):
    """`hub.scenes.run`: the scene's id."""

    scene_id: NonEmptyStr = msgspec.field(name="sceneId")


class DataFields(Params):
    """`fields` of a hub.data.list section: which fields to keep (`_id` always stays)."""

    include: list[str] | None = None


class DataSection(Params):
    """One hub.data.list section: the objects with these ids (unknown ones answer null), these fields."""

    ids: list[str] | None = None
    fields: DataFields | None = None


class DataListParams(Params):
    """`hub.data.list`: the sections asked for (null is a section with everything); none asked: all four."""

    devices: DataSection | UnsetType | None = UNSET
    items: DataSection | UnsetType | None = UNSET
    rooms: DataSection | UnsetType | None = UNSET
    scenes: DataSection | UnsetType | None = UNSET


# -- what was wrong ----------------------------------------------------------------------------


class Fault(enum.Enum):
    """What is wrong with a field."""

    ABSENT = "absent"
    NULL = "null"  # null where the field takes none
    EMPTY = "empty"  # "", [] or {} where something is required
    TYPE = "type"  # another JSON type
    RANGE = "range"  # a number outside its bounds
    OTHER = "other"  # another constraint (a multiple of, a number beyond a double)


@dataclass(frozen=True, slots=True)
class ParamsProblem:
    """One problem with a request's params: the field (dotted, without indexes; "" for params itself)."""

    field: str
    fault: Fault
    reason: str


_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]*)`")
_WRONG_TYPE = re.compile(r"Expected `[^`]*`, got `(?P<got>[^`]*)`")
_CONSTRAINT = re.compile(r"Expected `[^`]*` (?P<constraint>.*)")
_INDEX = re.compile(r"\[[^\]]*\]")


def problem_of(error: msgspec.ValidationError) -> ParamsProblem:
    """The field and fault a msgspec validation error names (msgspec says them in its message only)."""
    reason = str(error)
    head, _, where = reason.partition(" - at `")
    # "$.items[...].scale", or "`key` in `$.items`" for a dictionary key.
    path = where[:-1].rpartition("` in `")[2] if where else "$"
    names = [name for name in _INDEX.sub("", path).split(".")[1:] if name]
    if (missing := _MISSING.fullmatch(head)) is not None:
        return ParamsProblem(".".join([*names, missing["name"]]), Fault.ABSENT, reason)
    field_name = ".".join(names)
    if (wrong := _WRONG_TYPE.fullmatch(head)) is not None:
        # null for a field is a missing value; null among an array's elements is a wrong element.
        null_field = wrong["got"] == "null" and not path.endswith("]")
        return ParamsProblem(field_name, Fault.NULL if null_field else Fault.TYPE, reason)
    if (constraint := _CONSTRAINT.fullmatch(head)) is not None:
        text = constraint["constraint"]
        if text == "of length >= 1":
            return ParamsProblem(field_name, Fault.EMPTY, reason)
        if text.startswith(("<", ">")):
            return ParamsProblem(field_name, Fault.RANGE, reason)
    return ParamsProblem(field_name, Fault.OTHER, reason)


# -- the error each method answers -------------------------------------------------------------

BadParams = Callable[[ParamsProblem], EzloError]
"""A method's answer to a params problem."""

_NOTHING = (Fault.ABSENT, Fault.NULL, Fault.EMPTY)


def ezlo_convention(problem: ParamsProblem) -> EzloError:
    """Ezlo's per-field errors: absent, null or empty is `-32600 rpc.params.empty.F`, else `rpc.params.invalid.F`."""
    if problem.fault in _NOTHING:
        return errors.missing(problem.field)
    return errors.wrong_params(problem.field, problem.reason)


def login_error(problem: ParamsProblem) -> EzloError:
    """`hub.offline.login.ui` answers `-32602 rpc.params.invalid` without a field (EzloPi's answer)."""
    reason = f"user and token are strings ({problem.reason})"
    return EzloError(errors.INVALID_PARAMS, "rpc.params.invalid", "Wrong params", reason)


def value_set_error(problem: ParamsProblem) -> EzloError:
    """A scale that is no string cannot be used; anything wrong inside `items` or `ids` is that field's."""
    if problem.field.rpartition(".")[2] == "scale":
        return errors.invalid_scale(problem.reason)
    top = problem.field.partition(".")[0]
    if top in ("items", "ids"):
        return errors.wrong_params(top, problem.reason)
    return ezlo_convention(problem)


def percent_apply_error(problem: ParamsProblem) -> EzloError:
    """The method's documented table: an empty id, a value of an invalid type, a percent out of range."""
    if problem.field == "_id" and problem.fault in _NOTHING:
        return EzloError(errors.INVALID_REQUEST, "rpc.params.empty._id", "Bad request, id is empty")
    if problem.field == "percent" and problem.fault is Fault.RANGE:
        return EzloError(
            errors.INVALID_PARAMS, "rpc.params.range.invalid", "Value is not in valid range", "percent: -100..100"
        )
    return errors.invalid_type(problem.reason)


def dictionary_error(problem: ParamsProblem) -> EzloError:
    """An `element` that is no object is missing, a bad `element.type` invalid, a bad `element.value` invalid type."""
    if problem.field == "element":
        return errors.missing("element")
    if problem.field == "element.type":
        return errors.wrong_params("element.type", problem.reason)
    if problem.field == "element.value":
        return errors.invalid_type(problem.reason)
    return ezlo_convention(problem)


def modes_switch_error(problem: ParamsProblem) -> EzloError:
    """A `modeId` or `name` that is no string: `rpc.params.invalid.modeId` for either."""
    return errors.wrong_params("modeId", f"modeId and name are strings ({problem.reason})")
