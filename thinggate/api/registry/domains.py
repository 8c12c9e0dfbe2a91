"""Domains (§1.5): the tree as nested objects, the top domains, get, create below a parent, update, remove."""

from __future__ import annotations

from typing import Any

from thinggate.api.registry.door import Call, RegistryDoor, Route, given, required_text
from thinggate.api.registry.errors import invalid, required
from thinggate.api.registry.structs import DomainCreate, DomainOut, DomainUpdate, Empty
from thinggate.core.registry import Directory
from thinggate.core.store import DomainRecord

DOMAIN_ATTRIBUTES = ("name", "description", "data")


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

    async def id_required(call: Call) -> Any:
        raise required("id")

    return [
        Route("GET", "/domains", tree),
        Route("POST", "/domains", create, DomainCreate),
        Route("PATCH", "/domains", id_required),
        Route("DELETE", "/domains", id_required),
        Route("GET", "/domains/list", top),
        Route("GET", "/domains/{id}", get_domain),
        Route("PATCH", "/domains/{id}", update, DomainUpdate),
        Route("PUT", "/domains/{id}", update, DomainUpdate),
        Route("DELETE", "/domains/{id}", remove),
    ]


def _attributes(text: str | None) -> tuple[str, ...]:
    if not text:
        return DOMAIN_ATTRIBUTES
    wanted = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in wanted if name not in DOMAIN_ATTRIBUTES]
    if unknown:
        raise invalid(
            "attributes", f"unknown attribute(s) {', '.join(unknown)}; choose from {', '.join(DOMAIN_ATTRIBUTES)}"
        )
    return wanted
