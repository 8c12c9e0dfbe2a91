"""Domains: the tenant tree, as the session's user may read it; add and remove.

    GET  admin/domains                   readable domains, parents first: name, parent, path, display name, rights
    POST admin/domains                   {"name", "parent", "displayName", "description"}
    POST admin/domains/{name}/remove     a domain that holds nothing (no child domains, users, things, thing types)

The Directory decides: Domains.READ/CREATE/DELETE where the user's role or privileges give them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from thinggate.api.web.admin.parts import PREFIX, AdminParts, listed
from thinggate.api.web.api import Call, Route
from thinggate.core.scopes import OBJECT_DOMAIN, ROOT_DOMAIN
from thinggate.core.security import Principal
from thinggate.core.store import DomainRecord


class NewDomain(msgspec.Struct, forbid_unknown_fields=True):
    """A domain to add below a parent."""

    name: str
    parent: str = ROOT_DOMAIN
    displayName: str = ""
    description: str = ""


def routes(parts: AdminParts) -> list[Route]:
    """The domain rows."""
    directory = parts.directory

    def view(record: DomainRecord, principal: Principal) -> dict[str, Any]:
        return {
            "name": record.name,
            "parent": record.parent,
            "path": directory.domain_path(record.name),
            "displayName": record.display_name,
            "description": record.description,
            "mayAddBelow": principal.may("C", OBJECT_DOMAIN, record.name),
            "mayRemove": record.name != ROOT_DOMAIN and principal.may("D", OBJECT_DOMAIN, record.name),
        }

    async def list_domains(call: Call) -> dict[str, Any]:
        principal = call.session.principal
        return listed([view(record, principal) for record in directory.readable_domains(principal)])

    async def add_domain(call: Call) -> dict[str, Any]:
        body: NewDomain = call.body
        record = await directory.create_domain(
            call.session.principal,
            body.name,
            body.parent,
            display_name=body.displayName,
            description=body.description,
        )
        return view(record, call.session.principal)

    async def remove_domain(call: Call) -> dict[str, Any]:
        await directory.remove_domain(call.session.principal, call.values["name"])
        return {}

    return [
        Route("GET", PREFIX + "domains", list_domains),
        Route("POST", PREFIX + "domains", add_domain, NewDomain),
        Route("POST", PREFIX + "domains/{name}/remove", remove_domain),
    ]
