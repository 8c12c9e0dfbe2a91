"""Push-button authentication: a client asks, someone with hands on the hub presses the button.

The button is `thinggate pushbutton` on the hub's command line. Only one request is pending at
a time: a new one (from any client) cancels the previous, whose client is told `success:false`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from thinggate.api.jsonrpc.session import Session
from thinggate.core.security import Scope, SecurityManager

_LOG = logging.getLogger(__name__)

PUSH_BUTTON_USER = "admin"
"""The user a press creates when there is none yet (initial setup by push button)."""

Notify = Callable[[Session, bool, int, str], None]
"""Sends JSONRPC.PushButtonAuthFinished(success, transactionId, token) to one client."""


@dataclass(slots=True)
class _Pending:
    session: Session
    transaction_id: int
    device_name: str


class PushButtonAuth:
    """The one pending push-button request, and what a press does with it."""

    def __init__(self, security: SecurityManager, notify: Notify) -> None:
        self._security = security
        self._notify = notify
        self._pending: _Pending | None = None
        self._next_id = 1

    def request(self, session: Session, device_name: str) -> int:
        """Start waiting for a press on behalf of `session`; answers the transaction id."""
        transaction_id = self._next_id
        self._next_id += 1
        previous, self._pending = self._pending, _Pending(session, transaction_id, device_name)
        if previous is not None and not previous.session.closed:
            self._notify(previous.session, False, previous.transaction_id, "")
        return transaction_id

    def forget(self, session: Session) -> None:
        """A client went away: its request is cancelled, and nobody is told."""
        if self._pending is not None and self._pending.session is session:
            self._pending = None

    async def press(self) -> bool:
        """The button was pressed: the waiting client gets a token. False when nobody waits."""
        pending, self._pending = self._pending, None
        if pending is None or pending.session.closed:
            return False
        await self.ensure_user()
        username = self._user_for_token()
        token = await self._security.create_token(username, pending.device_name)
        _LOG.info("push-button authentication granted to %s for %r", pending.session.peer, pending.device_name)
        self._notify(pending.session, True, pending.transaction_id, token)
        return True

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
