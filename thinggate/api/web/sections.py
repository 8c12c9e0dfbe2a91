"""The dashboard's pages, one row each: the path a browser opens, its HTML file in static/, and its
navigation label. A logged-in browser gets the page; anyone else gets the login page at the same
path, and lands back on it once logged in. The page's JavaScript reads the same table (nav.js).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from thinggate.core.admin import may_administer
from thinggate.core.security import Principal, Scope


@dataclass(frozen=True, slots=True)
class Section:
    """One page of the dashboard."""

    path: str
    """Where the browser opens it (`/` is the house)."""
    page: str
    """Its HTML file in static/."""
    label: str
    """The translation key of its name in the navigation."""
    shown_to: Callable[[Principal], bool] | None = None
    """Whom the navigation lists it for, as the core decides (None: everyone logged in)."""

    def shown(self, principal: Principal) -> bool:
        """Whether the navigation lists the page for this principal."""
        return self.shown_to is None or self.shown_to(principal)


def may_configure_things(principal: Principal) -> bool:
    """Whether the principal may add and change things (the KNX import adds them)."""
    return principal.has_scope(Scope.CONFIGURE_THINGS)


SECTIONS: tuple[Section, ...] = (
    Section(path="/", page="index.html", label="nav.house"),
    Section(path="/history", page="history.html", label="nav.history"),
    Section(path="/things", page="things.html", label="nav.things"),
    Section(path="/knx", page="knx.html", label="nav.knx", shown_to=may_configure_things),
    Section(path="/admin", page="admin.html", label="nav.admin", shown_to=may_administer),
)
"""Every page, in the navigation's order (static/nav.js lists the same paths and labels)."""
