"""What is wrong with a pack: every problem with its file, line and a plain Chinese explanation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lishui.policy.lang import LangError, LangErrors

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str  # pack-relative, e.g. "lishui-2015/measures/M03.yaml"
    line: int | None
    column: int | None
    code: str  # stable, for the API and the tests: missing_key, unknown_fact, cycle, ...
    message: str  # plain Chinese
    severity: Severity = "error"
    excerpt: str = ""  # the offending line with a caret, when the rule language gave one

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        prefix = "" if self.severity == "error" else "提醒："
        return f"{where}: {prefix}{self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column, "code": self.code,
                "message": self.message, "severity": self.severity}


class PackErrors(Exception):
    """A pack that cannot be loaded, with every problem found (errors and warnings), in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sort_problems(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"政策包检查未通过：{len(errors)} 个错误")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def __str__(self) -> str:
        head = f"政策包检查未通过：{len(self.errors)} 个错误"
        return "\n".join([head, *(str(p) for p in self.problems)])


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.code))


def from_lang(error: LangError) -> list[Problem]:
    """Rule-language errors (one or several) as problems; their spans already point into the YAML file."""
    errors = error.errors if isinstance(error, LangErrors) else [error]
    out = []
    for e in errors:
        out.append(Problem(e.file or "", e.line, e.column, e.code, f"{e.kind}：{e.message}", excerpt=e.excerpt()))
    return out


class Collector:
    """Gathers problems while loading, so one mistake does not hide the next."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> None:
        if problem not in self.problems:  # one mistake found by two checks is reported once
            self.problems.append(problem)

    def error(self, file: str, line: int | None, column: int | None, code: str, message: str) -> None:
        self.add(Problem(file, line, column, code, message))

    def warning(self, file: str, line: int | None, column: int | None, code: str, message: str) -> None:
        self.add(Problem(file, line, column, code, message, severity="warning"))

    def lang(self, error: LangError) -> None:
        for problem in from_lang(error):
            self.add(problem)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)
