"""Sensor-data benchmarks (issue 14), one section each, every figure beside a baseline measured in the same run.

Sections (run some with `--only NAME[,NAME]`; a new one is a function registered with `@section`):

  store-upload  Readings per second into history: 100,000 readings in uploads of 1,000 (10 sensors of 100
                readings each) through `Hub.record_readings` on a hub with 1,000 sensor things and a real
                store (one transaction per upload; each sensor's newest reading becomes its state, whose
                cached value is written behind and flushed before the clock stops), beside a bare driver
                `executemany` of the same rows, one transaction per 1,000, into a fresh database of the
                same schema: sqlite3 with WAL and synchronous=FULL as the store runs it, and asyncpg
                (PostgreSQL also beside a bare asyncpg COPY, the fastest way in). Goal: ratio >= 0.5.
  query         A one-day query among 1,000,000 stored readings (10 sensors, a reading every 8.64 s for 10
                days, bulk-inserted; PostgreSQL then ANALYZEd, as its autovacuum would): `Hub.readings_between`
                with the door's page of 10,000 (one sensor's whole day), beside the same SELECT the store
                runs, through the bare driver (sqlite3, asyncpg). Median of 30 alternating runs after
                warming up; the query plan is printed. Goal: < 50 ms.
  prune         Retention deleting the older half of 1,000,000 stored readings in chunks (each its own
                transaction: SQLite's write lock is let go between two): the longest chunk's transaction,
                beside one bare DELETE of the same rows in one transaction (the lock held all along).

Both run on SQLite (a fresh file per run) and PostgreSQL (a fresh database per run in a cluster of the
bench's own, started as the tests start theirs; skipped with the reason printed when PostgreSQL is not
installed). Everything runs in this process; the CPU other processes on the machine took while a
section measured is printed after it (re-run when it is high). `--quick`: 10,000 readings uploaded,
200,000 stored for the query, 50,000 for pruning.

Run: `.venv/bin/python bench/sensordata.py [--quick] [--only store-upload,query,prune] [--databases sqlite,postgresql]
[--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import glob
import os
import pwd
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, new_loop

PAGE = 10_000
"""Readings per observations page (the door's limit: 10,000 until the door says otherwise)."""
UPLOAD = 1_000
"""Readings per upload."""
PER_SENSOR = 100
"""Readings of one sensor in an upload (an upload holds UPLOAD // PER_SENSOR sensors)."""
STORED_SENSORS = 10
"""Sensors whose readings fill the query section's database."""
STEP = timedelta(seconds=8.64)
"""Between two readings of a stored sensor: 10,000 a day, exactly one page."""
INSERT = "INSERT INTO history (timestamp, thing_id, kind, type_id, value) VALUES ({})"
COLUMNS = ["timestamp", "thing_id", "kind", "type_id", "value"]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: what was measured, ours, the baseline's, in what unit."""

    what: str
    ours: float
    baseline: float
    unit: str
    note: str = ""


@dataclass
class Run:
    """What a section gets: the options, a work directory, the PostgreSQL cluster (if any) and a CPU watch."""

    arguments: argparse.Namespace
    work: Path
    postgres: PostgresCluster | None
    databases: list[str]
    watch: CpuWatch


Section = Callable[[Run], Awaitable[list[Row]]]
SECTIONS: dict[str, tuple[str, Section]] = {}
"""Every section by name, in the order they run: a one-line description and the function measuring it."""


def section(name: str, about: str) -> Callable[[Section], Section]:
    """Register a section (the engineer adding one writes a function and puts this above it)."""

    def register(function: Section) -> Section:
        SECTIONS[name] = (about, function)
        return function

    return register


def _figure(value: float) -> str:
    # Rates in whole numbers, latencies in ms with two decimals.
    return f"{value:>10.0f}" if abs(value) >= 1000 else f"{value:>10.2f}"


def print_rows(name: str, rows: list[Row]) -> None:
    """A section's rows with the ratio ours / baseline."""
    for row in rows:
        ratio = row.ours / row.baseline if row.baseline else float("nan")
        note = f"  {row.note}" if row.note else ""
        print(
            f"{name:<13} {row.what:<52} {_figure(row.ours)} {_figure(row.baseline)} {row.unit:<10} {ratio:>6.2f}{note}",
            flush=True,
        )


# ------------------------------------------------------------------------------------------------
# Peers and bookkeeping: a PostgreSQL cluster of the bench's own, the CPU other processes take
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _cpu_of(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (with its reaped children's, if asked) from /proc/PID/stat."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _version(initdb: str) -> tuple[int, ...]:
    """The version in /usr/lib/postgresql/VERSION/bin/initdb, as numbers."""
    return tuple(int(part) for part in Path(initdb).parts[-3].split(".") if part.isdigit())


class PostgresCluster:
    """A PostgreSQL server in a temporary directory on a free loopback port (DESIGN.md's recipe), stopped by pid."""

    def __init__(self, directory: Path, bin_dir: Path, as_postgres: list[str]) -> None:
        self.directory = directory
        self.bin_dir = bin_dir
        self.as_postgres = as_postgres
        self.port = 0

    @classmethod
    def start(cls) -> PostgresCluster | str:
        """A running cluster, or why there is none."""
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)  # the newest Debian one
        initdb = found[-1] if found else shutil.which("initdb")
        if initdb is None:
            return "PostgreSQL is not installed (apt-get install -y postgresql)"
        as_postgres: list[str] = []
        directory = Path(tempfile.mkdtemp(prefix="thinggate-bench-pg-", dir="/tmp"))  # short: the socket lives here
        directory.chmod(0o755)
        if os.geteuid() == 0:  # initdb refuses root: the cluster is the postgres user's
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(directory, ignore_errors=True)
                return "running as root and there is no postgres user to run PostgreSQL as"
            os.chown(directory, owner.pw_uid, owner.pw_gid)
            as_postgres = ["runuser", "-u", "postgres", "--"]
        cluster = cls(directory, Path(initdb).parent, as_postgres)
        command = [*as_postgres, initdb, "-D", str(directory / "data"), "-A", "trust", "-U", "postgres"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            shutil.rmtree(directory, ignore_errors=True)
            return f"initdb failed: {done.stderr.strip()}"
        for _ in range(3):  # a free port can be taken between probing and binding
            cluster.port = free_port()
            options = f"-p {cluster.port} -k {directory} -c listen_addresses=127.0.0.1"
            started = cluster._pg_ctl("-o", options, "-l", str(directory / "log"), "-w", "-t", "60", "start")
            if started.returncode == 0:
                return cluster
        reason = f"PostgreSQL did not start: {started.stderr.strip()}"
        cluster.stop()
        return reason

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.as_postgres, str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)

    def url(self, database: str = "postgres") -> str:
        """The URL of one of its databases (trust authentication)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new empty database; its URL."""
        import asyncpg

        name = f"bench_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(self.url())
        try:
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()
        return self.url(name)

    def cpu(self) -> float:
        """CPU seconds the server's processes took so far (ended connections' backends too)."""
        try:
            postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        total = _cpu_of(postmaster, children=True)  # with the backends it reaped
        for stat in glob.glob("/proc/[0-9]*/stat"):  # and those running now
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = Path(stat).read_text()
                if int(text[text.rindex(")") + 2 :].split()[1]) == postmaster:
                    total += _cpu_of(int(Path(stat).parent.name))
        return total

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        if (self.directory / "data" / "postmaster.pid").exists():
            self._pg_ctl("-m", "fast", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def machine_cpu() -> float:
    """CPU seconds every process on the machine took so far (user + system on every CPU)."""
    with open("/proc/stat") as stat:
        user, nice, system = (int(value) for value in stat.readline().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuWatch:
    """The share of a CPU other processes took while something was measured (not this process, not its PostgreSQL)."""

    postgres: PostgresCluster | None = None
    shares: list[float] = field(default_factory=list)

    def _ours(self) -> float:
        return time.process_time() + (self.postgres.cpu() if self.postgres is not None else 0.0)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[None]:
        """Note what other processes take during the block."""
        machine, ours, began = machine_cpu(), self._ours(), time.perf_counter()
        yield
        elapsed = time.perf_counter() - began
        others = (machine_cpu() - machine) - (self._ours() - ours)
        self.shares.append(max(0.0, others) / elapsed)

    def report(self) -> str:
        """Mean and max share, then forgets them."""
        shares, self.shares = self.shares, []
        if not shares:
            return ""
        mean, most = statistics.fmean(shares), max(shares)
        return f"other processes on this machine while measuring: mean {mean:.0%}, max {most:.0%} of a CPU"


# ------------------------------------------------------------------------------------------------
# Databases, sensors and readings
# ------------------------------------------------------------------------------------------------


@dataclass
class Database:
    """A fresh database of the store's schema: its URL for open_store, and where the bare driver finds it."""

    kind: str  # "sqlite" or "postgresql"
    url: str | None  # None: SQLite in `directory`
    directory: Path

    @property
    def sqlite_file(self) -> Path:
        """The SQLite file (kind sqlite only)."""
        return self.directory / "thinggate.db"

    @property
    def driver_url(self) -> str:
        """The URL asyncpg connects to (kind postgresql only)."""
        assert self.url is not None
        return self.url


async def fresh_database(run: Run, kind: str, name: str) -> Database:
    """An empty database with the store's schema (made by its migrations)."""
    from thinggate.storage import open_store

    directory = run.work / f"{kind}-{name}-{uuid.uuid4().hex[:6]}"
    directory.mkdir()
    url = None
    if kind == "postgresql":
        assert run.postgres is not None
        url = await run.postgres.create_database()
    store = await open_store(url, directory)
    await store.close()
    return Database(kind, url, directory)


@dataclass
class Sensors:
    """Sensor things of the virtual integration's temperature sensor class, and the state readings go to."""

    ids: list[uuid.UUID]
    temperature: uuid.UUID
    records: list[Any]


def make_sensors(count: int) -> Sensors:
    """`count` temperature sensors as records to store in bulk before the hub starts."""
    from thinggate.core.store import ThingRecord
    from thinggate.integrations.virtual import PLUGIN
    from thinggate.integrations.virtual.house.sensors import TemperatureSensorBehaviour

    thing_class = TemperatureSensorBehaviour.thing_class
    temperature = thing_class.state_type_named("temperature")
    assert temperature is not None
    ids = [uuid.uuid4() for _ in range(count)]
    records = [
        ThingRecord(thing_id, thing_class.id, PLUGIN.id, f"sensor {n}", {}, {}) for n, thing_id in enumerate(ids)
    ]
    return Sensors(ids, temperature.id, records)


@contextlib.asynccontextmanager
async def running_hub(database: Database, sensors: Sensors) -> AsyncIterator[Any]:
    """A started hub on the database with the sensors (stored in bulk first), stopped afterwards."""
    from thinggate.core.hub import Hub
    from thinggate.integrations.virtual import VirtualIntegration
    from thinggate.storage import open_store

    store = await open_store(database.url, database.directory)
    await store.save_things(sensors.records)
    # The simulated sensors' own readings every 30 simulated s would run beside the measured work:
    # time slowed down this much, the first comes after the bench.
    hub = Hub(store=store)
    hub.register(VirtualIntegration(time_scale=1e-6, auto_things=False, testbed=False))
    await hub.start()
    await hub.wait_until_set_up()
    gc.collect()
    gc.freeze()  # as `thinggate serve` does once the hub is up
    try:
        yield hub
    finally:
        await hub.stop()
        await store.close()
        gc.unfreeze()


def upload_batches(sensors: Sensors, total: int, start: datetime) -> list[list[Any]]:
    """`total` readings in uploads of UPLOAD: each sensor PER_SENSOR readings a second apart, in one upload."""
    from thinggate.core.store import HistoryEntry

    batches: list[list[Any]] = []
    for first in range(0, total, UPLOAD):
        batch = []
        for number in range(first, min(first + UPLOAD, total)):
            sensor = sensors.ids[number // PER_SENSOR]
            moment = start + timedelta(seconds=number % PER_SENSOR)
            batch.append(HistoryEntry(moment, sensor, "state", sensors.temperature, 20.0 + number % 97 / 10))
        batches.append(batch)
    return batches


def driver_rows(batches: list[list[Any]], kind: str) -> list[list[tuple[Any, ...]]]:
    """The same readings as rows the bare driver inserts: the database's own representation of each value."""
    from thinggate.storage.sql import encode_json, sqlite_time

    def moment(value: datetime) -> Any:
        return sqlite_time(value) if kind == "sqlite" else value

    return [
        [
            (moment(entry.timestamp), str(entry.thing_id), entry.kind, str(entry.type_id), encode_json(entry.value))
            for entry in batch
        ]
        for batch in batches
    ]


async def count_history(database: Database) -> int:
    """Rows in the database's history table."""
    if database.kind == "sqlite":
        with contextlib.closing(sqlite3.connect(database.sqlite_file)) as connection:
            (count,) = connection.execute("SELECT count(*) FROM history").fetchone()
            return int(count)
    import asyncpg

    connection = await asyncpg.connect(database.driver_url)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM history"))
    finally:
        await connection.close()


# ------------------------------------------------------------------------------------------------
# store-upload: readings per second into history
# ------------------------------------------------------------------------------------------------


async def upload_through_hub(run: Run, kind: str, total: int) -> float:
    """Readings per second through Hub.record_readings into a fresh database."""
    from thinggate.core.security import SYSTEM

    database = await fresh_database(run, kind, "hub")
    sensors = make_sensors(total // PER_SENSOR)
    batches = upload_batches(sensors, total, datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    async with running_hub(database, sensors) as hub:
        with run.watch.measuring():
            began = time.perf_counter()
            for batch in batches:
                result = await hub.record_readings(SYSTEM, batch)
                if not result.ok:
                    raise SystemExit(f"store-upload: record_readings failed: {result.failure}")
            await hub.flush()  # the state values the uploads changed, written behind: part of the work
            elapsed = time.perf_counter() - began
    stored = await count_history(database)
    if stored != total:
        raise SystemExit(f"store-upload: {stored} readings in history, not {total}")
    return total / elapsed


async def upload_bare(run: Run, kind: str, total: int, how: str) -> float:
    """Readings per second through the bare driver into a fresh database, one transaction per upload."""
    database = await fresh_database(run, kind, f"bare-{how}")
    sensors = make_sensors(total // PER_SENSOR)
    batches = upload_batches(sensors, total, datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    rows = driver_rows(batches, kind)
    gc.collect()
    if kind == "sqlite":
        connection = sqlite3.connect(database.sqlite_file, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")  # as the store: a commit is on disk when it returns
        statement = INSERT.format(", ".join("?" * len(COLUMNS)))
        with run.watch.measuring():
            began = time.perf_counter()
            for batch in rows:
                connection.execute("BEGIN")
                connection.executemany(statement, batch)
                connection.execute("COMMIT")
            elapsed = time.perf_counter() - began
        connection.close()
    else:
        import asyncpg

        connection = await asyncpg.connect(database.driver_url)
        statement = INSERT.format(", ".join(f"${n}" for n in range(1, len(COLUMNS) + 1)))
        with run.watch.measuring():
            began = time.perf_counter()
            for batch in rows:
                async with connection.transaction():
                    if how == "copy":
                        await connection.copy_records_to_table("history", records=batch, columns=COLUMNS)
                    else:
                        await connection.executemany(statement, batch)
            elapsed = time.perf_counter() - began
        await connection.close()
    stored = await count_history(database)
    if stored != total:
        raise SystemExit(f"store-upload: the baseline stored {stored} readings, not {total}")
    return total / elapsed


@section("store-upload", "readings/s into history through Hub.record_readings, beside a bare executemany")
async def store_upload(run: Run) -> list[Row]:
    total = 10_000 if run.arguments.quick else 100_000
    rows = []
    for kind in run.databases:
        baselines = ["executemany", "copy"] if kind == "postgresql" else ["executemany"]
        best = {name: 0.0 for name in ["hub", *baselines]}
        for _ in range(run.arguments.rounds):
            for name in baselines:
                best[name] = max(best[name], await upload_bare(run, kind, total, name))
            best["hub"] = max(best["hub"], await upload_through_hub(run, kind, total))
        what = f"{kind}: {total:,} readings, uploads of {UPLOAD:,}"
        met = "met" if best["hub"] >= 0.5 * best["executemany"] else "NOT met"
        rows.append(Row(what, best["hub"], best["executemany"], "readings/s", f"bare executemany; goal >= 0.5: {met}"))
        if "copy" in best:
            rows.append(Row(what, best["hub"], best["copy"], "readings/s", "bare COPY (the fastest way in)"))
    return rows


# ------------------------------------------------------------------------------------------------
# query: one sensor's day among 1,000,000 stored readings
# ------------------------------------------------------------------------------------------------


def stored_readings(sensors: Sensors, per_sensor: int, start: datetime, kind: str) -> Iterator[tuple[Any, ...]]:
    """Every stored reading as a row of the database's own representation, sensor after sensor."""
    from thinggate.storage.sql import sqlite_time

    temperature = str(sensors.temperature)
    for sensor in sensors.ids:
        thing = str(sensor)
        for number in range(per_sensor):
            moment = start + STEP * number
            value = f"{20 + number % 97 / 10}"
            yield (sqlite_time(moment) if kind == "sqlite" else moment, thing, "state", temperature, value)


async def fill(database: Database, sensors: Sensors, per_sensor: int, start: datetime) -> None:
    """Bulk-insert the stored readings (not measured: as fast as the driver goes)."""
    if database.kind == "sqlite":
        connection = sqlite3.connect(database.sqlite_file, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")  # a fill, not a measurement
        connection.execute("BEGIN")
        statement = INSERT.format(", ".join("?" * len(COLUMNS)))
        connection.executemany(statement, stored_readings(sensors, per_sensor, start, "sqlite"))
        connection.execute("COMMIT")
        connection.close()
        return
    import asyncpg

    connection = await asyncpg.connect(database.driver_url)
    try:
        rows = stored_readings(sensors, per_sensor, start, "postgresql")
        await connection.copy_records_to_table("history", records=rows, columns=COLUMNS)
        await connection.execute("ANALYZE history")  # what autovacuum does after a bulk load
    finally:
        await connection.close()


async def query_plan(database: Database, statement: str, parameters: tuple[Any, ...]) -> str:
    """How the database runs the store's query: the index it reads, and whether it sorts."""
    if database.kind == "sqlite":
        with contextlib.closing(sqlite3.connect(database.sqlite_file)) as connection:
            lines = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
    else:
        import asyncpg

        connection = await asyncpg.connect(database.driver_url)
        try:
            lines = [row[0] for row in await connection.fetch("EXPLAIN " + statement, *parameters)]
        finally:
            await connection.close()
    plan = " ".join(lines)
    if "ix_history_thing_time" not in plan:
        used = sorted(set(re.findall(r"\b(ix_history_\w+|pk_history)\b", plan))) or ["no index"]
        return f"plan: NOT the (thing, time) index but {', '.join(used)}"
    if "TEMP B-TREE" not in plan and "Sort" not in plan:
        return "plan: ix_history_thing_time, rows in index order"
    # PostgreSQL may rather fetch a day's 10,000 rows by a bitmap of the index and sort them.
    return f"plan: ix_history_thing_time, {'a bitmap scan, ' if 'Bitmap' in plan else ''}then a sort"


async def query_one(run: Run, kind: str, per_sensor: int, repeats: int) -> Row:
    """The one-day query on one kind of database, filled with STORED_SENSORS x `per_sensor` readings."""
    from thinggate.core.security import SYSTEM
    from thinggate.storage.sql import history_between_sql, sqlite_time

    database = await fresh_database(run, kind, "query")
    sensors = make_sensors(STORED_SENSORS)
    start = (datetime.now(UTC) - STEP * per_sensor).replace(hour=0, minute=0, second=0, microsecond=0)
    began = time.perf_counter()
    await fill(database, sensors, per_sensor, start)
    filled = time.perf_counter() - began
    sensor = sensors.ids[STORED_SENSORS // 2]
    day = start + timedelta(days=int(per_sensor * STEP / timedelta(days=1)) // 2)  # one in the middle
    day_end = day + timedelta(days=1)
    wanted = min(PAGE, round(timedelta(days=1) / STEP))
    # The very statement the store runs, with the same parameters.
    statement = history_between_sql(kind == "postgresql", by_type=False)
    parameters: tuple[Any, ...] = (
        (str(sensor), sqlite_time(day), sqlite_time(day_end), PAGE)
        if kind == "sqlite"
        else (str(sensor), day, day_end, PAGE)
    )
    plan = await query_plan(database, statement, parameters)

    async def ours() -> int:
        result = await hub.readings_between(SYSTEM, sensor, day, day_end, limit=PAGE)
        if not result.ok or result.value is None:
            raise SystemExit(f"query: readings_between failed: {result.failure}")
        return len(result.value)

    async with contextlib.AsyncExitStack() as stack:
        hub = await stack.enter_async_context(running_hub(database, sensors))
        bare: Callable[[], Awaitable[int]]
        if kind == "sqlite":
            reader = stack.enter_context(contextlib.closing(sqlite3.connect(database.sqlite_file)))

            async def bare() -> int:
                return len(reader.execute(statement, parameters).fetchall())
        else:
            import asyncpg

            connection = await asyncpg.connect(database.driver_url)
            stack.push_async_callback(connection.close)

            async def bare() -> int:
                return len(await connection.fetch(statement, *parameters))

        for _ in range(3):  # both warmed: caches, prepared statements
            for name, function in (("bare", bare), ("thinggate", ours)):
                if await function() != wanted:
                    raise SystemExit(f"query: {name} found not the {wanted} readings of the day")
        timings: dict[str, list[float]] = {"ours": [], "bare": []}
        with run.watch.measuring():
            for _ in range(repeats):
                for name, function in (("bare", bare), ("ours", ours)):
                    began = time.perf_counter()
                    await function()
                    timings[name].append((time.perf_counter() - began) * 1000)
    ours_ms, bare_ms = statistics.median(timings["ours"]), statistics.median(timings["bare"])
    met = "met" if ours_ms < 50 else "NOT met"
    return Row(
        f"{kind}: one day ({wanted:,}) of {per_sensor * STORED_SENSORS:,} readings, median",
        ours_ms,
        bare_ms,
        "ms",
        f"lower is better; goal < 50 ms: {met}; {plan}; filled in {filled:.0f} s",
    )


@section("query", "a one-day query (a page of 10,000) among 1,000,000 readings, beside the bare SELECT")
async def query(run: Run) -> list[Row]:
    per_sensor = 20_000 if run.arguments.quick else 100_000  # quick: still two days, one is asked for
    repeats = 10 if run.arguments.quick else 30
    return [await query_one(run, kind, per_sensor, repeats) for kind in run.databases]


# ------------------------------------------------------------------------------------------------
# prune: retention's longest write transaction
# ------------------------------------------------------------------------------------------------


async def prune_one(run: Run, kind: str, per_sensor: int) -> Row:
    """Retention pruning the older half of STORED_SENSORS x `per_sensor` readings, beside one bare DELETE."""
    from thinggate.core.retention import HistoryRetention
    from thinggate.storage import open_store
    from thinggate.storage.sql import sqlite_time

    sensors = make_sensors(STORED_SENSORS)
    start = (datetime.now(UTC) - STEP * per_sensor).replace(microsecond=0)
    older_than = start + STEP * (per_sensor // 2)
    doomed = per_sensor // 2 * STORED_SENSORS

    # Ours: the hub's retention, each chunk's transaction timed.
    database = await fresh_database(run, kind, "prune")
    await fill(database, sensors, per_sensor, start)
    store = await open_store(database.url, database.directory)
    chunks: list[float] = []
    prune_chunk = store.prune_history

    async def timed_chunk(before: datetime, *, limit: int | None = None) -> int:
        began = time.perf_counter()
        deleted = await prune_chunk(before, limit=limit)
        chunks.append(time.perf_counter() - began)
        return deleted

    store.prune_history = timed_chunk  # type: ignore[method-assign]
    retention = HistoryRetention(store, datetime.now(UTC) - older_than)
    with run.watch.measuring():
        began = time.perf_counter()
        deleted = await retention.prune()
        ours_total = time.perf_counter() - began
    await store.close()
    if abs(deleted - doomed) > STORED_SENSORS:  # the clock moved on a little between the two
        raise SystemExit(f"prune: retention deleted {deleted} readings, not {doomed}")

    # Bare: the same rows in one DELETE, one transaction (what pruning did before it went by chunks).
    database = await fresh_database(run, kind, "prune-bare")
    await fill(database, sensors, per_sensor, start)
    if kind == "sqlite":
        connection = sqlite3.connect(database.sqlite_file, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        with run.watch.measuring():
            began = time.perf_counter()
            connection.execute("BEGIN")
            connection.execute("DELETE FROM history WHERE timestamp < ?", (sqlite_time(older_than),))
            connection.execute("COMMIT")
            bare = time.perf_counter() - began
        connection.close()
    else:
        import asyncpg

        connection = await asyncpg.connect(database.driver_url)
        with run.watch.measuring():
            began = time.perf_counter()
            async with connection.transaction():
                await connection.execute("DELETE FROM history WHERE timestamp < $1", older_than)
            bare = time.perf_counter() - began
        await connection.close()
    return Row(
        f"{kind}: prune {doomed:,} of {doomed * 2:,}, longest transaction",
        max(chunks) * 1000,
        bare * 1000,
        "ms",
        f"lower is better; {len(chunks)} chunks of {retention.chunk:,}, median"
        f" {statistics.median(chunks) * 1000:.0f} ms, in all {ours_total:.1f} s (bare: one DELETE)",
    )


@section("prune", "retention's longest write transaction pruning 500,000 readings, beside one bare DELETE")
async def prune(run: Run) -> list[Row]:
    per_sensor = 5_000 if run.arguments.quick else 100_000
    return [await prune_one(run, kind, per_sensor) for kind in run.databases]


# ------------------------------------------------------------------------------------------------
# The door's HTTP sections go here, each a function under @section, with its baseline in the same run:
#   upload        POST /sensor-data/data/upload (readings/s through the door, uploads of 1,000)
#   observations  POST /sensor-data/data/observations (a one-day page among 1,000,000 readings)
#   token         POST /connect/token requests per second
# `fresh_database`, `make_sensors`, `upload_batches`, `fill` and `PostgresCluster` above are theirs to use.
# ------------------------------------------------------------------------------------------------


async def main(arguments: argparse.Namespace) -> None:
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()] or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    databases = [name.strip() for name in arguments.databases.split(",") if name.strip()]
    if not databases or set(databases) - {"sqlite", "postgresql"}:
        raise SystemExit(f"--databases {arguments.databases!r}: choose from sqlite,postgresql")
    import thinggate.storage

    # Migrations of each fresh database run here, not in a child Python each (start-up is not measured).
    thinggate.storage.MIGRATE_IN_CHILD = False
    postgres: PostgresCluster | None = None
    if "postgresql" in databases:
        started = await asyncio.to_thread(PostgresCluster.start)
        if isinstance(started, str):
            print(f"PostgreSQL skipped: {started}", flush=True)
            databases.remove("postgresql")
        else:
            postgres = started
    watch = CpuWatch(postgres)
    try:
        print(f"{'section':<13} {'what':<52} {'thinggate':>10} {'baseline':>10} {'unit':<10} {'ratio':>6}", flush=True)
        for name in chosen:
            with tempfile.TemporaryDirectory(prefix=f"thinggate-bench-{name}-") as work:
                run = Run(arguments, Path(work), postgres, list(databases), watch)
                rows = await SECTIONS[name][1](run)
            print_rows(name, rows)
            report = watch.report()
            if report:
                print(f"{'':<13} {report}", flush=True)
    finally:
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds a section: a smoke test, not a measurement")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {','.join(SECTIONS)}")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3, help="store-upload: alternating runs per figure; the best")
    return parser.parse_args()


if __name__ == "__main__":
    assert str(ROOT) in sys.path
    new_loop().run_until_complete(main(parse()))
