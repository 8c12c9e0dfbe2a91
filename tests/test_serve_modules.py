"""What a serving hub keeps loaded: not the CLI toolkit, not Alembic, not integrations nobody configured.

Each module loaded stays in memory for the hub's whole life (issue 12 §1d: idle `serve --demo`
within 64 MB), so these are checked by name in a real `python -m thinggate.cli serve` process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

# Every door open on a free port, as `serve --demo` runs in bench/jsonrpc.py, and /metrics (not yet read).
ALL_DOORS = """
bind = "127.0.0.1"

[ports]
jsonrpc_tcp = 0
jsonrpc_ws = 0
ezlo = 0
thinknx = 0
http = 0

[jsonrpc]
tcp_tls = false
ws_tls = false
zeroconf = false

[metrics]
enabled = true
"""

# Started as `python -m thinggate.cli serve ...` is, printing the loaded modules when it exits.
SERVE_AND_LIST_MODULES = """
import atexit, runpy, sys
atexit.register(lambda: print("\\n".join(sorted(sys.modules)), flush=True))
sys.argv = ["thinggate", *sys.argv[1:]]
runpy.run_module("thinggate.cli", run_name="__main__", alter_sys=True)
"""

NOT_FOR_SERVING = (
    "alembic",  # migrations run in a child process, and only when one is pending
    "mako",  # Alembic's templates
    "typer",  # the CLI toolkit: serve parses its options with argparse
    "rich",
    "pydantic",  # typer loads it to parse options
    "cryptography",  # a self-signed certificate is made by a child process
    "xknx",  # the KNX integration: only with a [knx] table
    "xknxproject",
    "sqlalchemy.dialects.postgresql",  # the store is SQLite here
    "sqlalchemy.orm",  # the store is SQLAlchemy Core: no ORM, not even through sqlalchemy.ext.asyncio
    "limits",  # the Thinknx rate limiter: loaded by the first Thinknx request
    "argon2",  # password hashing: loaded by the first password check (the demo user's is hashed by a child)
    "aiomqtt",  # MQTT: only with an [mqtt] url
    "paho",
    "thinggate.api.registry.assembly",  # the registry door: assembled by its first request (no [mqtt] here)
    "thinggate.api.registry.door",
    "thinggate.api.registry.openapi",
    "thinggate.api.registry.thingtypes",
    "thinggate.api.sensordata.assembly",  # the sensor-data door: assembled by its first request
    "thinggate.api.sensordata.door",
    "thinggate.api.sensordata.integrate",
    "thinggate.api.sensordata.observations",
    "thinggate.api.sensordata.oauth",
    "prometheus_client",  # /metrics' exposition: loaded by the first scrape, not by a hub nobody scrapes
    "thinggate.api.web.assembly",  # the dashboard: assembled by its first request
    "thinggate.api.web.door",
    "thinggate.api.web.live",
    "thinggate.api.web.admin",
    "thinggate.api.web.history_handlers",  # the dashboard's history and things pages: loaded by their first request
    "thinggate.api.web.things_handlers",
)


def modules_of_serve(data_dir: Path, *args: str) -> set[str]:
    """The modules a `thinggate serve` process on data_dir had loaded once it was up (then stopped)."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_AND_LIST_MODULES, "serve", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=data_dir.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stderr is not None
    said: list[str] = []
    try:
        for line in process.stderr:
            said.append(line)
            if "thinggate is up" in line:
                break
        assert any("thinggate is up" in line for line in said), "".join(said)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(said) + stderr
    return set(stdout.split())


def loaded(modules: set[str], name: str) -> bool:
    """Whether the package `name` or any module under it is loaded."""
    return name in modules or any(module.startswith(name + ".") for module in modules)


def test_serve_loads_no_migration_cli_or_unconfigured_integration_modules(tmp_path: Path) -> None:
    (tmp_path / "thinggate.toml").write_text(ALL_DOORS)
    data_dir = tmp_path / "data"
    # Fresh: the schema is created (a migration is pending) and the demo house added.
    fresh = modules_of_serve(data_dir, "--demo")
    # Restart on the now current schema, as a hub usually starts.
    restart = modules_of_serve(data_dir, "--demo")
    # A fresh demo hub makes the dashboard's `demo` user, its password hashed by a child process.
    for modules in (fresh, restart):
        assert "thinggate.server" in modules and "sqlalchemy" in modules  # it did serve
        assert [name for name in NOT_FOR_SERVING if loaded(modules, name)] == []


def test_the_real_sqlalchemy_ext_asyncio_still_imports_after_the_store() -> None:
    # The store loads sqlalchemy.ext.asyncio's engine module without the package's __init__ (which
    # would load the ORM); whoever imports the package afterwards gets all of it, the same engine.
    check = (
        "import sys, thinggate.storage.sql as store\n"
        "assert 'sqlalchemy.orm' not in sys.modules\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine\n"
        "assert create_async_engine is store.create_async_engine\n"
        "print(AsyncSession.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (result.returncode, result.stdout.strip()) == (0, "AsyncSession"), result.stderr
