"""A small DOM over the standard library's HTML parser, enough to ask pages precise questions
("which message is next to this field?") instead of searching the whole text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else " " + c.text() + " " for c in self.children).split())

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, match: Callable[[Node], bool]) -> list[Node]:
        return [n for n in self.walk() if match(n)]

    def by_id(self, ident: str) -> Node:
        found = self.find_all(lambda n: n.attrs.get("id") == ident)
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def by_class(self, cls: str) -> list[Node]:
        return self.find_all(lambda n: cls in n.classes)

    def by_tag(self, tag: str) -> list[Node]:
        return self.find_all(lambda n: n.tag == tag)

    def ancestor(self, match: Callable[[Node], bool]) -> Node:
        node = self.parent
        while node is not None and not match(node):
            node = node.parent
        assert node is not None, "no such ancestor"
        return node


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def field_error(doc: Node, name: str) -> str:
    """The error message shown in the same form field as the control named ``name`` ('' if none)."""
    control = doc.by_id(f"f-{name}")
    box = control.ancestor(lambda n: "field" in n.classes or "form-section" in n.classes)
    errors = box.by_class("field-error")
    return errors[0].text() if errors else ""


def table_rows(table: Node) -> list[list[str]]:
    return [[cell.text() for cell in row.by_tag("td")] for row in table.by_tag("tr") if row.by_tag("td")]
