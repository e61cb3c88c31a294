"""Policy business logic over the database: packs in force, evaluating organisations, batch runs (免申即享),
facts and the calculator. Views, routes and the CLI call these."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
from sqlalchemy import event, func, insert, or_, select
from sqlalchemy.orm import Session

from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.db import Database
from lishui.core.errors import DomainError, Forbidden, NotFound
from lishui.policy import facts as fact_store
from lishui.policy.engine import Engine, Entity, EntityColumns, MeasureResult, period_window
from lishui.policy.lang import FactDecl, SymbolTable
from lishui.policy.models import BatchCandidate, BatchRun, PackVersion, PolicyFact
from lishui.policy.pack.model import FactInfo, Pack
from lishui.registry import CITY_CODE, Division, Organisation, scope_orgs

log = logging.getLogger("lishui.policy")

_PACKS: dict[str, Pack] = {}


def packs() -> dict[str, Pack]:
    """The packs shipped with the platform, loaded and checked once per process, keyed ``id@version``."""
    if not _PACKS:
        from lishui.policy.pack.loader import builtin_pack_folders, load_pack

        for folder in builtin_pack_folders():  # an amendment ships as a second folder with the same id
            pack = load_pack(folder)
            _PACKS[pack_key(pack)] = pack
    return dict(_PACKS)


def get_pack(pack_key: str) -> Pack:
    pack = packs().get(pack_key)
    if pack is None:
        raise NotFound(f"政策包“{pack_key}”不存在")
    return pack


def pack_key(pack: Pack) -> str:
    return f"{pack.id}@{pack.version}"


def pack_in_force(year: int, division_code: str | None = None, published: Collection[str] | None = None) -> Pack:
    """The pack version in force for the period: a county's own pack for its entities, else the city pack;
    among versions of one pack the latest whose effective date is on or before the period's end.

    ``published`` (``published_keys``): once any version of a pack is published, its unpublished versions (a
    draft amendment) are left out; a pack never published is used as it is (a fresh installation)."""
    published_ids = {key.split("@", 1)[0] for key in published or ()}
    candidates = []
    for pack in packs().values():
        if pack.id in published_ids and pack_key(pack) not in (published or ()):
            continue
        if period_window(pack, year) is None:
            continue
        effective = pack.effective_from or pack.valid_from
        if effective > dt.date(year, 12, 31):
            continue
        local = bool(pack.derives_from) and division_code is not None and division_code in pack.jurisdictions
        city = not pack.derives_from
        if local or city:
            candidates.append((local, effective, pack))
    if not candidates:
        raise NotFound(f"没有在 {year} 年有效的政策包")
    candidates.sort(key=lambda c: (c[0], c[1]))
    return candidates[-1][2]


def _engine(pack: Pack) -> Engine:
    cache = _ENGINES.get(pack_key(pack))
    if cache is None:
        cache = _ENGINES[pack_key(pack)] = Engine(pack)
    return cache


_ENGINES: dict[str, Engine] = {}


def with_defaults(pack: Pack, facts: Mapping[str, Any], year: int) -> dict[str, Any]:
    """An entity's facts as the engine takes them: the pack's defaults (nothing received yet under a measure,
    no provincial grant), then the period's own facts, then what is known (recorded or provided)."""
    return {**pack.fact_defaults(), **fact_store.period_facts(year), **facts}


class OrgIdentity(Protocol):
    """What an evaluation needs of an organisation (an ``Organisation``, or a row of these columns)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def division_code(self) -> str: ...


def entity_for(session: Session, pack: Pack, org: OrgIdentity, year: int) -> Entity:
    facts = fact_store.gather(session, pack.symbols, [org.id], year)[org.id]
    return Entity(org.id, org.name, org.kind, org.division_code, with_defaults(pack, facts, year))


_ORG_IDENTITY = select(Organisation.id, Organisation.name, Organisation.kind, Organisation.division_code)


def _visible_org(session: Session, actor: Actor, org_id: int) -> OrgIdentity:
    """The organisation as ``get_organisation`` finds it (the actor's data scope applied in the query), reading only
    the columns an evaluation uses: no ORM object, no tags (the registry facts read those)."""
    row = session.execute(scope_orgs(_ORG_IDENTITY.where(Organisation.id == org_id), actor)).one_or_none()
    if row is None:
        raise NotFound("机构不存在")
    found: OrgIdentity = row
    return found


def evaluate_org(session: Session, actor: Actor, org_id: int, year: int, *, pack: Pack | None = None,
                 measure_id: str | None = None) -> tuple[Pack, Entity, list[MeasureResult]]:
    org = _visible_org(session, actor, org_id)
    hashes = published_hashes(session)  # one read serves both the choice of pack and the altered check
    pack = pack or pack_in_force(year, org.division_code, _published_keys(hashes))
    if measure_id is not None and measure_id not in pack.measures:
        raise NotFound(f"政策包中没有措施 {measure_id}")
    _refuse_altered(pack, _state(pack, hashes))
    entity = entity_for(session, pack, org, year)
    results = _engine(pack).evaluate(entity, year, [measure_id] if measure_id else None)
    return pack, entity, results


def explain(pack: Pack, entity: Entity, result: MeasureResult) -> str:
    return _engine(pack).explain(entity, result)


# ---------------------------------------------------------------- publication

PUBLICATION_STATES = {"draft": "草稿（未发布）", "published": "已发布", "altered": "已发布后被修改（停用）"}


def publication(session: Session, pack: Pack) -> PackVersion | None:
    return session.scalar(select(PackVersion).where(PackVersion.pack_id == pack.id,
                                                    PackVersion.version == pack.version))


def publication_state(session: Session, pack: Pack) -> str:
    """draft: never published; published: the files give the published hash; altered: they no longer do."""
    published = publication(session, pack)
    return _state(pack, {} if published is None else {pack_key(pack): published.content_hash})


# Built once: every evaluation reads the (few) publications, and a statement built per call costs more in Python
# than the query does in the database.
_PUBLISHED_HASHES = select(PackVersion.pack_id, PackVersion.version, PackVersion.content_hash)


def published_hashes(session: Session) -> dict[str, str]:
    """``id@version`` -> content hash at publication, of every published version (read on each call, never cached
    across requests: another process may publish at any time)."""
    return {f"{pack_id}@{version}": content_hash
            for pack_id, version, content_hash in session.execute(_PUBLISHED_HASHES)}


def _state(pack: Pack, hashes: Mapping[str, str]) -> str:
    published = hashes.get(pack_key(pack))
    if published is None:
        return "draft"
    return "published" if published == pack.content_hash else "altered"


def _published_keys(hashes: Mapping[str, str]) -> set[str]:
    shipped = packs()
    return {key for key, content_hash in hashes.items()
            if key in shipped and shipped[key].content_hash == content_hash}


def published_keys(session: Session) -> set[str]:
    """``id@version`` of every shipped pack whose published hash its files still give."""
    return _published_keys(published_hashes(session))


def publications(session: Session, pack_id: str | None = None) -> list[PackVersion]:
    stmt = select(PackVersion).order_by(PackVersion.pack_id, PackVersion.published_at)
    if pack_id:
        stmt = stmt.where(PackVersion.pack_id == pack_id)
    return list(session.scalars(stmt))


def require_unaltered(session: Session, pack: Pack) -> None:
    """Refuse to evaluate a published version whose files were changed afterwards (a change is a new version)."""
    _refuse_altered(pack, publication_state(session, pack))


def _refuse_altered(pack: Pack, state: str) -> None:
    if state == "altered":
        raise PolicyError(f"政策包 {pack_key(pack)} 发布后文件被修改（内容摘要与发布时不一致），已停用："
                          "修改已发布的政策包须提升版本号后重新发布", "pack_altered", 409)


def require_published(session: Session, pack: Pack) -> None:
    """Money follows published packs only: a batch run (免申即享 candidates) needs a published, unaltered pack."""
    state = publication_state(session, pack)
    if state == "draft":
        raise PolicyError(f"政策包 {pack_key(pack)} 尚未发布：发布后才能批量测算并生成免申即享候选名单",
                          "pack_not_published", 409)
    require_unaltered(session, pack)


def publish_pack(session: Session, actor: Actor, pack: Pack, note: str = "") -> PackVersion:
    """Publish a pack version after its checks and test cases pass. Publishing the same content again is a
    no-op; different content under a published version number is refused."""
    from lishui.policy.pack.checks import check_pack, errors_only

    if not actor.can("policy:pack:publish"):
        raise Forbidden()
    existing = publication(session, pack)
    if existing is not None:
        if existing.content_hash == pack.content_hash:
            return existing
        raise PolicyError(f"政策包 {pack_key(pack)} 已于 {existing.published_at:%Y-%m-%d} 发布，内容不可更改："
                          "请提升 pack.yaml 中的版本号（version）后发布新版本", "pack_version_published", 409)
    if pack.derives_from:
        parent = [p for p in packs().values() if p.id == pack.derives_from]
        if parent and all(publication_state(session, p) != "published" for p in parent):
            raise PolicyError(f"上级政策包 {pack.derives_from} 尚未发布：请先发布上级政策包",
                              "parent_not_published", 409)
    errors = _CHECKED.get(pack.content_hash)
    if errors is None:  # a pure function of the content: checked once per process
        errors = _CHECKED[pack.content_hash] = errors_only(check_pack(pack.path))
    if errors:
        raise PolicyError(f"政策包检查未通过（{len(errors)} 个错误），不能发布："
                          + "；".join(str(e) for e in errors[:5]), "pack_check_failed", 422)
    version = PackVersion(pack_id=pack.id, version=pack.version, content_hash=pack.content_hash,
                          effective_from=(pack.effective_from or pack.valid_from).isoformat(),
                          derives_from=pack.derives_from, published_by=actor.username, note=note.strip()[:300],
                          sources=json.dumps(pack.sources, ensure_ascii=False, sort_keys=True))
    session.add(version)
    session.flush()
    audit.record(session, actor, "policy.pack.publish", object_type="pack", object_id=pack_key(pack),
                 detail={"hash": pack.content_hash, "files": len(pack.sources), "note": version.note})
    return version


_CHECKED: dict[str, list[Any]] = {}


def publish_shipped(session: Session, actor: Actor, note: str = "") -> list[PackVersion]:
    """Publish every shipped pack not yet published (city packs before the county packs that derive from them)."""
    order = sorted(packs().values(), key=lambda p: (bool(p.derives_from), p.id, p.version))
    return [publish_pack(session, actor, p, note) for p in order if publication(session, p) is None]


# ---------------------------------------------------------------- batch (免申即享)

@dataclass
class BatchSummary:
    run: BatchRun
    by_measure: dict[str, dict[str, Any]]


def run_batch(session: Session, actor: Actor, pack: Pack, year: int) -> BatchRun:
    """Evaluate every organisation the actor may see against every measure; store candidates and near misses.
    In the caller's unit of work (the CLI, the demo, the API with ``wait``); pages use ``start_batch``."""
    run = _new_run(session, actor, pack, year)
    entities = _batch_entities(session, actor, pack, year)
    results = _engine(pack).evaluate_batch(EntityColumns(pack, entities), year)
    return _store_batch(session, actor, pack, run, entities, results)


def _new_run(session: Session, actor: Actor, pack: Pack, year: int) -> BatchRun:
    if not actor.can("policy:batch:run"):
        raise Forbidden()
    require_published(session, pack)
    run = BatchRun(pack_id=pack.id, pack_version=pack.version, year=year, started_by=actor.username,
                   stage="loading", progress_total=len(pack.measures), summary=json.dumps({"scope": _scope_of(actor)}))
    session.add(run)
    session.flush()
    return run


def _batch_entities(session: Session, actor: Actor, pack: Pack, year: int) -> list[Entity]:
    rows = session.execute(scope_orgs(select(Organisation.id, Organisation.name, Organisation.kind,
                                             Organisation.division_code), actor).order_by(Organisation.id)).all()
    known = fact_store.gather(session, pack.symbols, [r.id for r in rows], year)
    return [Entity(r.id, r.name, r.kind, r.division_code, with_defaults(pack, known.get(r.id, {}), year))
            for r in rows]


def _store_batch(session: Session, actor: Actor, pack: Pack, run: BatchRun, entities: list[Entity],
                 results: Mapping[str, Any]) -> BatchRun:
    summary: dict[str, dict[str, Any]] = {}
    candidates = []
    total = 0
    near = 0
    for measure_id, batch in results.items():
        measure = pack.measures[measure_id]
        eligible = np.flatnonzero(batch.eligible())
        misses = np.flatnonzero(batch.near_miss())
        amount = int(batch.amount_fen[eligible].sum()) if len(eligible) else 0
        total += amount
        near += len(misses)
        statuses = {str(k): int(v) for k, v in zip(*np.unique(batch.status, return_counts=True), strict=True)}
        summary[measure_id] = {"title": measure.title, "budget_line": measure.budget_line, "eligible": len(eligible),
                               "amount_fen": amount, "near_miss": len(misses), "statuses": statuses}
        for i in eligible:
            candidates.append({"run_id": run.id, "org_id": entities[i].id, "measure_id": measure_id,
                               "kind": "eligible", "amount_fen": int(batch.amount_fen[i]), "missing_condition": ""})
        for i in misses:
            cond = measure.conditions[int(batch.failed_first[i])]
            candidates.append({"run_id": run.id, "org_id": entities[i].id, "measure_id": measure_id,
                               "kind": "near_miss", "amount_fen": 0,
                               "missing_condition": (cond.hint or cond.label)[:300]})
    if candidates:
        session.execute(insert(BatchCandidate), candidates)
    by_line: dict[str, int] = {}
    for s in summary.values():
        by_line[s["budget_line"]] = by_line.get(s["budget_line"], 0) + s["amount_fen"]
    scope = run_summary(run).get("scope")
    run.entities = len(entities)
    run.candidates = sum(1 for c in candidates if c["kind"] == "eligible")
    run.near_misses = near
    run.total_fen = total
    run.summary = json.dumps({"measures": summary, "budget_lines": by_line, "scope": scope}, ensure_ascii=False)
    run.status = "done"
    run.stage = "done"
    run.progress_done = run.progress_total
    run.finished_at = clock.now()
    audit.record(session, actor, "policy.batch.run", object_type="batch_run", object_id=run.id,
                 detail={"pack": pack_key(pack), "year": run.year, "entities": run.entities,
                         "candidates": run.candidates, "total_fen": total})
    return run


# A run started from a page works in the background (in-process, see DESIGN.md "background work") so the officer
# sees its progress. It reads in one short transaction, evaluates outside any transaction and writes in another,
# with progress committed in between: on SQLite no transaction is held while the engine computes.
_JOBS: dict[int, threading.Thread] = {}


def start_batch(session: Session, db: Database, actor: Actor, pack: Pack, year: int) -> BatchRun:
    """Create the run in the caller's unit of work (refused like ``run_batch``); once that commits, evaluate it
    in a background thread with its own units of work on ``db``. Nothing starts if the caller rolls back."""
    run = _new_run(session, actor, pack, year)
    run_id = run.id

    def launch(_: Session) -> None:
        thread = threading.Thread(target=_batch_job, args=(db, actor, pack, year, run_id),
                                  name=f"batch-run-{run_id}", daemon=True)
        _JOBS[run_id] = thread
        thread.start()

    event.listen(session, "after_commit", launch, once=True)
    return run


def wait_for_batch(run_id: int, timeout: float = 120.0) -> None:
    """Block until a background run has finished (for the CLI and tests)."""
    thread = _JOBS.get(run_id)
    if thread is not None:
        thread.join(timeout)
        if thread.is_alive():
            raise TimeoutError(f"batch run {run_id} still running after {timeout} s")
        _JOBS.pop(run_id, None)


def _progress(db: Database, run_id: int, stage: str, done: int) -> None:
    with db.unit_of_work() as session:
        run = session.get(BatchRun, run_id)
        if run is not None:
            run.stage, run.progress_done = stage, done


def _batch_job(db: Database, actor: Actor, pack: Pack, year: int, run_id: int) -> None:
    try:
        with db.unit_of_work() as session:
            entities = _batch_entities(session, actor, pack, year)
            run = session.get(BatchRun, run_id)
            assert run is not None
            run.entities, run.stage = len(entities), "evaluating"
        step = max(1, len(pack.measures) // 10)

        def progress(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                _progress(db, run_id, "evaluating", done)

        results = _engine(pack).evaluate_batch(EntityColumns(pack, entities), year, progress=progress)
        with db.unit_of_work() as session:
            run = session.get(BatchRun, run_id)
            assert run is not None
            run.stage = "storing"
            _store_batch(session, actor, pack, run, entities, results)
    except Exception as exc:  # the run is marked failed with the reason; nothing half-stored
        log.exception("batch run %s failed", run_id)
        with db.unit_of_work() as session:
            run = session.get(BatchRun, run_id)
            if run is not None:
                run.status, run.stage, run.error = "failed", "failed", str(exc)[:2000]
                run.finished_at = clock.now()
                audit.record(session, actor, "policy.batch.run", object_type="batch_run", object_id=run_id,
                             outcome="failure", detail={"error": str(exc)[:300]})


def get_run(session: Session, actor: Actor, run_id: int) -> BatchRun:
    run = session.get(BatchRun, run_id)
    if run is None or not actor.can("policy:batch:read") or not run_visible(actor, run):
        raise NotFound("批量测算不存在")
    return run


def _scope_of(actor: Actor) -> dict[str, Any]:
    """Whose organisations a run covered: its totals are only shown within that scope."""
    return {"kind": actor.scope, "division": actor.scope_division or "", "org_id": actor.org_id}


def run_visible(actor: Actor, run: BatchRun) -> bool:
    """A run's totals cover the organisations its starter could see: a city-wide run is shown to city-wide
    roles only, a county's run to that county's officers (runs stored before scopes were kept: city-wide)."""
    scope = run_summary(run).get("scope") or {"kind": "city"}
    if actor.scope == "city":
        return True
    if actor.scope == "division":
        return scope.get("kind") == "division" and scope.get("division") == actor.scope_division
    if actor.scope == "org":
        return scope.get("kind") == "org" and scope.get("org_id") == actor.org_id
    return False


def visible_runs(session: Session, actor: Actor, limit: int = 50) -> list[BatchRun]:
    """The latest runs the actor may open (the scope is kept in the run's summary, so filtered here)."""
    recent = session.scalars(select(BatchRun).order_by(BatchRun.id.desc()).limit(max(limit * 10, 200)))
    return [r for r in recent if run_visible(actor, r)][:limit]


def list_runs(session: Session) -> list[BatchRun]:
    return list(session.scalars(select(BatchRun).order_by(BatchRun.id.desc()).limit(50)))


def run_candidates(session: Session, actor: Actor, run: BatchRun, kind: str = "eligible",
                   measure_id: str = "", limit: int | None = 500) -> list[tuple[BatchCandidate, Organisation]]:
    stmt = (scope_orgs(select(BatchCandidate, Organisation).join(Organisation,
                                                                  Organisation.id == BatchCandidate.org_id), actor)
            .where(BatchCandidate.run_id == run.id, BatchCandidate.kind == kind)
            .order_by(BatchCandidate.measure_id, BatchCandidate.amount_fen.desc(), BatchCandidate.id))
    if measure_id:
        stmt = stmt.where(BatchCandidate.measure_id == measure_id)
    if limit:
        stmt = stmt.limit(limit)
    return [(c, o) for c, o in session.execute(stmt).tuples()]


def run_summary(run: BatchRun) -> dict[str, Any]:
    return json.loads(run.summary) if run.summary else {"measures": {}, "budget_lines": {}}


# ---------------------------------------------------------------- calculator

def calculate(pack: Pack, answers: Mapping[str, Any], *, kind: str, division_code: str, year: int,
              name: str = "（试算）") -> tuple[Entity, list[MeasureResult]]:
    """Evaluate a questionnaire's answers without touching the database (the public calculator)."""
    entity = Entity("calculator", name, kind, division_code or CITY_CODE, with_defaults(pack, answers, year))
    return entity, _engine(pack).evaluate(entity, year)


def decimal_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- for pages and the API

def fact_catalogue() -> dict[str, FactInfo]:
    """Every fact any shipped pack names (the facts table is shared by all packs), city pack first."""
    out: dict[str, FactInfo] = {}
    for pack in sorted(packs().values(), key=lambda p: (bool(p.derives_from), p.id, p.version)):
        for name, info in pack.facts.items():
            out.setdefault(name, info)
    return out


def fact_symbols() -> SymbolTable:
    """The catalogue as a symbol table, for recording and importing facts."""
    return SymbolTable(facts={n: FactDecl(i.type, i.label) for n, i in fact_catalogue().items()})

def resolve_pack(ref: str) -> Pack:
    """A pack by its key (``id@version``) or by its id alone (the latest version of that pack)."""
    if "@" in ref:
        return get_pack(ref)
    versions = [p for p in packs().values() if p.id == ref]
    if not versions:
        raise NotFound(f"政策包“{ref}”不存在")
    return max(versions, key=lambda p: (p.effective_from or p.valid_from, p.version))


def valid_years(pack: Pack) -> list[int]:
    """The calendar years with at least one day inside the pack's validity (S2)."""
    last = (pack.valid_to or dt.date(clock.today().year, 12, 31)).year
    return [y for y in range(pack.valid_from.year, last + 1) if period_window(pack, y) is not None]


def default_year(session: Session) -> int:
    """The year pages open on: the latest year with recorded facts inside a city pack's validity, else last year
    (or the nearest year a city pack covers)."""
    years = sorted({y for p in packs().values() if not p.derives_from for y in valid_years(p)})
    recorded = session.scalar(select(func.max(PolicyFact.year)).where(PolicyFact.year.in_(years))) if years else None
    if recorded:
        return int(recorded)
    wanted = clock.today().year - 1
    return min(years, key=lambda y: abs(y - wanted)) if years else wanted


def find_organisations(session: Session, actor: Actor, q: str, limit: int = 20) -> list[Organisation]:
    """Organisations the actor may see whose name or credit code contains ``q`` (to pick whom to evaluate)."""
    text = q.strip()[:100]
    if not text:
        return []
    like = f"%{text}%"
    stmt = scope_orgs(select(Organisation), actor).where(
        or_(Organisation.name.like(like), Organisation.uscc.like(like.upper())))
    return list(session.scalars(stmt.order_by(Organisation.name).limit(limit)))


EXPORT_HEADERS = ["类型", "措施", "措施名称", "统一社会信用代码", "机构名称", "所属县（区）", "预计金额（元）",
                  "还需满足的条件"]


def export_rows(session: Session, actor: Actor, run: BatchRun, pack: Pack | None = None
                ) -> tuple[list[str], list[list[Any]]]:
    """Candidates and near misses of a run, for the spreadsheet officers download (audited)."""
    titles = {m.id: m.title for m in pack.measures.values()} if pack is not None else {}
    division_names = dict(session.execute(select(Division.code, Division.name)).tuples().all())
    rows: list[list[Any]] = []
    for kind, label in (("eligible", "符合条件（候选）"), ("near_miss", "差一点")):
        for cand, org in run_candidates(session, actor, run, kind, limit=None):
            rows.append([label, cand.measure_id, titles.get(cand.measure_id, ""), org.uscc, org.name,
                         division_names.get(org.division_code, org.division_code),
                         decimal_yuan(cand.amount_fen) if kind == "eligible" else None, cand.missing_condition])
    audit.record(session, actor, "policy.batch.export", object_type="batch_run", object_id=run.id,
                 detail={"rows": len(rows), "pack": f"{run.pack_id}@{run.pack_version}", "year": run.year})
    return EXPORT_HEADERS, rows


class PolicyError(DomainError):
    pass
