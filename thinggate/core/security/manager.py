"""Users (argon2 passwords), hashed login tokens and the domain tree, written through the store."""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from thinggate.core import events as ev
from thinggate.core.errors import UserError, UserFailure
from thinggate.core.events import EventBus
from thinggate.core.scopes import (
    ROLE_SCOPES,
    ROOT_DOMAIN,
    Privilege,
    Scope,
    scopes_consistent,
    scopes_from_names,
    scopes_to_names,
)
from thinggate.core.security.domains import DomainTree
from thinggate.core.security.principals import Principal
from thinggate.core.store import DomainRecord, EventRecord, SecurityStore, TokenRecord, UserRecord
from thinggate.core.users import TokenInfo, UserInfo

if TYPE_CHECKING:
    from argon2 import PasswordHasher

_LOG = logging.getLogger(__name__)
_T = TypeVar("_T")

# nymea's pattern, kept verbatim for compatibility: note that "+-@" is a range, so
# , / : ; < = > ? are accepted too (as nymea accepts them).
_USERNAME = re.compile(r"[a-zA-Z0-9_\.+-@]{3,}")
DOMAIN_NAME = re.compile(r"[a-z0-9_-]+")
"""What a domain's name (its id) may be made of."""
_MIN_PASSWORD_LENGTH = 8


@dataclass(slots=True)
class _Account:
    info: UserInfo
    password_hash: str
    # HTTP digest needs H(user:realm:password), which argon2 cannot give: kept per algorithm,
    # only for users who opted in (empty otherwise), since it logs in as well as the password.
    digest_ha1: dict[str, str] = field(default_factory=dict)


DIGEST_REALM_SETTING = "security.digest_realm"
"""The hub setting holding this installation's digest realm."""

DIGEST_ALGORITHMS: Mapping[str, Callable[[bytes], Any]] = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
"""The RFC 7616 algorithms a digest secret is kept for."""

VERIFIED_CACHE_SECONDS = 300.0
"""How long a verified user name and password are remembered (HTTP basic sends them on every request)."""


def digest_ha1(username: str, realm: str, password: str) -> dict[str, str]:
    """The digest secrets H(username:realm:password) of a user, per algorithm."""
    material = f"{username}:{realm}:{password}".encode()
    return {name: algorithm(material).hexdigest() for name, algorithm in DIGEST_ALGORITHMS.items()}


def new_digest_realm() -> str:
    """A realm for a new installation: `thinggate-` and 8 random hex digits.

    A digest secret is H(user:realm:password): with a realm of its own, one taken from this hub
    logs in nowhere else, and tables computed for a realm shared by every hub do not apply.
    """
    return f"thinggate-{secrets.token_hex(4)}"


def hash_token(token: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user_failure_for_missing(username: str) -> UserFailure:
    # nymea answers InvalidUserId for a user that does not exist, too.
    return UserFailure(UserError.INVALID_USER_ID, f"no user named {username!r}")


STORE_REREAD_SECONDS = 2.0
"""How often an unknown token makes the security manager read users and tokens from the store again."""


class SecurityManager:
    """Users (argon2 passwords), hashed login tokens and the domain tree, persisted in a store."""

    def __init__(
        self,
        store: SecurityStore,
        *,
        hasher: PasswordHasher | None = None,
        bus: EventBus,
        password_checks: int = 1,
    ) -> None:
        self._store = store
        # argon2 takes 64 MiB and a core for a moment: a flood of logins queues here instead of
        # running a hundred at once (which took the process from 135 to 529 MB).
        self._password_checks = asyncio.Semaphore(password_checks)
        # The hub's bus: doors already listen there, and refresh or revoke open connections when
        # users and tokens change. Required, so that no door has to follow a second bus.
        self.bus = bus
        # Injectable so tests can use cheap argon2 parameters. Made at the first password check:
        # argon2 and its C library stay out of a hub nobody has logged in to by password yet.
        self._given_hasher = hasher
        self._users: dict[str, _Account] = {}  # by lower-case username
        self._tokens: dict[str, TokenRecord] = {}  # by token hash
        self._domain_records: dict[str, DomainRecord] = {ROOT_DOMAIN: DomainRecord(ROOT_DOMAIN, None)}
        self.domains = DomainTree()
        # Serialises changes so that check-then-write sequences (duplicate names, a user being
        # removed while a token is issued) see each other; reads never wait for it.
        self._lock = asyncio.Lock()
        self._dummy_hash: str | None = None
        self._store_read_at = time.monotonic()
        self._loaded = False  # the first load announces nothing: there was nothing before it
        # Recently verified passwords, by keyed digest of name and password (never the password).
        self._verified: dict[bytes, tuple[float, str, UserInfo, Principal]] = {}
        self._verified_key = secrets.token_bytes(32)
        self._digest_realm: str | None = None

    # -- loading ---------------------------------------------------------------------------

    async def load(self) -> None:
        """Read users, tokens and domains from the store, replacing what is in memory.

        After the first load, what changed in the store since (the command line or another
        process wrote it) is announced on the bus as if it had been changed here: UserAdded,
        UserChanged, UserRemoved and TokenRemoved, so that doors refresh or close connections.
        """
        async with self._lock:
            changes = await self._load()
        for change in changes:
            self.bus.publish(change)

    async def _load(self) -> list[ev.HubEvent]:
        """Replace users, tokens and domains by the stored ones; answers the changes to announce."""
        users_before, tokens_before, first = self._users, self._tokens, not self._loaded
        user_records = await self._backend("load users", self._store.load_users())
        token_records = await self._backend("load tokens", self._store.load_tokens())
        domain_records = await self._backend("load domains", self._store.load_domains())

        self._load_domains(domain_records)
        if not any(record.name == ROOT_DOMAIN for record in domain_records):
            # Persist root so that storage can refer to it like to any other domain.
            await self._backend("save the root domain", self._store.save_domain(DomainRecord(ROOT_DOMAIN, None)))

        users: dict[str, _Account] = {}
        for user_record in user_records:
            try:
                account = _account_from_record(user_record)
            except ValueError as exc:
                raise UserFailure(
                    UserError.BACKEND_ERROR, f"stored user {user_record.username!r} is malformed: {exc}"
                ) from exc
            if account.info.home_domain not in self.domains:
                _LOG.warning("user %r has an unknown home domain %r", account.info.username, account.info.home_domain)
            users[account.info.username.lower()] = account
        self._users = users

        tokens: dict[str, TokenRecord] = {}
        for token_record in token_records:
            if token_record.username.lower() not in users:
                _LOG.warning("ignoring token %s of unknown user %r", token_record.id, token_record.username)
                continue
            tokens[token_record.token_hash] = token_record
        self._tokens = tokens
        self._loaded = True
        return [] if first else _changes(users_before, users, tokens_before, tokens)

    def _load_domains(self, records: list[DomainRecord]) -> None:
        tree = self.domains
        tree.clear()
        known: dict[str, DomainRecord] = {ROOT_DOMAIN: DomainRecord(ROOT_DOMAIN, None)}
        pending: dict[str, DomainRecord] = {}
        for record in records:
            if record.name == ROOT_DOMAIN:
                known[ROOT_DOMAIN] = replace(record, parent=None)
            else:
                pending[record.name] = replace(record)
        # Records may come in any order: add those whose parent is already there until none is left.
        while pending:
            ready = [record for record in pending.values() if record.parent in tree]
            if not ready:
                # Orphans (unknown parent or a cycle) go under root, so neither they nor their
                # subtrees are lost; only root-homed users cover them there, who cover all anyway.
                orphan = next(iter(pending.values()))
                _LOG.warning("domain %r has an unknown parent %r; placing it under root", orphan.name, orphan.parent)
                orphan.parent = ROOT_DOMAIN
                ready = [orphan]
            for record in ready:
                assert record.parent is not None  # only root has no parent
                tree.add(record.name, record.parent)
                known[record.name] = record
                del pending[record.name]
        self._domain_records = known

    # -- users -----------------------------------------------------------------------------

    @property
    def has_users(self) -> bool:
        """Whether any user exists (without one, initial setup is required)."""
        return bool(self._users)

    def users(self) -> list[UserInfo]:
        """Every user, by name."""
        return sorted((account.info for account in self._users.values()), key=lambda info: info.username)

    def user(self, username: str) -> UserInfo:
        """One user, found case-insensitively (INVALID_USER_ID if there is none)."""
        return self._account(username).info

    async def create_user(
        self,
        username: str,
        password: str,
        *,
        email: str = "",
        display_name: str = "",
        scopes: Scope | None = None,
        allowed_thing_ids: Iterable[uuid.UUID] = (),
        home_domain: str = ROOT_DOMAIN,
        roles: Iterable[str] = (),
        privileges: Iterable[Privilege] = (),
        digest: bool = False,
        event: EventRecord | None = None,
        password_hash: str | None = None,
    ) -> UserInfo:
        """Create a user; scopes default to Admin (nymea), or to none when roles are given.

        `password_hash`, when given, is `password` already hashed by `make_hasher()` elsewhere (the
        demo user's is made in a child process, so that argon2 never loads into an idle hub).

        `digest` keeps HTTP digest secrets for the user (see `enable_digest`); off by default.
        `event` (a lifecycle event reporting it) is stored in the same transaction as the user.

        Raises UserFailure (INVALID_USER_ID, DUPLICATE_USER_ID, BAD_PASSWORD, INCONSISTENT_SCOPES,
        BACKEND_ERROR) and ValueError for an unknown role, home domain or privilege domain.
        """
        _check_username(username)
        key = username.lower()
        if key in self._users:
            raise UserFailure(UserError.DUPLICATE_USER_ID, f"a user named {username!r} already exists")
        _check_password(password)
        role_names = _check_roles(roles)
        if scopes is None:
            # Default to Admin only when nothing else says what the user may do, so that a
            # registry user created with a Read role does not silently become an admin.
            scopes = Scope.NONE if role_names else Scope.ADMIN
        _check_scopes(scopes)
        privilege_tuple = tuple(dict.fromkeys(privileges))  # drop repeats, keep order
        # Fail fast, before the costly hash; checked again under the lock below.
        self._check_domain(home_domain, "home domain")
        self._check_privileges(privilege_tuple)
        info = UserInfo(
            username=key,  # stored lower-case, as nymea stores it
            email=email,
            display_name=display_name,
            scopes=scopes,
            allowed_thing_ids=frozenset(allowed_thing_ids),
            home_domain=home_domain,
            roles=role_names,
            privileges=privilege_tuple,
        )
        # Hash before taking the lock: it is the slow part, and logins should not wait for it.
        if password_hash is None:
            password_hash = await self._hash(password)
        digest_secrets = digest_ha1(key, await self.digest_realm(), password) if digest else {}
        async with self._lock:
            if key in self._users:
                raise UserFailure(UserError.DUPLICATE_USER_ID, f"a user named {username!r} already exists")
            # Domains are checked under the lock so that none can vanish before the user is saved.
            self._check_domain(home_domain, "home domain")
            self._check_privileges(privilege_tuple)
            account = _Account(info, password_hash, digest_secrets)
            await self._save_account(account, event)
        self.bus.publish(ev.UserAdded(info))
        return info

    async def remove_user(self, username: str, *, event: EventRecord | None = None) -> None:
        """Remove a user and every token of it (INVALID_USER_ID if there is no such user); `event` goes with it."""
        async with self._lock:
            account = self._account(username)
            name = account.info.username
            await self._backend(f"delete user {name!r}", self._store.delete_user(name, event))
            del self._users[name.lower()]
            self._tokens = {h: t for h, t in self._tokens.items() if t.username.lower() != name.lower()}
        self.bus.publish(ev.UserRemoved(name))

    async def set_user_scopes(
        self,
        username: str,
        scopes: Scope,
        allowed_thing_ids: Iterable[uuid.UUID] | None = None,
        *,
        roles: Iterable[str] | None = None,
    ) -> UserInfo:
        """Set a user's scopes and (unless None, which keeps each) its allowed things and roles, in one write."""
        _check_scopes(scopes)
        changes: dict[str, Any] = {"scopes": scopes}
        if allowed_thing_ids is not None:
            changes["allowed_thing_ids"] = frozenset(allowed_thing_ids)
        if roles is not None:
            changes["roles"] = _check_roles(roles)
        return await self._update_user(username, **changes)

    async def set_user_info(
        self, username: str, *, email: str | None = None, display_name: str | None = None
    ) -> UserInfo:
        """Change a user's e-mail address and/or display name (None keeps the current value)."""
        changes: dict[str, Any] = {}
        if email is not None:
            changes["email"] = email
        if display_name is not None:
            changes["display_name"] = display_name
        return await self._update_user(username, **changes)

    async def set_user_roles(self, username: str, roles: Iterable[str]) -> UserInfo:
        """Replace a user's roles (ValueError for an unknown role)."""
        return await self._update_user(username, roles=_check_roles(roles))

    async def set_user_privileges(self, username: str, privileges: Iterable[Privilege]) -> UserInfo:
        """Replace a user's custom privileges (ValueError for an unknown domain)."""
        return await self._update_user(username, privileges=tuple(dict.fromkeys(privileges)))

    async def set_user_role(self, username: str, role: str) -> UserInfo:
        """Give a user exactly one registry role, its scopes the role's alone (ValueError for an unknown role)."""
        return await self._update_user(username, roles=_check_roles((role,)), scopes=Scope.NONE)

    async def set_user_home_domain(self, username: str, home_domain: str) -> UserInfo:
        """Move a user to another home domain (ValueError for an unknown domain)."""
        return await self._update_user(username, home_domain=home_domain)

    async def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        home_domain: str | None = None,
        privileges: Iterable[Privilege] | None = None,
        email: str | None = None,
        display_name: str | None = None,
        password: str | None = None,
        event: EventRecord | None = None,
    ) -> UserInfo:
        """Change several things of a user in one write (None keeps each); `event` is stored with it.

        A role is the registry's: exactly that role, its scopes the role's alone (see `set_user_role`).
        A password is checked against the policy (BAD_PASSWORD) and gives new digest secrets to a
        user who has them. ValueError for an unknown role or domain.
        """
        self._account(username)
        changes: dict[str, Any] = {}
        if role is not None:
            changes.update(roles=_check_roles((role,)), scopes=Scope.NONE)
        if home_domain is not None:
            changes["home_domain"] = home_domain
        if privileges is not None:
            changes["privileges"] = tuple(dict.fromkeys(privileges))
        if email is not None:
            changes["email"] = email
        if display_name is not None:
            changes["display_name"] = display_name
        password_hash = None
        if password is not None:
            _check_password(password)
            password_hash = await self._hash(password)
        return await self._update_user(username, password=(password, password_hash), event=event, **changes)

    async def change_password(self, username: str, new_password: str) -> None:
        """Set a new password (BAD_PASSWORD if it breaks the policy); tokens stay valid, as in nymea.

        A user with digest secrets gets them for the new password; one without gets none.
        """
        self._account(username)
        _check_password(new_password)
        password_hash = await self._hash(new_password)
        async with self._lock:
            account = self._account(username)
            secrets_ = {}
            if account.digest_ha1:
                secrets_ = digest_ha1(account.info.username, await self.digest_realm(), new_password)
            await self._save_account(_Account(account.info, password_hash, secrets_))
        self.bus.publish(ev.PasswordChanged(account.info.username))

    def principal_for_user(self, username: str) -> Principal:
        """The Principal a user acts as (INVALID_USER_ID if there is no such user)."""
        info = self._account(username).info
        return Principal(
            name=info.username,
            scopes=info.effective_scopes,
            home_domain=info.home_domain,
            allowed_thing_ids=info.allowed_thing_ids,
            # The live tree, so domains added later are covered without rebuilding principals.
            domains=self.domains,
            privileges=info.privileges,
            roles=info.roles,
        )

    async def verify_password(self, username: str, password: str) -> Principal | None:
        """The Principal of a user whose password this is, else None (no token is made).

        For doors that send credentials with every request (HTTP basic): a verified pair is
        remembered for a few minutes so argon2 runs once, not per request. A remembered pair
        counts only while the user's password hash and details are the ones it was checked with,
        so a change of password, rights or the user's removal (here or in the store, read again
        every few seconds) ends it at once.
        """
        await self.refresh()
        remembered = self.remembered_password(username, password)
        if remembered is not None:
            return remembered
        account = self._users.get(username.lower())
        if account is None:
            await self._verify(await self._dummy(), password)  # same time as a real check
            return None
        checked_hash = account.password_hash
        if not await self._verify(checked_hash, password):
            return None
        name = account.info.username
        current = self._users.get(name.lower())
        if current is None or current.password_hash != checked_hash:
            return None  # removed, or the password changed while argon2 was checking the old one
        await self._rehash_if_needed(name, checked_hash, password)
        current = self._users.get(name.lower())
        if current is None:
            return None
        principal = self.principal_for_user(name)
        if len(self._verified) >= 10_000:
            self._verified.clear()  # bounded: a flood of distinct logins cannot grow it
        expiry = time.monotonic() + VERIFIED_CACHE_SECONDS
        self._verified[self._verified_key_of(username, password)] = (
            expiry,
            current.password_hash,
            current.info,
            principal,
        )
        return principal

    def remembered_password(self, username: str, password: str) -> Principal | None:
        """The Principal of a pair verify_password checked a short while ago, else None (no argon2 here)."""
        if not self._verified:
            return None
        remembered = self._verified.get(self._verified_key_of(username, password))
        account = self._users.get(username.lower())
        if remembered is not None and account is not None:
            expiry, password_hash, info, principal = remembered
            if expiry > time.monotonic() and account.password_hash == password_hash and account.info == info:
                return principal
        return None

    def _verified_key_of(self, username: str, password: str) -> bytes:
        # A keyed BLAKE2b: one C call, and a leaked cache reveals no password.
        return hashlib.blake2b(
            f"{username.lower()}\0{password}".encode(), key=self._verified_key, digest_size=16
        ).digest()

    async def refresh(self) -> None:
        """Read users and tokens from the store again if that was last done a few seconds ago or more.

        The command line changes users in the store while the hub runs; doors that check
        credentials on every request call this so that a removed user stops working here too.
        """
        if time.monotonic() - self._store_read_at > STORE_REREAD_SECONDS:
            self._store_read_at = time.monotonic()
            await self.load()

    # -- HTTP digest ------------------------------------------------------------------------
    #
    # A digest secret H(user:realm:password) logs in as well as the password does, and is an
    # unsalted fast hash of it: kept only for users who opted in, for this installation's realm.

    async def digest_realm(self) -> str:
        """This installation's digest realm (`thinggate-<8 hex>`), made once and kept in the hub settings."""
        if self._digest_realm is None:
            settings = await self._backend("load the hub settings", self._store.load_hub_settings())
            realm = settings.get(DIGEST_REALM_SETTING)
            if not isinstance(realm, str) or not realm:
                realm = new_digest_realm()
                await self._backend("save the digest realm", self._store.save_hub_setting(DIGEST_REALM_SETTING, realm))
            self._digest_realm = realm
        return self._digest_realm

    def digest_enabled(self, username: str) -> bool:
        """Whether a user has digest secrets (INVALID_USER_ID if there is no such user)."""
        return bool(self._account(username).digest_ha1)

    def digest_secret(self, username: str, algorithm: str) -> str | None:
        """H(username:realm:password) of a user for an algorithm, or None (unknown user, or not opted in)."""
        account = self._users.get(username.lower())
        return account.digest_ha1.get(algorithm) if account is not None else None

    async def enable_digest(self, username: str, password: str) -> None:
        """Keep digest secrets for a user, made from its password (BAD_PASSWORD if it is not the password)."""
        account = self._account(username)
        if not await self._verify(account.password_hash, password):
            raise UserFailure(UserError.BAD_PASSWORD, f"that is not the password of {account.info.username!r}")
        realm = await self.digest_realm()
        async with self._lock:
            current = self._account(username)
            if current.password_hash != account.password_hash:
                raise UserFailure(UserError.BAD_PASSWORD, "the password was changed meanwhile: try again")
            name = current.info.username
            await self._save_account(_Account(current.info, current.password_hash, digest_ha1(name, realm, password)))

    async def disable_digest(self, username: str) -> None:
        """Drop a user's digest secrets: digest logins refuse it as they refuse an unknown user."""
        async with self._lock:
            account = self._account(username)
            await self._save_account(_Account(account.info, account.password_hash, {}))

    # -- tokens ----------------------------------------------------------------------------

    async def authenticate(self, username: str, password: str, device_name: str) -> str | None:
        """A new token for a correct username (any case) and password, else None."""
        account = self._users.get(username.lower())
        if account is None:
            # Spend the same time as a real check so response times do not reveal user names.
            await self._verify(await self._dummy(), password)
            return None
        if not await self._verify(account.password_hash, password):
            return None
        await self._rehash_if_needed(account.info.username, account.password_hash, password)
        try:
            return await self.create_token(account.info.username, device_name)
        except UserFailure as failure:
            if failure.error is UserError.INVALID_USER_ID:  # removed while we were verifying
                return None
            raise

    async def create_token(self, username: str, device_name: str) -> str:
        """Issue a token for a user without a password (for the command line)."""
        token = secrets.token_urlsafe(32)
        async with self._lock:
            name = self._account(username).info.username
            record = TokenRecord(
                id=uuid.uuid4(),
                username=name,
                token_hash=hash_token(token),
                device_name=device_name,
                created=datetime.now(UTC),
            )
            await self._backend(f"save a token of {name!r}", self._store.save_token(record))
            self._tokens[record.token_hash] = record
        return token

    async def principal_for_token(self, token: str) -> Principal | None:
        """The Principal a token stands for, or None for an unknown or revoked token."""
        if not token:
            return None
        # Lookup by digest: the secret itself is never compared byte by byte.
        record = self._tokens.get(hash_token(token))
        if record is None and time.monotonic() - self._store_read_at > STORE_REREAD_SECONDS:
            # `thinggate user token` writes to the store while the hub runs: look there too,
            # but not more often than every few seconds, so unknown tokens cannot hammer it.
            self._store_read_at = time.monotonic()
            await self.load()
            record = self._tokens.get(hash_token(token))
        if record is None or record.username.lower() not in self._users:
            return None
        return self.principal_for_user(record.username)

    def token_info(self, token: str) -> TokenInfo | None:
        """What is known about a token (None if unknown or revoked)."""
        record = self._tokens.get(hash_token(token)) if token else None
        return _token_info(record) if record is not None else None

    def tokens(self, username: str) -> list[TokenInfo]:
        """A user's tokens, oldest first (empty for an unknown user)."""
        key = username.lower()
        records = [record for record in self._tokens.values() if record.username.lower() == key]
        return [_token_info(record) for record in sorted(records, key=lambda record: record.created)]

    async def remove_token(self, token_id: uuid.UUID | str, *, owner: str | None = None) -> None:
        """Revoke a token (TOKEN_NOT_FOUND; PERMISSION_DENIED if `owner` is given and not its user)."""
        try:
            wanted = token_id if isinstance(token_id, uuid.UUID) else uuid.UUID(token_id)
        except ValueError:
            raise UserFailure(UserError.TOKEN_NOT_FOUND, f"no token with id {token_id!r}") from None
        async with self._lock:
            found = next(((h, r) for h, r in self._tokens.items() if r.id == wanted), None)
            if found is None:
                raise UserFailure(UserError.TOKEN_NOT_FOUND, f"no token with id {str(wanted)!r}")
            token_hash, record = found
            if owner is not None and owner.lower() != record.username.lower():
                raise UserFailure(
                    UserError.PERMISSION_DENIED,
                    f"token {str(wanted)!r} belongs to {record.username!r}, not to {owner!r}",
                )
            await self._backend(f"delete token {wanted}", self._store.delete_token(wanted))
            del self._tokens[token_hash]
        self.bus.publish(ev.TokenRemoved(record.id, record.username))

    # -- domains ---------------------------------------------------------------------------

    def domain_records(self) -> list[DomainRecord]:
        """Every domain with its parent and description, parents before children."""
        ordered: list[DomainRecord] = []
        queue = collections.deque([ROOT_DOMAIN])
        while queue:
            name = queue.popleft()
            ordered.append(replace(self._domain_records[name]))
            queue.extend(sorted(self.domains.children(name)))
        return ordered

    def domain_record(self, name: str) -> DomainRecord | None:
        """A copy of one domain's record (None for an unknown domain)."""
        record = self._domain_records.get(name)
        return replace(record, data=dict(record.data)) if record is not None else None

    async def add_domain(
        self,
        name: str,
        parent: str = ROOT_DOMAIN,
        description: str = "",
        *,
        display_name: str = "",
        data: Mapping[str, Any] | None = None,
        event: EventRecord | None = None,
    ) -> DomainRecord:
        """Add a domain under an existing parent (ValueError for a bad name, duplicate or unknown parent).

        `event` (a lifecycle event reporting it) is stored in the same transaction as the domain.
        """
        if not DOMAIN_NAME.fullmatch(name):
            raise ValueError(f"invalid domain name {name!r}: use only a-z, 0-9, '-' and '_'")
        async with self._lock:
            if name in self.domains:
                raise ValueError(f"domain {name!r} already exists")
            if parent not in self.domains:
                raise ValueError(f"unknown parent domain {parent!r}")
            record = DomainRecord(name, parent, description, display_name, dict(data or {}))
            await self._backend(f"save domain {name!r}", self._store.save_domain(record, event))
            self.domains.add(name, parent)
            self._domain_records[name] = record
        return replace(record)

    async def update_domain(
        self,
        name: str,
        *,
        description: str | None = None,
        display_name: str | None = None,
        data: Mapping[str, Any] | None = None,
        event: EventRecord | None = None,
    ) -> DomainRecord:
        """Change a domain's description, display name and/or data (None keeps it; ValueError if unknown)."""
        async with self._lock:
            record = self._domain_records.get(name)
            if record is None:
                raise ValueError(f"unknown domain {name!r}")
            changed = replace(
                record,
                description=record.description if description is None else description,
                display_name=record.display_name if display_name is None else display_name,
                data=dict(record.data) if data is None else dict(data),
            )
            await self._backend(f"save domain {name!r}", self._store.save_domain(changed, event))
            self._domain_records[name] = changed
        return replace(changed, data=dict(changed.data))

    async def remove_domain(self, name: str, *, event: EventRecord | None = None) -> None:
        """Remove a leaf domain nobody lives in or holds privileges on (ValueError otherwise); `event` goes with it.

        Things in the domain are the hub's business: check them before calling this.
        """
        async with self._lock:
            if name == ROOT_DOMAIN:
                raise ValueError("the root domain cannot be removed")
            if name not in self.domains:
                raise ValueError(f"unknown domain {name!r}")
            children = self.domains.children(name)
            if children:
                raise ValueError(f"domain {name!r} has child domains: {', '.join(sorted(children))}")
            residents = sorted(a.info.username for a in self._users.values() if a.info.home_domain == name)
            if residents:
                raise ValueError(f"domain {name!r} is the home domain of users: {', '.join(residents)}")
            # A dangling privilege would come back to life if a domain of that name were added again.
            holders = sorted(
                a.info.username for a in self._users.values() if any(p.domain == name for p in a.info.privileges)
            )
            if holders:
                raise ValueError(f"domain {name!r} is named in privileges of users: {', '.join(holders)}")
            await self._backend(f"delete domain {name!r}", self._store.delete_domain(name, event))
            self.domains.remove(name)
            del self._domain_records[name]

    # -- helpers ---------------------------------------------------------------------------

    def _account(self, username: str) -> _Account:
        account = self._users.get(username.lower())
        if account is None:
            raise _user_failure_for_missing(username)
        return account

    async def _update_user(
        self,
        username: str,
        *,
        password: tuple[str | None, str | None] = (None, None),
        event: EventRecord | None = None,
        **changes: Any,
    ) -> UserInfo:
        """Change a user's info (and its password: the clear one and its new hash) in one write."""
        async with self._lock:
            account = self._account(username)
            # Domains are checked under the lock so that none can vanish before the user is saved.
            if "home_domain" in changes:
                self._check_domain(changes["home_domain"], "home domain")
            if "privileges" in changes:
                self._check_privileges(changes["privileges"])
            info = replace(account.info, **changes)
            clear, password_hash = password
            if clear is not None and password_hash is not None:
                digest_secrets = (
                    digest_ha1(info.username, await self.digest_realm(), clear) if account.digest_ha1 else {}
                )
                updated = _Account(info, password_hash, digest_secrets)
            else:
                updated = _Account(info, account.password_hash, account.digest_ha1)
            await self._save_account(updated, event)
        self.bus.publish(ev.UserChanged(updated.info))
        if updated.password_hash != account.password_hash:
            self.bus.publish(ev.PasswordChanged(updated.info.username))
        return updated.info

    async def _save_account(self, account: _Account, event: EventRecord | None = None) -> None:
        """Write a changed account (with its lifecycle event, if any) through the store, then into memory.

        The caller holds the lock.
        """
        name = account.info.username
        record = _record(account.info, account.password_hash, account.digest_ha1)
        await self._backend(f"save user {name!r}", self._store.save_user(record, event))
        self._users[name.lower()] = account

    def _check_domain(self, domain: str, what: str) -> None:
        if domain not in self.domains:
            raise ValueError(f"unknown {what} {domain!r}")

    def _check_privileges(self, privileges: tuple[Privilege, ...]) -> None:
        for privilege in privileges:
            self._check_domain(privilege.domain, f"domain in privilege on {privilege.object!r}")

    @functools.cached_property
    def _hasher(self) -> PasswordHasher:
        return self._given_hasher if self._given_hasher is not None else make_hasher()

    async def _hash(self, password: str) -> str:
        # argon2 is CPU-heavy by design; a thread keeps the event loop answering meanwhile.
        async with self._password_checks:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        async with self._password_checks:
            return await asyncio.to_thread(_verify_sync, self._hasher, password_hash, password)

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def _rehash_if_needed(self, username: str, password_hash: str, password: str) -> None:
        """Upgrade a hash made with older argon2 parameters while the password is at hand."""
        if not self._hasher.check_needs_rehash(password_hash):
            return
        new_hash = await self._hash(password)
        async with self._lock:
            account = self._users.get(username.lower())
            if account is None or account.password_hash != password_hash:
                return  # removed or changed meanwhile: nothing to upgrade
            try:
                await self._save_account(_Account(account.info, new_hash, account.digest_ha1))
            except UserFailure:
                # The login itself is fine; the upgrade is retried at the next login.
                _LOG.warning("could not store the upgraded password hash of %r", username, exc_info=True)

    @staticmethod
    async def _backend(what: str, awaitable: Awaitable[_T]) -> _T:
        try:
            return await awaitable
        except Exception as exc:
            raise UserFailure(UserError.BACKEND_ERROR, f"could not {what}: {exc}") from exc


def make_hasher() -> PasswordHasher:
    """argon2 with its default (RFC 9106 low-memory) parameters; a bench or rig may swap in cheaper ones."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def _verify_sync(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return hasher.verify(password_hash, password)
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        _LOG.warning("a stored password hash could not be checked", exc_info=True)
        return False


def _check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise UserFailure(
            UserError.INVALID_USER_ID,
            f"invalid user name {username!r}: use at least 3 of a-z, A-Z, 0-9 and _ . + - @",
        )


def _check_password(password: str) -> None:
    # The message names what is missing but never echoes the password (it ends up in logs).
    missing: list[str] = []
    if len(password) < _MIN_PASSWORD_LENGTH:
        missing.append(f"at least {_MIN_PASSWORD_LENGTH} characters (it has {len(password)})")
    if not re.search(r"[a-z]", password):
        missing.append("a lower-case letter")
    if not re.search(r"[A-Z]", password):
        missing.append("an upper-case letter")
    if not re.search(r"[0-9]", password):
        missing.append("a digit")
    if missing:
        raise UserFailure(UserError.BAD_PASSWORD, "the password needs " + ", ".join(missing))


def _check_scopes(scopes: Scope) -> None:
    if not scopes_consistent(scopes):
        raise UserFailure(
            UserError.INCONSISTENT_SCOPES,
            f"inconsistent scopes {scopes_to_names(scopes)}: ConfigureThings needs ControlThings and "
            "AccessAllThings; ControlThings, ExecuteRules and ConfigureRules need AccessAllThings "
            "unless ControlThings is alone",
        )


def _check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    result = tuple(dict.fromkeys(roles))
    for role in result:
        if role not in ROLE_SCOPES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLE_SCOPES)}")
    return result


def _record(info: UserInfo, password_hash: str, digest_secrets: dict[str, str]) -> UserRecord:
    return UserRecord(
        username=info.username,
        password_hash=password_hash,
        email=info.email,
        display_name=info.display_name,
        home_domain=info.home_domain,
        roles=list(info.roles),
        scopes=scopes_to_names(info.scopes),
        allowed_thing_ids=sorted(info.allowed_thing_ids),
        privileges=[privilege.to_dict() for privilege in info.privileges],
        digest_ha1=dict(digest_secrets),
    )


def _account_from_record(record: UserRecord) -> _Account:
    info = UserInfo(
        username=record.username.lower(),
        email=record.email,
        display_name=record.display_name,
        scopes=scopes_from_names(record.scopes),
        allowed_thing_ids=frozenset(record.allowed_thing_ids),
        home_domain=record.home_domain,
        roles=_check_roles(record.roles),
        privileges=tuple(Privilege.from_dict(data) for data in record.privileges),
    )
    return _Account(info, record.password_hash, dict(record.digest_ha1))


def _changes(
    users_before: Mapping[str, _Account],
    users_after: Mapping[str, _Account],
    tokens_before: Mapping[str, TokenRecord],
    tokens_after: Mapping[str, TokenRecord],
) -> list[ev.HubEvent]:
    """The events that turn the before state into the after one (users by lower-case name)."""
    changes: list[ev.HubEvent] = []
    for key, account in users_before.items():
        if key not in users_after:
            changes.append(ev.UserRemoved(account.info.username))
    for key, account in users_after.items():
        previous = users_before.get(key)
        if previous is None:
            changes.append(ev.UserAdded(account.info))
        else:
            if previous.info != account.info:
                changes.append(ev.UserChanged(account.info))
            if previous.password_hash != account.password_hash:
                changes.append(ev.PasswordChanged(account.info.username))
    for token_hash, record in tokens_before.items():
        # A removed user's tokens went with it: UserRemoved says so, as remove_user does.
        if token_hash not in tokens_after and record.username.lower() in users_after:
            changes.append(ev.TokenRemoved(record.id, record.username))
    return changes


def _token_info(record: TokenRecord) -> TokenInfo:
    return TokenInfo(id=record.id, username=record.username, device_name=record.device_name, created=record.created)
