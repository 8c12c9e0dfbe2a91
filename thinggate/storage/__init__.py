"""Storage: the hub's `Store` on SQLite (default, one file in the data directory) or PostgreSQL.

`open_store` picks the database from a URL, brings its schema up to date with the Alembic
migrations in `migrations/` and hands back a `SqlStore`. Alembic (~10 MB once loaded) is loaded
only when a migration is pending, and then in a child process (`thinggate.storage.migrate`), so a
running hub never carries it. `MemoryStore` (in `memory`) is the
same protocol in memory, for tests of other modules.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import subprocess
import sys
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import URL, make_url

from thinggate.files import PRIVATE_DIRECTORY, narrow_if_present, private_dir, private_file
from thinggate.storage.sql import SqlStore, StoreClosedError, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "MIGRATIONS_DIR",
    "MigrationError",
    "SqlStore",
    "StoreClosedError",
    "alembic_config",
    "database_url",
    "open_store",
    "upgrade_in_process",
    "upgrade_schema",
]

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parent / "migrations"
"""The Alembic script location (shipped as package data)."""

DEFAULT_DATABASE_FILE = "thinggate.db"
"""The SQLite file in the data directory when no database URL is configured."""

# The drivers the store runs on: user-facing URLs name the database, we pick the async driver.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BACKEND_ALIASES = {"postgres": "postgresql"}


def database_url(url: str | None, data_dir: pathlib.Path) -> URL:
    """The async-driver URL for a configured database URL (None: the SQLite file in data_dir).

    Accepts `sqlite:///path`, `postgresql://user@host:port/db` (also `postgres://`) and the
    same with the driver spelled out as `+aiosqlite` / `+asyncpg`; anything else is a ValueError.
    """
    if url is None:
        return URL.create("sqlite+aiosqlite", database=str(data_dir / DEFAULT_DATABASE_FILE))
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError; say what we expected instead
        raise ValueError(f"not a database URL: {url!r} (expected sqlite:///PATH or postgresql://...)") from exc
    backend = _BACKEND_ALIASES.get(parsed.get_backend_name(), parsed.get_backend_name())
    driver = _ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r} in {url!r}: use sqlite or postgresql")
    if parsed.drivername not in (backend, driver) and parsed.drivername != "postgres":
        # e.g. postgresql+psycopg2: a blocking driver would stall the event loop.
        raise ValueError(f"unsupported driver {parsed.drivername!r}: thinggate uses {driver}")
    return parsed.set(drivername=driver)


def alembic_config() -> Config:
    """An Alembic configuration for the store's migrations, without an alembic.ini."""
    # Imported here: tests that only use MemoryStore need not load Alembic.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest migration, read from the scripts (without loading Alembic)."""
    revisions: dict[str, str | None] = {}
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = re.search(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", text, re.MULTILINE)
        down = re.search(r"^down_revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", text, re.MULTILINE)
        if revision:
            revisions[revision.group(1)] = down.group(1) if down else None
    heads = set(revisions) - {down for down in revisions.values() if down}
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def _current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_in_process(connection: Connection) -> None:
    """Run every pending migration on `connection`, inside its transaction (loads Alembic if one is pending)."""
    if _current_revision(connection) == head_revision():
        return
    from alembic import command

    config = alembic_config()
    # env.py runs the migrations on this connection, inside the caller's transaction.
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class MigrationError(RuntimeError):
    """The migration child process failed; the message carries what it wrote to stderr."""


MIGRATE_IN_CHILD = True
"""Run pending migrations in a child process (a hub then never keeps Alembic's ~10 MB loaded).

The test suite turns this off: it opens hundreds of fresh stores in one process, where a Python
start-up per store costs minutes and memory does not matter (tests/test_serve_modules.py runs the
child route through a real `serve`)."""


def _in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


async def _upgrade_in_child(url: URL) -> None:
    # The URL goes through stdin, not argv: a PostgreSQL password must not show in `ps`.
    env = dict(os.environ)
    # The child must import this very thinggate, wherever the parent found it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(MIGRATIONS_DIR.parents[2]), env.get("PYTHONPATH")]))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "thinggate.storage.migrate",
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    _, stderr = await child.communicate(url.render_as_string(hide_password=False).encode())
    if child.returncode != 0:
        raise MigrationError(f"schema migration failed (exit {child.returncode}):\n{stderr.decode(errors='replace')}")


async def upgrade_schema(store: SqlStore) -> None:
    """Bring the schema to the newest migration (Alembic upgrade to head) in one transaction.

    A current schema is told by one query, without Alembic. A pending migration runs in a child
    process, so Alembic's modules never stay in this one; an in-memory SQLite database (which no
    other process can open) is migrated here.
    """
    async with store.engine.connect() as connection:
        current = await connection.run_sync(_current_revision)
    if current == head_revision():
        return
    if _in_memory(store.engine.url) or not MIGRATE_IN_CHILD:
        async with store.engine.begin() as connection:
            await connection.run_sync(upgrade_in_process)
        return
    await _upgrade_in_child(store.engine.url)


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database file (it makes them with the database file's mode)."""


def _prepare_database_file(database_file: str, in_data_dir: bool) -> None:
    """Make the SQLite file owner-only before SQLite opens it, narrowing one an older version made 0644.

    SQLite creates a new file 0644 (less the umask) and its -wal and -shm with the database
    file's mode: made 0600 here first, all of them are. The data directory is made 0700; a
    directory named in a database URL is made 0700 only if it is new (it may be anyone's).
    """
    path = pathlib.Path(database_file)
    if in_data_dir:
        private_dir(path.parent)
    else:
        path.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        narrow_if_present(path.with_name(path.name + suffix))


async def open_store(url: str | None, data_dir: pathlib.Path) -> SqlStore:
    """Open the configured database (None: SQLite file data_dir/thinggate.db) with its schema up to date.

    A SQLite file and its companions are owner-only (0600), the data directory 0700.
    """
    target = database_url(url, data_dir)
    if target.get_backend_name() == "sqlite" and target.database not in (None, "", ":memory:"):
        await asyncio.to_thread(_prepare_database_file, target.database, url is None)
    store = SqlStore(make_engine(target))
    try:
        await upgrade_schema(store)
    except BaseException:
        await store.close()
        raise
    return store
