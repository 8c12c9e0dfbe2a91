"""The hub's local control socket: the command line talks to a running `thinggate serve` through it.

A Unix socket in the data directory (owner-only), one line per command, one line per answer. A
command line is words separated by blanks: the first names the command, the rest are its
arguments. Commands: `reload` (read users, tokens and settings from the store again, after the
command line changed them) and `pushbutton list` / `pushbutton grant ID` (the push-button of
nymea's push-button authentication). An answer that starts with `error:` is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

_LOG = logging.getLogger(__name__)

Command = Callable[[list[str]], Awaitable[str]]
"""A command: called with its arguments (the words after its name), answers one line."""

MAX_LINE = 4096
"""Longest command line: nothing the command line sends comes near it."""


class CommandError(ValueError):
    """A command was used wrongly; the message is answered as `error: <message>`.

    Commands that live in doors raise ValueError or LookupError (doors do not import this module):
    the socket answers those the same way, without a traceback in the log."""


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
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=MAX_LINE)
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

    async def answer(self, line: str) -> str:
        """The answer to one command line."""
        words = line.split()
        if not words:
            return f"error: empty command; known: {', '.join(sorted(self.commands))}"
        name, args = words[0], words[1:]
        command = self.commands.get(name)
        if command is None:
            return f"error: unknown command {name!r}; known: {', '.join(sorted(self.commands))}"
        try:
            return await command(args)
        except (ValueError, LookupError) as exc:  # used wrongly (CommandError is a ValueError)
            return f"error: {exc}"
        except Exception as exc:
            _LOG.exception("control command %r failed", name)
            return f"error: {exc}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 5)).decode("utf-8", "replace").strip()
            answer = await self.answer(line)
            # One line per answer, whatever a command put in it.
            writer.write(answer.replace("\n", " ").encode("utf-8") + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):  # ValueError: a line past MAX_LINE
            pass
        finally:
            writer.close()


async def send_command(path: Path, command: str) -> str:
    """Send one command to a running hub and return its answer (10 s at most)."""
    async with asyncio.timeout(10):
        reader, writer = await asyncio.open_unix_connection(str(path), limit=1024 * 1024)
        try:
            writer.write(command.encode("utf-8") + b"\n")
            await writer.drain()
            return (await reader.readline()).decode("utf-8").strip()
        finally:
            writer.close()
