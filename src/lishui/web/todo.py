"""The workspace's to-do list (待办): what waits on the signed-in person, counted by each subsystem.

Each subsystem registers a source next to its navigation entries (``register_todos``), as domains register fact
providers with the policy engine; the home page asks every source and shows what is not zero, most urgent first.
A source counts only within the actor's own data scope, through the subsystem's scoped queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lishui.core.actor import Actor

TONES = ("danger", "warn", "normal")  # overdue or returned | needs attention soon | ordinary work


@dataclass(frozen=True)
class Todo:
    label: str
    label_en: str
    count: int
    href: str
    tone: str = "normal"


TodoSource = Callable[[Session, Actor], Iterable[Todo]]
_SOURCES: list[TodoSource] = []


def register_todos(source: TodoSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def todos_for(session: Session, actor: Actor) -> list[Todo]:
    """Every non-zero item for this actor, the most urgent tone first, in registration order within a tone."""
    found = [todo for source in _SOURCES for todo in source(session, actor) if todo.count > 0]
    return sorted(found, key=lambda t: TONES.index(t.tone) if t.tone in TONES else len(TONES))
