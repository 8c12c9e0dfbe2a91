"""MQTT things (MIC §1.12): the generic integration's one broker connection, on `thing-update/#`.

A device publishes `{"state": {"reported": {...}}}` (an optional top-level `timestamp`, epoch ms)
on `thing-update/<domain path>/<thingName>` (root implicit); the hub publishes commands there as
`{"state": {"desired": {...}}}`, QoS 1. Anything that is not such a message (not JSON, another
shape, over MAX_PAYLOAD_BYTES, an unknown thing or a wrong domain path) is logged and dropped: a
device never stops the loop. The connection is made again after a loss, waiting `reconnect_seconds`
at first and twice as long after each failure, up to 60 s. The hub's own last will is a retained
`offline` on `thinggate/<client id>/status` (`online` while it is connected).

Imported only when `[mqtt] url` is set: it imports aiomqtt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiomqtt
import msgspec

from thinggate.core.errors import ThingError, ThingFailure
from thinggate.mqtt.client import make_client
from thinggate.mqtt.settings import MqttConfig

_LOG = logging.getLogger(__name__)

TOPIC_ROOT = "thing-update"
SUBSCRIPTION = f"{TOPIC_ROOT}/#"
MAX_PAYLOAD_BYTES = 64 * 1024
"""A device's message larger than this is dropped unread (a shadow update is a few hundred bytes)."""
MAX_RECONNECT_SECONDS = 60.0
PUBLISH_TIMEOUT_SECONDS = 10.0


class _Shadow(msgspec.Struct):
    reported: dict[str, Any] | None = None
    desired: dict[str, Any] | None = None


class _Update(msgspec.Struct):
    state: _Shadow
    timestamp: int | None = None


class _Desired(msgspec.Struct):
    desired: dict[str, Any]


class _Command(msgspec.Struct):
    state: _Desired


_decode_update = msgspec.json.Decoder(_Update).decode
_encode = msgspec.json.Encoder().encode

Report = Callable[[str, str, dict[str, Any], int | None], None]
"""Called with (domain path, thingName, reported values, timestamp) for each device report."""


def status_topic(client_id: str) -> str:
    """Where the hub says whether it is connected: `online`, or its retained last will `offline`."""
    return f"thinggate/{client_id}/status"


def reconnect_waits(first: float) -> Any:
    """The waits before each new connection attempt: `first`, doubling, at most 60 s."""
    wait = first
    while True:
        yield wait
        wait = min(wait * 2, MAX_RECONNECT_SECONDS)


class ThingUpdateLink:
    """The connection to the broker: reports in, desired values out, the connection state to whoever asks."""

    def __init__(
        self,
        settings: MqttConfig,
        *,
        client_id: str,
        on_report: Report,
        on_connection: Callable[[bool], None],
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.on_report = on_report
        self.on_connection = on_connection
        self.connected = False
        self.dropped = 0
        """Messages dropped as unusable since start (for tests and diagnostics)."""
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background (and again after every loss)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="thinggate-mqtt-things")

    async def stop(self) -> None:
        """Say `offline` and disconnect."""
        client = self._client
        if client is not None:
            try:
                await client.publish(status_topic(self.client_id), b"offline", qos=1, retain=True, timeout=2)
            except Exception:  # going away anyway: the broker's will says it then
                _LOG.debug("could not publish the offline status", exc_info=True)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def publish_desired(self, domain_path: str, thing_name: str, desired: dict[str, Any]) -> None:
        """Send desired values to a device, QoS 1 (HARDWARE_NOT_AVAILABLE while the broker is away)."""
        client = self._client
        if client is None or not self.connected:
            raise ThingFailure(ThingError.HARDWARE_NOT_AVAILABLE, "the hub is not connected to the MQTT broker")
        topic = f"{TOPIC_ROOT}/{domain_path}/{thing_name}" if domain_path else f"{TOPIC_ROOT}/{thing_name}"
        payload = _encode(_Command(state=_Desired(desired=desired)))
        try:
            await client.publish(topic, payload, qos=1, timeout=PUBLISH_TIMEOUT_SECONDS)
        except aiomqtt.MqttError as exc:
            raise ThingFailure(ThingError.HARDWARE_NOT_AVAILABLE, f"the command was not published: {exc}") from None

    async def _run(self) -> None:
        waits = reconnect_waits(self.settings.reconnect_seconds)
        address = self.settings.address()
        will = aiomqtt.Will(status_topic(self.client_id), b"offline", qos=1, retain=True)
        while True:
            try:
                async with make_client(self.settings, identifier=self.client_id, will=will) as client:
                    await client.subscribe(SUBSCRIPTION, qos=1)
                    await client.publish(status_topic(self.client_id), b"online", qos=1, retain=True)
                    self._client = client
                    self._connection(True)
                    _LOG.info("MQTT things: connected to %s:%s as %s", address.host, address.port, self.client_id)
                    waits = reconnect_waits(self.settings.reconnect_seconds)  # a good connection starts over
                    async for message in client.messages:
                        self._receive(message)
            except aiomqtt.MqttError as exc:
                _LOG.warning("MQTT things: broker %s:%s: %s", address.host, address.port, exc)
            except Exception:
                _LOG.exception("MQTT things: connection failed")
            finally:
                self._client = None
                self._connection(False)
            await asyncio.sleep(next(waits))

    def _connection(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            try:
                self.on_connection(connected)
            except Exception:
                _LOG.exception("MQTT things: the connection state could not be told")

    def _receive(self, message: aiomqtt.Message) -> None:
        """One message on thing-update/#: a report applied, anything else dropped (never raised)."""
        topic = message.topic.value
        payload = message.payload
        try:
            if not isinstance(payload, bytes | bytearray):
                raise ValueError("the payload is not JSON")
            if len(payload) > MAX_PAYLOAD_BYTES:
                raise ValueError(f"the payload is larger than {MAX_PAYLOAD_BYTES} bytes")
            parts = topic.split("/")
            if len(parts) < 2 or parts[0] != TOPIC_ROOT or not parts[-1]:
                raise ValueError("the topic is not thing-update/<domain path>/<thingName>")
            try:
                update = _decode_update(payload)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise ValueError(f"not a shadow update: {exc}") from None
            if update.state.reported is None:
                return  # a desired message (the hub's own command coming back, or an app's): nothing reported
            self.on_report("/".join(parts[1:-1]), parts[-1], update.state.reported, update.timestamp)
        except ValueError as exc:
            self.dropped += 1
            _LOG.warning("MQTT things: dropped a message on %r: %s", topic[:200], exc)
        except Exception:
            self.dropped += 1
            _LOG.exception("MQTT things: dropped a message on %r", topic[:200])
