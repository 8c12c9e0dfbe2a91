"""The `thinggate` command run as a real process, as the tests that use it run it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


def thinggate(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command with a data directory; answers the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "thinggate.cli", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=data_dir,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )


def read_until(stream: IO[str], marker: str, within: float = 60) -> list[str]:
    """Lines of `stream` up to the first that contains `marker` (fails the test if it does not come in time)."""
    deadline = time.monotonic() + within
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} not seen in:\n" + "".join(lines))
