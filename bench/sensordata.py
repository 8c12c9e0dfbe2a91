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

The door's sections run a real `thinggate serve` (`python -m thinggate.cli serve`, every door on a free
port, no virtual house) in a child process on a fresh database, its user and OAuth client made with the
command line (`thinggate user add`, `thinggate oauth-client add`); this process is its client (aiohttp,
keep-alive), with a token from `POST /connect/token` (client credentials in HTTP basic):

  upload        Readings per second through `POST /sensor-data/data/upload`: store-upload's 100,000 readings
                (the same sensors' times and values) in uploads of 1,000, one after another, to 1,000
                TEMPERATURE_SDE sensors made by one integrate request (`[sensordata] max_changes` raised to
                1,001 for it), counted until the last upload is answered. The door answers 202 once an
                upload's readings are committed (SQLite synchronous=FULL, PostgreSQL's synchronous commit),
                unlike the original's asynchronous 202: the bench counts history from another connection at
                that moment and stops if a reading is missing. Beside store-upload's bare executemany (and
                COPY) into a fresh database. Goal: ratio >= 0.5.
  observations  A one-day `POST /sensor-data/data/observations` among 1,000,000 stored readings: query's 10
                sensors, made by an integrate request, then the hub stopped, their readings filled in bulk
                with the sensors' thing ids and the hub started again. A full page (the door's `page_size`,
                1,000 by default) as the client sees it, request sent to answer read, median and p95 of 100
                alternating repeats beside the bare SELECT of the same rows (the statement the store runs);
                and the whole day page after page (each asked from the last time + 1 ms, until an answer
                holds no data) beside one bare SELECT of the day's readings. Goal: < 50 ms.
  token         `POST /connect/token` (client credentials, HTTP basic) requests per second, one at a time
                and 16 in flight over keep-alive connections, beside a bare aiohttp handler (a child process
                of its own) that reads the form and answers a JSON body of the same size. Per request the
                endpoint parses the form and the basic credentials, compares the secret's SHA-256, looks the
                client's user up and signs a token with HMAC-SHA256; it writes nothing.

Both run on SQLite (a fresh file per run) and PostgreSQL (a fresh database per run in a cluster of the
bench's own, started as the tests start theirs; skipped with the reason printed when PostgreSQL is not
installed); token on the first of `--databases` (it reads nothing from the store). The CPU other
processes on the machine took while a section measured (not this process, its PostgreSQL or its server
children) is printed after it: re-run when it is high. `--quick`: 10,000 readings uploaded (to 100
sensors), 200,000 stored for the query and the observations, 50,000 for pruning, fewer repeats and
token requests. `--profile DIR`: each served hub runs under cProfile and writes its profile to DIR when
it stops.

Run: `.venv/bin/python bench/sensordata.py [--quick] [--only store-upload,query,prune,upload,observations,token]
[--databases sqlite,postgresql] [--rounds 3] [--profile DIR]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import glob
import json
import os
import pwd
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from _common import (
    CHILDREN,
    ROOT,
    Ready,
    ServedProcess,
    ServerChild,
    child_env,
    free_port,
    machine_cpu,
    new_loop,
    serve_app,
    watched,
)

PAGE = 10_000
"""Readings the query section asks the store for at once: a whole day (the door pages by its page_size, 1,000)."""
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


@dataclass
class CpuWatch:
    """The share of a CPU other processes took while something was measured (not this process, its PostgreSQL
    or its server children)."""

    postgres: PostgresCluster | None = None
    shares: list[float] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    """Process ids of the bench's server children running now (a served hub, a bare server)."""

    def _ours(self) -> float:
        children = sum(_cpu_of(pid) for pid in self.children)
        return time.process_time() + children + (self.postgres.cpu() if self.postgres is not None else 0.0)

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
# The door's HTTP sections: a real `thinggate serve` in a child process, this process its client
# ------------------------------------------------------------------------------------------------

BENCH_USER = "bench"
BENCH_PASSWORD = "BenchPW1!"
ITWIN = "bench-twin"
NODE = "/api/BE0001/node"
SENSOR_KIND = "TEMPERATURE_SDE"
METRIC = "T"
TOKEN_FORM = b"grant_type=client_credentials&scope=itwin-platform"
HUB_CONFIG = """\
bind = "127.0.0.1"
log_level = "INFO"

[ports]          # free ports; the bench reads the HTTP one from the log
jsonrpc_tcp = 0
jsonrpc_ws = 0
ezlo = 0
thinknx = 0
http = 0

[jsonrpc]
zeroconf = false

[ezlo]
zeroconf = false

[virtual]        # no simulated house: its sensors' readings would run beside the measured work
enabled = false

[sensordata]
"""


def time_key(moment: datetime) -> str:
    """A time as the API's clients write it (and observations answer it): UTC to the millisecond, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ServedHub(ServedProcess):
    """A real `thinggate serve` (`python -m thinggate.cli serve`) in a child process on a bench database.

    Its user and OAuth client are made with the command line, as an operator makes them
    (`thinggate user add`, `thinggate oauth-client add`); it logs to a file the bench reads its HTTP
    port from (and shows when the hub dies: the bench then stops, see _common.watched).
    """

    def __init__(self, run: Run, database: Database, **sensordata: int) -> None:
        self.run = run
        self.database = database
        name = database.directory.name
        self.config = run.work / f"{name}.toml"
        self.config.write_text(HUB_CONFIG + "".join(f"{key} = {value}\n" for key, value in sensordata.items()))
        self.log = run.work / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.client_id = ""
        self.secret = ""
        self.token = ""
        self.stopping = False

    def _options(self) -> list[str]:
        options = ["--config", str(self.config), "--data-dir", str(self.database.directory)]
        return options + (["--database", self.database.url] if self.database.url is not None else [])

    def cli(self, *args: str) -> str:
        """`thinggate ARGS` on the hub's data, as its operator types it; what it printed."""
        command = [sys.executable, "-m", "thinggate.cli", *args, *self._options()]
        done = subprocess.run(
            command, capture_output=True, text=True, env=child_env(), cwd=self.run.work, timeout=120, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"`thinggate {' '.join(args)}` failed (exit {done.returncode}):\n{done.stderr}")
        return done.stdout

    def make_client(self) -> None:
        """The bench's user and its OAuth client (scope itwin-platform), made with the command line."""
        self.cli("user", "add", BENCH_USER, "--password", BENCH_PASSWORD)
        said = self.cli("oauth-client", "add", "bench", "--user", BENCH_USER)
        found = dict(re.findall(r"^(client_id|client_secret): (\S+)$", said, re.MULTILINE))
        if set(found) != {"client_id", "client_secret"}:
            raise SystemExit(f"`thinggate oauth-client add` printed no client_id and client_secret:\n{said}")
        self.client_id, self.secret = found["client_id"], found["client_secret"]

    @property
    def base(self) -> str:
        """The HTTP origin of the hub."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def basic(self) -> str:
        """The client's HTTP basic credentials (form-encoded first, as RFC 6749 §2.3.1 says)."""
        pair = f"{urllib.parse.quote_plus(self.client_id)}:{urllib.parse.quote_plus(self.secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode()

    @property
    def bearer(self) -> dict[str, str]:
        """The headers of a call with the client's token."""
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def _spawn(self) -> int:
        """Start the child; where its log stood before (a restart appends)."""
        began_at = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:  # the child writes it for its life
            profile: list[str] = []
            if self.run.arguments.profile:  # its whole life, written when it stops
                where = Path(self.run.arguments.profile).resolve()
                where.mkdir(parents=True, exist_ok=True)
                profile = ["-m", "cProfile", "-o", str(where / f"{self.log.stem}-{uuid.uuid4().hex[:4]}.prof")]
            self.process = subprocess.Popen(
                [sys.executable, *profile, "-m", "thinggate.cli", "serve", *self._options()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=child_env(),
                cwd=self.run.work,
            )
        self.stopping = False
        CHILDREN.append(self)
        self.run.watch.children.append(self.process.pid)
        return began_at

    async def start(self) -> None:
        """Start it and wait until it is up (its log says so); then a token for the client. Stopped if that fails."""
        began_at = self._spawn()
        try:
            self.port = await self.http_port_once_up(began_at)
            answer = await self.token_answer()
            self.token = json.loads(answer)["access_token"]
        except BaseException:
            self.stop()  # a hub that is up but unusable must not outlive the bench
            raise

    async def token_answer(self) -> bytes:
        """The body of one token request (client credentials in HTTP basic)."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.base}/connect/token", data=TOKEN_FORM, headers=self._token_headers()) as answer,
        ):
            body = await answer.read()
        if answer.status != 200:
            raise SystemExit(f"/connect/token answered {answer.status}: {body[:300]!r}")
        return body

    def _token_headers(self) -> dict[str, str]:
        return {"Authorization": self.basic, "Content-Type": "application/x-www-form-urlencoded"}

    def stop(self) -> None:
        """SIGTERM (it stops cleanly), SIGKILL if it hangs; no longer counted as the bench's."""
        if self.process is not None:
            with contextlib.suppress(ValueError):
                self.run.watch.children.remove(self.process.pid)
        super().stop()


def sensor_type() -> uuid.UUID:
    """The state (and history type) a temperature sensor's `T` readings are kept as."""
    from thinggate.integrations.sensordata.kinds import KINDS_BY_ID

    state_type = KINDS_BY_ID[SENSOR_KIND].thing_class.state_type_named("temperature")
    assert state_type is not None
    return state_type.id


async def integrate(hub: ServedHub, count: int) -> list[tuple[str, uuid.UUID]]:
    """One integrate request: a node, a device and `count` temperature sensors; each sensor's id and thing."""
    sensors = [
        {"changeState": "new", "refId": f"s{n}", "props": {"INTEGRATION_ID": SENSOR_KIND, "NAME": f"sensor {n}"}}
        for n in range(count)
    ]
    device = {"changeState": "new", "refId": "d", "props": {"INTEGRATION_ID": "DEMO_DEVICE_SDE"}, "sensors": sensors}
    body = {"integration": {"changeState": "new", "nodeId": NODE, "props": {"NAME": "bench"}, "devices": [device]}}
    url = f"{hub.base}/sensor-data/integrations/integrate"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, params={"iTwinId": ITWIN}, data=json.dumps(body), headers=hub.bearer) as answer,
    ):
        text = await answer.text()
    if answer.status != 200:
        raise SystemExit(f"integrate answered {answer.status}: {text[:500]}")
    made = json.loads(text)["integration"]["devices"][0]["sensors"]
    # A sensor's SERIAL_NO is its thing's id: the rows of its readings carry it.
    return [(sensor["id"], uuid.UUID(sensor["props"]["SERIAL_NO"])) for sensor in made]


# ------------------------------------------------------------------------------------------------
# upload: readings per second through POST /sensor-data/data/upload
# ------------------------------------------------------------------------------------------------


def upload_bodies(sensors: list[str], total: int, start: datetime) -> list[bytes]:
    """upload_batches' readings as the JSON bodies of `POST data/upload`: the same sensors, times and values."""
    bodies = []
    for first in range(0, total, UPLOAD):
        observations = [
            {
                "sensorId": sensors[number // PER_SENSOR],
                "timestamp": time_key(start + timedelta(seconds=number % PER_SENSOR)),
                "values": {METRIC: 20.0 + number % 97 / 10},
            }
            for number in range(first, min(first + UPLOAD, total))
        ]
        bodies.append(json.dumps({"observations": observations}).encode())
    return bodies


async def upload_through_door(run: Run, kind: str, total: int) -> float:
    """Readings per second through `POST data/upload` of a served hub, until the last one is in history."""
    database = await fresh_database(run, kind, "door")
    sensors = total // PER_SENSOR
    # One integrate request makes every sensor: the node's device and its sensors, past the default 1,000.
    hub = ServedHub(run, database, max_changes=sensors + 1)
    await asyncio.to_thread(hub.make_client)
    await hub.start()
    try:
        made = await integrate(hub, sensors)
        bodies = upload_bodies(
            [sensor for sensor, _ in made], total, datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        )
        url = f"{hub.base}/sensor-data/data/upload"
        gc.collect()
        async with aiohttp.ClientSession() as session:
            with run.watch.measuring():
                began = time.perf_counter()
                for body in bodies:
                    async with session.post(url, data=body, headers=hub.bearer) as answer:
                        said = await answer.read()
                        if answer.status != 202:
                            raise SystemExit(f"upload: the door answered {answer.status}: {said[:300]!r}")
                elapsed = time.perf_counter() - began
            # At once, from another connection: an upload answered 202 is in history (durable when answered).
            stored = await count_history(database)
    finally:
        hub.stop()
    if stored != total:
        raise SystemExit(f"upload: {stored} readings in history when the last upload was answered, not {total}")
    return total / elapsed


@section("upload", "readings/s through POST /sensor-data/data/upload of a served hub, beside a bare executemany")
async def upload(run: Run) -> list[Row]:
    total = 10_000 if run.arguments.quick else 100_000
    rows = []
    for kind in run.databases:
        baselines = ["executemany", "copy"] if kind == "postgresql" else ["executemany"]
        best = {name: 0.0 for name in ["door", *baselines]}
        for _ in range(run.arguments.rounds):
            for name in baselines:
                best[name] = max(best[name], await upload_bare(run, kind, total, name))
            best["door"] = max(best["door"], await upload_through_door(run, kind, total))
        what = f"{kind}: {total:,} readings, uploads of {UPLOAD:,}"
        met = "met" if best["door"] >= 0.5 * best["executemany"] else "NOT met"
        note = f"bare executemany; goal >= 0.5: {met}; each 202 answered once its readings were committed"
        rows.append(Row(what, best["door"], best["executemany"], "readings/s", note))
        if "copy" in best:
            rows.append(Row(what, best["door"], best["copy"], "readings/s", "bare COPY (the fastest way in)"))
    return rows


# ------------------------------------------------------------------------------------------------
# observations: a one-day POST /sensor-data/data/observations among 1,000,000 stored readings
# ------------------------------------------------------------------------------------------------


def quantile(values: list[float], percent: int) -> float:
    """The `percent` quantile."""
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


async def observations_one(run: Run, kind: str, per_sensor: int, repeats: int) -> list[Row]:
    """The one-day query through the door of a hub whose STORED_SENSORS sensors hold `per_sensor` readings each."""
    from thinggate.api.sensordata.settings import SensorDataConfig
    from thinggate.storage.sql import encode_json, history_between_sql, sqlite_time

    page = SensorDataConfig().page_size  # the door's default: the hub runs with it
    database = await fresh_database(run, kind, "observations")
    hub = ServedHub(run, database)
    await asyncio.to_thread(hub.make_client)
    await hub.start()  # the sensors made through the door ...
    try:
        made = await integrate(hub, STORED_SENSORS)
    finally:
        hub.stop()
    temperature = sensor_type()
    sensors = Sensors([thing for _, thing in made], temperature, [])
    start = (datetime.now(UTC) - STEP * per_sensor).replace(hour=0, minute=0, second=0, microsecond=0)
    began = time.perf_counter()
    await fill(database, sensors, per_sensor, start)  # ... hold their readings when the hub starts again
    filled = time.perf_counter() - began
    middle = STORED_SENSORS // 2
    sensor_id, thing = made[middle]
    day = start + timedelta(days=int(per_sensor * STEP / timedelta(days=1)) // 2)
    day_end = day + timedelta(days=1)
    in_day = round(timedelta(days=1) / STEP)

    def query(begin: datetime) -> bytes:
        return json.dumps({"sensorId": sensor_id, "startDate": time_key(begin), "endDate": time_key(day_end)}).encode()

    # The very statement the store runs for the door (one metric asked for), with the same parameters.
    statement = history_between_sql(kind == "postgresql", by_type=True)

    def parameters(limit: int) -> tuple[Any, ...]:
        if kind == "sqlite":
            return (str(thing), sqlite_time(day), sqlite_time(day_end), encode_json([str(temperature)]), limit)
        return (str(thing), day, day_end, [str(temperature)], limit)

    plan = await query_plan(database, statement, parameters(page))
    await hub.start()
    try:
        url = f"{hub.base}/sensor-data/data/observations"
        async with contextlib.AsyncExitStack() as stack:
            session = await stack.enter_async_context(aiohttp.ClientSession())
            bare: Callable[[int], Awaitable[int]]
            if kind == "sqlite":
                reader = stack.enter_context(contextlib.closing(sqlite3.connect(database.sqlite_file)))

                async def bare(limit: int) -> int:
                    return len(reader.execute(statement, parameters(limit)).fetchall())
            else:
                import asyncpg

                connection = await asyncpg.connect(database.driver_url)
                stack.push_async_callback(connection.close)

                async def bare(limit: int) -> int:
                    return len(await connection.fetch(statement, *parameters(limit)))

            async def ask(body: bytes) -> bytes:
                async with session.post(url, data=body, headers=hub.bearer) as answer:
                    said = await answer.read()
                if answer.status != 200:
                    raise SystemExit(f"observations: the door answered {answer.status}: {said[:300]!r}")
                return said

            first_page = query(day)

            async def ours(_: int) -> int:
                return len(await ask(first_page))

            async def whole_day() -> int:
                """Every page of the day, each asked from the last time of the one before + 1 ms; the pages."""
                begin, pages = day, 0
                while data := json.loads(await ask(query(begin))).get("data"):
                    pages += 1
                    seen.update(data)
                    begin = datetime.fromisoformat(next(reversed(data))) + timedelta(milliseconds=1)
                return pages + 1  # the last answered no data

            data = json.loads(await ask(first_page))["data"]
            held = len(data)
            if held != min(page, in_day) or next(iter(data)) != time_key(day) or set(data[time_key(day)]) != {METRIC}:
                raise SystemExit(f"observations: the first page holds {held} times from {list(data)[:1]}, not {page}")
            seen: dict[str, Any] = {}
            requests = await whole_day()
            if len(seen) != in_day:
                raise SystemExit(f"observations: the day's pages hold {len(seen)} times, not the {in_day} stored")
            for _ in range(3):  # both warmed: caches, prepared statements
                await bare(page)
                await ours(page)
            timings: dict[str, list[float]] = {"ours": [], "bare": []}
            with run.watch.measuring():
                for _ in range(repeats):
                    for name, function in (("bare", bare), ("ours", ours)):
                        began = time.perf_counter()
                        await function(page)
                        timings[name].append((time.perf_counter() - began) * 1000)
            # The whole day, page after page, beside one bare SELECT of the day's readings.
            days: dict[str, list[float]] = {"ours": [], "bare": []}
            with run.watch.measuring():
                for _ in range(max(3, repeats // 10)):
                    began = time.perf_counter()
                    await bare(in_day)
                    days["bare"].append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    await whole_day()
                    days["ours"].append((time.perf_counter() - began) * 1000)
    finally:
        hub.stop()
    ours_ms, bare_ms = statistics.median(timings["ours"]), statistics.median(timings["bare"])
    met = "met" if ours_ms < 50 else "NOT met"
    what = f"{kind}: a page ({held:,} times) of one day of {per_sensor * STORED_SENSORS:,}"
    return [
        Row(
            f"{what}, median",
            ours_ms,
            bare_ms,
            "ms",
            f"lower is better; goal < 50 ms: {met}; as the client sees it (page_size {page:,}, the default),"
            f" beside the bare SELECT of the page; {plan}; filled in {filled:.0f} s",
        ),
        Row(f"{what}, p95", quantile(timings["ours"], 95), quantile(timings["bare"], 95), "ms", f"{repeats} repeats"),
        Row(
            f"{kind}: the whole day ({in_day:,}) in {requests} requests, median",
            statistics.median(days["ours"]),
            statistics.median(days["bare"]),
            "ms",
            "lower is better; bare: one SELECT of the day's readings",
        ),
    ]


@section("observations", "a one-day POST /sensor-data/data/observations among 1,000,000 readings, beside the SELECT")
async def observations(run: Run) -> list[Row]:
    per_sensor = 20_000 if run.arguments.quick else 100_000  # quick: still two days, one is asked for
    repeats = 20 if run.arguments.quick else 100
    rows = []
    for kind in run.databases:
        rows += await observations_one(run, kind, per_sensor, repeats)
    return rows


# ------------------------------------------------------------------------------------------------
# token: POST /connect/token requests per second
# ------------------------------------------------------------------------------------------------


async def serve_bare_token(body: bytes, ready: Ready) -> None:
    """A bare aiohttp handler reading each POST's body and answering `body` (the hub's token answer's size)."""
    from aiohttp import web

    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # as the token endpoint answers

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json", headers=headers)

    application = web.Application()
    application.router.add_post("/connect/token", handle)
    await serve_app(application, ready)


async def tokens_per_second(url: str, headers: dict[str, str], count: int, in_flight: int, size: int) -> float:
    """POST the token request `count` times, `in_flight` at once over as many keep-alive connections."""
    connector = aiohttp.TCPConnector(limit=in_flight, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def request() -> None:
            async with session.post(url, data=TOKEN_FORM) as answer:
                body = await answer.read()
            if answer.status != 200 or len(body) != size:
                raise SystemExit(f"token: {url} answered {answer.status} with {len(body)} bytes, not {size}")

        # The connections opened (and each side warmed) before the clock starts.
        await asyncio.gather(*(request() for _ in range(in_flight)))
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                await request()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return count / (time.perf_counter() - began)


@section("token", "POST /connect/token requests/s (basic auth), beside a bare aiohttp handler of a same-size answer")
async def token(run: Run) -> list[Row]:
    kind = run.databases[0]  # the endpoint reads nothing from the store: one database does
    database = await fresh_database(run, kind, "token")
    hub = ServedHub(run, database)
    await asyncio.to_thread(hub.make_client)
    await hub.start()
    bare: ServerChild | None = None
    # A few seconds a figure: a connection that only asks for tokens is dropped after [limits] login_seconds.
    sequential, parallel = (200, 400) if run.arguments.quick else (2000, 4000)
    try:
        answer = await hub.token_answer()
        bare = ServerChild(serve_bare_token, answer)
        bare_port = await asyncio.to_thread(bare.ready)
        run.watch.children.append(bare.process.pid)  # type: ignore[arg-type]
        headers = hub._token_headers()
        urls = {"bare": f"http://127.0.0.1:{bare_port}/connect/token", "ours": f"{hub.base}/connect/token"}
        best = {"ours-1": 0.0, "bare-1": 0.0, "ours-16": 0.0, "bare-16": 0.0}
        for _ in range(run.arguments.rounds):
            for in_flight, count in ((1, sequential), (16, parallel)):
                for side in ("bare", "ours"):
                    with run.watch.measuring():
                        rate = await tokens_per_second(urls[side], headers, count, in_flight, len(answer))
                    best[f"{side}-{in_flight}"] = max(best[f"{side}-{in_flight}"], rate)
    finally:
        if bare is not None:
            with contextlib.suppress(ValueError):
                run.watch.children.remove(bare.process.pid)  # type: ignore[arg-type]
            bare.stop()
        hub.stop()
    does = (
        "per request: form and basic auth parsed, the secret's SHA-256 compared, the user's principal looked up,"
        " an HMAC-SHA256-signed token; nothing written"
    )
    return [
        Row(f"{kind}: client credentials, sequential", best["ours-1"], best["bare-1"], "req/s", does),
        Row(
            f"{kind}: client credentials, 16 in flight",
            best["ours-16"],
            best["bare-16"],
            "req/s",
            f"bare: reads the form, answers {len(answer)} bytes of JSON",
        ),
    ]


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
    parser.add_argument(
        "--rounds", type=int, default=3, help="store-upload, upload, token: alternating runs per figure; the best"
    )
    parser.add_argument("--profile", default="", help="a folder: each served hub runs under cProfile and writes there")
    return parser.parse_args()


if __name__ == "__main__":
    assert str(ROOT) in sys.path
    new_loop().run_until_complete(watched(main(parse())))
