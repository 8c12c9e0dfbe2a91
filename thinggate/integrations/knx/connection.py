"""One KNX/IP connection kept up in the background, sending telegrams one at a time.

xknx's own reconnect (`auto_reconnect`) is off on purpose: while it reconnects, a send waits for
the gateway to come back (forever, if it never does), and cancelling that wait cancels the
reconnect itself. Here a lost connection fails sends at once, and this module reconnects.
A tunnel is also probed more often than xknx's 60 s heartbeat, so a gateway that vanished
without a word (killed, unplugged) is noticed within seconds rather than minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from xknx import XKNX
from xknx.core import XknxConnectionState
from xknx.exceptions import CommunicationError, RequestResponseError, XKNXException
from xknx.io import ConnectionConfig, ConnectionType
from xknx.io.request_response import ConnectionState
from xknx.io.tunnel import _Tunnel
from xknx.telegram import Telegram

from thinggate.integrations.knx.settings import KnxSettings

_LOG = logging.getLogger(__name__)

SEND_TIMEOUT = 6.0
"""Seconds a send may take: two tunnelling attempts of 1 s plus the 3 s link-layer confirmation."""
PROBE_TIMEOUT = 1.0
"""Seconds a tunnel gets to answer one connection state probe (two are made before giving up)."""
CLOSE_TIMEOUT = 3.0
"""Seconds closing a connection may take (a dead gateway never answers the disconnect)."""


class NotConnectedError(Exception):
    """The bus is not reachable right now."""


class SendError(Exception):
    """A telegram could not be delivered to the gateway."""


def connection_config(settings: KnxSettings) -> ConnectionConfig:
    """xknx's connection config for the settings (xknx's own reconnect off, see the module doc)."""
    if settings.connection_type == "routing":
        return ConnectionConfig(
            connection_type=ConnectionType.ROUTING,
            local_ip=settings.local_ip,
            individual_address=settings.individual_address,
            multicast_group=settings.multicast_group,
            multicast_port=settings.multicast_port,
            auto_reconnect=False,
        )
    if settings.connection_type == "automatic":
        return ConnectionConfig(
            connection_type=ConnectionType.AUTOMATIC,
            local_ip=settings.local_ip,
            individual_address=settings.individual_address,
            multicast_group=settings.multicast_group,
            multicast_port=settings.multicast_port,
            auto_reconnect=False,
        )
    return ConnectionConfig(
        connection_type=ConnectionType.TUNNELING,
        gateway_ip=settings.gateway_ip,
        gateway_port=settings.gateway_port,
        local_ip=settings.local_ip,
        auto_reconnect=False,
    )


class KnxConnection:
    """Connects to the bus in the background, reconnects when the link is lost, sends telegrams in turn."""

    def __init__(
        self,
        *,
        settings: KnxSettings,
        on_telegram: Callable[[Telegram], None],
        on_state: Callable[[bool], None],
    ) -> None:
        self.settings = settings
        self._on_telegram = on_telegram
        self._on_state = on_state
        self.xknx: XKNX | None = None
        self.connected = False
        self._lost = asyncio.Event()
        self._connected_event = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._last_send = 0.0
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def description(self) -> str:
        """Where the connection goes, for messages."""
        if self.settings.connection_type == "tunneling":
            return f"tunnel to {self.settings.gateway_ip}:{self.settings.gateway_port}"
        if self.settings.connection_type == "routing":
            return f"routing on {self.settings.multicast_group}:{self.settings.multicast_port}"
        return "automatic gateway search"

    async def start(self) -> None:
        """Begin connecting in the background (returns at once, whether or not the gateway answers)."""
        if self._supervisor is not None:
            return
        self.xknx = XKNX(
            connection_config=connection_config(self.settings),
            telegram_received_cb=self._on_telegram,
            connection_state_changed_cb=self._state_changed,
            multicast_group=self.settings.multicast_group,
            multicast_port=self.settings.multicast_port,
            rate_limit=self.settings.rate_limit,
            state_updater=False,
        )
        # XKNX.start() would connect first and give up when the gateway is away; here only the
        # telegram queue (which hands incoming telegrams to us) starts now, the link in _run.
        await self.xknx.telegram_queue.start()
        self._supervisor = asyncio.create_task(self._run(), name="thinggate-knx-connection")

    async def stop(self) -> None:
        """Disconnect and stop."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        xknx, self.xknx = self.xknx, None
        if xknx is None:
            return
        await self._close(xknx)
        await xknx.telegram_queue.stop()
        self._state_changed(XknxConnectionState.DISCONNECTED)

    async def wait_connected(self, within: float) -> bool:
        """Wait until the bus is connected; False after `within` seconds."""
        try:
            async with asyncio.timeout(within):
                await self._connected_event.wait()
        except TimeoutError:
            return False
        return True

    def _state_changed(self, state: XknxConnectionState) -> None:
        connected = state is XknxConnectionState.CONNECTED
        if connected:
            self._lost.clear()
            self._connected_event.set()
        elif state is XknxConnectionState.DISCONNECTED:
            self._lost.set()
            self._connected_event.clear()
        if state is not XknxConnectionState.CONNECTING and connected != self.connected:
            self.connected = connected
            _LOG.info("KNX %s %s", self.description, "connected" if connected else "disconnected")
            self._on_state(connected)

    async def _run(self) -> None:
        failures = 0
        while self.xknx is not None:
            xknx = self.xknx
            try:
                await xknx.knxip_interface.start()
            except (XKNXException, OSError) as exc:
                failures += 1
                # Say it once; a gateway that stays away is not news every few seconds.
                log = _LOG.warning if failures == 1 else _LOG.debug
                log("KNX %s failed (%s); retrying every %g s", self.description, exc, self.settings.reconnect_seconds)
                await asyncio.sleep(self.settings.reconnect_seconds)
                continue
            failures = 0
            await self._watch(xknx)
            await asyncio.sleep(self.settings.reconnect_seconds)

    async def _watch(self, xknx: XKNX) -> None:
        """Return once the connection is lost (told by xknx, or found out by a probe)."""
        while True:
            try:
                async with asyncio.timeout(self.settings.heartbeat_seconds):
                    await self._lost.wait()
            except TimeoutError:
                if await self._alive(xknx):
                    continue
                _LOG.warning("KNX %s does not answer; reconnecting", self.description)
            await self._close(xknx)
            return

    async def _alive(self, xknx: XKNX) -> bool:
        # xknx keeps the tunnel private; without one (routing) there is nothing to probe.
        tunnel = getattr(xknx.knxip_interface, "_interface", None)
        if not isinstance(tunnel, _Tunnel) or tunnel.communication_channel is None:
            return True
        for _attempt in range(2):
            probe = ConnectionState(
                transport=tunnel.transport,
                communication_channel_id=tunnel.communication_channel,
                local_hpai=tunnel.local_hpai,
            )
            probe.timeout_in_seconds = PROBE_TIMEOUT
            try:
                await probe.request()
            except (RequestResponseError, CommunicationError):
                continue
            return True
        return False

    async def _close(self, xknx: XKNX) -> None:
        with contextlib.suppress(XKNXException, OSError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await xknx.knxip_interface.stop()

    async def send(self, telegram: Telegram) -> None:
        """Send one telegram and wait for the gateway's confirmation (NotConnectedError, SendError)."""
        # The hub starts actions eagerly (core.eager): up to the first suspension they run inside
        # the caller's task, and only then move to a Task of their own. asyncio.timeout() (ours
        # and xknx's) binds to the task current when it is entered, so entering one before that
        # move would cancel the caller when it expires. Suspend once first; a send always waits
        # for the network anyway.
        await asyncio.sleep(0)
        async with self._send_lock:
            xknx = self.xknx
            if xknx is None or not self.connected:
                raise NotConnectedError(f"KNX {self.description} is not connected")
            loop = asyncio.get_running_loop()
            if self.settings.rate_limit:
                # The telegram queue's rate limit does not see these sends: pace them here.
                wait = self._last_send + 1.0 / self.settings.rate_limit - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                async with asyncio.timeout(SEND_TIMEOUT):
                    await xknx.cemi_handler.send_telegram(telegram)
            except TimeoutError:
                raise SendError(f"no confirmation from the gateway within {SEND_TIMEOUT:g} s") from None
            except (CommunicationError, XKNXException) as exc:
                raise SendError(str(exc) or type(exc).__name__) from None
            finally:
                self._last_send = loop.time()
