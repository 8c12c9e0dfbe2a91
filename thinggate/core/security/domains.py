"""The domain tree: tenants, sites and floors below `root`, which a principal's home domain covers."""

from __future__ import annotations

from thinggate.core.scopes import ROOT_DOMAIN


class DomainTree:
    """The tree of domains (tenants, sites, floors); `root` is at the top."""

    def __init__(self) -> None:
        self._parents: dict[str, str | None] = {ROOT_DOMAIN: None}
        self.generation = 0
        """Counts changes to the tree: what is derived from `covers` and kept between calls compares it."""

    def add(self, name: str, parent: str = ROOT_DOMAIN) -> None:
        """Add a domain under an existing parent (KeyError if the parent is unknown)."""
        if parent not in self._parents:
            raise KeyError(f"unknown parent domain {parent!r}")
        self._parents[name] = parent
        self.generation += 1

    def remove(self, name: str) -> None:
        """Remove a leaf domain (ValueError for root or a domain with children)."""
        if name == ROOT_DOMAIN:
            raise ValueError("the root domain cannot be removed")
        if any(parent == name for parent in self._parents.values()):
            raise ValueError(f"domain {name!r} has child domains")
        self._parents.pop(name, None)
        self.generation += 1

    def clear(self) -> None:
        """Remove every domain but root (to reload the tree in place, keeping references to it valid)."""
        self._parents = {ROOT_DOMAIN: None}
        self.generation += 1

    def __contains__(self, name: object) -> bool:
        return name in self._parents

    def parent(self, name: str) -> str | None:
        """The parent of a domain (None for root or an unknown domain)."""
        return self._parents.get(name)

    def children(self, name: str) -> list[str]:
        """The direct children of a domain."""
        return [child for child, parent in self._parents.items() if parent == name]

    def names(self) -> list[str]:
        """Every domain name."""
        return list(self._parents)

    def covers(self, home: str, domain: str) -> bool:
        """Whether `domain` is `home` or below it (never upward or sideways)."""
        current: str | None = domain
        # Bounded walk: a tree deeper than its size would mean a cycle.
        for _ in range(len(self._parents) + 1):
            if current is None:
                return False
            if current == home:
                return True
            current = self._parents.get(current)
        return False
