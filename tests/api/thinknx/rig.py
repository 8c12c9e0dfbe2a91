"""A real hub with the demo house behind the Thinknx Integration Kit door on a free loopback port.

`thinknx_rig` builds the door the way `thinggate.server._start_thinknx` does (IntegrationKey,
LoginLimiter, DigestAuthority, ThinknxDoor, ThinknxServer) over a SQLite store, a SecurityManager
with cheap argon2 and three users, each opted in to HTTP digest (`create_user(..., digest=True)`,
as `thinggate user add NAME --digest` does):
- `owner` (Admin),
- `viewer` (AccessAllThings only: may read, may not control),
- `tenant` (ControlThings + AccessAllThings, homed in the sub-domain `upstairs`).

Besides the demo house it has a few things of its own: a light in `upstairs` (the tenant's), a
virtual `mock` test thing (it has a `connected` state) and things of `FakeKnx`, a small test
integration whose switch answers its KNX group address as comm_obj and whose `mode` param makes
it report normally, never report (`fb` times out), fail, or hang (the hub's action timeout).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from thinggate import __version__
from thinggate.api.thinknx import Authenticator, ThinknxDoor, ThinknxServer, ThinknxSettings
from thinggate.api.thinknx.digest import DigestAuthority
from thinggate.api.thinknx.key import IntegrationKey, KeyState, save_key
from thinggate.core.errors import ThingError, ThingFailure
from thinggate.core.events import EventBus, StateChanged, Subscription
from thinggate.core.guids import guid_of
from thinggate.core.hub import Hub, Timeouts
from thinggate.core.integration import Integration
from thinggate.core.model import Action, BasicType, PluginInfo, Thing, Vendor
from thinggate.core.security import SYSTEM, LoginLimiter, Scope, SecurityManager
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.integrations.virtual import builder as vb
from thinggate.integrations.virtual.demo import populate
from thinggate.storage import open_store

ADMIN = "owner"
VIEWER = "viewer"
TENANT = "tenant"
PASSWORD = "OwnerPW1!"
SUB_DOMAIN = "upstairs"
OLD_REALM = "thinggate"
"""The digest realm every hub shared before realms were made per installation."""
TIME_SCALE = 50.0
FEEDBACK_SECONDS = 1.0

# Log records at ERROR or above from these loggers mean a bug escaped into a 500 (the door
# answers "impossible to execute" for an internal error too, so the log is how tests tell).
WATCHED_LOGGERS = ("thinggate.api.thinknx", "thinggate.core.hub")


# -- a small KNX-like test integration -----------------------------------------------------------

_OWNER = "fakeKnxSwitch"
FAKE_PLUGIN = PluginInfo(
    id=uuid.uuid5(uuid.NAMESPACE_URL, "thinggate-tests/fakeknx"), name="fakeknx", display_name="KNX"
)
FAKE_VENDOR = Vendor(id=uuid.uuid5(uuid.NAMESPACE_URL, "thinggate-tests/fakeknx/vendor"), name="fake", display_name="F")
FAKE_POWER = vb.state(_OWNER, "power", BasicType.BOOL, False, writable=True, display_name="Power")
FAKE_SWITCH = replace(
    vb.thing_class(
        _OWNER,
        "KNX switch (test)",
        interfaces=("light",),
        params=(
            vb.param(_OWNER, "group", BasicType.STRING, "1/0/7", display_name="Status group address"),
            vb.param(
                _OWNER,
                "mode",
                BasicType.STRING,
                "normal",
                display_name="How the device answers",
                allowed_values=("normal", "silent", "failing", "hanging"),
            ),
        ),
        states=(FAKE_POWER,),
        class_id=uuid.uuid5(uuid.NAMESPACE_URL, "thinggate-tests/fakeknx/switch"),
    ),
    # builder.thing_class puts classes under the virtual plugin; this one belongs to FakeKnx.
    plugin_id=FAKE_PLUGIN.id,
    vendor_id=FAKE_VENDOR.id,
)


class FakeKnx(Integration):
    """Switches with a KNX group address; `mode` says how the device answers a write."""

    plugin = FAKE_PLUGIN
    vendors = (FAKE_VENDOR,)
    thing_classes = (FAKE_SWITCH,)

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[uuid.UUID, bool]] = []

    async def execute_action(self, thing: Thing, action: Action) -> None:
        mode = thing.param("mode")
        value = bool(action.params[FAKE_POWER.id])
        self.writes.append((thing.id, value))
        if mode == "failing":
            raise ThingFailure(ThingError.HARDWARE_FAILURE, "the actuator answered with a negative confirmation")
        if mode == "hanging":
            await asyncio.sleep(3600)
        if mode == "normal":
            self.host.set_state(thing.id, FAKE_POWER.id, value)
        # silent: the telegram went out, the actuator never reports its status

    def address_of(self, thing: Thing, type_id: uuid.UUID) -> str | None:
        return str(thing.param("group")) if type_id == FAKE_POWER.id else None


# -- a raw KNX bus that records what it is asked to write --------------------------------------------


@dataclass
class RecordingBus:
    """A RawBus: keeps every (group, kind, value); `fail` makes the next writes raise it."""

    writes: list[tuple[str, str, float]] = field(default_factory=list)
    fail: BaseException | None = None

    async def write_group_value(self, group_address: str, kind: str, value: float) -> None:
        if self.fail is not None:
            raise self.fail
        self.writes.append((group_address, kind, value))


# -- log watching ------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# -- the rig -----------------------------------------------------------------------------------------


@dataclass
class ThinknxRig:
    """The running hub, door and server, with helpers to call the door over real sockets."""

    hub: Hub
    bus: EventBus
    virtual: VirtualIntegration
    fake: FakeKnx
    security: SecurityManager
    store: Any
    door: ThinknxDoor
    server: ThinknxServer
    authenticator: Authenticator
    digest: DigestAuthority
    limiter: LoginLimiter
    key: IntegrationKey
    raw_bus: RecordingBus | None
    errors: _Collect
    client: httpx.AsyncClient = field(init=False)
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = self.new_client()

    @property
    def port(self) -> int:
        """The door's port."""
        assert self.server.port is not None
        return self.server.port

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    def url(self, target: str) -> str:
        """The absolute URL of a request target ("/api/V1/...")."""
        return self.base + target

    def new_client(self, *, local_address: str | None = None, **options: Any) -> httpx.AsyncClient:
        """An httpx client (closed with the rig); `local_address` picks the source address."""
        transport = httpx.AsyncHTTPTransport(local_address=local_address) if local_address else None
        options.setdefault("timeout", 15.0)
        client = httpx.AsyncClient(transport=transport, **options)
        self.clients.append(client)
        return client

    async def get(
        self, target: str, *, auth: Any = (ADMIN, PASSWORD), client: httpx.AsyncClient | None = None, **options: Any
    ) -> httpx.Response:
        """GET a raw request target (query string sent as written), basic auth as the owner by default."""
        return await (client or self.client).get(self.url(target), auth=auth, **options)

    async def post(
        self,
        target: str,
        form: str | bytes,
        *,
        auth: Any = (ADMIN, PASSWORD),
        content_type: str | None = "application/x-www-form-urlencoded",
        client: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> httpx.Response:
        """POST a form body (as written) to a raw request target."""
        headers = {"Content-Type": content_type} if content_type is not None else {}
        headers.update(options.pop("headers", {}))
        return await (client or self.client).post(self.url(target), content=form, headers=headers, auth=auth, **options)

    def thing(self, name: str, room: str | None = None) -> Thing:
        """The thing with this name (and room)."""
        matches = [t for t in self.hub.things.values() if t.name == name and (room is None or t.room == room)]
        assert len(matches) == 1, f"{len(matches)} things named {name!r} in {room!r}"
        return matches[0]

    def guid(self, name: str, room: str | None = None) -> str:
        """The Thinknx GUID of a thing."""
        return guid_of(self.thing(name, room).id)

    def value(self, thing: Thing, state: str) -> Any:
        """A state value as the hub holds it now."""
        return self.hub.things[thing.id].state_value(state)

    def subscribe(self) -> Subscription:
        """A subscription to the hub's bus (closed by the test or with the rig)."""
        return self.bus.subscribe("thinknx-test")

    async def add(self, name: str, class_name: str, *, domain: str | None = None, **params: Any) -> Thing:
        """Add a virtual (or FakeKnx, for `fakeKnxSwitch`) thing and answer it."""
        if class_name == _OWNER:
            thing_class = FAKE_SWITCH
        else:
            thing_class = self.virtual.thing_class_named(class_name)
        given = []
        for param_name, value in params.items():
            param_type = thing_class.param_type_named(param_name)
            assert param_type is not None, param_name
            given.append((param_type.id, value))
        result = await self.hub.add_thing(
            SYSTEM, name=name, thing_class_id=thing_class.id, params=given, domain=domain, room="Tests"
        )
        assert result.ok, (result.error, result.message)
        assert result.value is not None
        return self.hub.things[result.value]

    def unexpected_errors(self) -> list[str]:
        """Messages of ERROR log records of the door and hub since the start (bugs turned into 500s)."""
        return [f"{record.name}: {record.getMessage()}" for record in self.errors.records]


@contextlib.asynccontextmanager
async def thinknx_rig(
    data_dir: Path,
    *,
    feedback_seconds: float = FEEDBACK_SECONDS,
    rate_limit: str = "",
    nonce_seconds: float = 300.0,
    max_failed_logins: int = 5,
    raw_bus: RecordingBus | None = None,
    key: KeyState | None = None,
    digest_clock: Callable[[], float] | None = None,
    timeouts: Timeouts | None = None,
    demo: bool = True,
    allow_errors: bool = False,
) -> AsyncIterator[ThinknxRig]:
    """A hub with the demo house and the Thinknx door on 127.0.0.1, port 0 (see the module doc)."""
    collect = _Collect()
    watched = [logging.getLogger(name) for name in WATCHED_LOGGERS]
    for logger in watched:
        logger.addHandler(collect)
    store = await open_store(None, data_dir)
    bus = EventBus()
    security = SecurityManager(store, hasher=fast_hasher(), bus=bus)
    await security.load()
    await security.add_domain(SUB_DOMAIN)
    await security.create_user(ADMIN, PASSWORD, scopes=Scope.ADMIN, digest=True)
    await security.create_user(VIEWER, PASSWORD, scopes=Scope.ACCESS_ALL_THINGS, digest=True)
    await security.create_user(
        TENANT, PASSWORD, scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS, home_domain=SUB_DOMAIN, digest=True
    )
    if key is not None:
        await save_key(store, key)
    virtual = VirtualIntegration(time_scale=TIME_SCALE, test_control=True, auto_things=False)
    fake = FakeKnx()
    hub = Hub(store=store, bus=bus, timeouts=timeouts)
    hub.register(virtual)
    hub.register(fake)
    await hub.start()
    await asyncio.wait_for(hub.wait_until_set_up(), 30)
    if demo:
        await populate(hub, virtual)

    # As thinggate.server._start_thinknx builds it.
    integration_key = IntegrationKey(store)
    await integration_key.load()
    digest_options: dict[str, Any] = {"clock": digest_clock} if digest_clock is not None else {}
    digest = DigestAuthority(
        secret_of=security.digest_secret, realm=await security.digest_realm(), lifetime=nonce_seconds, **digest_options
    )
    limiter = LoginLimiter(max_failures=max_failed_logins)
    authenticator = Authenticator(security=security, key=integration_key, limiter=limiter, digest=digest)
    holder: list[ThinknxServer] = []
    door = ThinknxDoor(
        hub=hub,
        settings=ThinknxSettings(
            feedback_seconds=feedback_seconds, rate_limit=rate_limit, nonce_seconds=nonce_seconds, version=__version__
        ),
        raw_bus=raw_bus,
        client_count=lambda: sum(server.connection_count for server in holder),
    )
    server = ThinknxServer(door, authenticator, host="127.0.0.1", port=0, rate_limit=rate_limit)
    holder.append(server)
    await server.start()
    rig = ThinknxRig(
        hub=hub,
        bus=bus,
        virtual=virtual,
        fake=fake,
        security=security,
        store=store,
        door=door,
        server=server,
        authenticator=authenticator,
        digest=digest,
        limiter=limiter,
        key=integration_key,
        raw_bus=raw_bus,
        errors=collect,
    )
    if demo:
        await rig.add("Loft light", "light", domain=SUB_DOMAIN)
        await rig.add("Mock", "mock", httpport=8123)
        await rig.add("KNX switch", _OWNER, group="2/1/10")
        await rig.add("Silent switch", _OWNER, group="2/1/11", mode="silent")
        await rig.add("Broken switch", _OWNER, group="2/1/12", mode="failing")
        await rig.add("Hanging switch", _OWNER, group="2/1/13", mode="hanging")
    try:
        yield rig
        if not allow_errors:
            assert rig.unexpected_errors() == [], rig.unexpected_errors()
    finally:
        for client in rig.clients:
            await client.aclose()
        await server.stop()
        await hub.stop()
        await store.close()
        for logger in watched:
            logger.removeHandler(collect)


def fast_hasher() -> Any:
    """Cheap argon2 parameters (as tests/core/test_security.py): tests spend their time on behaviour."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# -- answers -----------------------------------------------------------------------------------------

DEVICE_NOT_FOUND = {"error": "device not found"}
PARAMS_ERRORS = {"error": "params errors"}
IMPOSSIBLE = {"error": "impossible to execute"}
AUTH_FAILED = {"error": "authentication failed"}
RATE_LIMITED = {"error": "rate limit exceeded"}
DOCUMENTED_ERRORS = {
    400: PARAMS_ERRORS,
    403: AUTH_FAILED,
    404: DEVICE_NOT_FOUND,
    429: RATE_LIMITED,
    500: IMPOSSIBLE,
}


def body_keys(response: httpx.Response) -> list[str]:
    """The JSON object's keys in the order they were sent."""
    data = response.json()
    assert isinstance(data, dict), data
    return list(data)


def assert_answer(response: httpx.Response, status: int, body: dict[str, Any]) -> None:
    """Status, JSON content type and the exact body, key order included."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    data = response.json()
    assert data == body, data
    assert list(data) == list(body), f"key order {list(data)} != {list(body)}"


def assert_documented(response: httpx.Response) -> None:
    """A 200 with a JSON object, or one of the seed's errors with its exact body."""
    assert response.headers["Content-Type"].startswith("application/json"), (response.status_code, response.text)
    if response.status_code == 200:
        assert isinstance(response.json(), dict)
        return
    assert response.status_code in DOCUMENTED_ERRORS, (response.status_code, response.text)
    assert response.json() == DOCUMENTED_ERRORS[response.status_code], response.text


async def state_changed(
    subscription: Subscription, thing: Thing, state: str, value: Any = ..., within: float = 5.0
) -> StateChanged:
    """The next StateChanged of one state of a thing (with this value, when given)."""
    state_type = thing.thing_class.state_type_named(state)
    assert state_type is not None, state

    async def wait() -> StateChanged:
        while True:
            event = await subscription.get()
            assert event is not None, "subscription closed"
            if (
                isinstance(event, StateChanged)
                and event.thing_id == thing.id
                and event.state_type_id == state_type.id
                and (value is ... or event.value == value)
            ):
                return event

    return await asyncio.wait_for(wait(), within)


def state_changes(subscription: Subscription, thing: Thing) -> list[tuple[str, Any]]:
    """(state name, value) of every StateChanged of a thing queued right now."""
    names = {st.id: st.name for st in thing.thing_class.state_types}
    found: list[tuple[str, Any]] = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        if isinstance(event, StateChanged) and event.thing_id == thing.id:
            found.append((names[event.state_type_id], event.value))
    return found


# -- digest, by hand ---------------------------------------------------------------------------------

_HASH = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def challenges(response: httpx.Response) -> list[str]:
    """Every WWW-Authenticate value of a response, in order."""
    return response.headers.get_list("WWW-Authenticate")


def challenge_params(value: str) -> dict[str, str]:
    """The parameters of one `Digest ...` challenge."""
    from thinggate.api.thinknx.digest import parse_digest_header

    scheme, _, rest = value.partition(" ")
    assert scheme == "Digest", value
    return parse_digest_header(rest)


def digest_authorization(
    *,
    challenge: dict[str, str],
    method: str,
    uri: str,
    username: str = ADMIN,
    password: str = PASSWORD,
    algorithm: str = "SHA-256",
    nc: int = 1,
    cnonce: str | None = None,
    realm: str | None = None,
    signed_uri: str | None = None,
    ha1: str | None = None,
) -> str:
    """An `Authorization: Digest ...` value (RFC 7616, qop=auth), computed from scratch.

    `uri` is what the header claims, `signed_uri` what the response hashes (default: the same);
    `ha1` signs with a given H(username:realm:password) instead of one made from `password`.
    """
    hash_function = _HASH[algorithm]

    def h(text: str) -> str:
        return hash_function(text.encode()).hexdigest()

    realm = realm if realm is not None else challenge["realm"]
    nonce = challenge["nonce"]
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    ha1 = ha1 if ha1 is not None else h(f"{username}:{realm}:{password}")
    ha2 = h(f"{method}:{signed_uri if signed_uri is not None else uri}")
    response = h(f"{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}")
    parts = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f"algorithm={algorithm}",
        f'response="{response}"',
        "qop=auth",
        f"nc={nc_text}",
        f'cnonce="{cnonce}"',
    ]
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)


def basic_authorization(username: str, password: str) -> str:
    """An `Authorization: Basic ...` value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# -- curl --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurlResult:
    """What curl got: status, headers (lower-case names, every value) and body."""

    status: int
    headers: dict[str, list[str]]
    body: bytes
    trace: str = ""  # curl --verbose output: the request headers curl sent, among others

    def json(self) -> Any:
        """The body as JSON."""
        import json

        return json.loads(self.body)

    def sent(self, header: str) -> list[str]:
        """Values of a request header curl sent (with --verbose), every request of the run."""
        prefix = f"> {header.lower()}:"
        return [line[len(prefix) :].strip() for line in self.trace.splitlines() if line.lower().startswith(prefix)]


async def curl(*args: str) -> CurlResult:
    """Run curl with these arguments; answers the last response (after a digest round trip)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        header_file = os.path.join(folder, "headers")
        body_file = os.path.join(folder, "body")
        process = await asyncio.create_subprocess_exec(
            "curl",
            "--silent",
            "--show-error",
            "--globoff",
            "--max-time",
            "15",
            "--dump-header",
            header_file,
            "--output",
            body_file,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await process.communicate()
        trace = err.decode("latin-1")
        assert process.returncode == 0, err.decode("latin-1")
        headers_text = (await asyncio.to_thread(Path(header_file).read_bytes)).decode("latin-1")
        body = await asyncio.to_thread(Path(body_file).read_bytes)
    blocks = [block for block in headers_text.split("\r\n\r\n") if block.strip()]
    last = blocks[-1].split("\r\n")
    status = int(last[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in last[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return CurlResult(status, headers, body, trace)


# -- raw HTTP, byte for byte ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RawAnswer:
    """One HTTP response read off a raw socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        import json

        return json.loads(self.body)


async def raw_request(
    port: int,
    method: str,
    target: str | bytes,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    auth: tuple[str, str] | None = (ADMIN, PASSWORD),
) -> RawAnswer:
    """Send one request exactly as given (target bytes untouched), read the answer, close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"Host: 127.0.0.1:{port}", "Connection: close"]
        if auth is not None:
            lines.append(f"Authorization: {basic_authorization(*auth)}")
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        raw_target = target.encode("latin-1") if isinstance(target, str) else target
        head = (
            method.encode() + b" " + raw_target + b" HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines).encode()
        )
        writer.write(head + b"\r\n" + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head_part, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head_part.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawAnswer(int(status_line.split()[1]), parsed, rest)
