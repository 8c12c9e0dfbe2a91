"""The OpenAPI document: served at both routes, generated from the route table, and held to by the live door.

schemathesis generates requests for every operation of the served document and checks each answer
against it: no server error, a documented status, JSON, the documented schema (the error body's
messageKey one of those the route declares for that status).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.api.registry.rig import STACK, Rig, registry_rig
from tests.peers import PostgresServer
from thinggate.api.registry import openapi
from thinggate.api.registry.door import QueryParam, RegistryDoor, Route
from thinggate.api.registry.errors import STATUS
from thinggate.api.registry.structs import need

T = TypeVar("T")
SETTINGS = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    # The same examples every run (CI reproducible); THINGGATE_FUZZ_RANDOM=1 draws new ones to hunt further.
    derandomize=os.environ.get("THINGGATE_FUZZ_RANDOM") != "1",
)
FUZZER = "fuzzer"
ANY_TEXT = {"type": "string", "minLength": 1}
EXAMPLES_PER_OPERATION = int(os.environ.get("THINGGATE_FUZZ_EXAMPLES", "25"))
"""Examples per operation and phase: 25 keeps the run well under a minute; raise it to hunt further."""


@dataclass
class LiveDoor:
    """A hub with the registry door served from a thread of its own, so synchronous clients can call it."""

    rig: Rig
    loop: asyncio.AbstractEventLoop

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the hub's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)

    def token(self, username: str = FUZZER) -> str:
        """A fresh login's token, issued by the door's own token store (the HTTP login has a lockout to count)."""
        return self.run(self.rig.door.tokens.login(username)).token

    def headers(self, token: str) -> dict[str, str]:
        """The credentials of a call: the API key and a login's token."""
        return {"x-api-key": self.rig.api_key, "Authorization": token}


@contextmanager
def live_door(data_dir: Path, database: str | None = None) -> Iterator[LiveDoor]:
    """The registry rig on a loopback port, its event loop in a thread; an Admin user `fuzzer` at root."""
    ready: list[LiveDoor] = []
    started = threading.Event()
    failed: list[BaseException] = []
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        with pytest.MonkeyPatch.context() as monkeypatch:
            async with registry_rig(data_dir, monkeypatch, database=database) as rig:
                await rig.user(FUZZER, role="Admin")
                stop.append(asyncio.Event())
                ready.append(LiveDoor(rig, asyncio.get_running_loop()))
                started.set()
                await stop[0].wait()

    def thread() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the test rather than lost in the thread
            failed.append(exc)
        finally:
            started.set()

    runner = threading.Thread(target=thread, name="registry-hub", daemon=True)
    runner.start()
    started.wait(timeout=60)
    if failed or not ready:
        raise RuntimeError("the hub did not start") from (failed[0] if failed else None)
    live = ready[0]
    try:
        yield live
    finally:
        live.loop.call_soon_threadsafe(stop[0].set)
        runner.join(timeout=60)
    if failed:
        raise failed[0]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDoor]:
    """The live door on SQLite, shared by the module's tests."""
    with live_door(tmp_path_factory.mktemp("openapi")) as door:
        yield door


@pytest.fixture(scope="module")
def token(live: LiveDoor) -> str:
    """The login the generated requests are sent with."""
    return live.token()


def load_document(live: LiveDoor, token: str) -> Any:
    """The document as the door serves it at /openapi.json, loaded by schemathesis with the credentials."""
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {
            # Unknown query parameters are ignored on purpose (MIC's clients send identityId and the like).
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none", "allow-extra-parameters": False},
            "auth": {"openapi": {"apiKey": {"api_key": live.rig.api_key}, "token": {"api_key": token}}},
        }
    )
    return schemathesis.openapi.from_url(f"{live.rig.base}/openapi.json", config=config)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    unsupported_method,
]
"""What is held: no 5xx; status, content type, headers and body as documented; what the document
forbids is refused, a request without its credentials too; a method not served answers 405.

Not held: missing_required_header (its request without `Authorization` sends an empty
`x-api-key`, which the door refuses first, with 403, as MIC's gateway does);
positive_data_acceptance (a schema-valid request may still break a rule the schema cannot say:
a privilege granting nothing, a parent domain that does not exist); allow_header_conformance
(`/domains/list` is also `/domains/{id}` with the id `list`, so its `Allow` names that route's
methods too)."""


def answers_as_documented(case: Any, live: LiveDoor) -> None:
    """One generated request, sent with the credentials of the document's security schemes, checked against it."""
    # Logout ends the login it is called with: it gets one of its own, so the others keep theirs.
    fresh = {"Authorization": live.token()} if case.path.endswith("/auth/logout") else None
    case.call_and_validate(headers=fresh, checks=CHECKS)


def holds_to_its_document(live: LiveDoor) -> None:
    """Every operation of the served document, as `@schema.parametrize()` would test it; failures together."""
    # get_all_tests is what `@schema.parametrize()` builds per operation (its phases: examples,
    # coverage, fuzzing), run here one operation after the other: the lazy loader for a document that
    # exists only once a fixture's hub runs (`schemathesis.pytest.from_fixture`) sets `node._nodeid`,
    # which pytest 9 no longer has.
    document = load_document(live, live.token())
    failures: dict[str, BaseException] = {}
    labels: list[str] = []
    tests = get_all_tests(schema=document, test_func=answers_as_documented, settings=SETTINGS, given_kwargs={})
    for result in tests:
        operation, run = result.ok()
        labels.append(operation.label)
        try:
            run(live=live)
        except (Exception, FailureGroup) as failure:  # every operation runs; the failures are reported together
            failures[operation.label] = failure
    door = live.rig.door
    table = {f"{route.method} /{STACK}{route.path}" for route in door.routes}
    table |= {f"{route.method} {route.path}" for route in door.top_routes}
    # schemathesis leaves out the operation it loaded the document from.
    assert set(labels) == table - {"GET /openapi.json"}
    assert not failures, "\n\n".join(f"{label}:\n{failure}" for label, failure in failures.items())


def test_the_door_answers_as_its_document_says(live: LiveDoor) -> None:
    holds_to_its_document(live)


@pytest.mark.postgres
def test_on_postgresql_the_door_answers_as_its_document_says(tmp_path: Path, postgres_server: PostgresServer) -> None:
    # What only a server store refuses (a NUL, a length, an encoding) must not become a 5xx either.
    with live_door(tmp_path, postgres_server.create_database()) as live:
        holds_to_its_document(live)


# -- the document itself -----------------------------------------------------------------------


def fetch(live: LiveDoor, path: str, **kwargs: Any) -> httpx.Response:
    """A synchronous GET on the live door."""
    return httpx.get(f"{live.rig.base}{path}", timeout=30, **kwargs)


def test_both_routes_serve_one_openapi_3_1_document(live: LiveDoor) -> None:
    top = fetch(live, "/openapi.json")
    under_stack = fetch(live, f"/{STACK}/metadata/swagger")
    for answer in (top, under_stack):
        assert (answer.status_code, answer.headers["content-type"]) == (200, "application/json")
    assert top.json() == under_stack.json()
    document = top.json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": live.rig.base}]
    schemes = {
        name: (scheme["type"], scheme["in"], scheme["name"])
        for name, scheme in document["components"]["securitySchemes"].items()
    }
    assert schemes == {"apiKey": ("apiKey", "header", "x-api-key"), "token": ("apiKey", "header", "Authorization")}


def test_every_route_of_the_table_is_in_the_document(live: LiveDoor) -> None:
    door: RegistryDoor = live.rig.door
    paths = fetch(live, "/openapi.json").json()["paths"]
    table: list[tuple[Route, str]] = [(route, f"/{STACK}{route.path}") for route in door.routes]
    table += [(route, route.path) for route in door.top_routes]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert documented == {(route.method, path) for route, path in table}
    for route, path in table:
        operation = paths[path][route.method.lower()]
        assert operation["summary"], (route.method, path)
        statuses = {int(status) for status in operation["responses"] if status != "200"}
        assert statuses == {STATUS[key] for key in route.error_keys}, (route.method, path)
        assert ("200" in operation["responses"]) is (route.answer is not NoReturn)
        path_names = [param["name"] for param in operation.get("parameters", []) if param["in"] == "path"]
        assert path_names == list(route.path_params)
        query_names = [param["name"] for param in operation.get("parameters", []) if param["in"] == "query"]
        assert query_names == [param.name for param in route.query]
        if route.body is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == f"#/components/schemas/{route.body.__name__}"
        security = {name for requirement in operation["security"] for name in requirement}
        assert security == {
            name for name, needed in (("apiKey", route.api_key), ("token", route.authenticated)) if needed
        }


def test_the_document_names_what_a_route_needs(live: LiveDoor) -> None:
    paths = fetch(live, "/openapi.json").json()["paths"]
    create_user = paths[f"/{STACK}/users"]["post"]
    assert create_user["x-rights"].startswith("Users.CREATE")
    assert create_user["responses"]["409"]["content"]["application/json"]["schema"]["properties"] == {
        "messageKey": {"enum": ["USER_USERNAME_EXISTS"]}
    }
    listing = paths[f"/{STACK}/users"]["get"]
    size = next(param for param in listing["parameters"] if param["name"] == "size")
    assert size["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
    login = paths[f"/{STACK}/auth/login"]["post"]
    assert login["security"] == [{"apiKey": []}]
    assert login["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert paths[f"/{STACK}/metadata/manifest"]["get"]["security"] == []
    thing_type = paths[f"/{STACK}/thingtypes/{{id}}"]["get"]
    assert {param["name"] for param in thing_type["parameters"]} >= {"id", "attributes", "label", "thingCount"}


def test_required_properties_come_from_the_structs(live: LiveDoor) -> None:
    schemas = fetch(live, "/openapi.json").json()["components"]["schemas"]
    assert schemas["LoginBody"]["required"] == ["userName", "password"]
    assert schemas["UserCreate"]["required"] == ["userName", "password", "roleName", "domainName"]
    assert schemas["ThingTypeUpdate"]["required"] == ["label", "domain"]
    assert "required" not in schemas["DomainUpdate"]
    assert schemas["UserCreate"]["properties"]["roleName"]["enum"] == ["Read", "ReadWrite", "Admin"]
    assert all(
        "x-required" not in prop for schema in schemas.values() for prop in schema.get("properties", {}).values()
    )


def test_the_document_needs_no_credentials_and_the_door_still_guards_the_rest(live: LiveDoor) -> None:
    assert fetch(live, f"/{STACK}/metadata/swagger").status_code == 200
    assert fetch(live, f"/{STACK}/users").status_code == 403
    answer = fetch(live, f"/{STACK}/users", headers={"x-api-key": live.rig.api_key})
    assert answer.status_code == 401


def test_a_logged_in_client_reads_what_the_document_promises(live: LiveDoor, token: str) -> None:
    answer = fetch(live, f"/{STACK}/user", headers=live.headers(token))
    assert answer.status_code == 200 and answer.json()["userName"] == FUZZER
    bearer = fetch(live, f"/{STACK}/user", headers={**live.headers(f"Bearer {token}")})
    assert bearer.json() == answer.json()


async def test_the_stack_name_is_in_every_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with registry_rig(tmp_path, monkeypatch, stack_name="prod") as rig:
        async with httpx.AsyncClient(base_url=rig.base) as client:
            document = (await client.get("/prod/metadata/swagger")).json()
            assert (await client.get("/openapi.json")).json() == document
    registry_paths = [path for path in document["paths"] if path not in ("/manifest", "/openapi.json")]
    assert registry_paths and all(path.startswith("/prod/") for path in registry_paths)


class Gadget(msgspec.Struct):
    """A body a later route might decode."""

    name: Annotated[str | msgspec.UnsetType, need("The gadget's name")] = msgspec.UNSET
    size: int = 0


class GadgetOut(msgspec.Struct):
    """What it might answer."""

    name: str
    size: int


def test_a_new_route_is_documented_from_its_row_alone() -> None:
    # What a later route (things, events) gets by being a row of the table: nothing else to write.
    async def make(call: Any) -> GadgetOut:
        return GadgetOut(name=call.body.name, size=call.body.size)

    async def refuse(call: Any) -> NoReturn:
        raise AssertionError

    pages = QueryParam.whole("page", "The page", default=0, low=0, high=9)
    rows = [
        Route("POST", "/gadgets/{domain}", make, Gadget, summary="Make a gadget", errors=("DOMAIN_NOT_FOUND",)),
        Route("GET", "/gadgets", refuse, authenticated=False, query=(pages,)),
    ]
    document = openapi.document(rows, stack="prod", version="1")
    post = document["paths"]["/prod/gadgets/{domain}"]["post"]
    assert post["summary"] == "Make a gadget"
    assert post["parameters"] == [{"name": "domain", "in": "path", "required": True, "schema": ANY_TEXT}]
    assert post["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gadget"}}},
    }
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GadgetOut"
    }
    assert sorted(post["responses"]) == ["200", "400", "401", "403", "404", "413", "500", "503"]
    assert post["responses"]["404"]["content"]["application/json"]["schema"]["properties"] == {
        "messageKey": {"enum": ["DOMAIN_NOT_FOUND"]}
    }
    assert post["security"] == [{"apiKey": [], "token": []}]
    assert document["components"]["schemas"]["Gadget"]["required"] == ["name"]
    get = document["paths"]["/prod/gadgets"]["get"]
    assert "200" not in get["responses"]  # NoReturn: a route that only refuses
    assert get["security"] == [{"apiKey": []}]
    assert get["parameters"][0]["schema"] == {"type": "integer", "minimum": 0, "maximum": 9, "default": 0}
