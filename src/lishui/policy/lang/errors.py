"""Source positions and the errors of the rule language.

Every error names the file, line and column it comes from and says in plain Chinese what is wrong,
so a policy officer can fix a pack without reading Python.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def _cells(ch: str) -> int:
    """Terminal columns a character takes: Chinese characters and full-width punctuation take two."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A piece of rule text and where it sits.

    ``line_base``/``column_base`` place text that is embedded in a larger file (an expression inside a
    YAML pack): the first character of ``text`` is at that line and column of ``name``.
    """

    name: str
    text: str
    line_base: int = 1
    column_base: int = 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset, in the coordinates of the enclosing file."""
        line_index = self.text.count("\n", 0, offset)
        line_start = self.text.rfind("\n", 0, offset) + 1
        column = offset - line_start + 1
        if line_index == 0:
            column += self.column_base - 1
        return self.line_base + line_index, column

    def line_text(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return self.text[start : end if end >= 0 else len(self.text)]


@dataclass(frozen=True, slots=True, eq=False)
class Span:
    """A half-open character range [start, end) of a source."""

    source: Source
    start: int
    end: int

    @property
    def line(self) -> int:
        return self.source.position(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.position(self.start)[1]

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def to(self, other: Span) -> Span:
        return Span(self.source, self.start, other.end)

    def as_dict(self) -> dict[str, object]:
        line, column = self.source.position(self.start)
        return {"file": self.source.name, "line": line, "column": column}


class LangError(Exception):
    """An error in rule text, with a stable ``code`` and a Chinese ``message``."""

    code = "error"
    kind = "错误"

    def __init__(self, message: str, span: Span | None, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        if code is not None:
            self.code = code

    @property
    def file(self) -> str | None:
        return self.span.source.name if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def __str__(self) -> str:
        if self.span is None:
            return f"{self.kind}：{self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.kind}：{self.message}"

    def excerpt(self) -> str:
        """The offending line with a caret under the error, for a terminal or a <pre> block."""
        if self.span is None:
            return ""
        text = self.span.source.line_text(self.span.start)
        line_start = self.span.source.text.rfind("\n", 0, self.span.start) + 1
        lead = self.span.start - line_start
        marked = text[lead : max(lead + 1, min(self.span.end, line_start + len(text)) - line_start)]
        pad = "".join("\t" if ch == "\t" else " " * _cells(ch) for ch in text[:lead])
        return f"{text}\n{pad}{'^' * max(1, sum(_cells(ch) for ch in marked))}"

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.span is not None:
            out.update(self.span.as_dict())
        return out


class LangSyntaxError(LangError):
    code = "syntax"
    kind = "语法错误"


class LangNameError(LangError):
    code = "unknown_name"
    kind = "名称错误"


class LangTypeError(LangError):
    code = "type_mismatch"
    kind = "类型错误"


class LangCycleError(LangError):
    code = "cycle"
    kind = "循环引用"


class LangEvalError(LangError):
    code = "evaluation"
    kind = "计算错误"


class LangErrors(LangError):
    """Several errors found in one check; ``errors`` lists them in source order."""

    code = "errors"
    kind = "检查未通过"

    def __init__(self, errors: list[LangError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.file or "", e.span.start if e.span else -1))
        first = self.errors[0]
        super().__init__(first.message, first.span, code=first.code)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "errors": [e.as_dict() for e in self.errors]}
