"""SecurityManager, Principal.may and LoginLimiter: users, tokens, scopes, domains, roles, limits."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import re
import threading
import uuid
from typing import Any

import pytest
from argon2 import PasswordHasher

from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.security import (
    DIGEST_REALM_SETTING,
    ROLE_SCOPES,
    ROOT_DOMAIN,
    STORE_REREAD_SECONDS,
    DomainTree,
    LoginLimiter,
    LoginThrottled,
    Principal,
    Privilege,
    Scope,
    SecurityManager,
    scopes_consistent,
    scopes_from_names,
    scopes_to_names,
)
from thinggate.core.store import DomainRecord, TokenRecord, UserRecord

PASSWORD = "Secret123"


class FakeStore:
    """The user/token/domain part of the Store protocol, in memory.

    Records are deep-copied in and out, as a database would, so the manager cannot lean on
    sharing objects with the store. `fail` makes every write raise.
    """

    def __init__(self) -> None:
        self.users: dict[str, UserRecord] = {}
        self.tokens: dict[uuid.UUID, TokenRecord] = {}
        self.domains: dict[str, DomainRecord] = {}
        self.hub_settings: dict[str, Any] = {}
        self.fail = False

    def _write(self) -> None:
        if self.fail:
            raise OSError("disk on fire")

    async def load_users(self) -> list[UserRecord]:
        return copy.deepcopy(list(self.users.values()))

    async def save_user(self, record: UserRecord) -> None:
        self._write()
        self.users[record.username] = copy.deepcopy(record)

    async def delete_user(self, username: str) -> None:
        self._write()
        self.users.pop(username, None)
        self.tokens = {k: t for k, t in self.tokens.items() if t.username != username}

    async def load_tokens(self) -> list[TokenRecord]:
        return copy.deepcopy(list(self.tokens.values()))

    async def save_token(self, record: TokenRecord) -> None:
        self._write()
        self.tokens[record.id] = copy.deepcopy(record)

    async def delete_token(self, token_id: uuid.UUID) -> None:
        self._write()
        self.tokens.pop(token_id, None)

    async def load_domains(self) -> list[DomainRecord]:
        # Children first: the manager must cope with any order.
        return copy.deepcopy(list(reversed(self.domains.values())))

    async def save_domain(self, record: DomainRecord) -> None:
        self._write()
        self.domains[record.name] = copy.deepcopy(record)

    async def delete_domain(self, name: str) -> None:
        self._write()
        self.domains.pop(name, None)

    async def load_hub_settings(self) -> dict[str, Any]:
        return copy.deepcopy(self.hub_settings)

    async def save_hub_setting(self, key: str, value: Any) -> None:
        self._write()
        self.hub_settings[key] = copy.deepcopy(value)


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the tests check behaviour, not hash strength."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def manager(store: FakeStore) -> SecurityManager:
    result = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await result.load()
    return result


async def make_tree(manager: SecurityManager) -> None:
    """root -> a -> a1, root -> b."""
    await manager.add_domain("a")
    await manager.add_domain("a1", parent="a")
    await manager.add_domain("b")


# --- users and passwords ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["a", "ab", "has space", "tab\tname", "", "ümlaut"])
async def test_invalid_usernames_are_rejected(manager: SecurityManager, username: str) -> None:
    with pytest.raises(UserFailure) as caught:
        await manager.create_user(username, PASSWORD)
    assert caught.value.error is UserError.INVALID_USER_ID
    assert repr(username) in caught.value.message
    assert not manager.has_users


@pytest.mark.parametrize("username", ["abc", "john.doe@example.com", "a_b+c-d"])
async def test_valid_usernames_are_accepted(manager: SecurityManager, username: str) -> None:
    await manager.create_user(username, PASSWORD)
    assert manager.user(username).username == username.lower()


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("weak", "at least 8 characters"),
        ("Short1a", "at least 8 characters"),
        ("alllower123", "upper-case"),
        ("ALLUPPER123", "lower-case"),
        ("NoDigitsHere", "digit"),
    ],
)
async def test_password_policy(manager: SecurityManager, password: str, complaint: str) -> None:
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("alice", password)
    assert caught.value.error is UserError.BAD_PASSWORD
    assert complaint in caught.value.message
    assert password not in str(caught.value)  # never echo a password into logs
    assert not manager.has_users


async def test_duplicate_user_is_rejected_case_insensitively(manager: SecurityManager) -> None:
    await manager.create_user("Alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("ALICE", "Other1234")
    assert caught.value.error is UserError.DUPLICATE_USER_ID
    assert "'ALICE'" in caught.value.message
    assert [user.username for user in manager.users()] == ["alice"]


async def test_concurrent_creation_of_one_name_creates_one_user(manager: SecurityManager, store: FakeStore) -> None:
    results = await asyncio.gather(
        manager.create_user("alice", PASSWORD),
        manager.create_user("ALICE", "Other1234"),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, UserFailure)]
    assert len(failures) == 1 and failures[0].error is UserError.DUPLICATE_USER_ID
    assert list(store.users) == ["alice"]
    # Whichever call finished hashing first won; its password is the one that works.
    winner_password = PASSWORD if not isinstance(results[0], UserFailure) else "Other1234"
    assert await manager.authenticate("alice", winner_password, "phone") is not None


async def test_has_users_tracks_initial_setup(manager: SecurityManager) -> None:
    assert not manager.has_users
    await manager.create_user("alice", PASSWORD)
    assert manager.has_users
    await manager.remove_user("ALICE")
    assert not manager.has_users


async def test_unknown_user_operations_raise_invalid_user_id(manager: SecurityManager) -> None:
    for call in (
        manager.remove_user("ghost"),
        manager.change_password("ghost", PASSWORD),
        manager.set_user_scopes("ghost", Scope.ADMIN),
        manager.create_token("ghost", "cli"),
    ):
        with pytest.raises(UserFailure) as caught:
            await call
        assert caught.value.error is UserError.INVALID_USER_ID
        assert "'ghost'" in caught.value.message
    with pytest.raises(UserFailure):
        manager.user("ghost")
    with pytest.raises(UserFailure):
        manager.principal_for_user("ghost")


async def test_login_is_case_insensitive(manager: SecurityManager) -> None:
    await manager.create_user("Alice", PASSWORD)
    token = await manager.authenticate("aLiCe", PASSWORD, "phone")
    assert token is not None
    principal = await manager.principal_for_token(token)
    assert principal is not None and principal.name == "alice"


async def test_wrong_password_or_user_gives_no_token(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    assert await manager.authenticate("alice", "Secret124", "phone") is None
    assert await manager.authenticate("alice", PASSWORD.lower(), "phone") is None
    assert await manager.authenticate("bob", PASSWORD, "phone") is None
    assert store.tokens == {}


async def test_change_password(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.change_password("alice", "weak")
    assert caught.value.error is UserError.BAD_PASSWORD
    await manager.change_password("Alice", "Changed999")
    assert await manager.authenticate("alice", PASSWORD, "phone") is None
    assert await manager.authenticate("alice", "Changed999", "phone") is not None


async def test_password_is_stored_as_argon2_hash(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    stored = store.users["alice"].password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_hashing_runs_off_the_event_loop_thread(store: FakeStore) -> None:
    threads: list[int] = []

    class RecordingHasher(PasswordHasher):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            threads.append(threading.get_ident())
            return super().hash(password, salt=salt)

        def verify(self, hash: str | bytes, password: str | bytes) -> Any:
            threads.append(threading.get_ident())
            return super().verify(hash, password)

    manager = SecurityManager(store, hasher=RecordingHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    await manager.authenticate("alice", PASSWORD, "phone")
    await manager.change_password("alice", "Changed999")
    assert len(threads) == 3
    assert threading.get_ident() not in threads


async def test_outdated_hash_is_upgraded_at_login(store: FakeStore) -> None:
    old = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await old.load()
    await old.create_user("alice", PASSWORD)
    old_hash = store.users["alice"].password_hash

    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    new = SecurityManager(store, hasher=stronger, bus=EventBus())
    await new.load()
    assert await new.authenticate("alice", PASSWORD, "phone") is not None
    new_hash = store.users["alice"].password_hash
    assert new_hash != old_hash
    assert not stronger.check_needs_rehash(new_hash)


# --- tokens -------------------------------------------------------------------------------


async def test_token_round_trip(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD, scopes=Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None and len(token) >= 32
    principal = await manager.principal_for_token(token)
    assert principal is not None
    assert principal.name == "alice"
    assert principal.scopes == Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS
    assert principal.domains is manager.domains
    [info] = manager.tokens("ALICE")
    assert (info.username, info.device_name) == ("alice", "phone")
    assert manager.token_info(token) == info
    assert await manager.principal_for_token(token + "x") is None
    assert await manager.principal_for_token("") is None


async def test_tokens_are_per_device_and_distinct(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    phone = await manager.authenticate("alice", PASSWORD, "phone")
    laptop = await manager.create_token("alice", "laptop")
    assert phone != laptop
    assert [info.device_name for info in manager.tokens("alice")] == ["phone", "laptop"]


async def test_revoked_token_gives_no_principal(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    keep = await manager.create_token("alice", "laptop")
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None
    info = manager.token_info(token)
    assert info is not None
    await manager.remove_token(info.id)
    assert await manager.principal_for_token(token) is None
    assert info.id not in store.tokens
    assert await manager.principal_for_token(keep) is not None  # only that one is revoked
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token(info.id)
    assert caught.value.error is UserError.TOKEN_NOT_FOUND
    assert str(info.id) in caught.value.message
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token("not-a-uuid")
    assert caught.value.error is UserError.TOKEN_NOT_FOUND


async def test_removing_another_users_token_is_denied(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    await manager.create_user("bob", PASSWORD)
    token = await manager.create_token("alice", "phone")
    [info] = manager.tokens("alice")
    with pytest.raises(UserFailure) as caught:
        await manager.remove_token(str(info.id), owner="bob")
    assert caught.value.error is UserError.PERMISSION_DENIED
    assert await manager.principal_for_token(token) is not None
    await manager.remove_token(str(info.id), owner="ALICE")
    assert await manager.principal_for_token(token) is None


async def test_removing_a_user_revokes_its_tokens(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    token = await manager.create_token("alice", "cli")
    await manager.remove_user("alice")
    assert await manager.principal_for_token(token) is None
    assert manager.tokens("alice") == []


async def test_token_is_stored_only_hashed(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None
    assert len(store.tokens) == 1
    everything = repr(store.users) + repr(store.tokens) + repr(store.domains)
    assert token not in everything
    [record] = store.tokens.values()
    assert record.token_hash and record.token_hash != token
    assert record.device_name == "phone" and record.username == "alice"


# --- scopes -------------------------------------------------------------------------------

SCOPE_TABLE = [
    (["PermissionScopeAdmin"], True),
    (["PermissionScopeNone"], True),
    (["PermissionScopeControlThings"], True),  # bare Control: restricted to allowed things
    (["PermissionScopeControlThings", "PermissionScopeAccessAllThings"], True),
    (["PermissionScopeControlThings", "PermissionScopeConfigureThings", "PermissionScopeAccessAllThings"], True),
    (["PermissionScopeAccessAllThings"], True),
    (["PermissionScopeAccessAllThings", "PermissionScopeExecuteRules"], True),
    (["PermissionScopeControlThings", "PermissionScopeAccessAllThings", "PermissionScopeExecuteRules"], True),
    (["PermissionScopeConfigureThings"], False),
    (["PermissionScopeControlThings", "PermissionScopeConfigureThings"], False),
    (["PermissionScopeExecuteRules"], False),
    (["PermissionScopeConfigureRules"], False),
    (["PermissionScopeExecuteRules", "PermissionScopeConfigureRules"], False),
    (["PermissionScopeControlThings", "PermissionScopeExecuteRules"], False),
]


@pytest.mark.parametrize(("names", "valid"), SCOPE_TABLE)
async def test_scope_consistency(manager: SecurityManager, names: list[str], valid: bool) -> None:
    scopes = scopes_from_names(names)
    assert scopes_consistent(scopes) is valid
    await manager.create_user("alice", PASSWORD, scopes=Scope.NONE)
    if valid:
        await manager.set_user_scopes("alice", scopes)
        assert manager.user("alice").scopes == scopes
    else:
        with pytest.raises(UserFailure) as caught:
            await manager.set_user_scopes("alice", scopes)
        assert caught.value.error is UserError.INCONSISTENT_SCOPES
        assert manager.user("alice").scopes == Scope.NONE
        with pytest.raises(UserFailure) as caught:
            await manager.create_user("bob", PASSWORD, scopes=scopes)
        assert caught.value.error is UserError.INCONSISTENT_SCOPES


def test_scope_names() -> None:
    assert scopes_to_names(Scope.NONE) == ["PermissionScopeNone"]
    assert scopes_to_names(Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS) == [
        "PermissionScopeControlThings",
        "PermissionScopeAccessAllThings",
    ]
    # As nymea's scopesToStringList: every flag held, so Configure lists Control too.
    assert scopes_to_names(Scope.CONFIGURE_THINGS) == ["PermissionScopeControlThings", "PermissionScopeConfigureThings"]
    assert "PermissionScopeAdmin" in scopes_to_names(Scope.ADMIN)
    assert scopes_from_names([]) == Scope.NONE
    assert scopes_from_names(["PermissionScopeAdmin"]) == Scope.ADMIN
    for scopes in (Scope.ADMIN, Scope.CONFIGURE_RULES | Scope.ACCESS_ALL_THINGS, Scope.CONTROL_THINGS, Scope.NONE):
        assert scopes_from_names(scopes_to_names(scopes)) == scopes
    with pytest.raises(ValueError, match="PermissionScopeEverything"):
        scopes_from_names(["PermissionScopeControlThings", "PermissionScopeEverything"])


async def test_default_scopes_are_admin_without_roles_and_none_with_roles(manager: SecurityManager) -> None:
    assert (await manager.create_user("alice", PASSWORD)).scopes == Scope.ADMIN
    reader = await manager.create_user("bob", PASSWORD, roles=["Read"])
    assert reader.scopes == Scope.NONE
    assert manager.principal_for_user("bob").scopes == Scope.ACCESS_ALL_THINGS


async def test_allowed_things_reach_the_principal(manager: SecurityManager) -> None:
    allowed = uuid.uuid4()
    await manager.create_user("guest", PASSWORD, scopes=Scope.CONTROL_THINGS)
    await manager.set_user_scopes("guest", Scope.CONTROL_THINGS, [allowed])
    assert manager.principal_for_user("guest").allowed_thing_ids == frozenset({allowed})
    await manager.set_user_scopes("guest", Scope.CONTROL_THINGS | Scope.ACCESS_ALL_THINGS)  # None keeps them
    assert manager.user("guest").allowed_thing_ids == frozenset({allowed})


# --- domains ------------------------------------------------------------------------------


async def test_home_domain_covers_children_never_parent_or_sibling(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("alice", PASSWORD, home_domain="a")
    principal = manager.principal_for_user("alice")
    assert principal.home_domain == "a"
    assert principal.covers_domain("a")
    assert principal.covers_domain("a1")
    assert not principal.covers_domain(ROOT_DOMAIN)
    assert not principal.covers_domain("b")
    assert not principal.covers_domain("nowhere")
    # The principal follows the live tree: a domain added later below home is covered.
    await manager.add_domain("a2", parent="a1")
    assert principal.covers_domain("a2")
    # Root covers everything.
    await manager.create_user("root_admin", PASSWORD)
    assert all(manager.principal_for_user("root_admin").covers_domain(d) for d in ("a", "a1", "b", ROOT_DOMAIN))


def test_domain_tree_covers() -> None:
    tree = DomainTree()
    tree.add("a")
    tree.add("a1", "a")
    tree.add("b")
    assert tree.covers("a", "a1") and tree.covers("a", "a")
    assert not tree.covers("a1", "a")
    assert not tree.covers("a", "b")
    assert tree.covers(ROOT_DOMAIN, "b")


@pytest.mark.parametrize("name", ["", "Upper", "has space", "dot.ted", "slash/ed"])
async def test_bad_domain_names_are_rejected(manager: SecurityManager, store: FakeStore, name: str) -> None:
    with pytest.raises(ValueError, match="invalid domain name") as caught:
        await manager.add_domain(name)
    assert repr(name) in str(caught.value)
    assert name not in manager.domains
    assert name not in store.domains


async def test_domain_add_errors(manager: SecurityManager) -> None:
    await manager.add_domain("site-1_a", description="first site")
    assert manager.domains.parent("site-1_a") == ROOT_DOMAIN
    with pytest.raises(ValueError, match="'site-1_a' already exists"):
        await manager.add_domain("site-1_a")
    with pytest.raises(ValueError, match="already exists"):
        await manager.add_domain(ROOT_DOMAIN)
    with pytest.raises(ValueError, match="unknown parent domain 'nope'"):
        await manager.add_domain("child", parent="nope")
    assert "child" not in manager.domains


async def test_domain_remove_rules(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    with pytest.raises(ValueError, match="root"):
        await manager.remove_domain(ROOT_DOMAIN)
    with pytest.raises(ValueError, match="'a' has child domains: a1"):
        await manager.remove_domain("a")
    with pytest.raises(ValueError, match="unknown domain 'zz'"):
        await manager.remove_domain("zz")
    await manager.create_user("alice", PASSWORD, home_domain="a1")
    with pytest.raises(ValueError, match="home domain of users: alice"):
        await manager.remove_domain("a1")
    await manager.create_user("bob", PASSWORD, privileges=[Privilege("thing", "b", frozenset("R"))])
    with pytest.raises(ValueError, match="privileges of users: bob"):
        await manager.remove_domain("b")
    await manager.set_user_privileges("bob", [])
    await manager.remove_domain("b")
    assert "b" not in manager.domains
    assert "b" not in store.domains


async def test_user_in_unknown_domain_is_rejected(manager: SecurityManager, store: FakeStore) -> None:
    with pytest.raises(ValueError, match="unknown home domain 'mars'"):
        await manager.create_user("alice", PASSWORD, home_domain="mars")
    with pytest.raises(ValueError, match="'mars'"):
        await manager.create_user("alice", PASSWORD, privileges=[Privilege("thing", "mars", frozenset("R"))])
    assert store.users == {}


# --- roles and privileges -----------------------------------------------------------------


def test_role_scopes() -> None:
    assert ROLE_SCOPES["Read"] == Scope.ACCESS_ALL_THINGS
    assert ROLE_SCOPES["ReadWrite"] == Scope.CONTROL_THINGS | Scope.CONFIGURE_THINGS | Scope.ACCESS_ALL_THINGS
    assert ROLE_SCOPES["Admin"] == Scope.ADMIN


async def test_role_mapping(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("reader", PASSWORD, roles=["Read"], home_domain="a")
    await manager.create_user("writer", PASSWORD, roles=["ReadWrite"], home_domain="a")
    await manager.create_user("boss", PASSWORD, roles=["Admin"], home_domain="a")
    reader = manager.principal_for_user("reader")
    writer = manager.principal_for_user("writer")
    boss = manager.principal_for_user("boss")
    assert reader.roles == ("Read",)

    # Read: R on everything in its subtree, nothing else.
    for obj in ("thing", "thingtype", "user", "domain"):
        assert reader.may("R", obj, "a1")
    assert not any(reader.may(op, "thing", "a") for op in "CUD")
    assert not reader.has_scope(Scope.CONTROL_THINGS)

    # ReadWrite: CRUD on things and thing types, read-only elsewhere.
    for obj in ("thing", "thingtype"):
        assert all(writer.may(op, obj, "a1") for op in "CRUD")
    assert writer.may("R", "user", "a")
    assert not any(writer.may(op, obj, "a") for op in "CUD" for obj in ("user", "domain", "role"))
    assert writer.has_scope(Scope.CONFIGURE_THINGS)

    # Admin: everything, users, domains and roles included.
    assert all(boss.may(op, obj, "a1") for op in "CRUD" for obj in ("thing", "user", "domain", "role"))

    # No role reaches above or beside the home domain.
    for principal in (reader, writer, boss):
        assert not principal.may("R", "thing", "b")
        assert not principal.may("R", "thing", ROOT_DOMAIN)


async def test_unknown_role_is_rejected(manager: SecurityManager) -> None:
    with pytest.raises(ValueError, match="'Owner'"):
        await manager.create_user("alice", PASSWORD, roles=["Owner"])
    await manager.create_user("alice", PASSWORD, roles=["Read"])
    with pytest.raises(ValueError, match="'read'"):
        await manager.set_user_roles("alice", ["read"])
    assert manager.user("alice").roles == ("Read",)


async def test_privileges_are_additive(manager: SecurityManager) -> None:
    await make_tree(manager)
    await manager.create_user("alice", PASSWORD, roles=["Read"], home_domain="a")
    assert not manager.principal_for_user("alice").may("U", "thing", "a1")

    await manager.set_user_privileges(
        "alice",
        [Privilege("thing", "a", frozenset({"U"})), Privilege("thingtype", "b", frozenset({"C", "R"}))],
    )
    alice = manager.principal_for_user("alice")
    assert alice.may("R", "thing", "a1")  # the role still counts
    assert alice.may("U", "thing", "a")
    assert alice.may("U", "thing", "a1")  # privilege domain covers its subtree
    assert not alice.may("D", "thing", "a")  # only the operations granted
    assert not alice.may("U", "thingtype", "a")  # only the object named
    assert not alice.may("U", "thing", "b")
    # A privilege reaches outside the home domain, for its own object only.
    assert alice.may("C", "thingtype", "b") and alice.may("R", "thingtype", "b")
    assert not alice.may("R", "thing", "b")
    assert not alice.may("R", "thingtype", ROOT_DOMAIN)


def test_may_rejects_unknown_operations_and_privilege_rejects_bad_ones() -> None:
    with pytest.raises(ValueError, match="'W'"):
        Principal(name="x").may("W", "thing", ROOT_DOMAIN)
    with pytest.raises(ValueError, match="'X'"):
        Privilege("thing", ROOT_DOMAIN, frozenset({"R", "X"}))
    with pytest.raises(ValueError):
        Privilege("thing", ROOT_DOMAIN, frozenset())


def test_principal_without_grants_may_nothing() -> None:
    nobody = Principal(name="nobody")
    assert not any(nobody.may(op, "thing", ROOT_DOMAIN) for op in "CRUD")


# --- persistence --------------------------------------------------------------------------


async def test_records_use_wire_names(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    thing_id = uuid.uuid4()
    await manager.create_user(
        "Alice",
        PASSWORD,
        email="a@example.com",
        display_name="Alice A.",
        scopes=Scope.CONTROL_THINGS,
        allowed_thing_ids=[thing_id],
        home_domain="a",
        roles=["Read"],
        privileges=[Privilege("thing", "a1", frozenset({"U", "C"}))],
    )
    record = store.users["alice"]
    assert record.scopes == ["PermissionScopeControlThings"]
    assert record.roles == ["Read"]
    assert record.privileges == [{"object": "thing", "domain": "a1", "operations": ["C", "U"]}]
    assert record.allowed_thing_ids == [thing_id]
    assert (record.email, record.display_name, record.home_domain) == ("a@example.com", "Alice A.", "a")
    assert store.domains["a1"] == DomainRecord("a1", "a", "")
    assert ROOT_DOMAIN in store.domains


async def test_reload_gives_the_same_state(manager: SecurityManager, store: FakeStore) -> None:
    await make_tree(manager)
    await manager.add_domain("b1", parent="b", description="below b")
    await manager.create_user("alice", PASSWORD, home_domain="a", roles=["ReadWrite"])
    await manager.create_user(
        "bob",
        PASSWORD,
        scopes=Scope.CONTROL_THINGS,
        allowed_thing_ids=[uuid.uuid4()],
        privileges=[Privilege("thing", "b", frozenset("RU"))],
    )
    await manager.set_user_info("bob", email="bob@example.com")
    token = await manager.authenticate("alice", PASSWORD, "phone")
    assert token is not None

    reloaded = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await reloaded.load()
    assert reloaded.users() == manager.users()
    assert reloaded.tokens("alice") == manager.tokens("alice")
    assert reloaded.domain_records() == manager.domain_records()
    assert sorted(reloaded.domains.names()) == sorted(manager.domains.names())
    assert reloaded.domains.parent("b1") == "b"
    assert reloaded.principal_for_user("bob") == manager.principal_for_user("bob")
    principal = await reloaded.principal_for_token(token)
    assert principal == manager.principal_for_user("alice")
    assert principal is not None and principal.may("U", "thing", "a1")
    assert await reloaded.authenticate("bob", PASSWORD, "laptop") is not None


async def test_reload_keeps_the_tree_object(manager: SecurityManager, store: FakeStore) -> None:
    tree = manager.domains
    store.domains["x"] = DomainRecord("x", ROOT_DOMAIN)
    await manager.load()
    assert manager.domains is tree and "x" in tree


async def test_store_failure_is_backend_error_and_changes_nothing(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("alice", PASSWORD)
    store.fail = True
    with pytest.raises(UserFailure) as caught:
        await manager.create_user("bob", PASSWORD)
    assert caught.value.error is UserError.BACKEND_ERROR
    assert "disk on fire" in caught.value.message
    with pytest.raises(UserFailure) as caught:
        await manager.authenticate("alice", PASSWORD, "phone")
    assert caught.value.error is UserError.BACKEND_ERROR
    with pytest.raises(UserFailure):
        await manager.remove_user("alice")
    with pytest.raises(UserFailure):
        await manager.add_domain("a")
    assert [user.username for user in manager.users()] == ["alice"]
    assert manager.tokens("alice") == []
    assert "a" not in manager.domains


# --- login limiter ------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_locks_after_five_failures_with_growing_delay() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for _ in range(4):
        limiter.failed("1.2.3.4")
    assert limiter.check("1.2.3.4") == 0
    assert limiter.failed("1.2.3.4") == 10
    assert limiter.check("1.2.3.4") == 10
    assert limiter.check("5.6.7.8") == 0  # per peer
    clock.now += 4
    assert limiter.check("1.2.3.4") == 6
    clock.now += 6
    assert limiter.check("1.2.3.4") == 0

    delays = []
    for _ in range(6):
        for _ in range(5):
            limiter.failed("1.2.3.4")
        delays.append(limiter.check("1.2.3.4"))
        clock.now += delays[-1]
    assert delays == [20, 40, 80, 160, 300, 300]


def test_limiter_counts_only_failures_within_the_window() -> None:
    clock = FakeClock()
    start = clock.now
    limiter = LoginLimiter(clock=clock)
    for offset in (0, 30, 50, 55, 65):  # the first has left the 60 s window by the fifth
        clock.now = start + offset
        limiter.failed("peer")
    assert limiter.check("peer") == 0
    clock.now = start + 66
    limiter.failed("peer")  # 30, 50, 55, 65, 66: five within the window
    assert limiter.check("peer") == 10


async def test_limiter_success_takes_back_only_its_own_count() -> None:
    # A good login must not wipe the address's failures: else an attacker with any account
    # resets the lockout between guesses (issue 11, finding 13).
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for _ in range(4):
        limiter.failed("peer")
    async with limiter.attempt("peer") as attempt:
        attempt.succeeded()
    assert limiter.check("peer") == 0
    limiter.failed("peer")  # the fifth failure within the window
    assert limiter.check("peer") == 10


async def test_limiter_counts_an_attempt_before_it_runs() -> None:
    # Concurrent guesses: checked before and counted after, a hundred at once all passed the check.
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, max_failures=5)
    order: list[str] = []
    release = asyncio.Event()

    async def guess(number: int, right: bool) -> str:
        try:
            async with limiter.attempt("peer", max_waiting=200) as attempt:
                order.append(f"run {number}")
                await release.wait()
                if right:
                    attempt.succeeded()
                    return "success"
                attempt.failed()
                return "wrong"
        except LoginThrottled:
            return "throttled"

    tasks = [asyncio.create_task(guess(number, right=number == 99)) for number in range(100)]
    await asyncio.sleep(0)
    assert order == ["run 0"]  # one login in progress per address
    release.set()
    results = await asyncio.gather(*tasks)
    assert results.count("wrong") == 5
    assert results.count("throttled") == 95
    assert results[99] == "throttled"  # the right password, last, comes too late
    assert limiter.check("peer") == 10


async def test_limiter_cancelled_attempt_stays_counted() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, max_failures=2)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            async with limiter.attempt("peer"):
                raise RuntimeError("the check crashed")
    assert limiter.check("peer") == 10


async def test_limiter_refuses_past_the_waiting_queue() -> None:
    limiter = LoginLimiter(clock=FakeClock())
    release = asyncio.Event()
    outcomes: list[str] = []

    async def login() -> None:
        try:
            async with limiter.attempt("peer", max_waiting=2) as attempt:
                await release.wait()
                attempt.succeeded()
                outcomes.append("ran")
        except LoginThrottled as throttled:
            outcomes.append(f"refused: {throttled.reason}")

    tasks = [asyncio.create_task(login()) for _ in range(6)]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert outcomes.count("ran") == 3
    assert outcomes.count("refused: too many logins waiting") == 3


def test_limiter_forgets_escalation_after_quiet_period() -> None:
    clock = FakeClock()
    start = clock.now
    limiter = LoginLimiter(clock=clock, forget_after=600)
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 10
    # Another peer's failure just before makes the memory clean-up run then, not later,
    # so the peer's own record is still there when it comes back.
    clock.now = start + 590
    limiter.failed("other")
    clock.now = start + 601
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 10  # first lockout again, not the doubled 20


def test_limiter_escalation_survives_short_quiet_period() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock, forget_after=600)
    for _ in range(5):
        limiter.failed("peer")
    clock.now += 300
    for _ in range(5):
        limiter.failed("peer")
    assert limiter.check("peer") == 20


def test_limiter_drops_idle_peers() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for number in range(100):
        limiter.failed(f"10.0.0.{number}")
    clock.now += 3601
    limiter.failed("10.0.1.1")
    assert len(limiter._peers) == 1  # the hundred one-off peers are gone


async def test_a_token_made_by_another_process_is_found_in_the_store(
    store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `thinggate user token` runs in its own process against the same store while the hub serves.
    import thinggate.core.security.manager as security_module

    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    cli_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await cli_side.load()
    await cli_side.create_user("late", "LatePW12!")
    token = await cli_side.create_token("late", "ezlo app")
    monkeypatch.setattr(security_module, "STORE_REREAD_SECONDS", 0.0)
    principal = await hub_side.principal_for_token(token)
    assert principal is not None and principal.name == "late"
    assert await hub_side.principal_for_token("no-such-token") is None


async def test_unknown_tokens_do_not_reread_the_store_more_than_every_few_seconds(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    reads = 0
    real_load_tokens = store.load_tokens

    async def counting_load_tokens() -> Any:
        nonlocal reads
        reads += 1
        return await real_load_tokens()

    store.load_tokens = counting_load_tokens  # type: ignore[method-assign]
    for _ in range(50):
        assert await manager.principal_for_token("guess") is None
    assert reads == 0  # the manager read the store at load(), moments ago


# --- passwords checked per request (HTTP basic) and digest secrets -------------------------------


async def test_verify_password_answers_the_principal_and_makes_no_token(
    manager: SecurityManager, store: FakeStore
) -> None:
    await manager.create_user("alice", PASSWORD, scopes=Scope.ACCESS_ALL_THINGS)
    principal = await manager.verify_password("ALICE", PASSWORD)
    assert principal is not None and principal.name == "alice" and principal.scopes == Scope.ACCESS_ALL_THINGS
    assert await manager.verify_password("alice", "Secret124") is None
    assert await manager.verify_password("nobody", PASSWORD) is None
    assert store.tokens == {}


async def test_a_remembered_password_stops_working_once_the_user_changes(manager: SecurityManager) -> None:
    await manager.create_user("alice", PASSWORD)
    assert await manager.verify_password("alice", PASSWORD) is not None  # now remembered
    await manager.change_password("alice", "Changed999")
    assert await manager.verify_password("alice", PASSWORD) is None
    assert await manager.verify_password("alice", "Changed999") is not None
    await manager.set_user_scopes("alice", Scope.NONE)
    principal = await manager.verify_password("alice", "Changed999")
    assert principal is not None and principal.scopes == Scope.NONE  # not the remembered Admin one
    await manager.remove_user("alice")
    assert await manager.verify_password("alice", "Changed999") is None


async def test_remembered_passwords_skip_argon2(store: FakeStore) -> None:
    calls: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            calls.append("verify")
            return super().verify(hash, password)

    manager = SecurityManager(store, hasher=CountingHasher(time_cost=1, memory_cost=8, parallelism=1), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    for _ in range(5):
        assert await manager.verify_password("alice", PASSWORD) is not None
    assert calls == ["verify"]


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """H(username:realm:password), as a digest client computes it."""
    return hashlib.new(algorithm, f"{username}:{realm}:{password}".encode()).hexdigest()


async def test_the_digest_realm_is_made_once_per_installation_and_kept(store: FakeStore) -> None:
    first = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await first.load()
    realm = await first.digest_realm()
    assert re.fullmatch(r"thinggate-[0-9a-f]{8}", realm), realm
    assert store.hub_settings[DIGEST_REALM_SETTING] == realm
    again = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await again.load()
    assert await again.digest_realm() == realm  # kept, not made anew
    elsewhere = SecurityManager(FakeStore(), hasher=fast_hasher(), bus=EventBus())
    assert await elsewhere.digest_realm() != realm  # another installation, another realm


async def test_digest_secrets_are_kept_only_for_users_who_opt_in(manager: SecurityManager, store: FakeStore) -> None:
    await manager.create_user("bob", PASSWORD)
    assert manager.digest_secret("bob", "MD5") is None and not manager.digest_enabled("bob")
    assert store.users["bob"].digest_ha1 == {}
    await manager.create_user("Alice", PASSWORD, digest=True)
    realm = await manager.digest_realm()
    expected = {"MD5": ha1("md5", "alice", realm, PASSWORD), "SHA-256": ha1("sha256", "alice", realm, PASSWORD)}
    assert manager.digest_secret("alice", "MD5") == expected["MD5"]
    assert manager.digest_secret("ALICE", "SHA-256") == expected["SHA-256"]
    assert store.users["alice"].digest_ha1 == expected
    assert manager.digest_secret("nobody", "MD5") is None
    # a new password: new secrets for the user who opted in, still none for the other
    await manager.change_password("alice", "Changed999")
    assert manager.digest_secret("alice", "MD5") == ha1("md5", "alice", realm, "Changed999")
    await manager.change_password("bob", "Changed999")
    assert store.users["bob"].digest_ha1 == {}


async def test_enabling_digest_needs_the_password_and_disabling_drops_the_secrets(
    manager: SecurityManager, store: FakeStore
) -> None:
    await manager.create_user("alice", PASSWORD)
    with pytest.raises(UserFailure) as caught:
        await manager.enable_digest("alice", "Wrong1234")
    assert caught.value.error is UserError.BAD_PASSWORD
    assert store.users["alice"].digest_ha1 == {}
    await manager.enable_digest("ALICE", PASSWORD)
    assert manager.digest_enabled("alice")
    assert store.users["alice"].digest_ha1["SHA-256"] == ha1("sha256", "alice", await manager.digest_realm(), PASSWORD)
    await manager.disable_digest("alice")
    assert not manager.digest_enabled("alice") and store.users["alice"].digest_ha1 == {}
    assert manager.digest_secret("alice", "MD5") is None
    with pytest.raises(UserFailure) as caught:
        await manager.enable_digest("nobody", PASSWORD)
    assert caught.value.error is UserError.INVALID_USER_ID


async def test_a_basic_login_makes_no_digest_secrets(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    assert await manager.verify_password("alice", PASSWORD) is not None
    assert manager.digest_secret("alice", "MD5") is None
    assert store.users["alice"].digest_ha1 == {}


async def test_digest_enabled_by_the_command_line_is_seen_by_the_hub_after_the_reread(store: FakeStore) -> None:
    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.enable_digest("alice", PASSWORD)
    hub_side._store_read_at -= STORE_REREAD_SECONDS + 1  # as if the last read was a while ago
    await hub_side.refresh()
    assert hub_side.digest_secret("alice", "MD5") == ha1("md5", "alice", await hub_side.digest_realm(), PASSWORD)


async def test_a_user_removed_through_the_store_stops_verifying_after_the_reread(store: FakeStore) -> None:
    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    assert await hub_side.verify_password("alice", PASSWORD) is not None  # remembered now
    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.remove_user("alice")
    hub_side._store_read_at -= STORE_REREAD_SECONDS + 1  # as if the last read was a while ago
    assert await hub_side.verify_password("alice", PASSWORD) is None
    assert hub_side.digest_secret("alice", "MD5") is None


async def test_a_password_changed_while_argon2_checks_the_old_one_is_not_accepted(store: FakeStore) -> None:
    manager = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await manager.load()
    await manager.create_user("alice", PASSWORD)
    checking = asyncio.Event()
    release = asyncio.Event()
    real_verify = manager._verify

    async def slow_verify(password_hash: str, password: str) -> bool:
        checking.set()
        await release.wait()
        return await real_verify(password_hash, password)

    manager._verify = slow_verify  # type: ignore[method-assign]
    login = asyncio.create_task(manager.verify_password("alice", PASSWORD))
    await checking.wait()
    manager._verify = real_verify  # type: ignore[method-assign]
    await manager.change_password("alice", "Changed999")
    release.set()
    assert await login is None
    assert await manager.verify_password("alice", PASSWORD) is None
    assert await manager.verify_password("alice", "Changed999") is not None


# --- what another process changed in the store is announced at the next load --------------------


async def test_a_load_announces_what_another_process_changed(store: FakeStore) -> None:
    from thinggate.core import events as ev

    hub_side = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await hub_side.load()
    await hub_side.create_user("alice", PASSWORD)
    await hub_side.create_user("bob", PASSWORD)
    await hub_side.create_user("carol", PASSWORD)
    kept = await hub_side.create_token("alice", "phone")
    revoked = await hub_side.create_token("alice", "tablet")
    await hub_side.create_token("bob", "laptop")
    revoked_info = hub_side.token_info(revoked)
    assert revoked_info is not None
    heard: list[ev.HubEvent] = []
    hub_side.bus.listen(heard.append)

    command_line = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await command_line.load()
    await command_line.remove_user("bob")
    await command_line.remove_token(revoked_info.id)
    await command_line.set_user_scopes("carol", Scope.ACCESS_ALL_THINGS)
    await command_line.create_user("dave", PASSWORD)
    await command_line.create_token("alice", "watch")  # new tokens need no announcement
    await hub_side.load()

    assert sorted(heard, key=repr) == sorted(
        [
            ev.UserRemoved("bob"),  # its token went with it: no TokenRemoved of its own
            ev.TokenRemoved(revoked_info.id, "alice"),
            ev.UserChanged(command_line.user("carol")),
            ev.UserAdded(command_line.user("dave")),
        ],
        key=repr,
    )
    assert await hub_side.principal_for_token(kept) is not None
    heard.clear()
    await hub_side.load()
    assert heard == []  # nothing changed since


async def test_the_first_load_announces_nothing(store: FakeStore) -> None:
    writer = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    await writer.load()
    await writer.create_user("alice", PASSWORD)
    fresh = SecurityManager(store, hasher=fast_hasher(), bus=EventBus())
    heard: list[object] = []
    fresh.bus.listen(heard.append)
    await fresh.load()
    assert heard == [] and fresh.has_users
