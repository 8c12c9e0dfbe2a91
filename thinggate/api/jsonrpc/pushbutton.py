"""Push-button authentication: clients ask, someone with hands on the hub chooses whom to let in.

The button is `thinggate pushbutton` on the hub's command line. It lists the waiting requests
(transaction id, address, device name, since when) and grants the one the person picks, by its
transaction id; only that client gets a token, the others keep waiting.

Where nymea keeps one request and lets any new one take its place, several wait here: one per
connection (a connection asking again replaces its own request), at most `max_waiting`. So a
client asking over and over cannot push the owner's request aside and be granted in its stead.
An address that asks again within `interval` seconds of its previous ask (granted or refused)
is refused and disturbs nobody.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from thinggate.api.jsonrpc.session import Session
from thinggate.core.security import Scope, SecurityManager

_LOG = logging.getLogger(__name__)

PUSH_BUTTON_USER = "admin"
"""The user a grant creates when there is none yet (initial setup by push button)."""

INTERVAL_SECONDS = 5.0
"""How long an address must wait before asking again (every ask counts, refused ones too)."""

MAX_WAITING = 16
"""Requests that may wait at once; past it new ones are refused (those waiting stay)."""

MAX_DEVICE_NAME = 256
"""Characters of a device name kept (it is shown to the owner and names the token)."""

_MAX_ADDRESSES = 10_000
"""Addresses whose last ask is remembered; the oldest are forgotten past it."""

Notify = Callable[[Session, bool, int, str], None]
"""Sends JSONRPC.PushButtonAuthFinished(success, transactionId, token) to one client."""


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """A client waiting for the owner to grant it a token."""

    transaction_id: int
    address: str
    device_name: str
    since: datetime
    session: Session = field(compare=False, repr=False)


class PushButtonAuth:
    """The waiting push-button requests, and what granting one does."""

    def __init__(
        self,
        security: SecurityManager,
        notify: Notify,
        *,
        interval: float = INTERVAL_SECONDS,
        max_waiting: int = MAX_WAITING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._security = security
        self._notify = notify
        self._interval = interval
        self._max_waiting = max_waiting
        self._clock = clock
        self._waiting: dict[int, WaitingRequest] = {}  # by session id: one per connection
        self._asked_at: dict[str, float] = {}  # by address, in the order of their last ask
        self._next_id = 1

    def request(self, session: Session, device_name: str) -> int | None:
        """Wait for a grant on behalf of `session`: the transaction id, or None when refused."""
        now = self._clock()
        address = session.peer
        self._forget_old_asks(now)
        last = self._asked_at.pop(address, None)
        # Every ask counts, a refused one too: a client that keeps asking stays refused.
        self._asked_at[address] = now
        if last is not None and now - last < self._interval:
            _LOG.info("push-button request from %s refused: it asked %.1f s ago", address, now - last)
            return None
        previous = self._waiting.get(session.id)
        if previous is None and len(self._waiting) >= self._max_waiting:
            _LOG.warning("push-button request from %s refused: %d requests are waiting", address, len(self._waiting))
            return None
        transaction_id = self._next_id
        self._next_id += 1
        name = device_name[:MAX_DEVICE_NAME]
        self._waiting[session.id] = WaitingRequest(transaction_id, address, name, datetime.now(UTC), session)
        _LOG.info("push-button request %d from %s for %r is waiting", transaction_id, address, name)
        if previous is not None and not session.closed:
            # The connection asked again: its earlier request is over, as nymea tells it.
            self._notify(session, False, previous.transaction_id, "")
        return transaction_id

    def _forget_old_asks(self, now: float) -> None:
        # Oldest first (a re-ask moves an address to the end): stop at the first recent one.
        while self._asked_at:
            address, asked = next(iter(self._asked_at.items()))
            if now - asked < self._interval and len(self._asked_at) < _MAX_ADDRESSES:
                break
            del self._asked_at[address]

    def waiting(self) -> list[WaitingRequest]:
        """The requests waiting now, oldest first."""
        alive = (request for request in self._waiting.values() if not request.session.closed)
        return sorted(alive, key=lambda request: request.transaction_id)

    def forget(self, session: Session) -> None:
        """A client went away: its request is cancelled, and nobody is told."""
        self._waiting.pop(session.id, None)

    async def grant(self, transaction_id: int) -> WaitingRequest:
        """The owner chose this request: its client gets a token (LookupError if it is not waiting)."""
        request = next((r for r in self._waiting.values() if r.transaction_id == transaction_id), None)
        if request is None or request.session.closed:
            raise LookupError(f"no request with transaction id {transaction_id} is waiting")
        # Taken out before the first await: a second grant of the same request finds nothing.
        del self._waiting[request.session.id]
        await self.ensure_user()
        username = self._user_for_token()
        token = await self._security.create_token(username, request.device_name)
        if request.session.closed:
            # The client left while the token was made: nobody may hold it.
            info = self._security.token_info(token)
            if info is not None:
                await self._security.remove_token(info.id)
            raise LookupError(f"the client of transaction id {transaction_id} has gone")
        _LOG.info("push-button request %d granted to %s for %r", transaction_id, request.address, request.device_name)
        self._notify(request.session, True, transaction_id, token)
        return request

    def _user_for_token(self) -> str:
        users = self._security.users()
        admins = [user.username for user in users if user.effective_scopes == Scope.ADMIN]
        return admins[0] if admins else users[0].username

    async def ensure_user(self) -> None:
        """Without users (initial setup by push button): create the admin user the token belongs to."""
        if not self._security.has_users:
            # Nobody will ever type this password; the owner sets one with `thinggate user`.
            password = "Pb1" + secrets.token_urlsafe(24)
            await self._security.create_user(PUSH_BUTTON_USER, password)
