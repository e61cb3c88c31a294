"""Responsibility tasks (督查): every clause's 责任单位 and 配合单位 become tasks with deadlines; units report
progress, the platform warns (yellow) and marks overdue (red), officers chase up, approve extensions and close
tasks with a grade."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lishui.assessment.models import Extension, Task, TaskEvent, UnitLink
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from lishui.core.files import sniff, store
from lishui.policy import service as policy
from lishui.policy.pack.model import Pack
from lishui.registry import CITY_CODE, COUNTIES, ZONE_CODE, Organisation

WARN_DAYS = 15  # yellow this many days before the deadline
ALL_COUNTIES = "各县(市、区)人民政府"
ZONE_UNITS = ("丽水开发区管委会",)
GRADES = {"A": ("优秀", 1.0), "B": ("良好", 0.85), "C": ("合格", 0.7), "D": ("不合格", 0.3)}
ATTACHMENT_KINDS = {"pdf", "png", "jpeg", "xlsx", "csv"}
MAX_FIGURES = 10


def jurisdiction_names() -> dict[str, str]:
    return {**COUNTIES, ZONE_CODE: "丽水经济技术开发区"}


# ---------------------------------------------------------------- units → organisations

@dataclass(frozen=True)
class Unit:
    name: str  # as the task shows it ("莲都区人民政府" for the expansion of 各县(市、区)人民政府)
    source_name: str  # as the policy text writes it
    division_code: str  # where the task belongs (331100 for city-level units)


def units_of(names: tuple[str, ...]) -> list[Unit]:
    out: list[Unit] = []
    for name in names:
        if name == ALL_COUNTIES:
            out += [Unit(f"{county}人民政府", name, code) for code, county in jurisdiction_names().items()
                    if code != ZONE_CODE]
            out.append(Unit("丽水经济技术开发区管理委员会", name, ZONE_CODE))
        elif name in ZONE_UNITS:
            out.append(Unit(name, name, ZONE_CODE))
        else:
            out.append(Unit(name, name, CITY_CODE))
    return out


def _government(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.kind == "government")
                                .order_by(Organisation.id)))


def resolve_units(session: Session, units: list[Unit]) -> dict[str, int | None]:
    """The organisation each unit name means: an officer's link first; else the registered government
    organisation of that name (or "丽水" + the name: 市商务局 → 丽水市商务局); for a county's or the zone's
    government, its lead department for e-commerce registered in that division (the 商务局), else none."""
    links = dict(session.execute(select(UnitLink.name, UnitLink.org_id)).tuples().all())
    orgs = _government(session)
    by_name = {o.name: o.id for o in orgs}
    out: dict[str, int | None] = {}
    for unit in units:
        if unit.name in links:
            out[unit.name] = links[unit.name]
            continue
        found = by_name.get(unit.name) or by_name.get("丽水" + unit.name)
        if found is None and unit.division_code != CITY_CODE:
            local = [o for o in orgs if o.division_code == unit.division_code]
            lead = [o for o in local if o.name.endswith(("人民政府", "管理委员会"))] or \
                [o for o in local if "商务" in o.name or "经济发展" in o.name]
            found = lead[0].id if lead else None
        out[unit.name] = found
    return out


def link_unit(session: Session, actor: Actor, *, name: str, org_id: int) -> None:
    org = session.get(Organisation, org_id)
    if org is None or org.kind != "government":
        raise ValidationFailed("所选机构不是已登记的政府部门",
                               [FieldError("org_id", "请选择政府部门（机构类型：政府）")])
    link = session.get(UnitLink, name)
    before = link.org_id if link else None
    if link is None:
        session.add(UnitLink(name=name, org_id=org_id, linked_by=actor.username))
    else:
        link.org_id, link.linked_by, link.linked_at = org_id, actor.username, clock.now()
    for task in session.scalars(select(Task).where(Task.unit_name == name)):
        task.org_id = org_id
    audit.record(session, actor, "assessment.unit.link", object_type="unit", object_id=name,
                 before={"org_id": before}, after={"org_id": org_id})


def pack_units(pack: Pack) -> list[Unit]:
    seen: dict[str, Unit] = {}
    for clause in pack.clauses.values():
        for unit in units_of(clause.responsible + clause.cooperating):
            seen.setdefault(unit.name, unit)
    return list(seen.values())


def unit_table(session: Session, pack: Pack) -> list[tuple[Unit, Organisation | None]]:
    units = pack_units(pack)
    resolved = resolve_units(session, units)
    rows = []
    for unit in units:
        org_id = resolved[unit.name]
        rows.append((unit, session.get(Organisation, org_id) if org_id else None))
    return sorted(rows, key=lambda r: (r[1] is not None, r[0].division_code, r[0].name))


# ---------------------------------------------------------------- generation

@dataclass
class Generated:
    created: int
    existing: int
    unmapped: list[str]


def generate(session: Session, actor: Actor, *, pack_key: str, year: int, due_on: dt.date | None = None,
             report_every_days: int = 30) -> Generated:
    """One task per clause and unit; running it again adds only what is missing (idempotent)."""
    pack = policy.resolve_pack(pack_key)
    if year < pack.valid_from.year or (pack.valid_to is not None and year > pack.valid_to.year + 5):
        raise ValidationFailed("年度不在政策有效期内", [FieldError("year", f"{pack.valid_from.year} 年起")])
    due = due_on or dt.date(year, 12, 31)
    existing = {(t.clause_id, t.unit_name) for t in session.scalars(
        select(Task).where(Task.pack_id == pack.id, Task.year == year))}
    created = kept = 0
    unmapped: set[str] = set()
    for clause_id, clause in pack.clauses.items():
        units = [(u, "responsible") for u in units_of(clause.responsible)]
        units += [(u, "cooperating") for u in units_of(clause.cooperating)]
        if not units:
            continue
        resolved = resolve_units(session, [u for u, _ in units])
        measures = ",".join(m.id for m in pack.measures_citing(clause_id))
        for unit, role in units:
            if (clause_id, unit.name) in existing:
                kept += 1
                continue
            existing.add((clause_id, unit.name))
            org_id = resolved[unit.name]
            if org_id is None:
                unmapped.add(unit.name)
            session.add(Task(pack_id=pack.id, year=year, clause_id=clause_id, title=clause.title or clause_id,
                             measures=measures, unit_name=unit.name, role=role, division_code=unit.division_code,
                             org_id=org_id, due_on=due, report_every_days=report_every_days,
                             created_by=actor.username))
            created += 1
    session.flush()
    audit.record(session, actor, "assessment.tasks.generate", object_type="pack", object_id=f"{pack.id}/{year}",
                 detail={"created": created, "existing": kept, "unmapped": sorted(unmapped)})
    return Generated(created, kept, sorted(unmapped))


# ---------------------------------------------------------------- reading, with data scope

def scope_tasks(stmt: Select[Any], actor: Actor) -> Select[Any]:
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(Task.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        return stmt.where(Task.org_id == actor.org_id)
    return stmt.where(Task.id == -1)


def effective_due(task: Task) -> dt.date:
    return task.extended_to or task.due_on


def colour(task: Task, today: dt.date | None = None) -> str:
    """closed | red (overdue) | yellow (deadline within WARN_DAYS) | green."""
    if task.status == "closed":
        return "closed"
    today = today or clock.today()
    due = effective_due(task)
    if today > due:
        return "red"
    if (due - today).days <= WARN_DAYS:
        return "yellow"
    return "green"


def report_due(task: Task, today: dt.date | None = None) -> bool:
    """Whether the unit's next scheduled progress report is due (none yet after the first period, or late)."""
    if task.status == "closed":
        return False
    today = today or clock.today()
    since = task.last_report_on or task.created_at.date()
    return (today - since).days >= task.report_every_days


@dataclass
class TaskFilter:
    year: int | None = None
    division: str = ""
    colour: str = ""
    unit: str = ""


def list_tasks(session: Session, actor: Actor, f: TaskFilter) -> list[Task]:
    stmt = scope_tasks(select(Task), actor)
    if f.year:
        stmt = stmt.where(Task.year == f.year)
    if f.division:
        stmt = stmt.where(Task.division_code == f.division)
    if f.unit:
        stmt = stmt.where(Task.unit_name.contains(f.unit.strip()))
    tasks = list(session.scalars(stmt.order_by(Task.year.desc(), Task.id)))
    if f.colour:
        tasks = [t for t in tasks if colour(t) == f.colour]
    return tasks


def get_task(session: Session, actor: Actor, task_id: int) -> Task:
    task = session.scalar(scope_tasks(select(Task).where(Task.id == task_id), actor))
    if task is None:
        raise NotFound("任务不存在")
    return task


def events(session: Session, task: Task) -> list[TaskEvent]:
    return list(session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)))


def extensions(session: Session, task: Task) -> list[Extension]:
    return list(session.scalars(select(Extension).where(Extension.task_id == task.id).order_by(Extension.id)))


def pending_extension(session: Session, task: Task) -> Extension | None:
    return session.scalar(select(Extension).where(Extension.task_id == task.id, Extension.status == "pending"))


def pending_extensions(session: Session, task_ids: list[int]) -> set[int]:
    """Which of these tasks have an extension request waiting for a decision."""
    if not task_ids:
        return set()
    return set(session.scalars(select(Extension.task_id).where(Extension.status == "pending",
                                                                Extension.task_id.in_(task_ids))))


def overdue_tasks(session: Session, year: int, today: dt.date | None = None) -> list[Task]:
    tasks = session.scalars(select(Task).where(Task.year == year, Task.status == "open").order_by(Task.id))
    return [t for t in tasks if colour(t, today) == "red"]


# ---------------------------------------------------------------- changes

def _open(task: Task) -> None:
    if task.status == "closed":
        raise Conflict("任务已办结，不能再变更")


def _event(session: Session, actor: Actor, task: Task, kind: str, text: str = "", **extra: str) -> TaskEvent:
    event = TaskEvent(task_id=task.id, kind=kind, by=actor.username, text=text, **extra)
    session.add(event)
    session.flush()
    return event


def parse_date(raw: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed("日期格式有误", [FieldError(field, "应为日期（YYYY-MM-DD）")]) from None


def set_deadline(session: Session, actor: Actor, task_id: int, *, due_on: dt.date,
                 report_every_days: int | None = None) -> Task:
    task = get_task(session, actor, task_id)
    _open(task)
    if report_every_days is not None and not 1 <= report_every_days <= 366:
        raise ValidationFailed("报送周期有误", [FieldError("report_every_days", "应为 1 至 366 天")])
    before = {"due_on": task.due_on, "report_every_days": task.report_every_days}
    task.due_on = due_on
    if report_every_days is not None:
        task.report_every_days = report_every_days
    _event(session, actor, task, "deadline", f"截止日期 {due_on.isoformat()}，每 {task.report_every_days} 天报送进展")
    audit.record(session, actor, "assessment.task.deadline", object_type="task", object_id=task.id, before=before,
                 after={"due_on": due_on, "report_every_days": task.report_every_days})
    return task


def parse_figures(raw: str) -> dict[str, str]:
    """Figures as lines "label: number" (e.g. "建成站点: 120"); each number exact (Decimal)."""
    figures: dict[str, str] = {}
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, number = line.replace("：", ":").partition(":")
        if not sep or not label.strip():
            raise ValidationFailed("数据格式有误", [FieldError("figures", f"第{n}行应为“名称: 数值”")])
        try:
            value = Decimal(number.strip().replace(",", ""))
        except InvalidOperation:
            problem = FieldError("figures", f"第{n}行“{number.strip()}”不是数字")
            raise ValidationFailed("数据格式有误", [problem]) from None
        if not value.is_finite():
            raise ValidationFailed("数据格式有误", [FieldError("figures", f"第{n}行不是有限的数字")])
        figures[label.strip()[:50]] = str(value)
    if len(figures) > MAX_FIGURES:
        raise ValidationFailed("数据项过多", [FieldError("figures", f"最多 {MAX_FIGURES} 项")])
    return figures


def report_progress(session: Session, actor: Actor, task_id: int, *, text: str, figures: dict[str, str],
                    attachment: tuple[str, bytes] | None, upload_dir: Path) -> TaskEvent:
    task = get_task(session, actor, task_id)
    _open(task)
    if not text.strip():
        raise ValidationFailed("请填写工作进展", [FieldError("text", "不能为空")])
    extra: dict[str, str] = {"figures": json.dumps(figures, ensure_ascii=False) if figures else ""}
    if attachment is not None and attachment[1]:
        name, data = attachment
        kind = sniff(data).kind
        if kind not in ATTACHMENT_KINDS:
            raise ValidationFailed("附件类型不支持", [FieldError("attachment", "请上传 PDF、图片、Excel 或 CSV")])
        stored, digest = store(upload_dir / "assessment", data)
        extra |= {"attachment_name": Path(name).name[:200] or "附件", "attachment_stored": stored,
                  "attachment_sha256": digest}
    event = _event(session, actor, task, "report", text.strip()[:5000], **extra)
    task.last_report_on = clock.today()
    audit.record(session, actor, "assessment.task.report", object_type="task", object_id=task.id,
                 after={"event": event.id, "figures": figures, "attachment": extra.get("attachment_sha256", "")})
    return event


def attachment(session: Session, actor: Actor, task_id: int, event_id: int) -> TaskEvent:
    task = get_task(session, actor, task_id)
    stmt = select(TaskEvent).where(TaskEvent.task_id == task.id, TaskEvent.attachment_stored != "")
    if event_id:
        stmt = stmt.where(TaskEvent.id == event_id)
    event = session.scalar(stmt.order_by(TaskEvent.id.desc()).limit(1))
    if event is None:
        raise NotFound("附件不存在")
    return event


def chase(session: Session, actor: Actor, task_id: int, *, note: str) -> TaskEvent:
    task = get_task(session, actor, task_id)
    _open(task)
    if not note.strip():
        raise ValidationFailed("请填写督办内容", [FieldError("note", "不能为空")])
    event = _event(session, actor, task, "chase", note.strip()[:2000])
    audit.record(session, actor, "assessment.task.chase", object_type="task", object_id=task.id,
                 after={"event": event.id})
    return event


def request_extension(session: Session, actor: Actor, task_id: int, *, until: dt.date, reason: str) -> Extension:
    task = get_task(session, actor, task_id)
    _open(task)
    errors = []
    if until <= effective_due(task):
        errors.append(FieldError("until", f"应晚于当前截止日期 {effective_due(task).isoformat()}"))
    if not reason.strip():
        errors.append(FieldError("reason", "请说明延期理由"))
    if errors:
        raise ValidationFailed("延期申请有误", errors)
    if pending_extension(session, task) is not None:
        raise Conflict("已有待审批的延期申请")
    ext = Extension(task_id=task.id, requested_until=until, reason=reason.strip()[:2000], requested_by=actor.username)
    session.add(ext)
    session.flush()
    _event(session, actor, task, "extension", f"申请延期至 {until.isoformat()}：{ext.reason}")
    audit.record(session, actor, "assessment.task.extension_request", object_type="task", object_id=task.id,
                 after={"extension": ext.id, "until": until})
    return ext


def decide_extension(session: Session, actor: Actor, task_id: int, *, approve: bool, note: str = "") -> Extension:
    task = get_task(session, actor, task_id)
    _open(task)
    ext = pending_extension(session, task)
    if ext is None:
        raise NotFound("没有待审批的延期申请")
    ext.status = "approved" if approve else "rejected"
    ext.decided_by, ext.decided_at, ext.decision_note = actor.username, clock.now(), note.strip()[:2000]
    before = effective_due(task)
    if approve:
        task.extended_to = ext.requested_until
    words = "批准" if approve else "不批准"
    _event(session, actor, task, "extension", f"{words}延期至 {ext.requested_until.isoformat()}" +
           (f"：{ext.decision_note}" if ext.decision_note else ""))
    audit.record(session, actor, "assessment.task.extension_decision", object_type="task", object_id=task.id,
                 before={"due": before}, after={"due": effective_due(task), "status": ext.status})
    return ext


def close(session: Session, actor: Actor, task_id: int, *, grade: str, note: str) -> Task:
    task = get_task(session, actor, task_id)
    _open(task)
    if grade not in GRADES:
        raise ValidationFailed("请选择办结评定等级",
                               [FieldError("grade", "应为 A（优秀）、B（良好）、C（合格）或 D（不合格）")])
    task.status, task.grade, task.closed_on, task.closure_note = "closed", grade, clock.today(), note.strip()[:2000]
    words = f"办结，评定 {GRADES[grade][0]}" + (f"：{task.closure_note}" if note else "")
    _event(session, actor, task, "closure", words)
    audit.record(session, actor, "assessment.task.close", object_type="task", object_id=task.id,
                 after={"grade": grade, "closed_on": task.closed_on})
    return task


# ---------------------------------------------------------------- for scorecards and bulletins

def task_score(task: Task, today: dt.date | None = None) -> float:
    """How a task counts on a scorecard: closed → its grade's factor (late closure halves it);
    open and not overdue → 1; overdue → 0."""
    if task.status == "closed":
        factor = GRADES.get(task.grade, ("", 0.0))[1]
        late = task.closed_on is not None and task.closed_on > effective_due(task)
        return factor * (0.5 if late else 1.0)
    return 0.0 if colour(task, today) == "red" else 1.0


def division_task_summary(session: Session, year: int, today: dt.date | None = None
                          ) -> dict[str, tuple[int, float, int]]:
    """Per division: (tasks, mean task score 0..1, overdue count)."""
    out: dict[str, list[float]] = {}
    overdue: dict[str, int] = {}
    for task in session.scalars(select(Task).where(Task.year == year)):
        out.setdefault(task.division_code, []).append(task_score(task, today))
        if colour(task, today) == "red":
            overdue[task.division_code] = overdue.get(task.division_code, 0) + 1
    return {d: (len(s), sum(s) / len(s), overdue.get(d, 0)) for d, s in out.items()}
