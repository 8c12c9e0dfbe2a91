"""The dashboard's routes on the shared HTTP port, one row each: method, path and the name of the
handler the assembled door gives it. The table is known before the door is built (the port holds
these paths from the start) and the door, once built, answers each name (assembly.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from thinggate.api.web.sections import SECTIONS, Section

STATIC_PREFIX = "/web/static/"
API_PREFIX = "/web/api/"
LIVE_PATH = "/live"

# [\s\S], not `.`: a path may hold a newline (%0A), and it is still this door's to refuse.
TAIL = "{tail:[\\s\\S]*}"


@dataclass(frozen=True, slots=True)
class WebRoute:
    """One route of the dashboard."""

    method: str
    """The HTTP method (GET also answers HEAD); `*` for every method."""
    path: str
    """The path, in aiohttp's route syntax."""
    name: str
    """The handler's name in the built door's `routes`."""


def section_route(section: Section) -> str:
    """The name of a section's page route."""
    return f"section {section.path}"


def web_routes(sections: tuple[Section, ...] = SECTIONS) -> tuple[WebRoute, ...]:
    """Every route of the dashboard: the sections' pages, login and logout, files, the JSON API, the live channel."""
    return (
        *(WebRoute("GET", section.path, section_route(section)) for section in sections),
        WebRoute("GET", "/login", "login page"),
        WebRoute("POST", "/login", "login"),
        WebRoute("POST", "/logout", "logout"),
        WebRoute("GET", STATIC_PREFIX + TAIL, "static"),
        WebRoute("*", API_PREFIX + TAIL, "api"),
        WebRoute("GET", LIVE_PATH, "live"),
    )
