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
    if actor is None:
        return []
    return sorted(
        (e for e in _ENTRIES if e.permission is None or actor.can(e.permission)), key=lambda e: e.order
    )
