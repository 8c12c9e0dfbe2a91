"""REST hooks: HTTP callbacks for state changes (Thinknx announced them as "coming soon"; we ship them).

A user registers a callback URL for the whole hub, one device (`guid`) or one controller of it
(`controller`, a status controller such as `powerstatus` or its setter `power`). Every state
change a hook covers is POSTed to it as the status controller would answer it, plus `event` and
`timestamp`. Delivery runs per hook, in order, with retries and exponential back-off; a hook
whose deliveries keep failing is disabled, stored so, logged, and listed with its last error.
Hooks are stored before the call that made them answers, and survive restarts.

Calls (all under `api/V1/`): `hooks/add?url=...[&guid=...][&controller=...]`, `hooks/list`,
`hooks/remove?id=...`, `hooks/enable?id=...` (re-enable a disabled hook). Adding needs the
ConfigureThings scope; a hook only ever reports things its owner may see.

A hook is a way to make the hub send requests, so it may not aim at the hub's own machine or at
link-local services (cloud metadata at 169.254.169.254): loopback, link-local and unspecified
addresses are refused (loopback only allowed with `allow_loopback`), IPv4 and IPv6 alike, an
IPv4-mapped IPv6 address as its IPv4 address. Literal addresses are refused when the hook is
added; names are checked at every delivery, on the addresses they resolve to then (the ones the
connection uses), so a name that later resolves to 127.0.0.1 reaches nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import msgspec
from aiohttp.abc import AbstractResolver, ResolveResult

from thinggate.api.thinknx import errors
from thinggate.api.thinknx.auth import KEY_PRINCIPAL
from thinggate.api.thinknx.controllers import CONTROLLERS, Controller, Kind
from thinggate.api.thinknx.key import IntegrationKey
from thinggate.core import events as ev
from thinggate.core.errors import UserFailure
from thinggate.core.events import HubEvent
from thinggate.core.guids import guid_of, thing_id_of
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.security import Principal, Scope, SecurityManager

_LOG = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode

SETTING = "thinknx.hooks"
MAX_HOOKS = 100
MAX_ANSWER_READ = 4096
"""Bytes of a receiver's answer read (and dropped) before the connection is let go."""
MAX_QUEUED = 1000
"""Deliveries waiting per hook; past it the oldest are dropped (and counted)."""
REFUSED_TARGET = "refused: loopback, link-local or unspecified address"
"""A delivery's `last_error` when its target is an address hooks may not reach."""

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # "this host on this network": connects locally


def refused_address(address: _Address, *, allow_loopback: bool = False) -> bool:
    """Whether hooks may not reach this address: loopback (unless allowed), link-local, unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 is 127.0.0.1 on the wire (and Python 3.11 does not call it loopback).
        address = address.ipv4_mapped
    if address.is_loopback:
        return not allow_loopback
    if isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK:
        return True
    return address.is_link_local or address.is_unspecified


def literal_addresses(host: str) -> list[_Address] | None:
    """The addresses a literal host stands for (127.1 and 0x7f.1 included), None for a name."""
    bare = host.strip("[]").split("%", 1)[0]  # an IPv6 zone (%eth0, %25eth0) names no address
    try:
        return [ipaddress.ip_address(bare)]
    except ValueError:
        pass
    try:
        # AI_NUMERICHOST: no lookup, only the numeric forms the C library accepts (as a connect
        # would), so an old-style "127.1" cannot pass for a name.
        infos = socket.getaddrinfo(bare, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class RefusedTarget(OSError):
    """A hook's host resolved only to addresses hooks may not reach."""


class TargetGuardingResolver(AbstractResolver):
    """aiohttp's resolver, less the addresses hooks may not reach (checked on every connection)."""

    def __init__(self, *, allow_loopback: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self._resolver = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The host's addresses that hooks may reach; RefusedTarget when none is left."""
        allowed = [
            result
            for result in await self._resolver.resolve(host, port, family)
            if not refused_address(_parsed(result["host"]), allow_loopback=self.allow_loopback)
        ]
        if not allowed:
            raise RefusedTarget(REFUSED_TARGET)
        return allowed

    async def close(self) -> None:
        """Close the resolver underneath."""
        await self._resolver.close()


def _parsed(address: str) -> _Address:
    return ipaddress.ip_address(address.split("%", 1)[0])


class SettingsStore(Protocol):
    """The part of the store hooks live in."""

    async def load_hub_settings(self) -> dict[str, Any]:
        """Every hub setting."""

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Write one hub setting."""


@dataclass(frozen=True, slots=True)
class Hook:
    """One registered callback."""

    id: str
    url: str
    owner: str
    guid: str = ""  # "" = every device
    controller: str = ""  # "" = every controller; else a status controller's name
    enabled: bool = True
    last_error: str = ""
    dropped: int = 0
    key_fingerprint: str = ""  # hooks made with the integration key: which key (they end with it)

    def stored(self) -> dict[str, Any]:
        """The hook as it is kept in the store."""
        return asdict(self)

    def public(self) -> dict[str, Any]:
        """The hook as `hooks/list` shows it."""
        shown = asdict(self)
        del shown["key_fingerprint"]
        return shown


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How delivery retries: attempts per event, the first back-off, and when a hook is disabled."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 5.0
    disable_after: int = 3  # events in a row whose every attempt failed


def _status_controllers() -> dict[str, Controller]:
    """Status controllers by their name and by the name of the setter that has the same state."""
    names: dict[str, Controller] = {}
    statuses = [c for c in CONTROLLERS.values() if c.kind is Kind.STATUS]
    for status in statuses:
        names[status.name] = status
    for setter in CONTROLLERS.values():
        if setter.kind is Kind.SET:
            twin = next(s for s in statuses if s.interface == setter.interface and s.state == setter.state)
            names[setter.name] = twin
    return names


STATUS_BY_NAME = _status_controllers()


@dataclass(slots=True)
class _Delivery:
    hook_id: str
    queue: asyncio.Queue[bytes] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUED))
    task: asyncio.Task[None] | None = None
    failed_in_a_row: int = 0


class HookRegistry:
    """Registered hooks: kept in the store, fed from the bus, delivered over HTTP."""

    def __init__(
        self,
        *,
        hub: Hub,
        security: SecurityManager,
        store: SettingsStore,
        comm_obj: Callable[[Thing, Any], Any],
        key: IntegrationKey | None = None,
        policy: RetryPolicy | None = None,
        allow_loopback: bool = False,
    ) -> None:
        self.hub = hub
        self.security = security
        self.store = store
        self.comm_obj = comm_obj
        self.key = key
        self.policy = policy or RetryPolicy()
        self.allow_loopback = allow_loopback  # for a receiver on the hub's own machine
        self.hooks: dict[str, Hook] = {}
        self._deliveries: dict[str, _Delivery] = {}
        self._saving: set[asyncio.Future[None]] = set()  # writes under way, finished even when stopping
        self._session: aiohttp.ClientSession | None = None
        self._resolver: TargetGuardingResolver | None = None
        self._unlisten: Callable[[], None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Load the hooks and follow the hub."""
        raw = (await self.store.load_hub_settings()).get(SETTING) or []
        for entry in raw if isinstance(raw, list) else []:
            try:
                hook = Hook(**{key: value for key, value in entry.items() if key in Hook.__dataclass_fields__})
            except TypeError:
                _LOG.warning("thinknx: ignoring a malformed stored hook %r", entry)
                continue
            self.hooks[hook.id] = hook
        self._unlisten = self.hub.bus.listen(self._on_event)

    async def stop(self) -> None:
        """Stop delivering (queued deliveries are dropped) and close the HTTP client."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        tasks = [d.task for d in self._deliveries.values() if d.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        self._deliveries.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()  # the connector does not close a resolver it was given
            self._resolver = None

    # -- the API ---------------------------------------------------------------------------

    async def call(self, principal: Principal, path: str, params: dict[str, str | None]) -> dict[str, Any]:
        """Answer `hooks/add`, `hooks/list`, `hooks/remove`, `hooks/enable`."""
        namespace = f"hooks/{path}"
        if path == "list":
            mine = [h.public() for h in self.hooks.values() if self.may_manage(principal, h)]
            return {"namespace": namespace, "hooks": mine}
        if not principal.has_scope(Scope.CONFIGURE_THINGS):
            raise errors.forbidden(f"{principal.name!r} may not manage hooks")
        if path == "add":
            added = await self._add(principal, params)
            return {"namespace": namespace, "id": added.id}
        if path in ("remove", "enable"):
            async with self._lock:  # looked up under the lock: a concurrent remove cannot be undone
                hook = self.hooks.get(params.get("id") or "")
                if hook is None or not self.may_manage(principal, hook):
                    raise errors.params_errors(f"no hook with id {params.get('id')!r}")
                updated = dict(self.hooks)
                if path == "remove":
                    del updated[hook.id]
                else:
                    updated[hook.id] = replace(hook, enabled=True, last_error="")
                await self._save(updated)  # stored before it counts, and before it is answered
                self.hooks = updated
            if path == "remove":
                delivery = self._deliveries.pop(hook.id, None)
                if delivery is not None and delivery.task is not None:
                    delivery.task.cancel()
            return {"namespace": namespace, "id": hook.id}
        raise errors.params_errors(f"there is no controller 'hooks/{path}'")

    async def _add(self, principal: Principal, params: dict[str, str | None]) -> Hook:
        url = (params.get("url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
            raise errors.params_errors(f"url={url!r} is not an http(s) URL")
        if self._refused_literal(parts.hostname):
            raise errors.params_errors(
                f"url={url!r}: hooks may not reach loopback, link-local or unspecified addresses"
            )
        guid = (params.get("guid") or "").strip()
        if guid:
            thing_id = thing_id_of(guid)
            if self.hub.visible_thing(principal, thing_id) is None:
                raise errors.device_not_found(f"no device with guid {guid!r}")
        controller = (params.get("controller") or "").strip().lower()
        if controller:
            status = STATUS_BY_NAME.get(controller)
            if status is None:
                raise errors.params_errors(f"controller={controller!r} reports no state")
            controller = status.name
        fingerprint = ""
        if principal.name == KEY_PRINCIPAL.name and self.key is not None:
            fingerprint = self.key.state.fingerprint
        async with self._lock:
            if len(self.hooks) >= MAX_HOOKS:
                raise errors.params_errors(f"at most {MAX_HOOKS} hooks")
            hook = Hook(
                id=secrets.token_hex(8),
                url=url,
                owner=principal.name,
                guid=guid,
                controller=controller,
                key_fingerprint=fingerprint,
            )
            updated = {**self.hooks, hook.id: hook}
            await self._save(updated)
            self.hooks = updated
        return hook

    def _refused_literal(self, host: str) -> bool:
        addresses = literal_addresses(host)
        return addresses is not None and any(
            refused_address(address, allow_loopback=self.allow_loopback) for address in addresses
        )

    def may_manage(self, principal: Principal, hook: Hook) -> bool:
        """Whether a principal may see, remove and enable a hook: its own, or any for an administrator."""
        return hook.owner == principal.name or principal.has_scope(Scope.ADMIN)

    async def _save(self, hooks: dict[str, Hook]) -> None:
        # Shielded: a delivery cancelled at stop must not cut a write short (a transaction cut short
        # can leave SQLite locked for the hub's own last flush); stop() waits for it instead.
        saving = asyncio.ensure_future(self.store.save_hub_setting(SETTING, [h.stored() for h in hooks.values()]))
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)
        await asyncio.shield(saving)

    # -- events ----------------------------------------------------------------------------

    def _on_event(self, event: HubEvent) -> None:
        if not self.hooks or not isinstance(event, ev.StateChanged):
            return
        thing = self.hub.thing(event.thing_id)
        if thing is None:
            return
        state_type = thing.thing_class.state_type(event.state_type_id)
        if state_type is None:
            return
        # One report per status controller (STATUS_BY_NAME lists some under two names).
        reports = {
            c.name: c
            for c in STATUS_BY_NAME.values()
            if c.state == state_type.name and thing.thing_class.has_interface(c.interface)
        }
        if not reports:
            return
        guid = guid_of(thing.id)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        state = thing.states[state_type.id]
        for controller in reports.values():
            assert controller.codec is not None
            payload: bytes | None = None
            for hook in self.hooks.values():
                if not hook.enabled or (hook.guid and hook.guid != guid):
                    continue
                if hook.controller and hook.controller != controller.name:
                    continue
                if not self._owner_sees(hook, thing):
                    continue
                if payload is None:
                    payload = _encode(
                        {
                            "namespace": controller.name,
                            "guid": guid,
                            "status": controller.codec.status(event.value, state, state_type),
                            "comm_obj": self.comm_obj(thing, state_type.id),
                            "event": "state_changed",
                            "timestamp": stamp,
                        }
                    )
                self._enqueue(hook, payload)

    def _owner_sees(self, hook: Hook, thing: Thing) -> bool:
        if hook.owner == KEY_PRINCIPAL.name:
            # The key's hooks see what the key sees (all), while that very key is enabled.
            state = self.key.state if self.key is not None else None
            return (
                state is not None
                and state.enabled
                and bool(hook.key_fingerprint)
                and state.fingerprint == hook.key_fingerprint
            )
        try:
            return self.hub.visible_thing(self.security.principal_for_user(hook.owner), thing.id) is not None
        except UserFailure:
            return False  # its owner is gone: it reports nothing

    def _enqueue(self, hook: Hook, payload: bytes) -> None:
        delivery = self._deliveries.get(hook.id)
        if delivery is None:
            delivery = self._deliveries[hook.id] = _Delivery(hook.id)
        if delivery.queue.full():
            delivery.queue.get_nowait()  # the oldest change is the least useful one
            self.hooks[hook.id] = replace(self.hooks[hook.id], dropped=self.hooks[hook.id].dropped + 1)
        delivery.queue.put_nowait(payload)
        if delivery.task is None or delivery.task.done():
            delivery.task = asyncio.get_running_loop().create_task(self._deliver(delivery), name=f"hook-{hook.id}")

    async def _deliver(self, delivery: _Delivery) -> None:
        policy = self.policy
        while not delivery.queue.empty():
            payload = delivery.queue.get_nowait()
            hook = self.hooks.get(delivery.hook_id)
            if hook is None or not hook.enabled:
                return
            error = ""
            delay = policy.first_delay
            for attempt in range(policy.attempts):
                error = await self._post(hook.url, payload)
                if not error:
                    break
                if attempt + 1 < policy.attempts:
                    await asyncio.sleep(delay)
                    delay = min(policy.max_delay, delay * 2)
            if not error:
                delivery.failed_in_a_row = 0
                continue
            delivery.failed_in_a_row += 1
            _LOG.warning("thinknx: hook %s to %s failed %d times: %s", hook.id, hook.url, policy.attempts, error)
            if delivery.failed_in_a_row >= policy.disable_after:
                await self._disable(hook.id, error)
                return

    async def _post(self, url: str, payload: bytes) -> str:
        """POST one delivery; "" on a 2xx answer, else what went wrong (coarsely: see below)."""
        # Literal hosts never reach the resolver, so they are checked here as well as when added
        # (a hook stored before, or while loopback was allowed, is refused all the same).
        host = urlsplit(url).hostname
        if host is None or self._refused_literal(host):
            return REFUSED_TARGET
        if self._session is None:
            self._resolver = TargetGuardingResolver(allow_loopback=self.allow_loopback)
            connector = aiohttp.TCPConnector(resolver=self._resolver)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.policy.timeout)
            )
        try:
            # No redirects and at most a little of the answer read: a hook is a way to send, not
            # a way to make the hub fetch other addresses or read what is there.
            async with self._session.post(
                url, data=payload, headers={"Content-Type": "application/json"}, allow_redirects=False
            ) as reply:
                await reply.content.read(MAX_ANSWER_READ)
                if 200 <= reply.status < 300:
                    return ""
                return f"HTTP {reply.status}"
        except TimeoutError:
            return "no answer in time"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, RefusedTarget):
                return REFUSED_TARGET
            _LOG.debug("thinknx: hook delivery to %s failed", url, exc_info=exc)
            return "could not connect"
        except (aiohttp.ClientError, OSError) as exc:
            _LOG.debug("thinknx: hook delivery to %s failed", url, exc_info=exc)
            # One word for every way of not connecting: `last_error` must not map a network.
            return "could not connect"

    async def _disable(self, hook_id: str, error: str) -> None:
        async with self._lock:
            hook = self.hooks.get(hook_id)
            if hook is None:
                return
            updated = {**self.hooks, hook_id: replace(hook, enabled=False, last_error=error)}
            try:
                await self._save(updated)
            except Exception:
                _LOG.exception("thinknx: could not store that hook %s is disabled; disabled until restart", hook_id)
            self.hooks = updated
        delivery = self._deliveries.pop(hook_id, None)
        if delivery is not None:
            while not delivery.queue.empty():
                delivery.queue.get_nowait()
        _LOG.warning("thinknx: hook %s to %s disabled after repeated failures: %s", hook_id, hook.url, error)
