"""The navigation menu: each domain registers its entries with the permission that shows them."""

from __future__ import annotations

from dataclasses import dataclass

from lishui.core.actor import Actor


@dataclass(frozen=True)
class NavEntry:
    section: str
    label: str
    label_en: str
    href: str
    permission: str | None
    order: int = 100


_ENTRIES: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def menu_for(actor: Actor | None) -> list[NavEntry]:
    """The entries this actor may open, each section together (placed by its first entry's order), in order."""
    if actor is None:
        return []
    visible = [e for e in _ENTRIES if e.permission is None or actor.can(e.permission)]
    first: dict[str, int] = {}
    for e in visible:
        first[e.section] = min(first.get(e.section, e.order), e.order)
    return sorted(visible, key=lambda e: (first[e.section], e.section, e.order))
