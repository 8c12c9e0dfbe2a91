"""Domains (§1.5): the tree as nested objects, the top domains, get, create below a parent, update, remove."""

from __future__ import annotations

from typing import Any, NoReturn

from thinggate.api.registry.door import Call, QueryParam, RegistryDoor, Route, given, required_text
from thinggate.api.registry.errors import invalid, required
from thinggate.api.registry.structs import DomainCreate, DomainOut, DomainUpdate, Empty
from thinggate.core.registry import Directory
from thinggate.core.store import DomainRecord

DOMAIN_ATTRIBUTES = ("name", "description", "data")
ATTRIBUTES = QueryParam(
    "attributes",
    f"Comma-separated attributes each node shows: {', '.join(DOMAIN_ATTRIBUTES)} (default: all)",
    {"type": "string", "pattern": "^ *(name|description|data)? *(, *(name|description|data)? *)*$"},
)
ID_REQUIRED = ("PROPERTY_REQUIRED",)


def domain_out(directory: Directory, record: DomainRecord) -> DomainOut:
    """A domain as the registry shows it."""
    return DomainOut(
        id=record.name,
        name=record.display_name or record.name,
        description=record.description,
        data=dict(record.data),
        parentId=record.parent,
        path=directory.domain_path(record.name),
    )


def routes(door: RegistryDoor) -> list[Route]:
    """The domain routes."""
    directory = door.directory

    async def tree(call: Call) -> dict[str, Any]:
        # Nested by id: each node's `attributes` and its readable children beside them (MIC's LIST).
        wanted = _attributes(call.query.get("attributes"))
        readable = {record.name: record for record in directory.readable_domains(call.who)}
        children: dict[str | None, list[DomainRecord]] = {}
        for record in readable.values():
            children.setdefault(record.parent if record.parent in readable else None, []).append(record)

        def node(record: DomainRecord) -> dict[str, Any]:
            out = domain_out(directory, record)
            shown: dict[str, Any] = {"attributes": {name: getattr(out, name) for name in wanted}}
            for child in children.get(record.name, []):
                shown[child.name] = node(child)
            return shown

        return {record.name: node(record) for record in children.get(None, [])}

    async def top(call: Call) -> list[DomainOut]:
        return [domain_out(directory, record) for record in directory.top_domains(call.who)]

    async def get_domain(call: Call) -> DomainOut:
        name = required_text(call.params["id"], "id")
        return domain_out(directory, directory.domain(call.who, name))

    async def create(call: Call) -> DomainOut:
        body: DomainCreate = call.body
        name = required_text(body.id, "id")
        parent = given(body.parentId) or call.who.home_domain
        record = await directory.create_domain(
            call.who,
            name,
            parent,
            display_name=given(body.name, ""),
            description=body.description,
            data=given(body.data),
        )
        return domain_out(directory, record)

    async def update(call: Call) -> DomainOut:
        name = required_text(call.params["id"], "id")
        body: DomainUpdate = call.body
        record = await directory.update_domain(
            call.who, name, display_name=given(body.name), description=given(body.description), data=given(body.data)
        )
        return domain_out(directory, record)

    async def remove(call: Call) -> Empty:
        await directory.remove_domain(call.who, required_text(call.params["id"], "id"))
        return Empty()

    async def id_required(call: Call) -> NoReturn:
        raise required("id")

    readable = ("DOMAIN_NOT_FOUND", "NOT_AUTHORIZED_DOMAIN")
    return [
        Route(
            "GET",
            "/domains",
            tree,
            summary="The domain tree from the caller's home, nested by id: each node's attributes beside its children",
            rights="Domains.READ",
            query=(ATTRIBUTES,),
        ),
        Route(
            "POST",
            "/domains",
            create,
            DomainCreate,
            summary="Create a domain below parentId (default: the caller's home domain)",
            rights="Domains.CREATE on the parent",
            errors=("PROPERTY_REQUIRED", *readable, "DOMAIN_ID_EXISTS"),
        ),
        Route("PATCH", "/domains", id_required, summary="Refused: name the domain in the path", errors=ID_REQUIRED),
        Route("DELETE", "/domains", id_required, summary="Refused: name the domain in the path", errors=ID_REQUIRED),
        Route("GET", "/domains/list", top, summary="The top domains the caller may read", rights="Domains.READ"),
        Route(
            "GET",
            "/domains/{id}",
            get_domain,
            summary="One domain",
            rights="Domains.READ on it",
            errors=("PROPERTY_REQUIRED", *readable),
        ),
        Route(
            "PATCH",
            "/domains/{id}",
            update,
            DomainUpdate,
            summary="Change a domain's name, description or data",
            rights="Domains.UPDATE on it",
            errors=("PROPERTY_REQUIRED", *readable),
        ),
        Route(
            "PUT",
            "/domains/{id}",
            update,
            DomainUpdate,
            summary="As PATCH",
            rights="Domains.UPDATE on it",
            errors=("PROPERTY_REQUIRED", *readable),
        ),
        Route(
            "DELETE",
            "/domains/{id}",
            remove,
            summary="Remove a domain that holds nothing (no domains, users, things or thing types)",
            rights="Domains.DELETE on it",
            errors=("PROPERTY_REQUIRED", "INVALID_ACTION", *readable, "DOMAIN_NOT_EMPTY"),
        ),
    ]


def _attributes(text: str | None) -> tuple[str, ...]:
    if not text:
        return DOMAIN_ATTRIBUTES
    # Spaces around a name are allowed; other whitespace is not (str.strip() would take \x1c too).
    wanted = tuple(name.strip(" ") for name in text.split(",") if name.strip(" "))
    unknown = [name for name in wanted if name not in DOMAIN_ATTRIBUTES]
    if unknown:
        raise invalid(
            "attributes", f"unknown attribute(s) {', '.join(unknown)}; choose from {', '.join(DOMAIN_ATTRIBUTES)}"
        )
    return wanted
