"""Real peers for tests, started on free ports in temporary directories and stopped by pid.

PostgreSQL follows DESIGN.md "Testing with real peers": CI runs as root and initdb refuses
root, so the cluster lives in a directory owned by `postgres` and its tools run through
`runuser -u postgres --`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

POSTGRES_USER = "postgres"
# Unix socket paths are limited to 107 bytes; the server puts ".s.PGSQL.<port>" in its directory.
_MAX_SOCKET_DIR = 80


def in_ci() -> bool:
    """Whether the tests run in CI, where a missing peer is a failure rather than a skip."""
    return os.environ.get("CI") == "true"


def missing_peer(message: str) -> NoReturn:
    """Skip the test on a developer machine; fail it loudly in CI."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: peers must be installed, see .ci/run)", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def postgres_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin directory (/usr/lib/postgresql/N/bin), else one on PATH."""
    candidates = [Path(found).parent for found in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    if candidates:

        def version(bin_dir: Path) -> tuple[int, ...]:
            return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())

        return max(candidates, key=version)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _others_can_enter(path: Path) -> bool:
    # The server (user postgres) must reach its directory through every parent.
    for part in (path, *path.parents):
        if not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass
class PostgresServer:
    """A PostgreSQL cluster started for tests; `url` reaches its `postgres` database."""

    directory: Path
    port: int
    bin_dir: Path
    as_postgres: list[str]
    owns_directory: bool
    stopped: bool = field(default=False, init=False)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def url(self) -> str:
        """The URL of the `postgres` database (trust authentication, no password)."""
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        """The URL of one database of this server."""
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        with contextlib.suppress(OSError):
            return (self.directory / "postgres.log").read_text(errors="replace")
        return ""

    def create_database(self, prefix: str = "test") -> str:
        """Create a new empty database and return its URL (each test gets its own)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        # createdb rather than a client library: this works from sync and async fixtures alike.
        command = [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", POSTGRES_USER, name]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"createdb failed ({result.returncode}): {result.stdout}{result.stderr}")
        return self.url_of(name)

    def _pg_ctl(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        command = [*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def _postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        return None

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        # -l: the server must not inherit our pipes, or capturing pg_ctl's output never ends.
        log = str(self.directory / "postgres.log")
        result = self._pg_ctl("-o", options, "-l", log, "-w", "-t", "60", "start", timeout=90)
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed ({result.returncode}): {result.stdout}{result.stderr}\n{self.log()}"
            )

    def stop(self) -> None:
        """Stop the server (fast shutdown), by its pid if pg_ctl cannot, and remove a directory we made."""
        if self.stopped:
            return
        self.stopped = True
        pid = self._postmaster_pid()
        try:
            result = self._pg_ctl("-m", "fast", "-w", "stop", timeout=60)
            if result.returncode != 0 and pid is not None:
                _kill(pid)
        except subprocess.TimeoutExpired:
            if pid is not None:
                _kill(pid)
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


def start_postgres(tmp_path: Path) -> PostgresServer:
    """Initialise and start a PostgreSQL cluster for tests (skips, or fails in CI, if none is installed)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        missing_peer("PostgreSQL is not installed (apt-get install -y postgresql)")
    as_root = os.geteuid() == 0
    as_postgres: list[str] = []
    owner: pwd.struct_passwd | None = None
    if as_root:
        try:
            owner = pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            missing_peer(f"there is no {POSTGRES_USER!r} user to run PostgreSQL as root")
        as_postgres = ["runuser", "-u", POSTGRES_USER, "--"]

    tmp_path = tmp_path.resolve()
    usable = len(str(tmp_path)) <= _MAX_SOCKET_DIR and (not as_root or _others_can_enter(tmp_path))
    if usable:
        directory = tmp_path / "postgres"
        directory.mkdir()
    else:
        # pytest's temporary directories are 0700 root (or too deep for a socket path).
        directory = Path(tempfile.mkdtemp(prefix="thinggate-pg-", dir="/tmp"))
    directory.chmod(0o755)
    if owner is not None:
        os.chown(directory, owner.pw_uid, owner.pw_gid)

    initdb = [*as_postgres, str(bin_dir / "initdb"), "-D", str(directory / "data"), "-A", "trust", "-U", POSTGRES_USER]
    result = subprocess.run(initdb, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        if not usable:
            shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({result.returncode}): {result.stdout}{result.stderr}")

    # The free port may be taken between probing and binding: try a few.
    failure: Exception | None = None
    for _ in range(3):
        server = PostgresServer(directory, free_port(), bin_dir, as_postgres, owns_directory=not usable)
        try:
            server.start()
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            failure = exc
            pid = server._postmaster_pid()
            if pid is not None:
                _kill(pid)
            continue
        return server
    if not usable:
        shutil.rmtree(directory, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start: {failure}")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session; tests create their own databases in it."""
    server = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty database in the session's PostgreSQL server."""
    return postgres_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'thinggate.db'}"
