"""Statistics business logic: entities and periods, submissions and corrections, the approval chain, locks and
their exceptions, queues and value history. Every read applies the actor's data scope in the query."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from lishui.registry import COUNTIES, ORG_KINDS, ZONE_CODE, Division, Organisation, scope_orgs
from lishui.stats.models import (
    StatsFigure,
    StatsForm,
    StatsFormField,
    StatsLockException,
    StatsRevision,
    StatsSubmission,
    StatsTotal,
)
from lishui.stats.rules import (
    PERIOD_TYPES,
    TYPES,
    BadValue,
    FormSpec,
    Period,
    check_not_future,
    check_values,
    dump_values,
    load_values,
    parse_period,
    recent_periods,
    series_from,
    spec_of,
)

STATUSES = {"submitted": ("已报送", "Submitted"), "verified": ("县（区）已审核", "Verified by county"),
            "accepted": ("市级已确认", "Accepted by city"), "returned": ("已退回", "Returned")}
# Who a form is for: any kind of registered organisation but government units, any organisation at all
# ("organisation": registers an officer keeps, such as demonstration recognitions, which towns also receive), or
# a county/zone (the officer).
SUBJECTS = {**{kind: label for kind, label in ORG_KINDS.items() if kind != "government"}, "enterprise": "企业",
            "organisation": "各类单位", "division": "县（区）"}


def subject_fits(form: StatsForm, kind: str) -> bool:
    """Whether an organisation of this kind may be the subject of a form's report."""
    return form.subject == "organisation" or form.subject == kind
CHANNELS = {"web": "网页填报", "excel": "Excel 导入", "api": "接口推送", "demo": "演示数据"}


# ---------------------------------------------------------------- forms

def list_forms(session: Session, *, active_only: bool = True) -> list[StatsForm]:
    stmt = select(StatsForm).order_by(StatsForm.id)
    if active_only:
        stmt = stmt.where(StatsForm.is_active.is_(True))
    return list(session.scalars(stmt))


def get_form(session: Session, code: str) -> StatsForm:
    form = session.scalar(select(StatsForm).where(StatsForm.code == code[:40]))
    if form is None:
        raise NotFound("报表不存在")
    return form


def form_spec(form: StatsForm) -> FormSpec:
    return spec_of(form)


def due_date(form: StatsForm, period: Period) -> dt.date:
    return period.end + dt.timedelta(days=form.deadline_days)


def lock_date(form: StatsForm, period_end: dt.date) -> dt.date | None:
    return None if form.lock_days is None else period_end + dt.timedelta(days=form.lock_days)


# ---------------------------------------------------------------- entities

@dataclass(frozen=True)
class Entity:
    """Who a report is about: an organisation (key o<id>) or a county/zone (key d<code>)."""

    key: str
    org_id: int | None
    division_code: str
    name: str
    uscc: str = ""  # an organisation's credit code: what an officer types to name it


def entity_of_org(org: Organisation) -> Entity:
    return Entity(f"o{org.id}", org.id, org.division_code, org.name, org.uscc)


def entity_of_division(code: str, name: str) -> Entity:
    return Entity(f"d{code}", None, code, name)


def division_name(code: str) -> str:
    return COUNTIES.get(code) or ("丽水经济技术开发区" if code == ZONE_CODE else code)


def is_officer(actor: Actor) -> bool:
    return actor.scope in ("city", "division") and (actor.can("stats:report:verify")
                                                    or actor.can("stats:report:accept"))


def may_report(actor: Actor, form: StatsForm) -> bool:
    """Officer forms are filled in by officers; self-reported forms by the organisation or, on its behalf
    (paper returns, a statistics system's push), by an officer."""
    if not actor.can("stats:report:submit"):
        return False
    if form.reported_by == "officer":
        return is_officer(actor)
    return True


def resolve_entity(session: Session, actor: Actor, form: StatsForm, ref: Any) -> Entity:
    """The entity an actor reports for: its own organisation, or (officers) one in its scope named by id, credit
    code or division code. Raises ValidationFailed naming the ``entity`` field, Forbidden or NotFound."""
    if not may_report(actor, form):
        raise Forbidden("您不能填报此报表")
    text = str(ref or "").strip().upper()
    if form.subject == "division":
        if actor.scope == "division":
            code = actor.scope_division or ""
            if text and text not in (code, division_name(code).upper()):
                raise NotFound("县（区）不存在或不在您的管辖范围内")
        else:
            code = text
            by_name = {division_name(c).upper(): c for c in (*COUNTIES, ZONE_CODE)}
            code = by_name.get(code, code)
            if code not in COUNTIES and code != ZONE_CODE:
                raise ValidationFailed("请选择县（区）", [FieldError("entity", "应为县（市、区）或开发区的名称或代码")])
        return entity_of_division(code, division_name(code))
    if actor.scope == "org":
        org = session.get(Organisation, actor.org_id) if actor.org_id else None
        if org is None:
            raise Forbidden("您的账号没有所属机构")
        if text and text not in (str(org.id), org.uscc, f"O{org.id}"):
            raise NotFound("机构不存在或不在您的管辖范围内")
    else:
        if not text:
            raise ValidationFailed("请选择填报主体", [FieldError("entity", "请填写统一社会信用代码")])
        stmt = scope_orgs(select(Organisation), actor)
        ident = text.removeprefix("O")
        cond = Organisation.uscc == text
        if ident.isdigit() and len(ident) < 10:
            cond = or_(cond, Organisation.id == int(ident))
        org = session.scalar(stmt.where(cond))
        if org is None:
            raise NotFound("机构不存在或不在您的管辖范围内")
    if not subject_fits(form, org.kind):
        raise ValidationFailed(f"“{form.title}”由{SUBJECTS.get(form.subject, form.subject)}填报",
                               [FieldError("entity", f"“{org.name}”不是{SUBJECTS.get(form.subject, form.subject)}")])
    return entity_of_org(org)


# ---------------------------------------------------------------- scope

def scope_submissions(stmt: Select[Any], actor: Actor) -> Select[Any]:
    if actor.scope == "city":
        return stmt
    if actor.scope == "division" and actor.scope_division:
        return stmt.where(StatsSubmission.division_code == actor.scope_division)
    if actor.scope == "org" and actor.org_id is not None:
        return stmt.where(StatsSubmission.org_id == actor.org_id)
    return stmt.where(StatsSubmission.id == -1)


def get_submission(session: Session, actor: Actor, submission_id: int) -> StatsSubmission:
    stmt = select(StatsSubmission).where(StatsSubmission.id == submission_id)
    found = session.scalar(scope_submissions(stmt, actor))
    if found is None:
        raise NotFound("报表记录不存在")
    return found


def revisions_of(session: Session, submission: StatsSubmission) -> list[StatsRevision]:
    return list(session.scalars(select(StatsRevision).where(StatsRevision.submission_id == submission.id)
                                .order_by(StatsRevision.revision.desc())))


def revision(session: Session, submission: StatsSubmission, number: int | None = None) -> StatsRevision:
    wanted = number or submission.current_revision
    found = session.scalar(select(StatsRevision).where(StatsRevision.submission_id == submission.id,
                                                       StatsRevision.revision == wanted))
    assert found is not None
    return found


def entity_name(session: Session, submission: StatsSubmission) -> str:
    if submission.org_id is None:
        return division_name(submission.division_code)
    org = session.get(Organisation, submission.org_id)
    return org.name if org else str(submission.org_id)


# ---------------------------------------------------------------- locks

def open_exception_for(session: Session, form_id: int, entity_key: str, period: str) -> StatsLockException | None:
    return session.scalar(select(StatsLockException).where(
        StatsLockException.form_id == form_id, StatsLockException.entity_key == entity_key,
        StatsLockException.period == period, StatsLockException.closed.is_(False),
        StatsLockException.expires_on >= clock.today()))


def is_locked(session: Session, form: StatsForm, entity_key: str, period: Period) -> bool:
    locked_on = lock_date(form, period.end)
    if locked_on is None or clock.today() <= locked_on:
        return False
    return open_exception_for(session, form.id, entity_key, period.code) is None


def _check_lock(session: Session, form: StatsForm, entity: Entity, period: Period) -> None:
    if is_locked(session, form, entity.key, period):
        raise Conflict(f"{period.code} 的数据已于 {lock_date(form, period.end)} 锁定；"
                       "如需补报或更正，请联系主管部门开放例外",
                       [FieldError("period", "该报告期已锁定")])


def open_exception(session: Session, actor: Actor, *, form_code: str, entity_ref: str, period: str, reason: str,
                   days: int = 14) -> StatsLockException:
    if not actor.can("stats:lock:write"):
        raise Forbidden()
    form = get_form(session, form_code)
    entity = _officer_entity(session, actor, form, entity_ref)
    try:
        parsed = parse_period(form.period_type, period)
    except BadValue as exc:
        raise ValidationFailed(str(exc), [FieldError("period", str(exc))]) from None
    if len(reason.strip()) < 2:
        raise ValidationFailed("请说明开放原因", [FieldError("reason", "请填写原因")])
    if not 1 <= days <= 90:
        raise ValidationFailed("有效天数应在 1–90 之间", [FieldError("days", "1–90 天")])
    exc_row = StatsLockException(form_id=form.id, entity_key=entity.key, division_code=entity.division_code,
                                 period=parsed.code, reason=reason.strip()[:500],
                                 expires_on=clock.today() + dt.timedelta(days=days), opened_by=actor.username)
    session.add(exc_row)
    session.flush()
    audit.record(session, actor, "stats.lock.exception_open", object_type="stats_lock_exception",
                 object_id=exc_row.id, after={"form": form.code, "entity": entity.key, "period": parsed.code,
                                              "expires_on": exc_row.expires_on, "reason": exc_row.reason})
    return exc_row


def close_exception(session: Session, actor: Actor, exception_id: int) -> None:
    if not actor.can("stats:lock:write"):
        raise Forbidden()
    stmt = select(StatsLockException).where(StatsLockException.id == exception_id)
    if actor.scope == "division":
        stmt = stmt.where(StatsLockException.division_code == actor.scope_division)
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("例外不存在")
    row.closed = True
    audit.record(session, actor, "stats.lock.exception_close", object_type="stats_lock_exception", object_id=row.id)


def list_exceptions(session: Session, actor: Actor) -> list[StatsLockException]:
    stmt = select(StatsLockException).order_by(StatsLockException.id.desc()).limit(200)
    if actor.scope == "division":
        stmt = stmt.where(StatsLockException.division_code == actor.scope_division)
    elif actor.scope != "city":
        return []
    return list(session.scalars(stmt))


def _officer_entity(session: Session, actor: Actor, form: StatsForm, ref: str) -> Entity:
    text = ref.strip().upper()
    if form.subject == "division":
        code = text if actor.scope == "city" else (actor.scope_division or "")
        if (code not in COUNTIES and code != ZONE_CODE) or (actor.scope == "division" and text and text != code):
            raise NotFound("县（区）不存在或不在您的管辖范围内")
        return entity_of_division(code, division_name(code))
    ident = text.removeprefix("O")
    cond = Organisation.uscc == text
    if ident.isdigit() and len(ident) < 10:
        cond = or_(cond, Organisation.id == int(ident))
    org = session.scalar(scope_orgs(select(Organisation), actor).where(cond))
    if org is None:
        raise NotFound("机构不存在或不在您的管辖范围内")
    return entity_of_org(org)


# ---------------------------------------------------------------- submitting and correcting

def _period(form: StatsForm, raw: Any) -> Period:
    try:
        period = parse_period(form.period_type, raw)
        check_not_future(period, clock.today())
    except BadValue as exc:
        raise ValidationFailed(str(exc), [FieldError("period", str(exc))]) from None
    return period


def _checked(spec: FormSpec, values: Mapping[str, Any]) -> dict[str, str]:
    checked = check_values(spec, values)
    if not checked.ok:
        raise ValidationFailed("请检查标红的字段", [FieldError(k, m) for k, m in checked.errors])
    return checked.values


def earlier_values(session: Session, form: StatsForm, entity_key: str, before: dt.date) -> list[dict[str, str]]:
    """The entity's values of this form for earlier periods, oldest first (accepted revision where there is one,
    otherwise the latest), never counting returned reports."""
    rows = session.execute(
        select(StatsRevision.values)
        .join(StatsSubmission, StatsSubmission.id == StatsRevision.submission_id)
        .where(StatsSubmission.form_id == form.id, StatsSubmission.entity_key == entity_key,
               StatsSubmission.period_start < before, StatsSubmission.status != "returned",
               StatsRevision.revision == func.coalesce(StatsSubmission.accepted_revision,
                                                       StatsSubmission.current_revision))
        .order_by(StatsSubmission.period_start)
    ).scalars()
    return [load_values(v) for v in rows]


def entity_series(session: Session, sub: StatsSubmission, limit: int = 12) -> list[tuple[str, str, dict[str, str]]]:
    """The entity's reports of the same form up to this one (period, status, values), newest last: what an
    officer looks at to judge a flagged value."""
    rows = session.execute(
        select(StatsSubmission.period, StatsSubmission.status, StatsRevision.values)
        .join(StatsRevision, StatsRevision.submission_id == StatsSubmission.id)
        .where(StatsSubmission.form_id == sub.form_id, StatsSubmission.entity_key == sub.entity_key,
               StatsSubmission.period_start <= sub.period_start,
               StatsRevision.revision == StatsSubmission.current_revision)
        .order_by(StatsSubmission.period_start.desc()).limit(limit)).tuples().all()
    return [(period, status, load_values(values)) for period, status, values in reversed(rows)]


def _flags(session: Session, form: StatsForm, spec: FormSpec, entity_key: str, period: Period,
           values: Mapping[str, str]) -> list[dict[str, str]]:
    if not any(f.outlier_check for f in spec.fields):
        return []
    return series_from(spec, earlier_values(session, form, entity_key, period.start)).flags(values)


def submit(session: Session, actor: Actor, *, form_code: str, entity_ref: Any, period: Any,
           values: Mapping[str, Any], channel: str = "web") -> StatsSubmission:
    """A first report of an entity for a period. A second report of the same period is refused (use a
    correction); a value far from the entity's history is stored and flagged."""
    form = get_form(session, form_code)
    if not form.is_active:
        raise ValidationFailed("该报表已停用", [FieldError("form", "报表已停用")])
    entity = resolve_entity(session, actor, form, entity_ref)
    parsed = _period(form, period)
    spec = spec_of(form)
    clean = _checked(spec, values)
    existing = session.scalar(select(StatsSubmission.id).where(
        StatsSubmission.form_id == form.id, StatsSubmission.entity_key == entity.key,
        StatsSubmission.period == parsed.code))
    if existing is not None:
        raise Conflict(f"{entity.name} {parsed.code} 的“{form.title}”已报送（编号 {existing}），如需修改请提交更正",
                       [FieldError("period", "该报告期已报送，请提交更正")])
    _check_lock(session, form, entity, parsed)
    flags = _flags(session, form, spec, entity.key, parsed, clean)
    now = clock.now()
    sub = StatsSubmission(form_id=form.id, entity_key=entity.key, org_id=entity.org_id,
                          division_code=entity.division_code, period=parsed.code, period_start=parsed.start,
                          period_end=parsed.end, status="submitted", current_revision=1, flagged=bool(flags),
                          created_at=now, updated_at=now)
    session.add(sub)
    session.flush()
    session.add(StatsRevision(submission_id=sub.id, revision=1, values=dump_values(clean),
                              flags=json.dumps(flags, ensure_ascii=False) if flags else "", reason="",
                              channel=channel, created_by=actor.username, created_at=now))
    session.flush()
    audit.record(session, actor, "stats.submission.submit", object_type="stats_submission", object_id=sub.id,
                 after={"form": form.code, "entity": entity.key, "period": parsed.code, "values": clean,
                        "flags": len(flags), "channel": channel})
    return sub


def _may_change(actor: Actor, form: StatsForm, sub: StatsSubmission) -> None:
    if not may_report(actor, form):
        raise Forbidden("您不能更正此报表")
    if actor.scope == "org" and sub.org_id != actor.org_id:
        raise NotFound("报表记录不存在")


def correct(session: Session, actor: Actor, submission_id: int, *, values: Mapping[str, Any], reason: str,
            channel: str = "web") -> StatsSubmission:
    """A correction: a new revision with who, when and why; earlier revisions stay as they were. The report goes
    back to the start of the approval chain; figures already accepted keep coming from the accepted revision
    until the correction is accepted in its turn."""
    sub = get_submission(session, actor, submission_id)
    form = sub.form
    _may_change(actor, form, sub)
    if len(reason.strip()) < 2:
        raise ValidationFailed("请说明更正原因", [FieldError("reason", "请填写更正原因")])
    period = Period(sub.period, sub.period_start, sub.period_end)
    entity = Entity(sub.entity_key, sub.org_id, sub.division_code, "")
    spec = spec_of(form)
    clean = _checked(spec, values)
    current = revision(session, sub)
    if load_values(current.values) == clean:
        raise ValidationFailed("更正后的数据与当前数据相同", [FieldError("values", "没有改动")])
    _check_lock(session, form, entity, period)
    flags = _flags(session, form, spec, sub.entity_key, period, clean)
    before = {"status": sub.status, "revision": sub.current_revision, "values": load_values(current.values)}
    now = clock.now()
    sub.current_revision += 1
    session.add(StatsRevision(submission_id=sub.id, revision=sub.current_revision, values=dump_values(clean),
                              flags=json.dumps(flags, ensure_ascii=False) if flags else "",
                              reason=reason.strip()[:500], channel=channel, created_by=actor.username, created_at=now))
    sub.status = "submitted"
    sub.flagged = bool(flags)
    sub.officer_note = ""
    sub.return_reason = ""
    sub.verified_by, sub.verified_at = "", None
    sub.updated_at = now
    session.flush()
    audit.record(session, actor, "stats.submission.correct", object_type="stats_submission", object_id=sub.id,
                 before=before, after={"revision": sub.current_revision, "values": clean, "flags": len(flags),
                                       "reason": reason.strip()[:500], "channel": channel})
    return sub


# ---------------------------------------------------------------- the approval chain

def verify(session: Session, actor: Actor, submission_id: int, *, note: str = "") -> StatsSubmission:
    """The county or zone checks a submitted report."""
    if not actor.can("stats:report:verify"):
        raise Forbidden()
    sub = get_submission(session, actor, submission_id)
    if sub.status != "submitted":
        raise Conflict(f"只有“已报送”的报表可以审核（当前：{STATUSES[sub.status][0]}）")
    before = sub.status
    sub.status = "verified"
    sub.verified_by, sub.verified_at = actor.username, clock.now()
    if note.strip():
        sub.officer_note = note.strip()[:1000]
    sub.updated_at = clock.now()
    audit.record(session, actor, "stats.submission.verify", object_type="stats_submission", object_id=sub.id,
                 before={"status": before}, after={"status": sub.status, "note": sub.officer_note})
    return sub


def accept(session: Session, actor: Actor, submission_id: int, *, note: str = "") -> StatsSubmission:
    """The city accepts a verified report; its figures then count (indicators, policy facts). A flagged report
    needs an officer's note explaining why the value stands."""
    if not actor.can("stats:report:accept"):
        raise Forbidden()
    sub = get_submission(session, actor, submission_id)
    if sub.status != "verified":
        raise Conflict(f"只有县（区）已审核的报表可以确认（当前：{STATUSES[sub.status][0]}）")
    if sub.verified_by == actor.username:
        raise Forbidden("审核人与确认人不能是同一人")
    text = note.strip()
    if sub.flagged and not (text or sub.officer_note):
        raise ValidationFailed("该报表有异常值提示，确认前请填写核实说明",
                               [FieldError("note", "有异常值的报表须填写核实说明")])
    if text:
        sub.officer_note = (sub.officer_note + "\n" if sub.officer_note else "") + text[:1000]
    sub.status = "accepted"
    sub.accepted_revision = sub.current_revision
    sub.accepted_by, sub.accepted_at = actor.username, clock.now()
    sub.updated_at = clock.now()
    session.flush()
    record_figures(session, [sub.id])
    audit.record(session, actor, "stats.submission.accept", object_type="stats_submission", object_id=sub.id,
                 before={"status": "verified"},
                 after={"status": "accepted", "revision": sub.accepted_revision, "note": sub.officer_note})
    return sub


def return_submission(session: Session, actor: Actor, submission_id: int, *, reason: str) -> StatsSubmission:
    """A level returns a report to the reporter with a reason; the reporter answers with a correction."""
    if not (actor.can("stats:report:verify") or actor.can("stats:report:accept")):
        raise Forbidden()
    sub = get_submission(session, actor, submission_id)
    if sub.status == "submitted" and not actor.can("stats:report:verify"):
        raise Conflict("待县（区）审核的报表由县（区）退回")
    if sub.status not in ("submitted", "verified"):
        raise Conflict(f"当前状态（{STATUSES[sub.status][0]}）的报表不能退回")
    if len(reason.strip()) < 2:
        raise ValidationFailed("请说明退回原因", [FieldError("reason", "请填写退回原因")])
    before = sub.status
    sub.status = "returned"
    sub.return_reason = reason.strip()[:1000]
    sub.updated_at = clock.now()
    audit.record(session, actor, "stats.submission.return", object_type="stats_submission", object_id=sub.id,
                 before={"status": before}, after={"status": "returned", "reason": sub.return_reason})
    return sub


NUMERIC_TYPES = ("money", "usd", "integer", "decimal", "year")


def record_figures(session: Session, submission_ids: list[int]) -> None:
    """(Re)write the accepted figures of these reports from their accepted revisions, and move the totals by the
    difference (indicators read both)."""
    numeric = {(f.form_id, f.key) for f in session.scalars(select(StatsFormField)) if f.type in NUMERIC_TYPES}
    delta: dict[tuple[int, str, str, dt.date], list[Any]] = {}

    def move(form_id: int, key: str, division: str, period_start: dt.date, value: Decimal, sign: int) -> None:
        slot = delta.setdefault((form_id, key, division, period_start), [Decimal(0), 0])
        slot[0] += value * sign
        slot[1] += sign

    for start in range(0, len(submission_ids), 1000):
        chunk = submission_ids[start:start + 1000]
        old = session.execute(select(StatsFigure.form_id, StatsFigure.field_key, StatsFigure.division_code,
                                     StatsFigure.period_start, StatsFigure.value)
                              .where(StatsFigure.submission_id.in_(chunk))).tuples()
        for form_id, key, division, period_start, amount in old:
            move(form_id, key, division, period_start, Decimal(amount), -1)
        session.execute(delete(StatsFigure).where(StatsFigure.submission_id.in_(chunk)))
        rows = session.execute(
            select(StatsSubmission.id, StatsSubmission.accepted_revision, StatsSubmission.form_id,
                   StatsSubmission.entity_key, StatsSubmission.division_code, StatsSubmission.period_start,
                   StatsRevision.values)
            .join(StatsRevision, (StatsRevision.submission_id == StatsSubmission.id)
                  & (StatsRevision.revision == StatsSubmission.accepted_revision))
            .where(StatsSubmission.id.in_(chunk))).tuples().all()
        figures: list[dict[str, Any]] = []
        for sub_id, rev, form_id, entity, division, period_start, text in rows:
            for key, value in load_values(text).items():
                if (form_id, key) in numeric:
                    figures.append({"submission_id": sub_id, "revision": rev, "form_id": form_id, "field_key": key,
                                    "entity_key": entity, "division_code": division, "period_start": period_start,
                                    "value": Decimal(value)})
                    move(form_id, key, division, period_start, Decimal(value), 1)
        if figures:
            session.execute(insert(StatsFigure), figures)
    _move_totals(session, delta)


def _move_totals(session: Session, delta: Mapping[tuple[int, str, str, dt.date], list[Any]]) -> None:
    for (form_id, key, division, period_start), (amount, count) in sorted(delta.items()):
        if not amount and not count:
            continue
        row = session.scalar(select(StatsTotal).where(
            StatsTotal.form_id == form_id, StatsTotal.field_key == key, StatsTotal.division_code == division,
            StatsTotal.period_start == period_start).with_for_update())
        if row is None:
            session.add(StatsTotal(form_id=form_id, field_key=key, division_code=division,
                                   period_start=period_start, total=amount, reports=count))
        else:
            row.total = Decimal(row.total) + amount
            row.reports += count
    session.flush()


def rebuild_totals(session: Session) -> int:
    """Recompute every total from the accepted figures (after a bulk load or to check the running totals)."""
    session.execute(delete(StatsTotal))
    session.execute(insert(StatsTotal).from_select(
        ["form_id", "field_key", "division_code", "period_start", "total", "reports"],
        select(StatsFigure.form_id, StatsFigure.field_key, StatsFigure.division_code, StatsFigure.period_start,
               func.sum(StatsFigure.value), func.count())
        .group_by(StatsFigure.form_id, StatsFigure.field_key, StatsFigure.division_code, StatsFigure.period_start)))
    return session.scalar(select(func.count()).select_from(StatsTotal)) or 0


# ---------------------------------------------------------------- lists, queues, history

@dataclass
class SubmissionFilter:
    form: str = ""
    status: str = ""
    period: str = ""
    division: str = ""
    flagged: bool = False
    page: int = 1
    per_page: int = 50


def filtered(stmt: Select[Any], f: SubmissionFilter) -> Select[Any]:
    """A query over submissions narrowed by the list's filters (form, state, period, county, flagged)."""
    if f.form:
        stmt = stmt.join(StatsForm, StatsForm.id == StatsSubmission.form_id).where(StatsForm.code == f.form)
    if f.status in STATUSES:
        stmt = stmt.where(StatsSubmission.status == f.status)
    if f.period:
        stmt = stmt.where(StatsSubmission.period == f.period)
    if f.division:
        stmt = stmt.where(StatsSubmission.division_code == f.division)
    if f.flagged:
        stmt = stmt.where(StatsSubmission.flagged.is_(True))
    return stmt


def list_submissions(session: Session, actor: Actor, f: SubmissionFilter) -> tuple[list[StatsSubmission], int]:
    stmt = filtered(scope_submissions(select(StatsSubmission), actor), f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(f.per_page, 200))
    items = session.scalars(stmt.order_by(StatsSubmission.updated_at.desc(), StatsSubmission.id.desc())
                            .offset((max(1, f.page) - 1) * per_page).limit(per_page))
    return list(items), total


def queue_status_for(actor: Actor) -> str:
    """What waits for this officer: county officers verify, the city accepts."""
    if actor.can("stats:report:verify") and actor.scope == "division":
        return "submitted"
    if actor.can("stats:report:accept"):
        return "verified"
    return "submitted"


def entity_names(session: Session, subs: list[StatsSubmission]) -> dict[int, str]:
    ids = {s.org_id for s in subs if s.org_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))
                .tuples().all())


@dataclass
class ValueChange:
    revision: int
    value: str | None
    created_by: str
    created_at: dt.datetime
    reason: str
    channel: str


def value_history(session: Session, sub: StatsSubmission) -> dict[str, list[ValueChange]]:
    """For each field, its value in every revision (oldest first)."""
    out: dict[str, list[ValueChange]] = {f.key: [] for f in sub.form.fields}
    for rev in reversed(revisions_of(session, sub)):
        values = load_values(rev.values)
        for key, changes in out.items():
            changes.append(ValueChange(rev.revision, values.get(key), rev.created_by, rev.created_at, rev.reason,
                                       rev.channel))
    return out


@dataclass
class Due:
    form: StatsForm
    entity: Entity
    period: Period
    due: dt.date
    submission: StatsSubmission | None
    locked: bool

    @property
    def overdue(self) -> bool:
        return self.submission is None and clock.today() > self.due

    @property
    def state(self) -> str:
        if self.submission is not None:
            return self.submission.status
        if self.locked:
            return "locked"
        return "overdue" if self.overdue else "due"


PERIODS_SHOWN = {"day": 7, "month": 6, "quarter": 4, "year": 3}


def workspace(session: Session, actor: Actor) -> list[Due]:
    """The reports this actor owes for recent periods, with what has been done about each."""
    entities: list[tuple[StatsForm, Entity]] = []
    org = session.get(Organisation, actor.org_id) if actor.scope == "org" and actor.org_id else None
    for form in list_forms(session):
        if not may_report(actor, form):
            continue
        if form.reported_by == "self" and org is not None and subject_fits(form, org.kind):
            entities.append((form, entity_of_org(org)))
        elif form.subject == "division" and actor.scope == "division" and actor.scope_division:
            entities.append((form, entity_of_division(actor.scope_division, division_name(actor.scope_division))))
    out: list[Due] = []
    today = clock.today()
    for form, entity in entities:
        periods = recent_periods(form.period_type, today, PERIODS_SHOWN[form.period_type])
        subs = {s.period: s for s in session.scalars(select(StatsSubmission).where(
            StatsSubmission.form_id == form.id, StatsSubmission.entity_key == entity.key,
            StatsSubmission.period.in_([p.code for p in periods])))}
        for period in periods:
            out.append(Due(form, entity, period, due_date(form, period), subs.get(period.code),
                           is_locked(session, form, entity.key, period)))
    return out


def officer_entities(session: Session, actor: Actor, form: StatsForm, limit: int = 500,
                     query: str = "") -> list[Entity]:
    """The entities an officer may report for with this form (a county officer's county; visible organisations,
    those whose name contains ``query`` or whose credit code starts with it when one is given)."""
    if form.subject == "division":
        if actor.scope == "division" and actor.scope_division:
            return [entity_of_division(actor.scope_division, division_name(actor.scope_division))]
        return [entity_of_division(c, division_name(c)) for c in (*COUNTIES, ZONE_CODE)]
    stmt = scope_orgs(select(Organisation), actor)
    if form.subject != "organisation":
        stmt = stmt.where(Organisation.kind == form.subject)
    text = query.strip()[:50]
    if text:
        stmt = stmt.where(or_(Organisation.name.contains(text, autoescape=True),
                              Organisation.uscc.startswith(text.upper(), autoescape=True)))
    orgs = session.scalars(stmt.order_by(Organisation.name).limit(limit))
    return [entity_of_org(o) for o in orgs]


def counts_by_status(session: Session, actor: Actor) -> dict[str, int]:
    stmt = scope_submissions(select(StatsSubmission.status, func.count()).group_by(StatsSubmission.status), actor)
    out = {k: 0 for k in STATUSES}
    out.update(dict(session.execute(stmt).tuples().all()))
    flagged = scope_submissions(select(func.count()).select_from(StatsSubmission)
                                .where(StatsSubmission.flagged.is_(True),
                                       StatsSubmission.status.in_(("submitted", "verified"))), actor)
    out["flagged"] = session.scalar(flagged) or 0
    return out


# ---------------------------------------------------------------- form administration

FORM_SETTINGS = ("title", "deadline_days", "lock_days", "jump_factor", "z_threshold", "is_active")


def update_form(session: Session, actor: Actor, code: str, *, revision: int, settings: Mapping[str, Any],
                fields: Mapping[str, Mapping[str, Any]]) -> StatsForm:
    """An administrator changes a form's deadline, lock, outlier thresholds and its fields' labels, units,
    required flags and ranges. Types and keys stay (reports already stored use them)."""
    if not actor.can("stats:form:write"):
        raise Forbidden()
    form = get_form(session, code)
    if revision != form.revision:
        raise Conflict(f"该报表已被他人修改（当前版本 {form.revision}），请刷新后重试")
    errors: list[FieldError] = []
    before = _form_snapshot(form)
    title = str(settings.get("title", form.title)).strip()
    if not 2 <= len(title) <= 100:
        errors.append(FieldError("title", "名称应为 2–100 个字"))
    ints: dict[str, int | None] = {}
    for name, low, high, optional in (("deadline_days", 0, 365, False), ("lock_days", 0, 3650, True)):
        raw = str(settings.get(name, "")).strip()
        if raw == "" and optional:
            ints[name] = None
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors.append(FieldError(name, f"应为 {low}–{high} 之间的整数"))
        else:
            ints[name] = int(raw)
    decimals: dict[str, Decimal] = {}
    lows: tuple[tuple[str, Decimal], ...] = (("jump_factor", Decimal(1)), ("z_threshold", Decimal("0.5")))
    for name, floor in lows:
        try:
            decimals[name] = Decimal(str(settings.get(name, "")).strip())
            if not decimals[name].is_finite() or decimals[name] <= floor or decimals[name] > 1000:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError(name, f"应为大于 {floor} 的数"))
    for f in form.fields:
        given = fields.get(f.key, {})
        label = str(given.get("label", f.label)).strip()
        if not 1 <= len(label) <= 100:
            errors.append(FieldError(f"{f.key}.label", "名称应为 1–100 个字"))
        for bound in ("min_value", "max_value"):
            raw = str(given.get(bound, getattr(f, bound))).strip()
            if raw:
                try:
                    if not Decimal(raw).is_finite():
                        raise InvalidOperation
                except InvalidOperation:
                    errors.append(FieldError(f"{f.key}.{bound}", "应为数字或留空"))
    if errors:
        raise ValidationFailed("请检查标红的字段", errors)
    form.title = title
    form.deadline_days = ints["deadline_days"] or 0
    form.lock_days = ints["lock_days"]
    form.jump_factor = decimals["jump_factor"]
    form.z_threshold = decimals["z_threshold"]
    form.is_active = bool(settings.get("is_active", form.is_active))
    for f in form.fields:
        given = fields.get(f.key, {})
        f.label = str(given.get("label", f.label)).strip()
        f.unit = str(given.get("unit", f.unit)).strip()[:20]
        f.required = bool(given.get("required", f.required))
        f.outlier_check = bool(given.get("outlier_check", f.outlier_check)) and f.type in TYPES[:4]
        f.min_value = str(given.get("min_value", f.min_value)).strip()
        f.max_value = str(given.get("max_value", f.max_value)).strip()
    form.revision += 1
    session.flush()
    audit.record(session, actor, "stats.form.update", object_type="stats_form", object_id=form.code,
                 before=before, after=_form_snapshot(form))
    return form


FORM_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
FIELD_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def create_form(session: Session, actor: Actor, *, code: str, title: str, period_type: str, subject: str,
                reported_by: str, deadline_days: str) -> StatsForm:
    """A new report form (its fields are added next). Codes are capitals, digits and underscores."""
    if not actor.can("stats:form:write"):
        raise Forbidden()
    code = code.strip().upper()
    errors: list[FieldError] = []
    if not 3 <= len(code) <= 40 or not set(code) <= FORM_CODE_CHARS:
        errors.append(FieldError("code", "代码为 3–40 位大写字母、数字或下划线"))
    elif session.scalar(select(StatsForm.id).where(StatsForm.code == code)) is not None:
        errors.append(FieldError("code", "该代码已被使用"))
    if not 2 <= len(title.strip()) <= 100:
        errors.append(FieldError("title", "名称应为 2–100 个字"))
    if period_type not in PERIOD_TYPES:
        errors.append(FieldError("period_type", "请选择报告期类型"))
    if subject not in SUBJECTS:
        errors.append(FieldError("subject", "请选择填报主体"))
    if reported_by not in ("self", "officer") or (subject == "division" and reported_by != "officer"):
        errors.append(FieldError("reported_by", "县（区）报表由主管部门填报"))
    if not deadline_days.strip().isdigit() or int(deadline_days) > 365:
        errors.append(FieldError("deadline_days", "应为 0–365 之间的整数"))
    if errors:
        raise ValidationFailed("请检查标红的字段", errors)
    form = StatsForm(code=code, title=title.strip(), title_en="", period_type=period_type, subject=subject,
                     reported_by=reported_by, deadline_days=int(deadline_days), lock_days=None,
                     jump_factor=Decimal(10), z_threshold=Decimal(3), description="", is_active=True, revision=1)
    session.add(form)
    session.flush()
    audit.record(session, actor, "stats.form.create", object_type="stats_form", object_id=form.code,
                 after=_form_snapshot(form))
    return form


def add_field(session: Session, actor: Actor, code: str, *, key: str, label: str, type_: str, unit: str,
              required: bool, min_value: str, max_value: str, part_of: str, outlier_check: bool) -> StatsFormField:
    """A new field at the end of a form. Reports already stored keep their values; a new required field is
    asked for in their next correction."""
    if not actor.can("stats:form:write"):
        raise Forbidden()
    form = get_form(session, code)
    key = key.strip().lower()
    errors: list[FieldError] = []
    if not 2 <= len(key) <= 40 or not set(key) <= FIELD_KEY_CHARS or not key[0].isalpha():
        errors.append(FieldError("key", "字段代码为 2–40 位小写字母、数字或下划线，以字母开头"))
    elif field_of(form, key) is not None:
        errors.append(FieldError("key", "该报表已有此字段"))
    if not 1 <= len(label.strip()) <= 100:
        errors.append(FieldError("label", "名称应为 1–100 个字"))
    if type_ not in TYPES:
        errors.append(FieldError("type", "请选择类型"))
    for name, raw in (("min_value", min_value), ("max_value", max_value)):
        if raw.strip():
            try:
                if not Decimal(raw.strip()).is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(FieldError(name, "应为数字或留空"))
    total = field_of(form, part_of.split("/", 1)[0]) if part_of.strip() else None
    if part_of.strip() and (total is None or total.type != type_):
        errors.append(FieldError("part_of", "分项须属于本报表中同类型的合计字段"))
    if errors:
        raise ValidationFailed("请检查标红的字段", errors)
    before = _form_snapshot(form)
    new = StatsFormField(key=key, label=label.strip(), label_en="", type=type_, unit=unit.strip()[:20],
                         required=required, min_value=min_value.strip(), max_value=max_value.strip(),
                         part_of=part_of.strip(), outlier_check=outlier_check and type_ in TYPES[:4],
                         sort_order=max((f.sort_order for f in form.fields), default=0) + 10)
    form.fields.append(new)
    form.revision += 1
    session.flush()
    audit.record(session, actor, "stats.form.add_field", object_type="stats_form", object_id=form.code,
                 before=before, after=_form_snapshot(form))
    return new


def _form_snapshot(form: StatsForm) -> dict[str, Any]:
    return {"title": form.title, "deadline_days": form.deadline_days, "lock_days": form.lock_days,
            "jump_factor": str(form.jump_factor), "z_threshold": str(form.z_threshold), "is_active": form.is_active,
            "fields": [{"key": f.key, "label": f.label, "unit": f.unit, "required": f.required,
                        "min": f.min_value, "max": f.max_value, "outlier": f.outlier_check} for f in form.fields],
            "revision": form.revision}


def field_of(form: StatsForm, key: str) -> StatsFormField | None:
    return next((f for f in form.fields if f.key == key), None)


def jurisdictions(session: Session) -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in session.scalars(
        select(Division).where(Division.level.in_(("county", "zone"))).order_by(Division.sort_order))]


def period_label(period_type: str) -> str:
    return PERIOD_TYPES.get(period_type, period_type)
