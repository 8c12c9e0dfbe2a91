"""The `thinggate` command: serve the hub, manage users, look at things."""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    # `python -m thinggate.cli serve`: the hub starts without typer, rich and the pydantic typer
    # loads (~14 MB it would carry for its whole life); thinggate.serve_command parses its options.
    from thinggate.serve_command import serve as serve_without_typer

    sys.exit(serve_without_typer(sys.argv[2:]))

import asyncio
import getpass
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from thinggate.config import Config, ConfigError, load_config
from thinggate.core.errors import HubFailure
from thinggate.core.events import EventBus
from thinggate.core.hub import Hub
from thinggate.core.model import Thing
from thinggate.core.security import SecurityManager, scopes_to_names
from thinggate.files import private_dir
from thinggate.integrations.virtual import VirtualIntegration
from thinggate.storage import open_store

app = typer.Typer(help="thinggate: one model of things, served through many integration APIs.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users and their tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
thinknx_app = typer.Typer(
    help="The Thinknx Integration Kit door: integration key and project tree.", no_args_is_help=True
)
app.add_typer(thinknx_app, name="thinknx")
knx_app = typer.Typer(help="The KNX integration: things from an ETS project.", no_args_is_help=True)
app.add_typer(knx_app, name="knx")
apikey_app = typer.Typer(help="The registry door's API keys (x-api-key).", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
oauth_client_app = typer.Typer(
    help="The sensor-data door's OAuth clients (client credentials for /connect/token).", no_args_is_help=True
)
app.add_typer(oauth_client_app, name="oauth-client")
console = Console()
errors = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="thinggate.toml to read")]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help="where the database and files live")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="postgresql://user@host:port/db (default: SQLite in the data dir)")
]


def _config(config_path: Path | None, data_dir: Path | None, database: str | None) -> Config:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        errors.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    return config.with_overrides(data_dir=data_dir, database=database)


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )


def _run(coroutine: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


@app.command()
def serve(
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="give a fresh data directory a demo house")] = False,
) -> None:
    """Run the hub until Ctrl-C (SIGINT) or SIGTERM."""
    from thinggate.server import serve as serve_forever

    config = _config(config_path, data_dir, database)
    _logging(config.log_level)
    try:
        _run(serve_forever(config, demo=demo))
    except ConfigError as exc:
        errors.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


async def _with_security(config: Config, work: Any) -> Any:
    private_dir(config.data_dir)
    store = await open_store(config.database, config.data_dir)
    try:
        security = SecurityManager(store, bus=EventBus())
        await security.load()
        return await work(security)
    finally:
        await store.close()


def _security_call(config: Config, work: Any) -> Any:
    try:
        return _run(_with_security(config, work))
    except HubFailure as failure:
        errors.print(f"[red]{failure.code}:[/red] {escape(failure.message)}")
        raise typer.Exit(1) from None


def _tell_running_hub(config: Config) -> None:
    """After a change to the store: a hub serving this data directory reads it again at once.

    With no hub running there is nobody to tell. A hub elsewhere sharing the database (PostgreSQL)
    notices within seconds: it reads users and tokens again when it meets one it does not know,
    and on every password check.
    """
    from thinggate.control_socket import send_command, socket_path

    path = socket_path(config.data_dir)
    if not path.exists():
        return
    try:
        answer = _run(send_command(path, "reload"))
    except (ConnectionRefusedError, FileNotFoundError):
        return  # the socket of a hub that died
    except (OSError, TimeoutError) as exc:
        errors.print(f"[yellow]could not tell the running hub ({escape(str(exc))}); restart it to be sure[/yellow]")
        return
    if answer.startswith("error"):
        errors.print(f"[yellow]the running hub could not read the change: {answer}[/yellow]")


@user_app.command("add")
def user_add(
    username: str,
    password: Annotated[str | None, typer.Option(help="the password (asked for when left out)")] = None,
    email: str = "",
    display_name: str = "",
    digest: Annotated[bool, typer.Option("--digest", help="allow HTTP digest logins (Thinknx door)")] = False,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add an admin user."""
    config = _config(config_path, data_dir, database)
    secret = password if password is not None else getpass.getpass(f"Password for {username}: ")

    async def work(security: SecurityManager) -> None:
        await security.create_user(username, secret, email=email, display_name=display_name, digest=digest)

    _security_call(config, work)
    _tell_running_hub(config)
    console.print(f"user [bold]{username}[/bold] added")


@user_app.command("list")
def user_list(
    config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None
) -> None:
    """List users."""
    config = _config(config_path, data_dir, database)

    async def work(security: SecurityManager) -> list[Any]:
        return list(security.users())

    users = _security_call(config, work)
    table = Table("user", "display name", "email", "home domain", "scopes")
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            user.email,
            user.home_domain,
            ", ".join(name.removeprefix("PermissionScope") for name in scopes_to_names(user.effective_scopes)),
        )
    console.print(table)


@user_app.command("remove")
def user_remove(
    username: str, config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None
) -> None:
    """Remove a user and its tokens."""
    config = _config(config_path, data_dir, database)

    async def work(security: SecurityManager) -> None:
        await security.remove_user(username)

    _security_call(config, work)
    _tell_running_hub(config)  # its connections on every door are closed now
    console.print(f"user [bold]{username}[/bold] removed")


@user_app.command("token")
def user_token(
    username: str,
    device_name: Annotated[str, typer.Option("--device", help="what the token is for")] = "cli",
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Make a new token for a user and print it (it is stored hashed and shown only now)."""
    config = _config(config_path, data_dir, database)

    async def work(security: SecurityManager) -> str:
        token: str = await security.create_token(username, device_name)
        return token

    token = _security_call(config, work)
    _tell_running_hub(config)
    console.print(token)


@user_app.command("digest")
def user_digest(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="allow HTTP digest logins (needs the password)")] = False,
    disable: Annotated[bool, typer.Option("--disable", help="refuse HTTP digest logins")] = False,
    password: Annotated[str | None, typer.Option(help="the user's password (asked for when left out)")] = None,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Allow or refuse a user's HTTP digest logins (Thinknx door); without options, say which.

    Digest needs a secret made from the password that logs in as well as the password does, so
    it is kept only for users who opt in.
    """
    if enable and disable:
        errors.print("[red]--enable and --disable exclude each other[/red]")
        raise typer.Exit(2)
    config = _config(config_path, data_dir, database)
    secret = None
    if enable:
        secret = password if password is not None else getpass.getpass(f"Password of {username}: ")

    async def work(security: SecurityManager) -> tuple[bool, str]:
        if secret is not None:
            await security.enable_digest(username, secret)
        elif disable:
            await security.disable_digest(username)
        enabled = security.digest_enabled(username)
        return enabled, await security.digest_realm() if enabled else ""

    enabled, realm = _security_call(config, work)
    if enabled:
        console.print(f"digest logins of [bold]{username}[/bold]: allowed (realm {realm})")
    else:
        console.print(f"digest logins of [bold]{username}[/bold]: refused")


@app.command()
def pushbutton(
    grant: Annotated[
        int | None, typer.Option("--grant", metavar="TRANSACTION_ID", help="grant this request (for scripts)")
    ] = None,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """The hub's push button: list the clients waiting in JSONRPC.RequestPushButtonAuth and grant one a token.

    Asks which to grant when run in a terminal; with --grant TRANSACTION_ID grants that one;
    otherwise only lists them.
    """
    config = _config(config_path, data_dir, None)
    if grant is not None:
        _grant_push_button(config, grant)
        return
    waiting = _push_button_call(config, "pushbutton list")["waiting"]
    if not waiting:
        console.print("nobody is waiting")
        return
    table = Table("#", "transaction id", "address", "device name", "waiting since", title="waiting for the push button")
    for number, request in enumerate(waiting, start=1):
        table.add_row(
            str(number),
            str(request["transactionId"]),
            _shown(request["address"]),
            _shown(request["deviceName"]),
            _since(request["since"]),
        )
    console.print(table)
    if not sys.stdin.isatty():
        return  # a script grants with --grant, never by a guess at what it was shown
    console.print("Grant only a device you recognise: anyone on the network can ask.")
    answer = typer.prompt("Number to grant (Enter: none)", default="", show_default=False).strip()
    if not answer:
        console.print("nothing granted")
        return
    if not answer.isdigit() or not 1 <= int(answer) <= len(waiting):
        errors.print(f"[red]no request numbered {escape(answer)}[/red]")
        raise typer.Exit(1)
    _grant_push_button(config, waiting[int(answer) - 1]["transactionId"])


def _grant_push_button(config: Config, transaction_id: int) -> None:
    granted = _push_button_call(config, f"pushbutton grant {transaction_id}")["granted"]
    console.print(
        f"granted transaction {granted['transactionId']} to {_shown(granted['address'])} "
        f"({_shown(granted['deviceName'])}): it has a token now"
    )


def _push_button_call(config: Config, command: str) -> dict[str, Any]:
    """Send a push-button command to the running hub; its JSON answer (exits 1 on failure)."""
    import json

    from thinggate.control_socket import send_command, socket_path

    path = socket_path(config.data_dir)
    try:
        answer = _run(send_command(path, command))
    except (OSError, TimeoutError) as exc:
        errors.print(f"[red]no running hub at {escape(str(path))}:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if not answer.startswith("{"):
        errors.print(escape(answer or "error: no answer"))
        raise typer.Exit(1)
    result: dict[str, Any] = json.loads(answer)
    return result


def _shown(text: str, limit: int = 64) -> str:
    """Text a client chose, safe to print: no terminal control characters, no markup, bounded."""
    printable = "".join(char if char.isprintable() else "\ufffd" for char in text)
    if len(printable) > limit:
        printable = printable[: limit - 1] + "…"
    return escape(printable)


def _since(iso: str) -> str:
    """`14:02:31 (95 s ago)` in local time."""
    since = datetime.fromisoformat(iso)
    seconds = max(0, int((datetime.now(UTC) - since).total_seconds()))
    return f"{since.astimezone().strftime('%Y-%m-%d %H:%M:%S')} ({seconds} s ago)"


@app.command()
def things(config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None) -> None:
    """Print a table of the stored things and their last known states."""
    config = _config(config_path, data_dir, database)

    async def read() -> Table:
        private_dir(config.data_dir)
        store = await open_store(config.database, config.data_dir)
        try:
            records = await store.load_things()
            states = await store.load_states()
        finally:
            await store.close()
        hub = _unstarted_hub(store)
        table = Table("room", "name", "class", "states")
        for record in sorted(records, key=lambda r: (r.room, r.name)):
            thing_class = hub.thing_classes.get(record.thing_class_id)
            if thing_class is None:
                table.add_row(record.room, record.name, f"? {record.thing_class_id}", "")
                continue
            cached = states.get(record.id, {})
            shown = [
                f"{st.name}={cached.get(st.id, st.default_value)!r}"
                for st in thing_class.state_types
                if st.cached and st.type.value != "Object"
            ]
            table.add_row(record.room, record.name, thing_class.display_name, " ".join(shown))
        return table

    console.print(_run(read()))


def _unstarted_hub(store: Any) -> Hub:
    """A hub that is never started: only its class catalogue is used, nothing is set up."""
    from thinggate.integrations.knx import KnxIntegration, KnxSettings
    from thinggate.integrations.sensordata import SensorDataIntegration

    hub = Hub(store=store)
    hub.register(VirtualIntegration())
    hub.register(KnxIntegration(settings=KnxSettings()))  # never started: no connection is made
    hub.register(SensorDataIntegration())
    return hub


async def _stored_things(config: Config) -> list[Thing]:
    """The stored things with their classes (params and states left out), for listings."""
    private_dir(config.data_dir)
    store = await open_store(config.database, config.data_dir)
    try:
        records = await store.load_things()
        hub = _unstarted_hub(store)
    finally:
        await store.close()
    things = []
    for record in records:
        thing_class = hub.thing_classes.get(record.thing_class_id)
        if thing_class is not None:
            things.append(
                Thing(
                    id=record.id,
                    thing_class=thing_class,
                    name=record.name,
                    params={},
                    settings={},
                    states={},
                    room=record.room,
                    domain=record.domain,
                )
            )
    return things


@thinknx_app.command("key")
def thinknx_key(
    enable: Annotated[bool, typer.Option("--enable", help="enable the key (making one if there is none)")] = False,
    disable: Annotated[bool, typer.Option("--disable", help="disable the key (kept for a later --enable)")] = False,
    regenerate: Annotated[bool, typer.Option("--regenerate", help="replace the key by a new one")] = False,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Enable, disable or regenerate the Integration Kit key of the cloud form (/<KEY>/api/V1/...).

    The key is stored hashed: it is printed once, when it is made or regenerated. Without
    options: whether a key is set and enabled.
    """
    from thinggate.api.thinknx.key import KeyState, load_key, new_key, save_key

    if enable and disable:
        errors.print("[red]--enable and --disable exclude each other[/red]")
        raise typer.Exit(2)
    config = _config(config_path, data_dir, database)

    async def work() -> tuple[KeyState, str | None, bool]:
        private_dir(config.data_dir)
        store = await open_store(config.database, config.data_dir)
        try:
            state = await load_key(store)
            changed, made = state, None
            if regenerate or (enable and not state.is_set):
                made = new_key()
                changed = KeyState.of(made, enabled=state.enabled or enable)
            if enable or disable:
                changed = KeyState(enabled=enable, key_hash=changed.key_hash)
            if changed != state:
                await save_key(store, changed)
            return changed, made, changed != state
        finally:
            await store.close()

    state, made, changed = _run(work())
    if changed:
        _tell_running_hub(config)
    status = "enabled" if state.enabled else "disabled"
    if made is not None:
        console.print(f"{made}  ({status})")
        console.print("the key is stored hashed: this is the only time it is shown")
    elif not state.is_set:
        console.print("no integration key yet: make one with [bold]thinggate thinknx key --enable[/bold]")
    else:
        console.print(f"an integration key is set and {status} (--regenerate makes a new one and shows it)")


@thinknx_app.command("tree")
def thinknx_tree(
    config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None
) -> None:
    """Print the project tree: rooms, devices with their GUIDs and the URLs each one supports."""
    from rich.markup import escape
    from rich.tree import Tree

    from thinggate.api.thinknx.tree import project_tree

    config = _config(config_path, data_dir, database)
    devices = project_tree(_run(_stored_things(config)))
    tree = Tree("[bold]Integration Kit[/bold]")
    rooms: dict[str, Any] = {}
    for device in devices:
        room = rooms.get(device.room)
        if room is None:
            room = rooms[device.room] = tree.add(f"[bold]{device.room}[/bold]")
        node = room.add(f"{escape(device.name)} [dim]({escape(device.kind)})[/dim]  guid [cyan]{device.guid}[/cyan]")
        for url in device.urls:
            node.add(escape(url))  # "[new_setpoint]" is text, not rich markup
    console.print(tree)


@knx_app.command("import")
def knx_import(
    project: Annotated[Path, typer.Argument(help="the ETS project (.knxproj)")],
    password: Annotated[str | None, typer.Option(help="the project's password, if it has one")] = None,
    language: Annotated[str | None, typer.Option(help="the language of names, e.g. de-DE")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be added, add nothing")] = False,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Add KNX things for the group addresses of an ETS project that can be classified.

    Things already imported (same group addresses) are left as they are. A running hub sees the
    new things after its next start.
    """
    from rich.markup import escape
    from rich.progress import Progress

    from thinggate.integrations.knx.importer import ImportPlan, apply_import, plan_import

    config = _config(config_path, data_dir, database)
    try:
        plan = plan_import(project, password=password, language=language)
    except ValueError as exc:
        errors.print(f"[red]cannot import:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    table = Table("room", "name", "class", "group addresses", title=f"{escape(plan.project_name)}: things")
    for planned in plan.things:
        table.add_row(escape(planned.room), escape(planned.name), planned.thing_class, " ".join(planned.addresses))
    console.print(table)

    async def work() -> tuple[int, int, list[tuple[str, str]]]:
        private_dir(config.data_dir)
        store = await open_store(config.database, config.data_dir)
        try:
            hub = _unstarted_hub(store)  # not started: things are set up (checked) and stored, no bus traffic
            stored = {record.id for record in await store.load_things()}
            fresh = ImportPlan(plan.project_name, [t for t in plan.things if t.thing_id not in stored], plan.skipped)
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("adding things", total=len(fresh.things))
                summary = await apply_import(
                    hub, fresh, progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
            return len(summary.added), len(plan.things) - len(fresh.things), summary.failed
        finally:
            await store.close()

    if plan.skipped:
        skipped = Table("group address", "name", "why it was skipped", title="skipped")
        for address, name, reason in plan.skipped:
            skipped.add_row(address, escape(name), escape(reason))
        console.print(skipped)
    if dry_run:
        console.print(f"{len(plan.things)} things would be added; {len(plan.skipped)} group addresses skipped")
        return
    added, existing, failed = _run(work())
    for name, message in failed:
        errors.print(f"[red]not added:[/red] {escape(name)}: {escape(message)}")
    console.print(
        f"added {added} things, {existing} were imported before, {len(failed)} failed; "
        f"{len(plan.skipped)} group addresses skipped"
    )
    if failed:
        raise typer.Exit(1)


async def _with_store(config: Config, work: Any) -> Any:
    private_dir(config.data_dir)
    store = await open_store(config.database, config.data_dir)
    try:
        return await work(store)
    finally:
        await store.close()


@apikey_app.command("list")
def apikey_list(
    config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None
) -> None:
    """List the API keys (only the published one is shown: the others are stored hashed)."""
    config = _config(config_path, data_dir, database)

    async def work(store: Any) -> list[Any]:
        return list(await store.load_api_keys())

    table = Table("id", "name", "created", "key")
    for record in _run(_with_store(config, work)):
        shown = record.published_key or "(hashed)"
        table.add_row(str(record.id), escape(_shown(record.name)), record.created.isoformat(timespec="seconds"), shown)
    console.print(table)


@apikey_app.command("add")
def apikey_add(
    name: Annotated[str, typer.Option("--name", help="what the key is for")] = "client",
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Make a new API key and print it (it is stored hashed and shown only now)."""
    from thinggate.core.credentials import make_api_key

    config = _config(config_path, data_dir, database)
    record, key = make_api_key(name)

    async def work(store: Any) -> None:
        await store.save_api_key(record)

    _run(_with_store(config, work))
    _tell_running_hub(config)
    console.print(key)
    console.print(f"key {record.id} ({escape(name)}) is stored hashed: this is the only time it is shown")


@apikey_app.command("revoke")
def apikey_revoke(
    key: Annotated[str, typer.Argument(help="the key's id (from `thinggate apikey list`) or its name")],
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Revoke an API key at once (revoking the published one makes the hub publish a new one)."""
    config = _config(config_path, data_dir, database)

    async def work(store: Any) -> list[Any]:
        records = await store.load_api_keys()
        chosen = [record for record in records if str(record.id) == key] or [
            record for record in records if record.name == key
        ]
        if len(chosen) == 1:
            await store.delete_api_key(chosen[0].id)
        return chosen

    chosen = _run(_with_store(config, work))
    if not chosen:
        errors.print(f"[red]no API key with id or name {escape(key)!r}[/red]")
        raise typer.Exit(1)
    if len(chosen) > 1:
        errors.print(f"[red]{len(chosen)} keys are named {escape(key)!r}: revoke one by its id[/red]")
        raise typer.Exit(1)
    _tell_running_hub(config)
    console.print(f"API key {chosen[0].id} revoked")


@oauth_client_app.command("add")
def oauth_client_add(
    name: Annotated[str, typer.Argument(help="what the client is for")],
    user: Annotated[str, typer.Option("--user", help="the user the client acts as (its domains and rights)")],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="itwin-platform (default), sensor-data:read or sensor-data:modify; repeatable"),
    ] = None,
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Make an OAuth client and print its id and secret (the secret is stored hashed and shown only now)."""
    from thinggate.core.credentials import make_oauth_client

    config = _config(config_path, data_dir, database)

    async def work(store: Any) -> tuple[Any, str]:
        security = SecurityManager(store, bus=EventBus())
        await security.load()
        username = security.user(user).username  # INVALID_USER_ID for one that does not exist
        try:
            record, secret = make_oauth_client(name, username, list(scope or []))
        except ValueError as exc:
            errors.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from None
        await store.save_oauth_client(record)
        return record, secret

    try:
        record, secret = _run(_with_store(config, work))
    except HubFailure as failure:
        errors.print(f"[red]{failure.code}:[/red] {escape(failure.message)}")
        raise typer.Exit(1) from None
    _tell_running_hub(config)  # the running hub knows the client at once: it can get a token now
    console.print(f"client_id: {record.client_id}", highlight=False)
    console.print(f"client_secret: {secret}", highlight=False)
    console.print(
        f"client {escape(record.name)} acts as {escape(record.username)} with {', '.join(record.scopes)}; "
        "the secret is stored hashed: this is the only time it is shown"
    )


@oauth_client_app.command("list")
def oauth_client_list(
    config_path: ConfigOption = None, data_dir: DataDirOption = None, database: DatabaseOption = None
) -> None:
    """List the OAuth clients (their secrets are stored hashed and never shown again)."""
    config = _config(config_path, data_dir, database)

    async def work(store: Any) -> list[Any]:
        return list(await store.load_oauth_clients())

    table = Table("client_id", "name", "user", "scopes", "created")
    for record in _run(_with_store(config, work)):
        table.add_row(
            record.client_id,
            _shown(record.name),
            _shown(record.username),
            " ".join(record.scopes),
            record.created.isoformat(timespec="seconds"),
        )
    console.print(table)


@oauth_client_app.command("revoke")
def oauth_client_revoke(
    client: Annotated[str, typer.Argument(help="the client's id (from `thinggate oauth-client list`) or its name")],
    config_path: ConfigOption = None,
    data_dir: DataDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Revoke an OAuth client: its tokens stop working at once (the running hub reloads)."""
    config = _config(config_path, data_dir, database)

    async def work(store: Any) -> list[Any]:
        records = await store.load_oauth_clients()
        chosen = [record for record in records if record.client_id == client] or [
            record for record in records if record.name == client
        ]
        if len(chosen) == 1:
            await store.delete_oauth_client(chosen[0].client_id)
        return chosen

    chosen = _run(_with_store(config, work))
    if not chosen:
        errors.print(f"[red]no OAuth client with id or name {escape(client)!r}[/red]")
        raise typer.Exit(1)
    if len(chosen) > 1:
        errors.print(f"[red]{len(chosen)} clients are named {escape(client)!r}: revoke one by its id[/red]")
        raise typer.Exit(1)
    _tell_running_hub(config)
    console.print(f"OAuth client {chosen[0].client_id} revoked")


if __name__ == "__main__":
    app()
