"""Lifecycle events on MQTT: the outbox published in order, QoS 1, on `lifecycle/<domain path>/<OBJECT>/<ACTION>`.

The core stores each event with the change it reports (the store's outbox); this publisher reads
the events not yet published, in outbox order, publishes a batch at QoS 1 and marks it published
only once the broker has acknowledged every message of it (PUBACK). So nothing is lost while the
broker is away (the events wait in the outbox; the publisher reconnects after `reconnect_seconds`,
doubling up to 60 s) or when the hub is killed (rows are durable and published after the restart).
A crash between the PUBACK and the mark publishes an event again: with the same id and payload, so
receivers drop the repeat. The event JSON is MIC's Event, which is why this lives in the door.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec

from thinggate.api.registry.structs import EventOut
from thinggate.core.store import EventRecord, EventStore
from thinggate.mqtt.settings import MqttConfig

if TYPE_CHECKING:
    import aiomqtt

_LOG = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode

TOPIC_ROOT = "lifecycle"
MAX_RECONNECT_SECONDS = 60.0
PUBLISH_TIMEOUT_SECONDS = 30.0  # a batch the broker does not acknowledge in this time: reconnect and resend


def event_out(record: EventRecord) -> EventOut:
    """An event as MIC's Event API shows it."""
    return EventOut(
        id=str(record.id),
        timestamp=record.timestamp,
        message=record.message,
        classification=record.classification,
        type=record.type,
        source=dict(record.source),
        acknowledgementRequired=record.acknowledgement_required,
        acknowledgedAt=record.acknowledged_at,
        acknowledgedBy=record.acknowledged_by,
    )


def topic(record: EventRecord) -> str:
    """`lifecycle/<domain path>/<OBJECT>/<ACTION>`, the root domain implicit: `lifecycle/a/b/THING_TYPE/CREATE`."""
    return f"{TOPIC_ROOT}{record.domain_path}{record.type.replace('.', '/')}"


def payload(record: EventRecord) -> bytes:
    """The published JSON: the event as made (not its acknowledgement), so that every repeat is the same bytes."""
    out = event_out(record)
    out.acknowledgedAt = None
    out.acknowledgedBy = None
    return _encode(out)


class LifecyclePublisher:
    """Publishes the outbox to the broker in order (QoS 1), marking each batch once the broker acknowledged it."""

    def __init__(
        self,
        store: EventStore,
        settings: MqttConfig,
        *,
        identifier: str,
        batch_size: int = 200,
        idle_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.settings = settings
        self.identifier = identifier
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds  # a look at the outbox this often even when no write woke us
        self.connected = False
        self.published = 0  # events the broker acknowledged since start (repeats counted)
        self.waits: Callable[[float], Awaitable[None]] = asyncio.sleep  # between attempts (tests record them)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start publishing in the background (connecting, and reconnecting, as needed)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="lifecycle-publisher")

    async def stop(self) -> None:
        """Stop publishing; what is not yet acknowledged stays in the outbox for the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        # Imported here: a hub without a broker never loads aiomqtt.
        import aiomqtt

        from thinggate.mqtt.client import make_client

        wait = self.settings.reconnect_seconds
        while True:
            try:
                # A batch is handed over at once: as many in flight, and no warning that so many are pending.
                client = make_client(self.settings, identifier=self.identifier, max_inflight_messages=self.batch_size)
                client.pending_calls_threshold = self.batch_size + 1
                async with client:
                    self.connected = True
                    wait = self.settings.reconnect_seconds
                    _LOG.info("lifecycle events: connected to the broker")
                    async with asyncio.TaskGroup() as group:
                        group.create_task(_until_disconnected(client))
                        group.create_task(self._publish_forever(client))
            except Exception as exc:  # every failure means: wait, then try again
                trouble = _first_failure(exc)
                if isinstance(trouble, aiomqtt.MqttError | TimeoutError):
                    _LOG.warning("lifecycle events: broker unavailable (%s); again in %.0f s", trouble, wait)
                else:
                    # A store failure (a database restarting, say): the events stay where they are.
                    _LOG.error("lifecycle events: publishing failed; again in %.0f s", wait, exc_info=trouble)
            self.connected = False
            await self.waits(wait)
            wait = min(wait * 2, MAX_RECONNECT_SECONDS)

    async def _publish_forever(self, client: aiomqtt.Client) -> None:
        while True:
            batch = await self.store.pending_events(self.batch_size)
            if not batch:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.idle_seconds):
                        await self.store.wait_for_events()
                continue
            # Handed to the client in order (tasks start in creation order): the broker gets them in order.
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS), asyncio.TaskGroup() as group:
                for record in batch:
                    group.create_task(client.publish(topic(record), payload(record), qos=1, timeout=float("inf")))
            await self.store.mark_events_published([record.sequence for record in batch if record.sequence is not None])
            self.published += len(batch)


async def _until_disconnected(client: aiomqtt.Client) -> None:
    """Raise MqttError when the connection drops (the publisher subscribes to nothing: no message comes)."""
    async for _ in client.messages:
        pass


def _first_failure(exc: BaseException) -> BaseException:
    """The first failure inside (nested) exception groups, or the exception itself."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
