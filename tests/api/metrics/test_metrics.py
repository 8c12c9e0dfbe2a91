"""`GET /metrics`: parsed with prometheus-client's own parser and checked against the traffic each test made.

The hub is started by the composition root with the demo house, every door on free loopback ports
(JSON-RPC over TCP, Ezlo over ws, Thinknx, and the registry and metrics doors on the HTTP port) and
the KNX integration pointed at a gateway that is not there; an MQTT test gets a real Mosquitto.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.ezlo.rig import EzloClient
from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import STACK, Client, fast_hasher
from tests.knxd import free_udp_port
from tests.mosquitto import MosquittoServer
from thinggate.api.deferred import DeferredDoor
from thinggate.api.ezlo.settings import EzloConfig
from thinggate.api.jsonrpc.settings import JsonRpcConfig
from thinggate.api.metering import OTHER, RequestMeter
from thinggate.api.metrics.settings import MetricsConfig
from thinggate.api.registry.door import RegistryDoor
from thinggate.config import Config, ConfigError, Ports, VirtualConfig
from thinggate.core.events import ThingRemoved
from thinggate.core.guids import guid_of
from thinggate.core.model import Thing
from thinggate.mqtt.settings import MqttConfig
from thinggate.server import Server, start_server

USER, PASSWORD = "integrator", "Secret123"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def hub_config(data_dir: Path, *, metrics: MetricsConfig | None = None, mqtt: MqttConfig | None = None) -> Config:
    """Every door on a free port, /metrics on (unless told otherwise), KNX towards a gateway that is not there."""
    return Config(
        data_dir=data_dir,
        bind="127.0.0.1",
        ports=Ports(jsonrpc_tcp=0, jsonrpc_ws=None, ezlo=0, thinknx=0, http=0),
        doors={
            "jsonrpc": JsonRpcConfig(tcp_tls=False, zeroconf=False, lockdown_seconds=0.0),
            "ezlo": EzloConfig(tls=False, insecure_access=True, zeroconf=False),
            "metrics": metrics if metrics is not None else MetricsConfig(enabled=True),
        },
        virtual=VirtualConfig(auto_things=False, time_scale=20.0),
        knx={"gateway_ip": "127.0.0.1", "gateway_port": free_udp_port(), "reconnect_seconds": 0.2},
        mqtt=mqtt or MqttConfig(),
    )


async def started(config: Config, monkeypatch: pytest.MonkeyPatch) -> Server:
    """A hub of the demo house with one user (cheap password hashing)."""
    monkeypatch.setattr("thinggate.core.security.manager.make_hasher", fast_hasher)
    server = await start_server(config, demo=True)
    await server.security.create_user(USER, PASSWORD)
    return server


@pytest.fixture
async def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    running = await started(hub_config(tmp_path), monkeypatch)
    try:
        yield running
    finally:
        await running.stop()


def origin(server: Server) -> str:
    """The HTTP port's origin."""
    assert server.http is not None
    return f"http://127.0.0.1:{server.http.port}"


async def scrape(server: Server) -> Samples:
    """Read /metrics and parse it with prometheus-client's parser: every sample by name and labels."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{origin(server)}/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value (None when /metrics has no such sample)."""
    return samples.get((name, frozenset(labels.items())))


def requests(samples: Samples, door: str, method: str, outcome: str = "ok") -> float | None:
    """How many requests of a door's method /metrics counts with that outcome."""
    return value(samples, "thinggate_requests_total", door=door, method=method, outcome=outcome)


def named(server: Server, name: str, class_name: str) -> Thing:
    return next(t for t in server.hub.things.values() if t.name == name and t.thing_class.name == class_name)


async def eventually(condition: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Wait until an async condition holds (a connection is made in the background); fail after `within` s."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await condition():
                return
            await asyncio.sleep(0.05)


async def test_requests_of_every_door_are_counted_and_timed_per_method(server: Server) -> None:
    rpc = await RpcClient.tcp(server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    ezlo = await EzloClient.connect(f"ws://127.0.0.1:{server.doors['ezlo'].port}")  # type: ignore[attr-defined]
    thinknx_origin = f"http://127.0.0.1:{server.doors['thinknx'].port}/api/V1"  # type: ignore[attr-defined]
    rest = httpx.AsyncClient(base_url=thinknx_origin, auth=(USER, PASSWORD))
    http = httpx.AsyncClient(base_url=origin(server))
    light = named(server, "Path light", "light")
    try:
        await rpc.login(USER, PASSWORD)
        for _ in range(3):
            await rpc.call("Integrations.GetThings", {})
        assert (await rpc.request("Integrations.NoSuchMethod", {}))["status"] == "error"  # not a method: not counted
        token = await server.security.create_token(USER, "metrics test")
        assert (await ezlo.login(USER, token))["error"] is None
        for _ in range(2):
            await ezlo.result("hub.items.list", {})
        for _ in range(2):
            assert (await rest.get("powerstatus", params={"guid": guid_of(light.id)})).status_code == 200
        assert (await rest.get("powerstatus", params={"guid": guid_of(uuid.uuid4())})).status_code == 404
        assert (await rest.get("made-up-controller")).status_code >= 400
        for _ in range(2):
            assert (await http.get("/openapi.json")).status_code == 200
        assert (await http.get(f"/{STACK}/things")).status_code == 403  # no API key: the registry's error answer
        samples = await scrape(server)
    finally:
        await rpc.close()
        await ezlo.close()
        await rest.aclose()
        await http.aclose()

    assert requests(samples, "jsonrpc", "Integrations.GetThings") == 3
    assert requests(samples, "jsonrpc", "Integrations.GetThings", "error") == 0
    assert requests(samples, "jsonrpc", "JSONRPC.Hello") == 1
    assert requests(samples, "jsonrpc", "JSONRPC.Authenticate") == 1
    assert not any(("method", "Integrations.NoSuchMethod") in labels for _, labels in samples)
    assert requests(samples, "ezlo", "hub.offline.login.ui") == 1
    assert requests(samples, "ezlo", "hub.items.list") == 2
    assert requests(samples, "thinknx", "powerstatus") == 2
    assert requests(samples, "thinknx", "powerstatus", "error") == 1
    assert requests(samples, "thinknx", "(no controller)", "error") == 1
    assert requests(samples, "registry", "GET /openapi.json") == 2
    assert requests(samples, "registry", f"GET /{STACK}/{{tail}}", "error") == 1

    # The latency histogram of a method holds each of its requests once: its buckets add up (le is
    # cumulative) to its count, and the time they took is more than nothing.
    histogram = "thinggate_request_duration_seconds"
    labels = {"door": "jsonrpc", "method": "Integrations.GetThings"}
    buckets = sorted(
        (float(dict(found)["le"]), number)
        for (name, found), number in samples.items()
        if name == f"{histogram}_bucket" and labels.items() <= dict(found).items()
    )
    assert len(buckets) == len(RequestMeter().bounds) + 1 and buckets[-1] == (float("inf"), 3)
    assert [number for _, number in buckets] == sorted(number for _, number in buckets)
    assert value(samples, f"{histogram}_count", **labels) == 3
    assert (value(samples, f"{histogram}_sum", **labels) or 0) > 0


async def test_labels_stay_few_whatever_methods_and_paths_clients_send(server: Server) -> None:
    async with httpx.AsyncClient(base_url=origin(server)) as http:
        for number in range(20):
            assert (await http.get(f"/nothing-{number}")).status_code == 404
        assert (await http.request("PURGE", "/openapi.json")).status_code == 405
        samples = await scrape(server)
    assert requests(samples, "http", "GET (no route)", "error") == 20
    assert requests(samples, "registry", "OTHER /openapi.json", "error") == 1  # the registry's own 405
    assert not any("nothing-" in label for _, labels in samples for _, label in labels)


async def test_connections_events_outbox_links_and_things(server: Server) -> None:
    bus = server.hub.bus
    rpc = await RpcClient.tcp(server.doors["jsonrpc"].tcp_port)  # type: ignore[attr-defined]
    ezlo = await EzloClient.connect(f"ws://127.0.0.1:{server.doors['ezlo'].port}")  # type: ignore[attr-defined]
    deferred = server.doors["registry"]
    assert isinstance(deferred, DeferredDoor)
    registry = await deferred.door()
    assert isinstance(registry, RegistryDoor) and registry.keys.published is not None
    admin = Client(origin(server), registry.keys.published)
    slow = None
    try:
        await rpc.login(USER, PASSWORD)
        await admin.login(USER, PASSWORD)
        before = await scrape(server)
        pending_before = await server.store.count_pending_events()
        published_before = bus.published
        # Two events for a subscriber that never reads: the second overflows it, and it is dropped.
        # Subscribed here, with no await before the two: the demo house's own events cannot come first.
        slow = bus.subscribe("metrics test: a reader that never reads", maxsize=1)
        bus.publish(ThingRemoved(uuid.uuid4()))
        bus.publish(ThingRemoved(uuid.uuid4()))
        created = await admin.post("/domains", {"id": "garden", "description": "made by the metrics test"})
        assert created.status_code in (200, 201), created.text
        samples = await scrape(server)
        published_after = bus.published
    finally:
        if slow is not None:
            slow.close()
        await rpc.close()
        await ezlo.close()
        await admin.close()

    assert value(samples, "thinggate_door_connections", door="jsonrpc") == 1
    assert value(samples, "thinggate_door_connections", door="ezlo") == 1
    assert value(samples, "thinggate_door_connections", door="thinknx") == 0
    # The registry's client (kept alive) and the scrape itself, on the shared HTTP site: counted there, once.
    assert value(samples, "thinggate_door_connections", door="http") == 2
    assert value(samples, "thinggate_door_connections", door="registry") == 0

    # Published counts every event, and the demo house's simulation may add some while the test runs.
    published = value(samples, "thinggate_events_published_total")
    assert published is not None
    assert published_before + 2 <= published <= published_after
    assert value(before, "thinggate_events_dropped_total") == 0
    assert value(samples, "thinggate_events_dropped_total") == 1

    # No broker: the registry's lifecycle event of the new domain waits in the outbox.
    assert value(samples, "thinggate_outbox_pending_events") == pending_before + 1
    assert await server.store.count_pending_events() == pending_before + 1

    assert value(samples, "thinggate_link_up", link="knx") == 0  # nothing listens at the gateway's port
    assert value(samples, "thinggate_link_up", link="mqtt_things") is None  # no [mqtt] url: no MQTT link at all

    by_integration: dict[str, int] = {}
    for thing in server.hub.things.values():
        name = server.hub.integrations[thing.thing_class.plugin_id].plugin.name
        by_integration[name] = by_integration.get(name, 0) + 1
    assert by_integration.get("virtual", 0) > 0
    for name, count in by_integration.items():
        assert value(samples, "thinggate_things", integration=name) == count


async def test_mqtt_links_show_the_brokers_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mosquitto: MosquittoServer
) -> None:
    server = await started(hub_config(tmp_path, mqtt=MqttConfig(url=mosquitto.url)), monkeypatch)
    try:

        async def links_are(up: float) -> bool:
            samples = await scrape(server)
            return all(
                value(samples, "thinggate_link_up", link=link) == up for link in ("mqtt_things", "mqtt_lifecycle")
            )

        await eventually(lambda: links_are(1))
        mosquitto.kill()
        await eventually(lambda: links_are(0))
    finally:
        await server.stop()


async def test_metrics_answer_only_the_networks_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = MetricsConfig(enabled=True, allowed_networks=["192.0.2.0/24"])
    server = await started(hub_config(tmp_path, metrics=metrics), monkeypatch)
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{origin(server)}/metrics")
        assert answer.status_code == 403
        assert "thinggate_" not in answer.text
    finally:
        await server.stop()


async def test_a_network_that_is_not_one_stops_the_hub_before_it_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[metrics\] allowed_networks: 'everyone'"):
        await start_server(hub_config(tmp_path, metrics=MetricsConfig(enabled=True, allowed_networks=["everyone"])))


async def test_metrics_are_off_unless_enabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = await started(hub_config(tmp_path, metrics=MetricsConfig()), monkeypatch)
    try:
        assert "metrics" not in server.doors and server.context.request_meter is None
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{origin(server)}/metrics")).status_code == 404
    finally:
        await server.stop()


def test_a_meter_keeps_at_most_its_series_and_counts_the_rest_as_other() -> None:
    meter = RequestMeter(max_series=3)
    for number in range(10):
        meter.observe("jsonrpc", f"Method{number}", 0.001, ok=number % 2 == 0)
    kept = {(door, method): (series.succeeded, series.failed) for door, method, series in meter.series()}
    assert kept == {
        ("jsonrpc", "Method0"): (1, 0),
        ("jsonrpc", "Method1"): (0, 1),
        ("jsonrpc", "Method2"): (1, 0),
        ("jsonrpc", OTHER): (3, 4),
    }
