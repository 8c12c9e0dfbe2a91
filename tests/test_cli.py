"""The `thinggate` command, run as a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent


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


def test_user_add_list_token_remove(tmp_path: Path) -> None:
    added = thinggate("user", "add", "alice", "--password", "Secret123", data_dir=tmp_path)
    assert added.returncode == 0, added.stderr
    listed = thinggate("user", "list", data_dir=tmp_path)
    assert "alice" in listed.stdout
    token = thinggate("user", "token", "alice", "--device", "laptop", data_dir=tmp_path)
    assert token.returncode == 0 and len(token.stdout.strip()) >= 20
    weak = thinggate("user", "add", "bob", "--password", "weak", data_dir=tmp_path)
    assert weak.returncode == 1 and "BadPassword" in weak.stderr
    removed = thinggate("user", "remove", "alice", data_dir=tmp_path)
    assert removed.returncode == 0
    assert "alice" not in thinggate("user", "list", data_dir=tmp_path).stdout


def test_serve_demo_then_things(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "thinggate.cli", "serve", "--demo", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "thinggate is up" in line:
                break
        assert any("thinggate is up" in line for line in lines), "".join(lines)
        assert any("demo house: 21 things" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    table = thinggate("things", data_dir=tmp_path)
    assert table.returncode == 0, table.stderr
    for expected in ("Living room", "Ceiling light", "Dimmable light", "Front door"):
        assert expected in table.stdout
