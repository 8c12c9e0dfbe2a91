"""Domains, users, roles and privileges through the registry door, on the core's one security model."""

from __future__ import annotations

import httpx
import pytest

from tests.api.jsonrpc.rig import RpcClient
from tests.api.registry.rig import ADMIN, PASSWORD, Client, Rig
from thinggate.core.security import SYSTEM, Privilege
from thinggate.integrations.generic.manifest import class_id


def key_of(answer: httpx.Response) -> tuple[int, str]:
    """Status and message key of an error answer."""
    return answer.status_code, str(answer.json()["messageKey"])


def ok(answer: httpx.Response) -> object:
    """The body of a 200 answer."""
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
async def admin(rig: Rig) -> Client:
    return await rig.logged_in(ADMIN)


# -- domains -----------------------------------------------------------------------------------


async def test_domains_are_a_tree_listed_nested_from_the_callers_home(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/domains", {"id": "site-a", "name": "Site A", "data": {"city": "Oslo"}}))
    ok(await admin.post("/domains", {"id": "floor-1", "parentId": "site-a", "description": "First floor"}))
    ok(await admin.post("/domains", {"id": "site-b"}))
    tree = ok(await admin.get("/domains"))
    assert tree == {
        "root": {
            "attributes": {"name": "root", "description": "", "data": {}},
            "site-a": {
                "attributes": {"name": "Site A", "description": "", "data": {"city": "Oslo"}},
                "floor-1": {"attributes": {"name": "floor-1", "description": "First floor", "data": {}}},
            },
            "site-b": {"attributes": {"name": "site-b", "description": "", "data": {}}},
        }
    }
    await rig.user("anna", role="Read", domain="site-a")
    anna = await rig.logged_in("anna")
    assert ok(await anna.get("/domains", params={"attributes": "name"})) == {
        "site-a": {"attributes": {"name": "Site A"}, "floor-1": {"attributes": {"name": "floor-1"}}}
    }
    assert ok(await anna.get("/domains/list")) == [
        {
            "id": "site-a",
            "name": "Site A",
            "description": "",
            "data": {"city": "Oslo"},
            "parentId": "root",
            "path": "/site-a/",
        }
    ]


async def test_a_domain_is_got_created_updated_and_removed(rig: Rig, admin: Client) -> None:
    created = ok(await admin.post("/domains", {"id": "site-a", "name": "Site A"}))
    assert created == {
        "id": "site-a",
        "name": "Site A",
        "description": "",
        "data": {},
        "parentId": "root",
        "path": "/site-a/",
    }
    updated = ok(await admin.patch("/domains/site-a", {"description": "HQ", "data": {"k": 1}}))
    assert (updated["name"], updated["description"], updated["data"]) == ("Site A", "HQ", {"k": 1})
    assert ok(await admin.get("/domains/site-a")) == updated
    assert rig.server.security.domain_record("site-a").data == {"k": 1}  # type: ignore[union-attr]
    assert ok(await admin.delete("/domains/site-a")) == {}
    assert key_of(await admin.get("/domains/site-a")) == (404, "DOMAIN_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, "PROPERTY_REQUIRED")),
        ({"id": "Site A"}, (400, "INVALID_ARGUMENTS")),
        ({"id": "x", "parentId": "nowhere"}, (404, "DOMAIN_NOT_FOUND")),
        ({"id": "root"}, (409, "DOMAIN_ID_EXISTS")),
    ],
)
async def test_domain_create_refusals(rig: Rig, admin: Client, body: dict[str, str], expected: tuple[int, str]) -> None:
    assert key_of(await admin.post("/domains", body)) == expected


async def test_a_domain_is_removed_only_when_it_holds_nothing(rig: Rig, admin: Client) -> None:
    for body in ({"id": "a"}, {"id": "a1", "parentId": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}):
        ok(await admin.post("/domains", body))
    assert key_of(await admin.delete("/domains/a")) == (409, "DOMAIN_NOT_EMPTY")  # a child domain
    await rig.user("bob", role="Read", domain="b")
    assert key_of(await admin.delete("/domains/b")) == (409, "DOMAIN_NOT_EMPTY")  # a user lives there
    ok(await admin.post("/thingtypes", {"id": "lights", "label": "L", "domain": "c"}))
    answer = await admin.delete("/domains/c")
    assert key_of(answer) == (409, "DOMAIN_NOT_EMPTY") and "thing types lights" in answer.json()["message"]
    ok(await admin.post("/thingtypes", {"id": "sensors", "label": "S", "domain": "root"}))
    result = await rig.server.hub.add_thing(SYSTEM, name="s", thing_class_id=class_id("sensors"), domain="d")
    assert result.ok
    assert key_of(await admin.delete("/domains/d")) == (409, "DOMAIN_NOT_EMPTY")  # a thing is there
    assert key_of(await admin.delete("/domains/root")) == (400, "INVALID_ACTION")
    assert key_of(await admin.delete("/domains")) == (400, "PROPERTY_REQUIRED")
    assert ok(await admin.delete("/domains/a1")) == {}


# -- users -------------------------------------------------------------------------------------


async def test_users_are_created_got_updated_and_removed(rig: Rig, admin: Client) -> None:
    ok(await admin.post("/domains", {"id": "site-a"}))
    body = {
        "userName": "carol",
        "password": "Carol1234",
        "roleName": "Read",
        "domainName": "site-a",
        "firstName": "Carol",
        "lastName": "Smith",
        "email": "carol@example.org",
        "privileges": [{"objectName": "ThingTypes", "domainId": "root", "read": 1}],
    }
    created = ok(await admin.post("/users", body))
    assert created == {
        "userName": "carol",
        "roleName": "Read",
        "domainName": "site-a",
        "domainPath": "/site-a/",
        "firstName": "Carol",
        "lastName": "Smith",
        "email": "carol@example.org",
        "privileges": [
            {
                "objectName": "ThingTypes",
                "domainId": "root",
                "create": False,
                "read": True,
                "update": False,
                "delete": False,
            }
        ],
        "enabled": True,
    }
    assert key_of(await admin.post("/users", body)) == (409, "USER_USERNAME_EXISTS")
    assert ok(await admin.get("/users/carol")) == created
    listed = ok(await admin.get("/users", params={"size": 1, "page": 1}))
    assert listed["metadata"] == {"count": 2} and listed["totalPages"] == 2 and len(listed["users"]) == 1
    updated = ok(await admin.patch("/users/carol", {"roleName": "ReadWrite", "lastName": "Jones"}))
    assert (updated["roleName"], updated["firstName"], updated["lastName"]) == ("ReadWrite", "Carol", "Jones")
    carol = await rig.logged_in("carol", "Carol1234")
    assert ok(await carol.get("/user"))["roleName"] == "ReadWrite"
    # Users change their own password without a privilege.
    ok(await carol.patch("/users/carol", {"password": "Changed123"}))
    await rig.logged_in("carol", "Changed123")
    assert key_of(await carol.delete("/users/carol")) == (400, "INVALID_ACTION")
    assert ok(await admin.delete("/users/carol")) == {}
    assert key_of(await admin.get("/users/carol")) == (404, "USER_NOT_FOUND")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"userName": "x", "password": PASSWORD, "roleName": "Read"}, (400, "PROPERTY_REQUIRED")),
        ({"userName": "x", "password": PASSWORD, "roleName": "Boss", "domainName": "root"}, (400, "INVALID_ARGUMENTS")),
        ({"userName": "x", "password": "short", "roleName": "Read", "domainName": "root"}, (400, "INVALID_ARGUMENTS")),
        (
            {"userName": "x", "password": PASSWORD, "roleName": "Read", "domainName": "nowhere"},
            (404, "DOMAIN_NOT_FOUND"),
        ),
        (
            {
                "userName": "x",
                "password": PASSWORD,
                "roleName": "Read",
                "domainName": "root",
                "privileges": [{"objectName": "Cats", "domainId": "root", "read": True}],
            },
            (400, "INVALID_ARGUMENTS"),
        ),
    ],
)
async def test_user_create_refusals(
    rig: Rig, admin: Client, change: dict[str, object], expected: tuple[int, str]
) -> None:
    assert key_of(await admin.post("/users", change)) == expected


async def test_nobody_gives_a_right_it_does_not_hold(rig: Rig) -> None:
    await rig.domain("a")
    await rig.domain("b")
    # Users.CREATE in a (by privilege) does not make one an administrator of a.
    await rig.user("hrboss", role="ReadWrite", domain="a", privileges=[Privilege("user", "a", frozenset("CRUD"))])
    hr = await rig.logged_in("hrboss")
    user = {"userName": "new", "password": PASSWORD, "domainName": "a"}
    assert key_of(await hr.post("/users", {**user, "roleName": "Admin"})) == (403, "NOT_AUTHORIZED")
    grant_b = [{"objectName": "ThingTypes", "domainId": "b", "create": 1}]
    assert key_of(await hr.post("/users", {**user, "roleName": "Read", "privileges": grant_b})) == (
        403,
        "NOT_AUTHORIZED",
    )
    ok(await hr.post("/users", {**user, "roleName": "ReadWrite"}))
    assert key_of(await hr.patch("/users/new", {"roleName": "Admin"})) == (403, "NOT_AUTHORIZED")
    assert key_of(await hr.post("/users", {**user, "userName": "other", "roleName": "Read", "domainName": "b"})) == (
        403,
        "NOT_AUTHORIZED_DOMAIN",
    )
    # Nor changes or removes someone holding more than it does: no taking over an administrator's account.
    await rig.user("boss", role="Admin", domain="a")
    assert key_of(await hr.patch("/users/boss", {"password": "Taken1234"})) == (403, "NOT_AUTHORIZED")
    assert key_of(await hr.delete("/users/boss")) == (403, "NOT_AUTHORIZED")
    await rig.logged_in("boss")  # the password is still the boss's own


# -- the isolation matrix ------------------------------------------------------------------------

# root > p > (a > a1, b): the caller lives in a; a1 is its child, b its sibling, p its parent.
TARGETS = {"home": "a", "child": "a1", "sibling": "b", "parent": "p"}
VERBS = ("READ", "CREATE", "UPDATE", "DELETE")
OBJECTS = ("Domains", "Users", "ThingTypes")


def allowed(role: str, object: str, verb: str, target: str) -> bool:
    """What the rules say: the role's rights in the home subtree only, never upward or sideways."""
    if target not in ("home", "child"):
        return False
    return verb == "READ" or role == "Admin" or (role == "ReadWrite" and object == "ThingTypes")


async def matrix_rig(rig: Rig, admin: Client) -> None:
    for domain, parent in (("p", "root"), ("a", "p"), ("a1", "a"), ("b", "p")):
        ok(await admin.post("/domains", {"id": domain, "parentId": parent}))
    for domain in TARGETS.values():
        # Per target: a user and a thing type living there (read, updated), fresh ones to delete.
        await rig.user(f"user-{domain}", role="Read", domain=domain)
        await rig.user(f"doomed-{domain}", role="Read", domain=domain)
        ok(await admin.post("/thingtypes", {"id": f"type-{domain}", "label": "T", "domain": domain}))
        ok(await admin.post("/thingtypes", {"id": f"doomed-{domain}", "label": "T", "domain": domain}))
        ok(await admin.post("/domains", {"id": f"leaf-{domain}", "parentId": domain}))


async def attempt(client: Client, object: str, verb: str, domain: str) -> httpx.Response:
    """One operation on an object in (or, for domains, below) the target domain."""
    if object == "Domains":
        if verb == "READ":
            return await client.get(f"/domains/{domain}")
        if verb == "CREATE":
            return await client.post("/domains", {"id": f"new-{domain}", "parentId": domain})
        if verb == "UPDATE":
            return await client.patch(f"/domains/{domain}", {"description": "changed"})
        return await client.delete(f"/domains/leaf-{domain}")
    if object == "Users":
        if verb == "READ":
            return await client.get(f"/users/user-{domain}")
        if verb == "CREATE":
            body = {"userName": f"new-{domain}", "password": PASSWORD, "roleName": "Read", "domainName": domain}
            return await client.post("/users", body)
        if verb == "UPDATE":
            return await client.patch(f"/users/user-{domain}", {"email": "changed@example.org"})
        return await client.delete(f"/users/doomed-{domain}")
    if verb == "READ":
        return await client.get(f"/thingtypes/type-{domain}")
    if verb == "CREATE":
        return await client.post("/thingtypes", {"id": f"new-{domain}", "label": "T", "domain": domain})
    if verb == "UPDATE":
        return await client.patch(f"/thingtypes/type-{domain}", {"label": "changed", "domain": domain})
    return await client.delete(f"/thingtypes/doomed-{domain}")


@pytest.mark.parametrize("role", ["Read", "ReadWrite", "Admin"])
async def test_domain_isolation_matrix(rig: Rig, admin: Client, role: str) -> None:
    await matrix_rig(rig, admin)
    await rig.user("caller", role=role, domain="a")
    caller = await rig.logged_in("caller")
    wrong: list[str] = []
    for object in OBJECTS:
        for verb in VERBS:
            for target, domain in TARGETS.items():
                answer = await attempt(caller, object, verb, domain)
                expected = allowed(role, object, verb, target)
                refused = answer.status_code in (403, 404)
                if expected != (answer.status_code == 200) or (not expected and not refused):
                    wrong.append(f"{object}.{verb} on {target}: {answer.status_code} {answer.text[:80]}")
    assert wrong == []


async def test_privileges_add_rights_on_their_subtree_only(rig: Rig, admin: Client) -> None:
    await matrix_rig(rig, admin)
    grant = [Privilege("thingtype", "b", frozenset("CRU")), Privilege("domain", "b", frozenset("R"))]
    await rig.user("caller", role="Read", domain="a", privileges=grant)
    caller = await rig.logged_in("caller")
    # Added: in b and below it.
    assert ok(await caller.get("/thingtypes/type-b"))
    ok(await caller.post("/thingtypes", {"id": "mine", "label": "T", "domain": "b"}))
    ok(await caller.post("/thingtypes", {"id": "deeper", "label": "T", "domain": "leaf-b"}))
    ok(await caller.patch("/thingtypes/type-b", {"label": "changed", "domain": "b"}))
    # Not upward, not sideways, not other verbs; the role's rights at home stay what they were.
    assert key_of(await caller.post("/thingtypes", {"id": "up", "label": "T", "domain": "p"}))[0] == 403
    assert key_of(await caller.delete("/thingtypes/doomed-b"))[0] == 403
    assert key_of(await caller.post("/thingtypes", {"id": "home", "label": "T", "domain": "a"}))[0] == 403
    listed = {item["id"] for item in ok(await caller.get("/thingtypes", params={"attributes": "id"}))}  # type: ignore[union-attr]
    assert {"type-a", "type-a1", "type-b", "mine", "deeper"} <= listed and "type-p" not in listed
    # A READ on domains in b shows b beside the home subtree, at the top of the tree.
    assert set(ok(await caller.get("/domains"))) == {"a", "b"}  # type: ignore[arg-type]


async def test_a_things_read_privilege_shows_things_through_json_rpc_too(rig: Rig, admin: Client) -> None:
    await matrix_rig(rig, admin)
    ok(await admin.post("/thingtypes", {"id": "lamp", "label": "Lamp", "domain": "root"}))
    added = await rig.server.hub.add_thing(SYSTEM, name="Lamp in b", thing_class_id=class_id("lamp"), domain="b")
    assert added.ok and added.value is not None
    await rig.user("plain", role="Read", domain="a")
    await rig.user("granted", role="Read", domain="a", privileges=[Privilege("thing", "b", frozenset("R"))])
    port = rig.server.doors["jsonrpc"].tcp_port  # type: ignore[attr-defined]
    clients = {name: await RpcClient.tcp(port, tls=False) for name in ("plain", "granted")}
    try:
        seen: dict[str, set[str]] = {}
        for name, client in clients.items():
            await client.login(name, PASSWORD)
            await client.notify("Integrations")
            things = (await client.call("Integrations.GetThings"))["things"]
            seen[name] = {thing["name"] for thing in things}
        assert "Lamp in b" not in seen["plain"] and "Lamp in b" in seen["granted"]
        # Its removal is told to whoever could see it, by the same rule.
        assert (await rig.server.hub.remove_thing(SYSTEM, added.value)).ok
        removed = await clients["granted"].notification("Integrations.ThingRemoved")
        assert removed["thingId"].strip("{}") == str(added.value)
        await clients["plain"].no_notification()
    finally:
        for client in clients.values():
            await client.close()
