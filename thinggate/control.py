"""The hub's local control socket: the command line talks to a running `thinggate serve` through it.

A Unix socket in the data directory (owner-only), one line per command, one line per answer.
Commands: `pushbutton` (the push-button of nymea's push-button authentication).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

_LOG = logging.getLogger(__name__)

Command = Callable[[], Awaitable[str]]


def socket_path(data_dir: Path) -> Path:
    """Where a hub with this data directory listens."""
    return data_dir / "control.sock"


class ControlSocket:
    """Serves named commands on a Unix socket."""

    def __init__(self, path: Path, commands: dict[str, Command]) -> None:
        self.path = path
        self.commands = commands
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        """Listen (replacing a stale socket file of a hub that died)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        old_umask = os.umask(0o077)  # only the hub's own user may press its buttons
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        finally:
            os.umask(old_umask)

    async def stop(self) -> None:
        """Stop listening and remove the socket file."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 5)).decode("utf-8", "replace").strip()
            command = self.commands.get(line)
            if command is None:
                answer = f"error: unknown command {line!r}; known: {', '.join(sorted(self.commands))}"
            else:
                try:
                    answer = await command()
                except Exception as exc:
                    _LOG.exception("control command %r failed", line)
                    answer = f"error: {exc}"
            writer.write(answer.encode("utf-8") + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def send_command(path: Path, command: str) -> str:
    """Send one command to a running hub and return its answer (10 s at most)."""
    async with asyncio.timeout(10):
        reader, writer = await asyncio.open_unix_connection(str(path))
        try:
            writer.write(command.encode("utf-8") + b"\n")
            await writer.drain()
            return (await reader.readline()).decode("utf-8").strip()
        finally:
            writer.close()
