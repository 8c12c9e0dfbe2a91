"""The door lock of the simulated house: user codes in slots, a keypad."""

from __future__ import annotations

import re

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.model import Action, BasicType, Thing, ThingClass
from thinggate.integrations.virtual import builder
from thinggate.integrations.virtual.house.base import HouseBehaviour

_CODE = re.compile(r"[0-9]{4,8}")

_LOCK = "doorLock"
_LOCK_SET_SLOT = builder.param(
    _LOCK, "slot", BasicType.INT, kind="setUserCode", display_name="Slot", min_value=1, max_value=250
)
_LOCK_SET_NAME = builder.param(_LOCK, "name", BasicType.STRING, kind="setUserCode", display_name="Name")
_LOCK_SET_CODE = builder.param(_LOCK, "code", BasicType.STRING, kind="setUserCode", display_name="Code")
_LOCK_REMOVE_SLOT = builder.param(
    _LOCK, "slot", BasicType.INT, kind="removeUserCode", display_name="Slot", min_value=1, max_value=250
)
_LOCK_ENTER_CODE = builder.param(_LOCK, "code", BasicType.STRING, kind="enterCode", display_name="Code")
_LOCK_EVENT_SLOT = builder.param(_LOCK, "slot", BasicType.INT, kind="unlockedByCode", display_name="Slot")
_LOCK_SET_USER_CODE = builder.action(
    _LOCK, "setUserCode", _LOCK_SET_SLOT, _LOCK_SET_NAME, _LOCK_SET_CODE, display_name="Set user code"
)
_LOCK_REMOVE_USER_CODE = builder.action(_LOCK, "removeUserCode", _LOCK_REMOVE_SLOT, display_name="Remove user code")
_LOCK_ENTER = builder.action(_LOCK, "enterCode", _LOCK_ENTER_CODE, display_name="Enter code at the keypad")


class DoorLockBehaviour(HouseBehaviour):
    """A keypad door lock with user codes in slots 1..250 (userCodes: {"slot": {"name", "code"}})."""

    thing_class: ThingClass = builder.thing_class(
        _LOCK,
        "Door lock",
        interfaces=("doorlock",),
        states=(
            builder.interface_state(_LOCK, "doorlock", "locked", True),
            builder.interface_state(_LOCK, "doorlock", "userCodes", {}),
        ),
        events=(builder.event(_LOCK, "unlockedByCode", _LOCK_EVENT_SLOT, display_name="Unlocked by code"),),
        actions=(_LOCK_SET_USER_CODE, _LOCK_REMOVE_USER_CODE, _LOCK_ENTER),
    )

    async def execute(self, thing: Thing, action: Action) -> None:
        """Manage user codes, or simulate someone typing a code at the keypad."""
        # Slots are string keys: the dict travels as a JSON object, whose keys are strings anyway.
        codes: dict[str, dict[str, str]] = dict(thing.state_value("userCodes") or {})
        if action.action_type_id == _LOCK_SET_USER_CODE.id:
            slot = str(action.params[_LOCK_SET_SLOT.id])
            code = str(action.params[_LOCK_SET_CODE.id])
            if not _CODE.fullmatch(code):
                raise ThingFailure(ThingError.INVALID_PARAMETER, "a user code must be 4 to 8 digits")
            taken = next((other for other, entry in codes.items() if entry.get("code") == code and other != slot), None)
            if taken is not None:
                # The keypad could not tell the two users apart.
                raise ThingFailure(ThingError.INVALID_PARAMETER, f"this code is already used in slot {taken}")
            codes[slot] = {"name": str(action.params[_LOCK_SET_NAME.id]), "code": code}
            self.set_state(thing, "userCodes", codes)
        elif action.action_type_id == _LOCK_REMOVE_USER_CODE.id:
            slot = str(action.params[_LOCK_REMOVE_SLOT.id])
            if codes.pop(slot, None) is None:
                raise ThingFailure(ThingError.INVALID_PARAMETER, f"slot {slot} holds no code")
            self.set_state(thing, "userCodes", codes)
        elif action.action_type_id == _LOCK_ENTER.id:
            code = str(action.params[_LOCK_ENTER_CODE.id])
            opened_by = next((slot for slot, entry in codes.items() if entry.get("code") == code), None)
            if opened_by is None:
                raise ThingFailure(ThingError.AUTHENTICATION_FAILURE, "wrong code")
            self.set_state(thing, "locked", False)
            self.emit(thing, "unlockedByCode", {_LOCK_EVENT_SLOT.id: int(opened_by)})
        else:
            await super().execute(thing, action)
