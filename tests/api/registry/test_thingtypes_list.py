"""`GET /thingtypes` answers kept for repeats: made once per audience and attributes, made anew after any change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.registry.rig import ADMIN, Client, Rig, registry_rig
from tests.api.registry.test_thingtypes import LIGHTS, add_thing, ok
from thinggate.api.registry.thingtypes import KeptAnswers
from thinggate.core.security import SYSTEM, Privilege
from thinggate.core.store import DomainRecord

Listed = dict[str, dict[str, Any]]


def count_listings(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the callers each listing the core made was for, in order (the door's lookups left out)."""
    types = rig.door.thing_types
    made: list[str] = []
    listing = types.listing

    def counted(principal: Any, *, counted: bool) -> Any:
        made.append(principal.name)
        return listing(principal, counted=counted)

    monkeypatch.setattr(types, "listing", counted)
    return made


async def listed(client: Client) -> Listed:
    """The caller's whole list by type id."""
    return {item["id"]: item for item in ok(await client.get("/thingtypes"))}


def core_listing(rig: Rig, username: str) -> dict[str, tuple[bool, int]]:
    """What the core lists for the user now (readOnly, thingCount by id), made without the door."""
    principal = rig.server.security.principal_for_user(username)
    return {t.id: (read_only, count) for t, read_only, count in rig.door.thing_types.listing(principal, counted=True)}


async def test_a_repeated_list_is_answered_without_listing_again(
    rig: Rig, admin: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(await admin.post("/thingtypes", LIGHTS))
    await rig.user("second", role="Admin")  # the same rights as the admin: the same answer
    await rig.user("reader", role="Read")
    second, reader = await rig.logged_in("second"), await rig.logged_in("reader")
    made = count_listings(rig, monkeypatch)
    whole = await admin.get("/thingtypes")
    assert (await admin.get("/thingtypes")).content == whole.content
    assert (await second.get("/thingtypes")).content == whole.content
    assert made == [ADMIN]
    # Another caller's rights or other attributes are another answer, kept in turn.
    for _ in range(2):
        await reader.get("/thingtypes")
        await admin.get("/thingtypes", params={"attributes": "label,thingCount"})
        await admin.get("/thingtypes", params={"attributes": "thingCount, label"})  # the same attributes
    assert made == [ADMIN, "reader", ADMIN]


@pytest.fixture
async def admin(rig: Rig) -> Client:
    return await rig.logged_in(ADMIN)


@dataclass(frozen=True)
class Change:
    """A change made after a kept list, who lists, and what the next list must show of it."""

    lister: str
    make: Callable[[Rig, Client], Awaitable[None]]
    shows: Callable[[Listed], bool]


async def _create(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/thingtypes", {**LIGHTS, "id": "fans", "label": "Fans"}))


async def _remove(rig: Rig, admin: Client) -> None:
    ok(await admin.delete("/thingtypes/across"))


async def _relabel(rig: Rig, admin: Client) -> None:
    ok(await admin.patch("/thingtypes/lights", {"label": "Lamps", "domain": "a"}))


async def _move_type(rig: Rig, admin: Client) -> None:
    ok(await admin.patch("/thingtypes/lights", {"label": "Lights", "domain": "b"}))


async def _add_thing(rig: Rig, admin: Client) -> None:
    await add_thing(rig, "lights", "a")


async def _remove_thing(rig: Rig, admin: Client) -> None:
    thing = next(thing for thing in rig.server.hub.things.values() if thing.name == "lights thing")
    assert (await rig.server.hub.remove_thing(SYSTEM, thing.id)).ok


async def _move_thing(rig: Rig, admin: Client) -> None:
    thing = next(thing for thing in rig.server.hub.things.values() if thing.name == "lights thing")
    assert (await rig.server.hub.move_thing(SYSTEM, thing.id, "b")).ok


async def _new_role(rig: Rig, admin: Client) -> None:
    await rig.server.security.set_user_role("anna", "ReadWrite")


async def _new_privilege(rig: Rig, admin: Client) -> None:
    await rig.server.security.set_user_privileges("anna", [Privilege("thingtype", "b", frozenset("R"))])


async def _new_home(rig: Rig, admin: Client) -> None:
    await rig.server.security.set_user_home_domain("anna", "b")


async def _reparented_domain(rig: Rig, admin: Client) -> None:
    # Another process (the command line) wrote the tree; the hub reads it again, as its `reload` does.
    await rig.server.store.save_domain(DomainRecord("c", "a"))
    await rig.server.security.load()


CHANGES = {
    "new-type": Change(ADMIN, _create, lambda listed: "fans" in listed and listed["fans"]["label"] == "Fans"),
    "removed-type": Change(ADMIN, _remove, lambda listed: "across" not in listed),
    "changed-type": Change("anna", _relabel, lambda listed: listed["lights"]["label"] == "Lamps"),
    "type-moved-out-of-reach": Change("anna", _move_type, lambda listed: "lights" not in listed),
    "new-thing": Change("anna", _add_thing, lambda listed: listed["lights"]["thingCount"] == 2),
    "removed-thing": Change("anna", _remove_thing, lambda listed: listed["lights"]["thingCount"] == 0),
    "thing-moved-out-of-reach": Change("anna", _move_thing, lambda listed: listed["lights"]["thingCount"] == 0),
    "role": Change("anna", _new_role, lambda listed: listed["lights"]["readOnly"] is False),
    "privilege": Change("anna", _new_privilege, lambda listed: "across" in listed),
    "home-domain": Change("anna", _new_home, lambda listed: "lights" not in listed and "across" in listed),
    "domain-tree": Change("anna", _reparented_domain, lambda listed: "below" in listed),
}


@pytest.mark.parametrize("name", list(CHANGES))
async def test_a_change_after_a_kept_list_shows_in_the_next_list(rig: Rig, admin: Client, name: str) -> None:
    # a and b are siblings under root, c is under b; anna lives in a and reads what is there.
    await rig.domain("a")
    await rig.domain("b")
    await rig.domain("c", "b")
    await rig.user("anna", role="Read", domain="a")
    ok(await admin.post("/thingtypes", {**LIGHTS, "domain": "a"}))
    ok(await admin.post("/thingtypes", {**LIGHTS, "id": "across", "label": "Across", "domain": "b"}))
    ok(await admin.post("/thingtypes", {**LIGHTS, "id": "below", "label": "Below", "domain": "c"}))
    await add_thing(rig, "lights", "a")
    anna = await rig.logged_in("anna")
    change = CHANGES[name]
    lister = admin if change.lister == ADMIN else anna
    before = await listed(lister)
    assert await listed(lister) == before  # the second answer is the kept one
    assert not change.shows(before)
    await change.make(rig, admin)
    after = await listed(lister)
    assert change.shows(after), after
    # Everything else is what the core lists now, too.
    assert {key: (item["readOnly"], item["thingCount"]) for key, item in after.items()} == core_listing(
        rig, change.lister
    )


async def test_an_answer_larger_than_the_budget_is_made_anew_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with registry_rig(tmp_path, monkeypatch, virtual=False, list_cache_bytes=64) as rig:
        admin = await rig.logged_in(ADMIN)
        ok(await admin.post("/thingtypes", LIGHTS))
        made = count_listings(rig, monkeypatch)
        whole = await admin.get("/thingtypes")
        assert len(whole.content) > 64
        assert (await admin.get("/thingtypes")).content == whole.content
        assert ok(await admin.get("/thingtypes", params={"attributes": "id"})) == [{"id": "lights"}]  # 17 bytes
        assert ok(await admin.get("/thingtypes", params={"attributes": "id"})) == [{"id": "lights"}]
        assert made == [ADMIN, ADMIN, ADMIN]


def test_kept_answers_drop_the_least_recently_asked_past_the_budget_and_all_in_a_new_generation() -> None:
    kept = KeptAnswers(budget=10)
    assert kept.get(1, "a") is None
    kept.keep("a", b"aaaa")
    kept.keep("b", b"bbbb")
    assert kept.get(1, "a") == b"aaaa"  # now the most recent
    kept.keep("c", b"cccc")  # 12 bytes: the least recently asked for goes
    assert (kept.get(1, "b"), kept.get(1, "a"), kept.get(1, "c")) == (None, b"aaaa", b"cccc")
    assert kept.size == 8
    kept.keep("big", b"x" * 11)  # larger than the budget: not kept, nothing dropped for it
    assert (kept.get(1, "big"), len(kept)) == (None, 2)
    assert kept.get(2, "a") is None  # a new generation: nothing of the old one is answered
    assert (len(kept), kept.size) == (0, 0)
