"""A readable Chinese explanation rendered from a JSON trace (so a stored trace can be re-shown)."""

from __future__ import annotations

from typing import Any

from .values import group_digits, json_value_to_display


def _name(entry: dict[str, Any], prefix: str) -> str:
    ident = f"{prefix}{entry['name']}"
    return f"{entry['label']}（{ident}）" if entry.get("label") else ident


def _value(entry: dict[str, Any]) -> str:
    if entry["type"] == "Bool" and "membership" not in entry:
        return "是" if entry["value"] else "否"
    return json_value_to_display(entry, entry["type"])


def _param_line(p: dict[str, Any]) -> str:
    name = _name(p, "param.")
    if p.get("membership"):
        verdict = "在时间表之内" if p["value"] else "超出时间表"
        return f"{name}：第 {p['year']} 年{verdict}（时间表共 {p['years']} 年）"
    if p["shape"] == "schedule":
        if p.get("beyond"):
            return f"{name}：第 {p['year']} 年超出时间表（共 {p['years']} 年），按 {_value(p)} 计"
        return f"{name}：第 {p['year']} 年 = {_value(p)}（时间表共 {p['years']} 年）"
    if p["shape"] == "dated":
        return f"{name}：{p['on']} 适用的值 = {_value(p)}（自 {p['effective_from']} 起生效）"
    return f"{name} = {_value(p)}"


def _step_value(step: dict[str, Any]) -> str:
    if step["type"] == "Bool":
        return "成立" if step["value"] else "不成立"
    return _value(step)


def explain(trace: dict[str, Any]) -> str:
    """Render a trace from ``Result.trace`` as plain Chinese text, one item per line."""
    lines: list[str] = []
    for target in trace["targets"]:
        title = _name(target, "") if target.get("name") else f"表达式 {target['expr']}"
        shown = "成立" if target["type"] == "Bool" and target["value"] else (
            "不成立" if target["type"] == "Bool" else _value(target))
        lines.append(f"计算结果：{title} = {shown}")
        if target.get("unrounded") is not None:
            exact = "为" if target.get("unrounded_exact") else "约为"
            lines.append(f"  （舍入前的结果{exact} {group_digits(target['unrounded'])} 元，按四舍五入保留到分）")
        lines.append(f"  公式：{target['expr']}（{target['file']} 第 {target['line']} 行）")
    if trace["facts"]:
        lines.append("所用事实：")
        lines.extend(f"  · {_name(f, 'fact.')} = {_value(f)}" for f in trace["facts"])
    if trace["params"]:
        lines.append("所用参数：")
        lines.extend(f"  · {_param_line(p)}" for p in trace["params"])
    targets = {t.get("name") for t in trace["targets"]}
    helpers = [f for f in trace["formulas"] if f["name"] not in targets]
    if helpers:
        lines.append("中间结果：")
        for f in helpers:
            value = ("成立" if f["value"] else "不成立") if f["type"] == "Bool" else _value(f)
            lines.append(f"  · {_name(f, '')} = {value}    ← {f['expr']}")
    if trace["steps"]:
        lines.append("计算步骤：")
        for s in trace["steps"]:
            where = f"[{s['formula']}] " if s.get("formula") else ""
            lines.append(f"  {s['step']}. {where}{s['expr']} → {_step_value(s)}")
    return "\n".join(lines)
