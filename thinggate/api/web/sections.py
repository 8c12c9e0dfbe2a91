"""The dashboard's pages, one row each: the path a browser opens, its HTML file in static/, and its
navigation label. A logged-in browser gets the page; anyone else gets the login page at the same
path, and lands back on it once logged in. The page's JavaScript reads the same table (nav.js).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    """One page of the dashboard."""

    path: str
    """Where the browser opens it (`/` is the house)."""
    page: str
    """Its HTML file in static/."""
    label: str
    """The translation key of its name in the navigation."""


SECTIONS: tuple[Section, ...] = (
    Section(path="/", page="index.html", label="nav.house"),
    Section(path="/knx", page="knx.html", label="nav.knx"),
)
"""Every page, in the navigation's order (static/nav.js lists the same paths and labels)."""
