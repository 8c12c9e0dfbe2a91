"""`python -m thinggate.storage.migrate`: upgrade the database whose URL is on stdin to the newest migration.

`open_store` runs this as a child process when a migration is pending, so the hub process never
loads Alembic (about 10 MB that would stay for its whole life).
"""

from __future__ import annotations

import asyncio
import pathlib
import sys

from thinggate.storage import database_url, upgrade_in_process
from thinggate.storage.sql import make_engine


async def upgrade(url: str) -> None:
    """Run every pending migration on the database at `url` in one transaction."""
    # The URL names the database, so the data directory (used only without one) does not matter.
    engine = make_engine(database_url(url, pathlib.Path.cwd()))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_in_process)
    finally:
        await engine.dispose()


def main() -> None:
    """Read the URL from stdin and migrate; a failure exits non-zero with its traceback on stderr."""
    asyncio.run(upgrade(sys.stdin.read().strip()))


if __name__ == "__main__":
    main()
