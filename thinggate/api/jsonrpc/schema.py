"""nymea's introspection as data: the declarations we answer Introspect with and validate against.

`nymea-api.json` is nymea 1.15.2's own `JSONRPC.Introspect` result (protocol 9.0), kept byte for
byte. Every request is checked against its method's `params`; tests check our returns and
notifications against `returns` and notification `params` with the same validator.

Key prefixes: `o:` optional, `r:` read-only, `d:` deprecated. Incoming, keys without `o:`/`r:` are
required and `r:` keys may be left out; outgoing, `r:` keys are required and `o:` keys optional.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

PROTOCOL_VERSION = "9.0"
IMPLEMENTED_NAMESPACES = ("JSONRPC", "Integrations", "Users")

_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
_COLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_INT_RANGE = (-(2**63), 2**63 - 1)


class ValidationError(Exception):
    """A value does not match its declaration; `reason` and `path` build nymea's message."""

    def __init__(self, reason: str, path: str) -> None:
        super().__init__(f"{reason}, param {path}")
        self.reason = reason
        self.path = path


Checker = Callable[[Any, str], Any]
"""Validates (and, for lax types, normalises) a value at a path; raises ValidationError."""


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One method: where it lives, what it takes, what it returns and who may call it."""

    name: str
    namespace: str
    permission_scope: str
    params: dict[str, Any]
    returns: dict[str, Any]
    check_params: Checker
    check_returns: Checker
    deprecated: bool


def _split_key(key: str) -> tuple[str, set[str]]:
    flags: set[str] = set()
    while len(key) > 2 and key[1] == ":" and key[0] in "ord":
        flags.add(key[0])
        key = key[2:]
    return key, flags


def _describe(value: Any) -> str:
    return json.dumps(value)[:80]


class Schema:
    """The introspection document with compiled validators for method params."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.enums: dict[str, list[str]] = document["enums"]
        self.flags: dict[str, list[str]] = document["flags"]
        self.types: dict[str, Any] = document["types"]
        self._type_checkers: dict[tuple[str, bool], Checker] = {}
        self._as_is: _AsIsCompiler | None = None
        self._params_tests: dict[str, Callable[[Any], bool]] = {}
        self.methods: dict[str, MethodSpec] = {}
        for name, definition in document["methods"].items():
            namespace = name.split(".", 1)[0]
            self.methods[name] = MethodSpec(
                name=name,
                namespace=namespace,
                permission_scope=definition["permissionScope"],
                params=definition["params"],
                returns=definition["returns"],
                check_params=self._lazy(definition["params"], incoming=True),
                check_returns=self._lazy(definition["returns"], incoming=False),
                deprecated="deprecated" in definition,
            )
        self.notifications: dict[str, dict[str, Any]] = document["notifications"]
        self.notification_checkers: dict[str, Checker] = {
            name: self._lazy(definition["params"], incoming=False) for name, definition in self.notifications.items()
        }

    def params_test(self, method: str) -> Callable[[Any], bool]:
        """Whether params of `method` are valid exactly as they are (check_params would return an equal
        copy): the usual request, taken without the walk. Written on first use (the door asks for the
        methods it serves, not all of nymea's)."""
        test = self._params_tests.get(method)
        if test is None:
            if self._as_is is None:
                self._as_is = _AsIsCompiler(self)
            test = self._params_tests[method] = self._as_is.function(self.methods[method].params)
        return test

    @classmethod
    def load(cls) -> Schema:
        """The schema shipped with thinggate (nymea 1.15.2, protocol 9.0)."""
        text = resources.files(__package__).joinpath("nymea-api.json").read_text(encoding="utf-8")
        return cls(json.loads(text))

    # -- compiling definitions to checkers ----------------------------------------------------

    def _lazy(self, definition: Any, *, incoming: bool) -> Checker:
        """A checker compiled at its first use: a hub serves a few of nymea's 161 methods, and the
        checkers of all of them held some 700 KB of closures in every idle hub (issue 12: memory)."""
        compiled: list[Checker] = []

        def check(value: Any, path: str) -> Any:
            if not compiled:
                compiled.append(self.compile(definition, incoming=incoming))
            return compiled[0](value, path)

        return check

    def compile(self, definition: Any, *, incoming: bool) -> Checker:
        """A checker for a definition: a basic type name, `$ref:X`, `[X]` or an object map."""
        if isinstance(definition, str):
            if definition.startswith("$ref:"):
                return self._ref(definition[5:], incoming)
            return _basic(definition)
        if isinstance(definition, list):
            return _list_of(self.compile(definition[0], incoming=incoming))
        if isinstance(definition, dict):
            return self._object(definition, incoming)
        raise ValueError(f"cannot compile definition {definition!r}")

    def _ref(self, name: str, incoming: bool) -> Checker:
        if name in self.enums:
            return _enum(name, frozenset(self.enums[name]))
        if name in self.flags:
            return self.compile(self.flags[name], incoming=incoming)
        if name not in self.types:
            raise ValueError(f"unresolved reference $ref:{name}")
        key = (name, incoming)
        if key not in self._type_checkers:
            # Late binding: types may refer to each other before they are compiled.
            def deferred(value: Any, path: str) -> Any:
                return self._type_checkers[key](value, path)

            self._type_checkers[key] = deferred
            self._type_checkers[key] = self.compile(self.types[name], incoming=incoming)
        return self._type_checkers[key]

    def _object(self, definition: dict[str, Any], incoming: bool) -> Checker:
        fields: dict[str, Checker] = {}
        required: list[str] = []
        for raw_key, sub in definition.items():
            key, flags = _split_key(raw_key)
            fields[key] = self.compile(sub, incoming=incoming)
            if incoming and "o" not in flags and "r" not in flags:
                required.append(key)
            if not incoming and "o" not in flags:
                required.append(key)

        known, needed = frozenset(fields), frozenset(required)

        def check(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise ValidationError(f"Expected object but got {_describe(value)}", path or "params")
            # Every request passes through here: the set comparisons decide in C that the keys
            # are fine, and only a bad request is walked key by key to word the error.
            keys = value.keys()
            if not (keys <= known and needed <= keys):
                for key in value:
                    if key not in fields:
                        raise ValidationError(f"Invalid key: {key}", _join(path, key))
                for key in required:
                    if key not in value:
                        raise ValidationError(f"Missing required key: {key}", _join(path, key))
            if path:
                return {key: fields[key](item, f"{path}.{key}") for key, item in value.items()}
            return {key: fields[key](item, key) for key, item in value.items()}

        return check

    # -- introspection of the namespaces we implement ---------------------------------------

    def introspection(self, namespaces: Iterable[str] = IMPLEMENTED_NAMESPACES) -> dict[str, Any]:
        """Introspect's answer for the given namespaces: their methods, notifications and every
        enum, flag and type they reach, each exactly as nymea declares it."""
        wanted = set(namespaces)
        methods = {n: d for n, d in self.document["methods"].items() if n.split(".", 1)[0] in wanted}
        notifications = {n: d for n, d in self.notifications.items() if n.split(".", 1)[0] in wanted}
        enums: dict[str, Any] = {}
        flags: dict[str, Any] = {}
        types: dict[str, Any] = {}
        pending: list[Any] = [d["params"] for d in methods.values()]
        pending += [d["returns"] for d in methods.values()]
        pending += [d["params"] for d in notifications.values()]
        while pending:
            definition = pending.pop()
            if isinstance(definition, dict):
                pending.extend(definition.values())
            elif isinstance(definition, list):
                pending.extend(definition)
            elif isinstance(definition, str) and definition.startswith("$ref:"):
                name = definition[5:]
                if name in self.enums:
                    enums[name] = self.enums[name]
                elif name in self.flags and name not in flags:
                    flags[name] = self.flags[name]
                    pending.append(self.flags[name])
                elif name in self.types and name not in types:
                    types[name] = self.types[name]
                    pending.append(self.types[name])
        return {
            "enums": dict(sorted(enums.items())),
            "flags": dict(sorted(flags.items())),
            "methods": dict(sorted(methods.items())),
            "notifications": dict(sorted(notifications.items())),
            "types": dict(sorted(types.items())),
        }


class _AsIsCompiler:
    """Writes, per params definition, one Python function that says whether a value is valid as it is.

    The checkers above walk a value with a call per key and build the path of every key in case
    it is wrong; the usual request is right and already in canonical form (strings where strings
    are declared, ints where ints are). The function written here tests exactly that, inline,
    and says False whenever the checker could object or would convert anything: the checker
    then decides, so a False costs time, never a different answer.
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.names: dict[str, Any] = {"_MISSING": _MISSING_KEY, "_COLOR": _COLOR, "_TIME": _TIME}
        self._types: dict[str, str] = {}  # type name -> the name of its function, for types that nest in themselves
        self._inlining: set[str] = set()
        self._counter = 0

    def function(self, definition: Any) -> Callable[[Any], bool]:
        """The test for one definition."""
        lines: list[str] = []
        name = self._new("_params")
        lines.append(f"def {name}(value):")
        self._write(definition, "value", lines, 1)
        lines.append("    return True")
        self._run(lines)
        function: Callable[[Any], bool] = self.names[name]
        return function

    def _new(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def _constant(self, value: Any) -> str:
        name = self._new("_k")
        self.names[name] = value
        return name

    def _run(self, lines: list[str]) -> None:
        exec("\n".join(lines), self.names)  # the source is written above, from the shipped schema

    def _type_function(self, name: str) -> str:
        if name not in self._types:
            function = self._types[name] = self._new("_type")
            lines = [f"def {function}(value):"]
            inlining, self._inlining = self._inlining, {name}
            self._write(self.schema.types[name], "value", lines, 1)
            self._inlining = inlining
            lines.append("    return True")
            self._run(lines)  # types referring to each other find one another in `names` when called
        return self._types[name]

    def _write(self, definition: Any, var: str, lines: list[str], depth: int) -> None:
        """Lines that `return False` unless `var` is valid as it is."""
        pad = "    " * depth
        if isinstance(definition, str):
            if definition.startswith("$ref:"):
                name = definition[5:]
                if name in self.schema.enums:
                    values = self._constant(frozenset(self.schema.enums[name]))
                    lines.append(f"{pad}if {var}.__class__ is not str or {var} not in {values}: return False")
                elif name in self.schema.flags:
                    self._write(self.schema.flags[name], var, lines, depth)
                elif name in self._inlining:  # a type within itself: a function that calls itself
                    lines.append(f"{pad}if not {self._type_function(name)}({var}): return False")
                else:
                    self._inlining.add(name)
                    self._write(self.schema.types[name], var, lines, depth)
                    self._inlining.discard(name)
                return
            test = _AS_IS[definition]
            if test:
                lines.append(f"{pad}if not ({test.format(v=var)}): return False")
            return
        if isinstance(definition, list):
            item = self._new("_item")
            lines.append(f"{pad}if {var}.__class__ is not list: return False")
            lines.append(f"{pad}for {item} in {var}:")
            before = len(lines)
            self._write(definition[0], item, lines, depth + 1)
            if len(lines) == before:  # a list of Variants: any list will do
                lines.append(f"{pad}    break")
            return
        known: set[str] = set()
        required: set[str] = set()
        fields: list[tuple[str, Any, bool]] = []
        for raw_key, sub in definition.items():
            key, flags = _split_key(raw_key)
            known.add(key)
            needed = "o" not in flags and "r" not in flags
            if needed:
                required.add(key)
            fields.append((key, sub, needed))
        lines.append(f"{pad}if {var}.__class__ is not dict: return False")
        keys = self._new("_keys")
        lines.append(f"{pad}{keys} = {var}.keys()")
        test = f"{keys} <= {self._constant(frozenset(known))}"
        if required:
            test += f" and {self._constant(frozenset(required))} <= {keys}"
        lines.append(f"{pad}if not ({test}): return False")
        for key, sub, needed in fields:
            field = self._new("_field")
            body: list[str] = []
            self._write(sub, field, body, depth + (0 if needed else 1))
            if not body:
                continue  # a Variant: whatever is there will do
            if needed:
                lines.append(f"{pad}{field} = {var}[{key!r}]")
            else:
                lines.append(f"{pad}{field} = {var}.get({key!r}, _MISSING)")
                lines.append(f"{pad}if {field} is not _MISSING:")
            lines.extend(body)


_MISSING_KEY = object()
_MAX_INT = 2**63 - 1
_AS_IS: dict[str, str] = {
    # What each basic checker returns unchanged, as Python expressions over {v}.
    "Uuid": "{v}.__class__ is str",
    "String": "{v}.__class__ is str",
    "StringList": "{v}.__class__ is list and all(item.__class__ is str for item in {v})",
    "Int": f"{{v}}.__class__ is int and {-_MAX_INT - 1} <= {{v}} <= {_MAX_INT}",
    "Uint": f"{{v}}.__class__ is int and 0 <= {{v}} <= {_MAX_INT}",
    "Double": "{v}.__class__ is float or {v}.__class__ is int",
    "Bool": "{v}.__class__ is bool",
    "Variant": "",
    "Color": "{v}.__class__ is str and _COLOR.match({v}) is not None",
    "Time": "{v}.__class__ is str and _TIME.match({v}) is not None",
    "Object": "{v}.__class__ is dict",
}


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _list_of(item: Checker) -> Checker:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise ValidationError(f"Expected list but got {_describe(value)}", path)
        if path:
            return [item(element, f"{path}.{index}") for index, element in enumerate(value)]
        return [item(element, str(index)) for index, element in enumerate(value)]

    return check


def _enum(name: str, values: frozenset[str]) -> Checker:
    def check(value: Any, path: str) -> Any:
        if not isinstance(value, str) or value not in values:
            raise ValidationError(f"Expected enum value for {name} but got {_describe(value)}", path)
        return value

    return check


def _basic(name: str) -> Checker:
    try:
        return _BASIC[name]
    except KeyError:
        raise ValueError(f"unknown basic type {name!r}") from None


def _int(value: Any, path: str) -> Any:
    # Qt's toInt accepts integral doubles and numeric strings; booleans are not numbers here.
    if isinstance(value, bool):
        raise ValidationError(f"Expected Int but got {_describe(value)}", path)
    if isinstance(value, int):
        if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            raise ValidationError(f"Int out of range: {value}", path)
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return _int(int(value.strip()), path)
        except ValueError:
            pass
    raise ValidationError(f"Expected Int but got {_describe(value)}", path)


def _uint(value: Any, path: str) -> Any:
    number = _int(value, path)
    if number < 0:
        raise ValidationError(f"Expected Uint but got {_describe(value)}", path)
    return number


def _double(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        raise ValidationError(f"Expected Double but got {_describe(value)}", path)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValidationError(f"Expected Double but got {_describe(value)}", path)


def _string(value: Any, path: str) -> Any:
    # Lax as nymea on Qt 6: scalars convert to their string form; containers do not.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise ValidationError(f"Expected String but got {_describe(value)}", path)


def _bool(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return bool(value)
    raise ValidationError(f"Expected Bool but got {_describe(value)}", path)


def _uuid(value: Any, path: str) -> Any:
    # Not checked further (nymea's Qt 6 validator does not either): a malformed id is an
    # unknown id, which the core answers with the matching NotFound error.
    if isinstance(value, str):
        return value
    raise ValidationError(f"Expected Uuid but got {_describe(value)}", path)


def _string_list(value: Any, path: str) -> Any:
    if not isinstance(value, list):
        raise ValidationError(f"Expected StringList but got {_describe(value)}", path)
    return [_string(element, _join(path, index)) for index, element in enumerate(value)]


def _variant(value: Any, path: str) -> Any:
    return value


def _object_value(value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise ValidationError(f"Expected Object but got {_describe(value)}", path)
    return value


def _color(value: Any, path: str) -> Any:
    if isinstance(value, str) and _COLOR.match(value):
        return value
    raise ValidationError(f"Expected Color but got {_describe(value)}", path)


def _time(value: Any, path: str) -> Any:
    if isinstance(value, str) and _TIME.match(value):
        return value
    raise ValidationError(f"Expected Time (hh:mm) but got {_describe(value)}", path)


_BASIC: dict[str, Checker] = {
    "Uuid": _uuid,
    "String": _string,
    "StringList": _string_list,
    "Int": _int,
    "Uint": _uint,
    "Double": _double,
    "Bool": _bool,
    "Variant": _variant,
    "Color": _color,
    "Time": _time,
    "Object": _object_value,
}
