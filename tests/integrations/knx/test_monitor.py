"""The bus monitor's side of the KNX integration: every group telegram received or sent, in order, described
with the name and value its group address's thing gives it; nothing for a send the gateway did not take."""

from __future__ import annotations

import pytest
from xknx.dpt import DPTBinary
from xknx.exceptions import ConfirmationError

from tests.api.jsonrpc.protocol import until
from tests.integrations.knx.rig import FakeBus
from tests.integrations.knx.tools import add
from thinggate.core.errors import ThingFailure
from thinggate.core.hub import Hub
from thinggate.integrations.knx import BusTelegram, KnxIntegration


async def test_reads_writes_and_answers_are_told_in_order(knx_hub: tuple[Hub, KnxIntegration, FakeBus]) -> None:
    hub, knx, bus = knx_hub
    seen: list[BusTelegram] = []
    knx.watch_telegrams(seen.append)
    await add(hub, "knxLight", "Porch", address="1/0/1", stateAddress="1/0/2")
    await until(lambda: bool(seen), what="the status read")
    await bus.incoming("1/0/2", DPTBinary(1), response=True)
    await knx.write_group_value("1/0/1", "bit", 0)
    assert [(t.kind, t.destination, t.payload, t.name, t.value) for t in seen] == [
        ("read", "1/0/2", "", "Porch · Power", None),  # the status read after setup
        ("response", "1/0/2", "01", "Porch · Power", True),
        ("write", "1/0/1", "00", "Porch · Power", False),
    ]
    assert seen[1].source == "1.1.7"
    assert seen[2].source == str(knx.connection.xknx.current_address)  # type: ignore[union-attr]


async def test_a_send_the_gateway_refused_and_a_stopped_watch_show_nothing(
    knx_hub: tuple[Hub, KnxIntegration, FakeBus],
) -> None:
    _hub, knx, bus = knx_hub
    seen: list[BusTelegram] = []
    stop = knx.watch_telegrams(seen.append)
    bus.failure = ConfirmationError("no confirmation")
    with pytest.raises(ThingFailure):
        await knx.write_group_value("2/0/1", "byte", 7)
    assert seen == []
    bus.failure = None
    stop()
    await knx.write_group_value("2/0/1", "byte", 7)
    await bus.incoming("2/0/1", DPTBinary(1))
    assert seen == []
    assert [str(t.destination_address) for t in bus.sent] == ["2/0/1"]
