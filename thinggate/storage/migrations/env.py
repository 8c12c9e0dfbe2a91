"""Alembic environment for the store.

`open_store` hands in a live connection (config.attributes["connection"]) and the migrations run
on it, inside its transaction. Without one (e.g. `alembic revision --autogenerate` during
development, with `sqlalchemy.url` set to a thinggate database URL) an async engine of our own is
opened and the migrations run through `run_sync`.
"""

from __future__ import annotations

import asyncio
import pathlib

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import URL

from thinggate.storage import database_url
from thinggate.storage.sql import make_engine
from thinggate.storage.tables import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them; batch mode does that for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _url(configured: str) -> URL:
    # A URL is given, so the data directory (only used without one) does not matter.
    return database_url(configured, pathlib.Path.cwd())


async def _run_with_own_engine(configured: str) -> None:
    engine = make_engine(_url(configured))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline(configured: str) -> None:
    context.configure(
        url=_url(configured),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Run the migrations the way Alembic asked for."""
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url to the database to migrate (sqlite:///PATH or postgresql://...)")
    if context.is_offline_mode():
        _run_offline(url)
    else:
        asyncio.run(_run_with_own_engine(url))


main()
