"""Reading pack YAML as nodes, so every value keeps its file, line and column.

The pack is read with PyYAML's node API (``yaml.compose``), never ``yaml.load``: scalars stay text and are
typed by the pack's own rules (no float ever appears, ``70%`` and ``50000 元`` are the rule language's
literals), and a rule expression is handed to the rule language with its exact position in the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .problems import Collector

# libyaml when present (several times faster); its marks count characters too, as expression_source needs.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_YAML_MESSAGES = {
    "mapping values are not allowed here": "此处不能出现“键: 值”（常见原因：值里含有“: ”，请给值加引号）",
    "found character '\\t' that cannot start any token": "不能用 Tab 缩进，请改用空格",
    "could not find expected ':'": "缺少冒号“:”",
    "found undefined alias": "未定义的别名",
    "did not find expected key": "缩进不一致或缺少键名",
    "did not find expected '-' indicator": "列表项缩进不一致",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合？）",
    "expected <block end>, but found '-'": "列表项缩进不一致",
}


@dataclass
class YamlFile:
    name: str  # shown in problems: "<pack folder>/<relative path>"
    text: str
    root: yaml.Node | None = None


@dataclass
class Field:
    """One key of a mapping, remembered with the file it comes from (a derived pack mixes files)."""

    file: YamlFile
    key: yaml.Node
    node: yaml.Node


@dataclass
class Entry:
    """A named item (a parameter, a fact, a measure...): its fields, by key, each with its own file."""

    name: str
    file: YamlFile
    node: yaml.Node  # where the entry is declared (its key, or the document)
    fields: dict[str, Field] = field(default_factory=dict)

    def get(self, key: str) -> Field | None:
        """The field, or None when absent or written as null (``~``: "none", or in a county pack "drop it")."""
        f = self.fields.get(key)
        return None if f is None or is_null(f.node) else f


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")


def pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def read_yaml(path: Path, name: str, out: Collector) -> YamlFile | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        out.error(name, None, None, "encoding", "文件不是 UTF-8 编码，请以 UTF-8 保存")
        return None
    file = YamlFile(name, text)
    try:
        file.root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or ""
        zh = _YAML_MESSAGES.get(problem, "")
        message = f"YAML 格式错误：{zh}（{problem}）" if zh else f"YAML 格式错误：{problem}"
        out.error(name, mark.line + 1 if mark else None, mark.column + 1 if mark else None, "yaml_syntax", message)
        return None
    except yaml.YAMLError as exc:  # pragma: no cover - composer errors are marked
        out.error(name, None, None, "yaml_syntax", f"YAML 格式错误：{exc}")
        return None
    return file


class Reader:
    """Typed access to the nodes of one file, reporting each mistake with its position."""

    def __init__(self, file: YamlFile, out: Collector) -> None:
        self.file = file
        self.out = out

    def error(self, node: yaml.Node | None, code: str, message: str) -> None:
        line, column = pos(node) if node is not None else (None, None)
        self.out.error(self.file.name, line, column, code, message)

    def warning(self, node: yaml.Node | None, code: str, message: str) -> None:
        line, column = pos(node) if node is not None else (None, None)
        self.out.warning(self.file.name, line, column, code, message)

    def mapping(self, node: yaml.Node | None, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if node is None:
            self.error(None, "empty_file", f"{what}为空")
            return None
        if not isinstance(node, yaml.MappingNode):
            self.error(node, "bad_type", f"{what}应为“键: 值”的映射")
            return None
        result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.error(key, "bad_key", f"{what}的键必须是简单的名称")
                continue
            if key.value in result:
                first = pos(result[key.value][0])[0]
                self.error(key, "duplicate", f"{what}中的键 {key.value} 重复（第一次出现在第 {first} 行）")
                continue
            result[key.value] = (key, value)
        return result

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "bad_type", f"{what}应为列表（每项以“- ”开头，或写成 [a, b]）")
            return None
        return list(node.value)

    def text(self, node: yaml.Node, what: str, *, allow_empty: bool = False) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, "bad_type", f"{what}应为一段文字")
            return None
        value = node.value.strip() if not node.style else node.value
        if not value.strip() and not allow_empty:
            self.error(node, "empty_value", f"{what}不能为空")
            return None
        return value

    def texts(self, node: yaml.Node, what: str) -> list[str] | None:
        """A list of short texts; a single text is accepted as a list of one."""
        if isinstance(node, yaml.ScalarNode):
            one = self.text(node, what)
            return None if one is None else [one]
        items = self.sequence(node, what)
        if items is None:
            return None
        out = []
        for item in items:
            value = self.text(item, what)
            if value is not None:
                out.append(value)
        return out

    def flag(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.value in ("true", "false"):
            return node.value == "true"
        self.error(node, "bad_type", f"{what}应为 true 或 false")
        return None

    def keys(self, mapping: dict[str, tuple[yaml.Node, yaml.Node]], at: yaml.Node, what: str, *,
             required: Iterable[str] = (), optional: Iterable[str] = ()) -> bool:
        """Report missing required keys and unknown keys (with the closest known one)."""
        from lishui.policy.lang import did_you_mean

        required = list(required)
        allowed = set(required) | set(optional)
        ok = True
        for key in required:
            if key not in mapping:
                self.error(at, "missing_key", f"{what}缺少必填项 {key}")
                ok = False
        for key, (key_node, _) in mapping.items():
            if key not in allowed:
                hint = did_you_mean(key, allowed) if allowed else ""
                self.error(key_node, "unknown_key", f"{what}中有未知的项 {key}。{hint}".rstrip())
                ok = False
        return ok


def expression_source(file: YamlFile, node: yaml.ScalarNode) -> tuple[str, int, int]:
    """The text of a rule expression and where its first character sits in the file.

    Plain scalars are taken verbatim from the file (line breaks and indentation included; the rule language
    ignores both), so every error column is exact. Block scalars (``|``/``>``) start on the line after the
    indicator; quoted scalars just inside the quote when they hold no escapes.
    """
    start, end = node.start_mark, node.end_mark
    text = file.text
    if not node.style:  # plain (PyYAML says None, libyaml '')
        return text[start.index:end.index], start.line + 1, start.column + 1
    if node.style in ("|", ">"):
        newline = text.find("\n", start.index)
        if newline < 0 or newline >= end.index:
            return node.value, start.line + 1, start.column + 1
        return text[newline + 1:end.index], start.line + 2, 1
    raw = text[start.index + 1:end.index - 1]
    if raw == node.value:
        return raw, start.line + 1, start.column + 2
    return node.value, start.line + 1, start.column + 2
