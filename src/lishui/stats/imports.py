"""Excel/CSV templates and all-or-nothing uploads of report forms (the same checks as the web form and the API),
and the bulk write used by uploads and API batches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import FieldError, Forbidden
from lishui.core.tabular import FORMULA_START, read_table
from lishui.registry import COUNTIES, ZONE_CODE, Organisation, scope_orgs
from lishui.stats.models import StatsForm, StatsLockException, StatsRevision, StatsSubmission
from lishui.stats.rules import (
    BadValue,
    FormSpec,
    Period,
    Series,
    check_not_future,
    check_values,
    dump_values,
    load_values,
    parse_period,
    spec_of,
)
from lishui.stats.service import (
    STATUSES,
    SUBJECTS,
    SubmissionFilter,
    division_name,
    filtered,
    get_form,
    lock_date,
    may_report,
    scope_submissions,
    subject_fits,
)

ORG_COLUMN = "统一社会信用代码"
DIVISION_COLUMN = "县（区）"
PERIOD_COLUMN = "报告期"
MAX_ERRORS = 500
CHUNK = 2000
PERIOD_EXAMPLES = {"day": "2017-03-15", "month": "2017-03", "quarter": "2017-Q1", "year": "2017"}


def entity_column(form: StatsForm) -> str:
    return DIVISION_COLUMN if form.subject == "division" else ORG_COLUMN


def template(form: StatsForm) -> tuple[list[str], list[list[str]]]:
    """The upload template: the entity, the period, then one column per field (label and unit); no rows."""
    spec = spec_of(form)
    return [entity_column(form), PERIOD_COLUMN, *[f.column for f in spec.fields]], []


EXPORT_LIMIT = 100_000
EXPORT_INFO = ("名称", "状态", "修订版本", "异常值")  # after the template's columns in an export; ignored on upload


def _plain(type_: str, canonical: str | None) -> str:
    """A value as an upload expects it back: yuan (or dollars) with two decimals and no separators, 是/否."""
    if canonical is None or canonical == "":
        return ""
    if type_ in ("money", "usd"):
        return f"{Decimal(canonical) / 100:.2f}"
    if type_ == "bool":
        return "是" if canonical == "true" else "否"
    return canonical


def export_rows(session: Session, actor: Actor, f: SubmissionFilter) -> tuple[list[str], list[list[str]], bool]:
    """The reports of one form that the list shows (the actor's scope and filters): the upload template's columns
    (the latest revision's values), then name, state, revision and flag, which an upload ignores, so rows for new
    periods can be uploaded from the same sheet. Returns headers, rows and whether ``EXPORT_LIMIT`` cut it."""
    form = get_form(session, f.form)
    spec = spec_of(form)
    stmt = (filtered(scope_submissions(select(StatsSubmission, StatsRevision.values, Organisation.uscc,
                                              Organisation.name), actor), f)
            .join(StatsRevision, (StatsRevision.submission_id == StatsSubmission.id)
                  & (StatsRevision.revision == StatsSubmission.current_revision))
            .outerjoin(Organisation, Organisation.id == StatsSubmission.org_id)
            .order_by(StatsSubmission.period_start, StatsSubmission.division_code, StatsSubmission.id)
            .limit(EXPORT_LIMIT + 1))
    headers = [entity_column(form), PERIOD_COLUMN, *[x.column for x in spec.fields], *EXPORT_INFO]
    rows: list[list[str]] = []
    for sub, values, uscc, name in session.execute(stmt).tuples():
        got = load_values(values)
        entity = uscc if uscc else division_name(sub.division_code)
        rows.append([entity, sub.period, *[_plain(x.type, got.get(x.key)) for x in spec.fields],
                     name or division_name(sub.division_code), STATUSES.get(sub.status, (sub.status,))[0],
                     str(sub.current_revision), "是" if sub.flagged else ""])
    truncated = len(rows) > EXPORT_LIMIT
    return headers, rows[:EXPORT_LIMIT], truncated


@dataclass
class ImportReport:
    form: str
    total_rows: int = 0
    created: int = 0
    flagged: int = 0
    errors: list[FieldError] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Row:
    """One checked row ready to write."""

    line: int
    entity_key: str
    org_id: int | None
    division_code: str
    period: Period
    values: dict[str, str]
    flags: list[dict[str, str]] = field(default_factory=list)


def _unquote(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


class _Entities:
    """Resolves the entity cell of each row within the actor's scope, loading organisations in chunks."""

    def __init__(self, session: Session, actor: Actor, form: StatsForm, cells: Sequence[str]) -> None:
        self.form = form
        self.actor = actor
        self.orgs: dict[str, tuple[int, str, str, str]] = {}  # credit code -> id, kind, division, name
        if form.subject != "division":
            codes = sorted({c.strip().upper() for c in cells if c.strip()})
            for start in range(0, len(codes), 1000):
                stmt = scope_orgs(select(Organisation.uscc, Organisation.id, Organisation.kind,
                                         Organisation.division_code, Organisation.name), actor)
                for uscc, org_id, kind, division, name in session.execute(
                        stmt.where(Organisation.uscc.in_(codes[start:start + 1000]))):
                    self.orgs[uscc] = (org_id, kind, division, name)
        self.divisions = {c: c for c in (*COUNTIES, ZONE_CODE)}
        self.divisions.update({division_name(c): c for c in (*COUNTIES, ZONE_CODE)})

    def resolve(self, cell: str) -> tuple[str, int | None, str]:
        """(entity key, org id, division code); raises BadValue."""
        text = cell.strip().upper()
        if not text:
            raise BadValue("不能为空")
        if self.form.subject == "division":
            code = self.divisions.get(cell.strip())
            if code is None:
                raise BadValue(f"“{cell[:20]}”不是县（市、区）或开发区")
            if self.actor.scope == "division" and code != self.actor.scope_division:
                raise BadValue("只能填报本辖区")
            if self.actor.scope == "org":
                raise BadValue("只能由县（区）商务部门填报")
            return f"d{code}", None, code
        found = self.orgs.get(text)
        if found is None:
            raise BadValue(f"未找到统一社会信用代码为 {text[:18]} 的机构，或该机构不在您的管辖范围内")
        org_id, kind, division, name = found
        if not subject_fits(self.form, kind):
            raise BadValue(f"“{name}”不是{SUBJECTS.get(self.form.subject, self.form.subject)}")
        return f"o{org_id}", org_id, division


def _open_exceptions(session: Session, form: StatsForm) -> set[tuple[str, str]]:
    rows = session.execute(select(StatsLockException.entity_key, StatsLockException.period).where(
        StatsLockException.form_id == form.id, StatsLockException.closed.is_(False),
        StatsLockException.expires_on >= clock.today()))
    return {(k, p) for k, p in rows.tuples()}


Item = tuple[int, str, str, Mapping[str, Any]]


def check_rows(session: Session, actor: Actor, form: StatsForm, items: Sequence[Item], report: ImportReport,
               titles: Mapping[str, str]) -> list[Row]:
    """Check rows given as (line, entity cell, period cell, raw values by field key), adding errors with the
    line and the column title to ``report``. Returns the rows, with their outlier flags, when all are good."""
    if not may_report(actor, form):
        raise Forbidden("您不能填报此报表")
    spec = spec_of(form)
    entities = _Entities(session, actor, form, [cell for _, cell, _, _ in items])
    exceptions = _open_exceptions(session, form)
    today = clock.today()
    ecol = entity_column(form)
    first_line: dict[tuple[str, str], int] = {}
    rows: list[Row] = []

    def error(column: str, message: str, line: int) -> None:
        if len(report.errors) >= MAX_ERRORS:
            report.truncated = True
        else:
            report.errors.append(FieldError(column, message, line))

    for line, cell, period_cell, raw in items:
        if report.truncated:
            break
        entity: tuple[str, int | None, str] | None = None
        period: Period | None = None
        try:
            entity = entities.resolve(cell)
        except BadValue as exc:
            error(ecol, str(exc), line)
        try:
            period = parse_period(form.period_type, period_cell)
            check_not_future(period, today)
        except BadValue as exc:
            error(PERIOD_COLUMN, str(exc), line)
            period = None
        checked = check_values(spec, raw)
        for key, message in checked.errors:
            error(titles.get(key, key), message, line)
        if entity is None or period is None:
            continue
        pair = (entity[0], period.code)
        if pair in first_line:
            error(PERIOD_COLUMN, f"与第 {first_line[pair]} 行是同一主体、同一报告期（重复报送）", line)
            continue
        first_line[pair] = line
        locked_on = lock_date(form, period.end)
        if locked_on is not None and today > locked_on and pair not in exceptions:
            error(PERIOD_COLUMN, f"{period.code} 的数据已于 {locked_on} 锁定", line)
            continue
        if checked.ok:
            rows.append(Row(line, entity[0], entity[1], entity[2], period, checked.values))
    if rows:
        for key, period_code, sub_id in _existing(session, form, rows):
            error(PERIOD_COLUMN, f"{period_code} 已报送（编号 {sub_id}），如需修改请提交更正",
                  first_line[(key, period_code)])
    if not report.ok:
        return []
    flag_rows(session, form, spec, rows)
    return rows


def _existing(session: Session, form: StatsForm, rows: Sequence[Row]) -> list[tuple[str, str, int]]:
    keys = sorted({r.entity_key for r in rows})
    wanted = {(r.entity_key, r.period.code) for r in rows}
    found = []
    for start in range(0, len(keys), 1000):
        for key, period, sub_id in session.execute(
                select(StatsSubmission.entity_key, StatsSubmission.period, StatsSubmission.id)
                .where(StatsSubmission.form_id == form.id,
                       StatsSubmission.entity_key.in_(keys[start:start + 1000]))).tuples():
            if (key, period) in wanted:
                found.append((key, period, sub_id))
    return found


def flag_rows(session: Session, form: StatsForm, spec: FormSpec, rows: list[Row]) -> None:
    """Outlier flags for each row against the entity's history: stored periods and earlier rows of the file."""
    if not any(f.outlier_check for f in spec.fields):
        return
    history: dict[str, list[tuple[date, dict[str, str] | Row]]] = {}
    for row in rows:
        history.setdefault(row.entity_key, []).append((row.period.start, row))
    keys = sorted(history)
    for start in range(0, len(keys), 1000):
        stored = session.execute(
            select(StatsSubmission.entity_key, StatsSubmission.period_start, StatsRevision.values)
            .join(StatsRevision, StatsRevision.submission_id == StatsSubmission.id)
            .where(StatsSubmission.form_id == form.id, StatsSubmission.entity_key.in_(keys[start:start + 1000]),
                   StatsSubmission.status != "returned",
                   StatsRevision.revision == func.coalesce(StatsSubmission.accepted_revision,
                                                           StatsSubmission.current_revision)))
        for key, period_start, stored_values in stored.tuples():
            history[key].append((period_start, load_values(stored_values)))
    for entries in history.values():
        entries.sort(key=lambda e: e[0])
        series = Series(spec)
        for _, item in entries:
            if isinstance(item, Row):
                item.flags = series.flags(item.values)
                series.add(item.values)
            else:
                series.add(item)


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for ``count`` new submissions: from the sequence on PostgreSQL; on SQLite after the largest id (the
    transaction holds SQLite's single write lock from its start, so no other writer can take them)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(text("SELECT nextval(pg_get_serial_sequence('stats_submissions', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": count}))
    start = (session.scalar(select(func.max(StatsSubmission.id))) or 0) + 1
    return list(range(start, start + count))


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: COPY on PostgreSQL (in the session's transaction), executemany on SQLite (in process)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def write_rows(session: Session, actor: Actor, form: StatsForm, rows: Sequence[Row], channel: str) -> int:
    """Insert checked rows as first submissions (revision 1), in chunks; returns how many were flagged."""
    flagged = 0
    now = clock.now()
    ids = _new_ids(session, len(rows))
    submissions = cast(Table, StatsSubmission.__table__)
    revisions = cast(Table, StatsRevision.__table__)
    for start in range(0, len(rows), CHUNK):
        batch = rows[start:start + CHUNK]
        batch_ids = ids[start:start + CHUNK]
        _insert(session, submissions, [
            {"id": sub_id, "form_id": form.id, "entity_key": r.entity_key, "org_id": r.org_id,
             "division_code": r.division_code, "period": r.period.code, "period_start": r.period.start,
             "period_end": r.period.end, "status": "submitted", "current_revision": 1, "flagged": bool(r.flags),
             "officer_note": "", "return_reason": "", "verified_by": "", "accepted_by": "", "created_at": now,
             "updated_at": now}
            for sub_id, r in zip(batch_ids, batch, strict=True)])
        _insert(session, revisions, [
            {"submission_id": sub_id, "revision": 1, "values": dump_values(r.values),
             "flags": json.dumps(r.flags, ensure_ascii=False) if r.flags else "", "reason": "", "channel": channel,
             "created_by": actor.username, "created_at": now}
            for sub_id, r in zip(batch_ids, batch, strict=True)])
        flagged += sum(1 for r in batch if r.flags)
    return flagged


def import_file(session: Session, actor: Actor, form_code: str, content: bytes, filename: str = "",
                channel: str = "excel") -> ImportReport:
    """All or nothing: every row is checked first (columns, entity, period, duplicates, lock, values); if anything
    is wrong nothing is stored and the report names each row and column."""
    form = get_form(session, form_code)
    if not may_report(actor, form):
        raise Forbidden("您不能填报此报表")
    spec = spec_of(form)
    ecol = entity_column(form)
    columns = [f.column for f in spec.fields]
    required = [ecol, PERIOD_COLUMN, *[f.column for f in spec.fields if f.required]]
    sheet = read_table(content, [ecol, PERIOD_COLUMN, *columns, *EXPORT_INFO], required)  # export's extras: ignored
    key_of = {f.column: f.key for f in spec.fields}
    items = []
    for line, row in enumerate(sheet.rows, start=2):
        raw = {key_of[c]: _unquote(v) for c, v in row.items() if c in key_of}
        items.append((line, row.get(ecol, ""), row.get(PERIOD_COLUMN, ""), raw))
    total_rows = len(sheet.rows)
    del sheet  # the rows live on in ``items``; the parsed sheet is a second copy
    report = ImportReport(form.code, total_rows=total_rows)
    rows = check_rows(session, actor, form, items, report, {f.key: f.column for f in spec.fields})
    if not report.ok:
        return report
    report.flagged = write_rows(session, actor, form, rows, channel)
    report.created = len(rows)
    audit.record(session, actor, "stats.submission.import", object_type="stats_form", object_id=form.code,
                 detail={"file": filename[:200], "sha256": hashlib.sha256(content).hexdigest(), "rows": len(rows),
                         "flagged": report.flagged, "channel": channel})
    return report
