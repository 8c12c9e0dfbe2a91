"""A hub process for the crash test: applies a stream of configuration changes and acknowledges each.

Each change is printed as one JSON line *after* the hub call answered; the test kills this process
with SIGKILL at some point and then checks that every acknowledged change survived.
Usage: python tests/storage/crash_worker.py DATA_DIR [DATABASE_URL]
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from thinggate.core.hub import Hub
from thinggate.core.security import SYSTEM
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store


async def main() -> None:
    data_dir = Path(sys.argv[1])
    database = sys.argv[2] if len(sys.argv) > 2 else None
    store = await open_store(database, data_dir)
    virtual = VirtualIntegration(auto_things=False)
    hub = Hub(store=store)
    hub.register(virtual)
    await hub.start()
    await hub.wait_until_set_up()
    thermostat = virtual.thing_class_named("analogValue")
    min_value = thermostat.param_type_named("minValue")
    assert min_value is not None
    print(json.dumps({"ready": True}), flush=True)
    number = 0
    while True:  # runs until killed
        number += 1
        added = await hub.add_thing(
            SYSTEM, name=f"thing {number}", thing_class_id=thermostat.id, params=[(min_value.id, -number)], room="r"
        )
        assert added.ok, added
        print(json.dumps({"op": "add", "id": str(added.value), "name": f"thing {number}", "min": -number}), flush=True)
        renamed = await hub.edit_thing(SYSTEM, added.value, name=f"renamed {number}")
        assert renamed.ok, renamed
        print(json.dumps({"op": "rename", "id": str(added.value), "name": f"renamed {number}"}), flush=True)
        if number % 3 == 0:
            removed = await hub.remove_thing(SYSTEM, added.value)
            assert removed.ok, removed
            print(json.dumps({"op": "remove", "id": str(added.value)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
