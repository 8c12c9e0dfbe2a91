"""The core's lifecycle events: made with each registry change, handed to the very write that makes it."""

from __future__ import annotations

import pytest

from tests.core.security.fakes import PASSWORD, FakeStore, fast_hasher, make_tree
from thinggate.core.events import EventBus
from thinggate.core.registry import Directory, LifecycleEvents, RegistryFailure
from thinggate.core.registry.directory import UserChanges
from thinggate.core.security import SYSTEM, SecurityManager


@pytest.fixture
async def directory() -> Directory:
    store = FakeStore()
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    await make_tree(manager)
    return Directory(manager, events=LifecycleEvents(store, manager.domains))  # type: ignore[arg-type]


def outbox(directory: Directory) -> FakeStore:
    store = directory.security._store
    assert isinstance(store, FakeStore)
    return store


async def test_paths_are_below_an_implicit_root(directory: Directory) -> None:
    assert directory.events is not None
    assert directory.events.path("root") == "/"
    assert directory.events.path("a1") == "/a/a1/"
    made = directory.events.domain("CREATE", "new", "a1")
    assert (made.type, made.domain, made.domain_path, made.source) == (
        "DOMAIN.CREATE",
        "new",
        "/a/a1/new/",
        {"parentDomain": "a1", "domain": "new"},
    )
    assert made.message == "set by thinggate" and made.classification == "INTERNAL"


async def test_each_change_stores_one_event_with_it(directory: Directory) -> None:
    await directory.create_domain(SYSTEM, "site", "a")
    await directory.create_user(SYSTEM, "Ann", PASSWORD, role="Read", home_domain="site")
    # Role, home, e-mail and password in one update: one write, one event, in the new home.
    changes = UserChanges(role="ReadWrite", home_domain="a1", email="ann@example.org", password="Other1234")
    updated = await directory.update_user(SYSTEM, "ann", changes)
    assert (updated.roles, updated.home_domain, updated.email) == (("ReadWrite",), "a1", "ann@example.org")
    assert await directory.security.verify_password("ann", "Other1234") is not None
    await directory.remove_user(SYSTEM, "ann")
    await directory.remove_domain(SYSTEM, "site")
    events = [(event.type, event.domain_path, event.source) for event in outbox(directory).events]
    assert events == [
        ("DOMAIN.CREATE", "/a/site/", {"parentDomain": "a", "domain": "site"}),
        ("USER.CREATE", "/a/site/", {"userName": "ann", "domain": "site"}),
        ("USER.UPDATE", "/a/a1/", {"userName": "ann", "domain": "a1"}),
        ("USER.REMOVE", "/a/a1/", {"userName": "ann", "domain": "a1"}),
        ("DOMAIN.REMOVE", "/a/site/", {"parentDomain": "a", "domain": "site"}),
    ]
    assert len({event.id for event in outbox(directory).events}) == 5


async def test_a_failed_write_makes_no_event_and_no_change(directory: Directory) -> None:
    outbox(directory).fail = True
    with pytest.raises(RegistryFailure):
        await directory.create_domain(SYSTEM, "site", "a")
    assert outbox(directory).events == [] and directory.security.domain_record("site") is None
