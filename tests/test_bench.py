"""The benchmarks run as the README says, from a clone without tests/, and stop when a server child dies.

Each bench is run as a real process exactly as the README prints it (`.venv/bin/python
bench/NAME.py`, here the interpreter running the tests, from the clone's root, no PYTHONPATH), in
a copy of the checkout without tests/. The copy's thinggate is the one the bench must use: a
module broken in the copy kills the bench's server child, which must end the bench at once
with the child's traceback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = ("core", "jsonrpc", "ezlo", "thinknx", "abuse", "registry", "sensordata", "web")
# Short runs that start every server child a bench has (and measure a little).
QUICK = {
    "core": ["--things", "200", "--adds", "10", "--actions", "200"],
    "jsonrpc": ["--quick", "--only", "get-seq", "--cpus", "none"],
    "ezlo": ["--quick"],
    "thinknx": ["--quick", "--no-knx"],
    "registry": ["--quick", "--rounds", "1"],
    "sensordata": ["--quick", "--rounds", "1"],
    "web": ["--quick"],
}
# A bound far above a bench that stops at once; the old benches waited 300 s for a dead child.
WITHIN = 120


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """The checkout as a new user has it, without tests/ (the benches must not need it)."""
    target = tmp_path / "thinggate"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".venv", "data")
    for part in ("bench", "thinggate", "scripts"):
        shutil.copytree(ROOT / part, target / part, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target)
    return target


def run_bench(clone: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`.venv/bin/python bench/NAME.py ARGS` from the clone's root, as the README says."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, f"bench/{name}.py", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=WITHIN,
        check=False,
    )


@pytest.mark.parametrize("name", BENCHES)
def test_help(clone: Path, name: str) -> None:
    done = run_bench(clone, name, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(QUICK))
def test_quick_run_without_tests_directory(clone: Path, name: str) -> None:
    done = run_bench(clone, name, *QUICK[name])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "thinggate" in done.stdout or "ratio" in done.stdout, done.stdout


# The module each bench's hub child imports first, and how the bench is run.
BROKEN = {
    "ezlo": ("thinggate/api/ezlo/door.py", ["--quick"]),
    "thinknx": ("thinggate/api/thinknx/__init__.py", ["--quick", "--no-knx"]),
    "jsonrpc": ("thinggate/api/jsonrpc/__init__.py", ["--quick", "--cpus", "none"]),
    "registry": ("thinggate/integrations/generic/mqtt.py", ["--quick", "--only", "mqtt-latency"]),
    "sensordata": ("thinggate/api/sensordata/factory.py", ["--quick", "--only", "token", "--databases", "sqlite"]),
    "web": ("thinggate/api/web/factory.py", ["--quick", "--only", "pages"]),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_dead_server_child_ends_the_bench_with_its_traceback(clone: Path, name: str) -> None:
    module, args = BROKEN[name]
    path = clone / module
    path.write_text(path.read_text() + '\nraise RuntimeError("door broken on purpose")\n')
    done = run_bench(clone, name, *args)
    assert done.returncode != 0
    assert "Traceback" in done.stderr, done.stderr
    assert "RuntimeError: door broken on purpose" in done.stderr, done.stderr
    assert "died" in done.stderr, done.stderr


def children_of(clone: Path) -> list[int]:
    """Processes running with the clone first on their path: the servers a bench run from it started."""
    mark = f"PYTHONPATH={clone}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if mark in environ.read_bytes():
                found.append(int(environ.parent.name))
    return found


def test_a_served_hub_that_fails_once_up_is_stopped_with_the_bench(clone: Path) -> None:
    # The sensor-data bench's hub starts, then its token endpoint fails: the bench ends, and so does the hub.
    oauth = clone / "thinggate/api/sensordata/oauth.py"
    broken = "async def _broken(self, request):\n    raise RuntimeError('token endpoint broken on purpose')\n"
    oauth.write_text(oauth.read_text() + "\n\n" + broken + "TokenEndpoint.handle = _broken\n")
    done = run_bench(clone, "sensordata", "--quick", "--only", "token", "--databases", "sqlite")
    left = children_of(clone)
    for pid in left:  # not left running whatever the outcome
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert done.returncode != 0
    assert "/connect/token answered 500" in done.stderr, done.stderr
    assert left == []
