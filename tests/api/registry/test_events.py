"""Lifecycle events (§1.13): each registry change published on a real Mosquitto, and `/events` find and acknowledge.

The receiver is `mosquitto_sub`, a client of its own; the hub is a real one with the registry door.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.registry.rig import ADMIN, PASSWORD, Client, Rig, registry_rig
from tests.api.registry.subscriber import LifecycleSubscriber, first_seen
from tests.mosquitto import MosquittoServer, start_mosquitto
from thinggate.api.registry.lifecycle import LifecyclePublisher
from thinggate.core.security import Privilege
from thinggate.mqtt.settings import MqttConfig
from thinggate.storage.memory import MemoryStore

TARGETS = {"home": "a", "child": "a1", "sibling": "b", "parent": "p"}
"""Where an event's source lives, seen from a caller at home in `a` (p > a > a1, p > b)."""


def ok(answer: httpx.Response) -> Any:
    """The body of a 200 answer."""
    assert answer.status_code == 200, answer.text
    return answer.json()


def key_of(answer: httpx.Response) -> tuple[int, str]:
    """Status and message key of an error answer."""
    return answer.status_code, str(answer.json()["messageKey"])


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[MosquittoServer]:
    server = start_mosquitto(tmp_path / "mosquitto")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def published_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broker: MosquittoServer) -> AsyncIterator[Rig]:
    """A hub whose lifecycle events go to the test's broker."""
    mqtt = MqttConfig(url=broker.url, reconnect_seconds=0.1)
    async with registry_rig(tmp_path / "hub", monkeypatch, mqtt=mqtt) as running:
        yield running


@pytest.fixture
async def subscriber(broker: MosquittoServer) -> AsyncIterator[LifecycleSubscriber]:
    receiver = LifecycleSubscriber(broker.port)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


async def test_every_registry_change_is_published_with_mics_event_json(
    published_rig: Rig, subscriber: LifecycleSubscriber
) -> None:
    admin = await published_rig.logged_in(ADMIN)
    before = published_rig.door.publisher
    assert before is not None
    ok(await admin.post("/domains", {"id": "a", "parentId": "root"}))
    ok(await admin.post("/domains", {"id": "b", "parentId": "a"}))
    ok(await admin.patch("/domains/b", {"description": "changed"}))
    user = {"userName": "Ann", "password": PASSWORD, "roleName": "Read", "domainName": "b"}
    ok(await admin.post("/users", user))
    ok(await admin.patch("/users/ann", {"email": "ann@example.org"}))
    ok(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))
    ok(await admin.post("/thingtypes", {"id": "fan", "label": "Fan", "domain": "b"}))
    ok(await admin.patch("/thingtypes/fan", {"label": "Big fan", "domain": "b"}))
    ok(await admin.delete("/thingtypes/fan"))
    ok(await admin.delete("/thingtypes/lamp"))
    ok(await admin.delete("/users/ann"))
    ok(await admin.delete("/domains/b"))

    expected = [
        ("lifecycle/a/DOMAIN/CREATE", "DOMAIN.CREATE", {"domain": "a", "parentDomain": "root"}),
        ("lifecycle/a/b/DOMAIN/CREATE", "DOMAIN.CREATE", {"domain": "b", "parentDomain": "a"}),
        ("lifecycle/a/b/DOMAIN/UPDATE", "DOMAIN.UPDATE", {"domain": "b", "parentDomain": "a"}),
        ("lifecycle/a/b/USER/CREATE", "USER.CREATE", {"userName": "ann", "domain": "b"}),
        ("lifecycle/a/b/USER/UPDATE", "USER.UPDATE", {"userName": "ann", "domain": "b"}),
        ("lifecycle/THING_TYPE/CREATE", "THING_TYPE.CREATE", {"thingType": "lamp", "domain": "root"}),
        ("lifecycle/a/b/THING_TYPE/CREATE", "THING_TYPE.CREATE", {"thingType": "fan", "domain": "b"}),
        ("lifecycle/a/b/THING_TYPE/UPDATE", "THING_TYPE.UPDATE", {"thingType": "fan", "domain": "b"}),
        ("lifecycle/a/b/THING_TYPE/REMOVE", "THING_TYPE.REMOVE", {"thingType": "fan", "domain": "b"}),
        ("lifecycle/THING_TYPE/REMOVE", "THING_TYPE.REMOVE", {"thingType": "lamp", "domain": "root"}),
        ("lifecycle/a/b/USER/REMOVE", "USER.REMOVE", {"userName": "ann", "domain": "b"}),
        ("lifecycle/a/b/DOMAIN/REMOVE", "DOMAIN.REMOVE", {"domain": "b", "parentDomain": "a"}),
    ]
    received = first_seen(await subscriber.receive(len(expected)))
    assert [(message.topic, message.event["type"], message.event["source"]) for message in received] == expected
    for message in received:
        event = message.event
        assert set(event) == {
            "id",
            "timestamp",
            "message",
            "classification",
            "type",
            "source",
            "acknowledgementRequired",
        }
        assert uuid.UUID(event["id"]) and isinstance(event["timestamp"], int)
        assert (event["message"], event["classification"], event["acknowledgementRequired"]) == (
            "set by thinggate",
            "INTERNAL",
            False,
        )
    timestamps = [message.event["timestamp"] for message in received]
    assert timestamps == sorted(timestamps)
    # The same events, with the same ids, are what /events finds.
    page = ok(await admin.get("/events", params={"order": "asc", "size": 100}))
    assert [event["id"] for event in page["events"]] == [message.event["id"] for message in received]
    assert page["total"] == len(expected)


async def test_thing_changes_are_published_as_thing_events(published_rig: Rig, subscriber: LifecycleSubscriber) -> None:
    admin = await published_rig.logged_in(ADMIN)
    ok(await admin.post("/domains", {"id": "a", "parentId": "root"}))
    ok(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))
    ok(await admin.post("/things", {"thingType": "lamp", "domain": "root", "thingName": "porch"}))
    ok(await admin.patch("/things/porch", {"label": "Porch lamp", "description": "by the door"}))
    ok(await admin.patch("/things/porch", {"domain": "a"}))
    ok(await admin.patch("/things/porch", {"domain": "a"}))  # nothing changes: no event
    ok(await admin.delete("/things/porch"))
    expected = [
        ("lifecycle/a/DOMAIN/CREATE", "DOMAIN.CREATE", {"domain": "a", "parentDomain": "root"}),
        ("lifecycle/THING_TYPE/CREATE", "THING_TYPE.CREATE", {"thingType": "lamp", "domain": "root"}),
        ("lifecycle/THING/CREATE", "THING.CREATE", {"thingName": "porch", "thingType": "lamp", "domain": "root"}),
        ("lifecycle/THING/UPDATE", "THING.UPDATE", {"thingName": "porch", "thingType": "lamp", "domain": "root"}),
        ("lifecycle/a/THING/UPDATE", "THING.UPDATE", {"thingName": "porch", "thingType": "lamp", "domain": "a"}),
        ("lifecycle/a/THING/REMOVE", "THING.REMOVE", {"thingName": "porch", "thingType": "lamp", "domain": "a"}),
    ]
    received = first_seen(await subscriber.receive(len(expected)))
    assert [(message.topic, message.event["type"], message.event["source"]) for message in received] == expected
    page = ok(await admin.get("/events", params={"order": "asc", "type": "THING.CREATE,THING.UPDATE,THING.REMOVE"}))
    assert [event["type"] for event in page["events"]] == [
        "THING.CREATE",
        "THING.UPDATE",
        "THING.UPDATE",
        "THING.REMOVE",
    ]


async def test_a_refused_change_makes_no_event(published_rig: Rig, subscriber: LifecycleSubscriber) -> None:
    admin = await published_rig.logged_in(ADMIN)
    ok(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))
    assert key_of(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))[0] == 409
    assert key_of(await admin.post("/domains", {"id": "Bad Name"}))[0] == 400
    ok(await admin.post("/thingtypes", {"id": "fan", "label": "Fan", "domain": "root"}))
    received = await subscriber.receive(2)
    assert [message.event["source"]["thingType"] for message in received] == ["lamp", "fan"]
    assert ok(await admin.get("/events"))["total"] == 2


async def test_without_a_broker_events_are_kept_for_events_and_nothing_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_rig(tmp_path, monkeypatch) as rig:
        assert rig.door.publisher is None
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))
        (event,) = ok(await admin.post("/events/find", {"types": ["THING_TYPE.CREATE"]}))["events"]
        assert event["source"] == {"thingType": "lamp", "domain": "root"}
        (pending,) = await rig.server.store.pending_events(10)
        assert str(pending.id) == event["id"] and not pending.published


async def test_events_past_their_retention_are_pruned_published_or_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_rig(tmp_path, monkeypatch, event_retention_days=1.0) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", {"id": "old", "label": "Old", "domain": "root"}))
        events = rig.server.context.events
        assert events is not None
        (old,) = ok(await admin.get("/events"))["events"]
        # Two days later, as the clock says.
        events.clock = lambda: old["timestamp"] + 2 * 86_400_000
        ok(await admin.post("/thingtypes", {"id": "new", "label": "New", "domain": "root"}))
        assert await events.prune(rig.door.settings.event_retention_days) == 1
        (kept,) = ok(await admin.get("/events"))["events"]
        assert kept["source"]["thingType"] == "new"


# -- /events: find and acknowledge, by domain ------------------------------------------------------


async def events_rig(rig: Rig, admin: Client) -> dict[str, str]:
    """Domains p > a > a1 and p > b, and one thing type event in each; the event ids by domain."""
    for domain, parent in (("p", "root"), ("a", "p"), ("a1", "a"), ("b", "p")):
        ok(await admin.post("/domains", {"id": domain, "parentId": parent}))
    for domain in TARGETS.values():
        ok(await admin.post("/thingtypes", {"id": f"type-{domain}", "label": "T", "domain": domain}))
    found = ok(await admin.post("/events/find", {"types": ["THING_TYPE.CREATE"], "size": 100}))["events"]
    return {event["source"]["domain"]: event["id"] for event in found}


def seen_domains(page: dict[str, Any]) -> set[str]:
    return {event["source"]["domain"] for event in page["events"]}


@pytest.mark.parametrize("role", ["Read", "ReadWrite", "Admin"])
async def test_events_are_found_and_acknowledged_in_the_home_subtree_only(rig: Rig, role: str) -> None:
    admin = await rig.logged_in(ADMIN)
    ids = await events_rig(rig, admin)
    await rig.user("caller", role=role, domain="a")
    caller = await rig.logged_in("caller")

    page = ok(await caller.post("/events/find", {"types": ["THING_TYPE.CREATE"]}))
    assert seen_domains(page) == {"a", "a1"} and page["total"] == 2
    # Domain events too: only of domains in reach (a and a1 were created; p and b are not its).
    every = ok(await caller.get("/events", params={"size": 1000}))
    assert {event["source"]["domain"] for event in every["events"]} == {"a", "a1"}
    # Asking for another subtree finds nothing: it is not told what is there.
    assert ok(await caller.get("/events", params={"domain": "b"}))["total"] == 0
    assert ok(await caller.get("/events", params={"domain": "a1"}))["total"] == 2  # DOMAIN.CREATE, THING_TYPE.CREATE

    wrong: list[str] = []
    for target, domain in TARGETS.items():
        event_id = ids[domain]
        visible = target in ("home", "child")
        got = await caller.get(f"/events/{event_id}")
        if (got.status_code == 200) != visible or (not visible and key_of(got) != (404, "EVENT_NOT_FOUND")):
            wrong.append(f"GET on {target}: {got.status_code}")
        answer = await caller.post(f"/events/{event_id}/acknowledge")
        may_acknowledge = visible and role in ("ReadWrite", "Admin")
        if may_acknowledge:
            body = answer.json()
            if answer.status_code != 200 or body.get("acknowledgedBy") != "caller" or not body.get("acknowledgedAt"):
                wrong.append(f"acknowledge on {target}: {answer.status_code} {answer.text[:80]}")
        elif visible:
            if key_of(answer) != (403, "NOT_AUTHORIZED_DOMAIN"):
                wrong.append(f"acknowledge on {target}: {answer.status_code} {answer.text[:80]}")
        elif key_of(answer) != (404, "EVENT_NOT_FOUND"):
            wrong.append(f"acknowledge on {target}: {answer.status_code} {answer.text[:80]}")
    assert wrong == []

    acknowledged = ok(await admin.post("/events/find", {"acknowledged": True, "size": 100}))
    expected = {"a", "a1"} if role in ("ReadWrite", "Admin") else set()
    assert seen_domains(acknowledged) == expected


async def test_an_events_privilege_adds_a_subtree_and_acknowledging_needs_update(rig: Rig) -> None:
    admin = await rig.logged_in(ADMIN)
    ids = await events_rig(rig, admin)
    grant = [Privilege("event", "b", frozenset("R")), Privilege("event", "a1", frozenset("U"))]
    await rig.user("caller", role="Read", domain="a", privileges=grant)
    caller = await rig.logged_in("caller")
    page = ok(await caller.post("/events/find", {"types": ["THING_TYPE.CREATE"]}))
    assert seen_domains(page) == {"a", "a1", "b"}  # never p, above it
    assert key_of(await caller.post(f"/events/{ids['b']}/acknowledge")) == (403, "NOT_AUTHORIZED_DOMAIN")
    assert key_of(await caller.post(f"/events/{ids['a']}/acknowledge")) == (403, "NOT_AUTHORIZED_DOMAIN")
    acknowledged = ok(await caller.post(f"/events/{ids['a1']}/acknowledge"))
    assert acknowledged["acknowledgedBy"] == "caller"
    # Again: the first acknowledgement stays.
    assert ok(await admin.post(f"/events/{ids['a1']}/acknowledge"))["acknowledgedAt"] == acknowledged["acknowledgedAt"]
    # Granted through the registry's own privilege names too.
    body = {"privileges": [{"objectName": "Events", "domainId": "b", "read": True, "update": True}]}
    ok(await admin.patch("/users/caller", body))
    assert ok(await caller.post(f"/events/{ids['b']}/acknowledge"))["acknowledgedBy"] == "caller"


async def test_events_are_filtered_by_type_time_and_paged(rig: Rig) -> None:
    admin = await rig.logged_in(ADMIN)
    for number in range(5):
        ok(await admin.post("/thingtypes", {"id": f"t{number}", "label": "T", "domain": "root"}))
    ok(await admin.delete("/thingtypes/t0"))
    everything = ok(await admin.get("/events", params={"order": "asc"}))["events"]
    assert [event["type"] for event in everything] == ["THING_TYPE.CREATE"] * 5 + ["THING_TYPE.REMOVE"]
    removed = ok(await admin.get("/events", params={"type": "THING_TYPE.REMOVE"}))
    assert removed["total"] == 1 and removed["events"][0]["source"]["thingType"] == "t0"
    both = ok(await admin.get("/events", params={"type": "THING_TYPE.REMOVE,DOMAIN.CREATE"}))
    assert both["total"] == 1
    newest_first = ok(await admin.post("/events/find", {"size": 2, "from": 1}))
    assert newest_first["total"] == 6 and [event["id"] for event in newest_first["events"]] == [
        everything[4]["id"],
        everything[3]["id"],
    ]
    since = everything[2]["timestamp"]
    window = ok(await admin.post("/events/find", {"since": since, "until": everything[5]["timestamp"] + 1}))
    assert {event["id"] for event in window["events"]} >= {event["id"] for event in everything[3:]}
    assert all(since <= event["timestamp"] <= everything[5]["timestamp"] for event in window["events"])
    assert key_of(await admin.post("/events/find", {"size": 0})) == (400, "INVALID_ARGUMENTS")
    assert key_of(await admin.post("/events/find", {"order": "sideways"})) == (400, "INVALID_ARGUMENTS")
    assert key_of(await admin.post("/events/find", {"since": 2**60})) == (400, "INVALID_ARGUMENTS")
    assert key_of(await admin.post("/events/find", {"types": "THING.CREATE"})) == (400, "INVALID_ARGUMENTS")
    assert key_of(await admin.get("/events", params={"since": "yesterday"})) == (400, "INVALID_ARGUMENTS")
    assert key_of(await admin.get("/events/not-an-id")) == (404, "EVENT_NOT_FOUND")
    assert key_of(await admin.post(f"/events/{uuid.uuid4()}/acknowledge")) == (404, "EVENT_NOT_FOUND")
    assert key_of(await rig.client().get("/events"))[0] == 401


async def test_the_publisher_waits_longer_each_time_the_broker_is_away_and_again_from_the_start_after(
    tmp_path: Path,
) -> None:
    broker = start_mosquitto(tmp_path / "mosquitto")
    broker.stop()  # its port, with nobody listening
    publisher = LifecyclePublisher(MemoryStore(), MqttConfig(url=broker.url, reconnect_seconds=10), identifier="t")
    waits: list[float] = []
    dropped = asyncio.Event()

    async def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 7:
            broker.start()  # back: the next attempt connects
        if len(waits) == 8:
            dropped.set()
            await asyncio.Event().wait()  # enough seen: stay here until stopped

    publisher.waits = wait
    publisher.start()
    try:
        async with asyncio.timeout(60):
            for _ in itertools.count():
                if publisher.connected:
                    break
                await asyncio.sleep(0.02)
            broker.kill()  # the connection drops
            await dropped.wait()
    finally:
        await publisher.stop()
        broker.stop()
    # Doubling from reconnect_seconds up to 60 s; after a connection, from reconnect_seconds again.
    assert waits == [10, 20, 40, 60, 60, 60, 60, 10]
