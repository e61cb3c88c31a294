"""lishui policy: list, show, check, diff, evaluate (files, no database); explain, publish and publications
(from the database)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from lishui.core.errors import DomainError, FieldError
from lishui.core.tabular import read_table, write_xlsx
from lishui.policy import service
from lishui.policy.engine import STATUS_ZH, Engine, Entity, EntityColumns
from lishui.policy.facts import BadValue, check_share, parse_value
from lishui.policy.pack.model import Pack

app = typer.Typer(help="Policy packs and the policy engine.", no_args_is_help=True)

ENTITY_COLUMNS = ("id", "name", "kind", "division_code")


def _pack(key: str) -> Pack:
    """A shipped pack by id@version or id (newest version), or a pack folder."""
    path = Path(key)
    if path.is_dir():
        from lishui.policy.pack.loader import load_pack

        return load_pack(path)
    found = service.packs()
    if key in found:
        return found[key]
    matching = sorted((p for p in found.values() if p.id == key), key=lambda p: p.effective_from or p.valid_from)
    if not matching:
        typer.secho(f"error: no pack {key}; available: {', '.join(found)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return matching[-1]


@app.command("list")
def list_() -> None:
    """List the packs shipped with the platform."""
    for key, pack in sorted(service.packs().items()):
        until = pack.valid_to.isoformat() if pack.valid_to else "—"
        parent = f"  (derives from {pack.derives_from})" if pack.derives_from else ""
        typer.echo(f"{key:<22} {pack.title}  {pack.valid_from} → {until}  {len(pack.measures)} measures{parent}")


@app.command()
def show(pack: Annotated[str, typer.Argument(help="Pack id, id@version, or folder")],
         measure: Annotated[str, typer.Option(help="Show one measure in full")] = "") -> None:
    """Show a pack: validity, scope, measures; or one measure with its conditions, formula and caps."""
    p = _pack(pack)
    if measure:
        m = p.measures.get(measure)
        if m is None:
            typer.secho(f"error: no measure {measure} in {pack}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        typer.echo(f"{m.id} {m.title}  [{', '.join(m.clauses)}]")
        typer.echo(f"  beneficiary: {m.beneficiary} ({', '.join(m.beneficiary_kinds) or 'any'})")
        for c in m.conditions:
            typer.echo(f"  condition: {c.label}    {c.source_text}")
        typer.echo(f"  amount: {m.amount.expr.text}")
        for cap in m.caps:
            typer.echo(f"  cap ({cap.kind}): {cap.label} = param.{cap.param}")
        typer.echo(f"  recurrence: {m.recurrence}; budget line: {m.budget_line}; funding: {m.funding}")
        if m.external:
            typer.echo(f"  external rule: {m.external.reference} (param.{m.external.param})")
        if m.evidence:
            typer.echo("  evidence: " + "; ".join(m.evidence))
        typer.echo("  facts: " + ", ".join(m.facts))
        return
    until = p.valid_to.isoformat() if p.valid_to else "—"
    typer.echo(f"{p.id}@{p.version}  {p.title}\n  issuer {p.issuer}, dated {p.document_date}; valid {p.valid_from} → "
               f"{until}\n  jurisdictions: {', '.join(p.jurisdictions)}")
    for m in p.measures.values():
        flag = " [external]" if m.external else ""
        typer.echo(f"  {m.id:<5} {m.title}{flag}  [{', '.join(m.clauses)}]")


@app.command()
def check(path: Annotated[Path, typer.Argument(help="Pack folder", exists=True, file_okay=False)]) -> None:
    """Validate a pack: every problem with file, line and explanation; runs its test cases. Exit 1 on errors."""
    from lishui.policy.pack.checks import check_pack, errors_only

    problems = check_pack(path)
    for problem in problems:
        typer.echo(str(problem), err=problem.severity == "error")
    errors = errors_only(problems)
    if errors:
        typer.secho(f"{len(errors)} error(s): the pack cannot be published", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"pack OK ({len(problems)} reminder(s))")


@app.command()
def diff(a: Annotated[str, typer.Argument(help="Old pack (id@version or folder)")],
         b: Annotated[str, typer.Argument(help="New pack (id@version or folder)")]) -> None:
    """What changed between two versions: parameters (old → new, with dates), measures, clauses."""
    from lishui.policy.pack.checks import diff_packs

    result = diff_packs(_pack(a), _pack(b))
    typer.echo(result.text() if result else "no differences")


def _read_entities(pack: Pack, path: Path) -> list[Entity]:
    """Entities from .json/.csv/.xlsx: columns id, name, kind, division_code, then fact names."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DomainError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(data, list):
            raise DomainError(f"{path}: expected a JSON list of entities")
        rows = [{**{k: v for k, v in item.items() if k != "facts"}, **item.get("facts", {})} for item in data]
        first_row = 1
    else:
        known = list(ENTITY_COLUMNS) + list(pack.symbols.facts) + _engine_fact_names(pack)
        sheet = read_table(path.read_bytes(), known, required=ENTITY_COLUMNS)
        rows = sheet.rows
        first_row = 2
    errors: list[FieldError] = []
    entities = []
    extra = set(_engine_fact_names(pack))
    for index, row in enumerate(rows, start=first_row):
        facts: dict[str, Any] = {}
        for name, raw in row.items():
            if name in ENTITY_COLUMNS or raw in ("", None):
                continue
            decl = pack.symbols.facts.get(name)
            if decl is None and name not in extra:
                errors.append(FieldError(name, f"unknown fact {name}", index))
                continue
            try:
                if decl is None:
                    facts[name] = parse_value(raw, _money_type())
                else:
                    facts[name] = parse_value(raw if not isinstance(raw, bool) else str(raw), decl.type)
                    check_share(name, decl.type, facts[name])
            except BadValue as exc:
                errors.append(FieldError(name, str(exc), index))
        missing = [c for c in ENTITY_COLUMNS if not str(row.get(c, "")).strip()]
        for c in missing:
            errors.append(FieldError(c, "required", index))
        entities.append(Entity(str(row.get("id", index)), str(row.get("name", "")), str(row.get("kind", "")),
                               str(row.get("division_code", "")), facts))
    if errors:
        raise DomainError("input file has errors; nothing evaluated", fields=errors)
    return entities


def _money_type() -> Any:
    from lishui.policy.lang import Type

    return Type.MONEY


def _engine_fact_names(pack: Pack) -> list[str]:
    from lishui.policy.engine import provincial_fact, received_fact

    names = []
    for m in pack.measures.values():
        names += [received_fact(m.id, k) for k in ("year", "lifetime", "asset")]
        if m.funding.includes_provincial:
            names.append(provincial_fact(m.id))
    return names


def _input_help() -> str:
    return ("Input columns: id, name, kind (registry organisation kind), division_code, then one column per fact "
            "(see docs/policy-cli.md or `lishui policy facts PACK` for each measure's facts).")


@app.command()
def facts(pack: Annotated[str, typer.Argument(help="Pack id, id@version, or folder")]) -> None:
    """The input columns each measure needs (fact name, type, label)."""
    p = _pack(pack)
    for m in p.measures.values():
        typer.echo(f"{m.id} {m.title}")
        for name in m.facts:
            decl = p.symbols.facts[name]
            typer.echo(f"    {name:<34} {decl.type.value:<8} {decl.label or ''}")


@app.command()
def evaluate(
    pack: Annotated[str, typer.Option(help="Pack id, id@version, or folder")],
    period: Annotated[int, typer.Option(help="Year evaluated")],
    input: Annotated[Path, typer.Option(help=_input_help(), exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option(help="Result file: .json (with traces) or .xlsx")],
    measure: Annotated[list[str] | None, typer.Option(help="Only these measures (repeatable)")] = None,
    reading: Annotated[list[str] | None, typer.Option(
        help="Switch an ambiguous reading for this run: NAME=true|false, e.g. m03_cap_cumulative=false "
             "(repeatable; `lishui policy show PACK` lists the readings)")] = None,
) -> None:
    """Evaluate facts given in a file, without touching the database. All input errors are listed by row and
    column and nothing is evaluated. JSON output carries each measure's trace; .xlsx one row per entity × measure."""
    p = _pack(pack)
    switched: dict[str, bool] = {}
    for item in reading or []:
        name, _, value = item.partition("=")
        if value.strip().lower() not in ("true", "false"):
            typer.secho(f"error: --reading {item}: give NAME=true or NAME=false", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        switched[name.strip()] = value.strip().lower() == "true"
    try:
        engine = Engine(p, switched)
    except ValueError as exc:
        typer.secho(f"error: --reading: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    try:
        entities = _read_entities(p, input)
    except DomainError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        for f in exc.fields:
            typer.echo(f"  row {f.row}, column {f.field}: {f.message}", err=True)
        raise typer.Exit(1) from None
    ids = measure or None
    if output.suffix.lower() == ".json":
        out = []
        for e in entities:
            results = engine.evaluate(e, period, ids)
            out.append({"id": e.id, "name": e.name, "results": [r.as_json() for r in results]})
        output.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    else:
        batch = engine.evaluate_batch(EntityColumns(p, entities), period, ids)
        rows = []
        for i, e in enumerate(entities):
            for mid, b in batch.items():
                status = str(b.status[i])
                rows.append([e.id, e.name, mid, p.measures[mid].title, STATUS_ZH[status],
                             f"{Decimal(int(b.amount_fen[i])) / 100:.2f}"])
        output.write_bytes(write_xlsx(["编号", "名称", "措施", "措施名称", "结论", "金额（元）"], rows, "测算结果"))
    typer.echo(f"evaluated {len(entities)} entities × {len(ids or p.measures)} measures for {period}: {output}")


@app.command("explain")
def explain_(
    org: Annotated[str, typer.Option(help="Organisation's Unified Social Credit Code")],
    period: Annotated[int, typer.Option(help="Year evaluated")],
    measure: Annotated[str, typer.Option(help="Measure id, e.g. M03 (default: all)")] = "",
    pack: Annotated[str, typer.Option(help="Pack (default: the one in force)")] = "",
) -> None:
    """Explain, clause by clause, what an organisation in the database gets under each measure."""
    from sqlalchemy import select

    from lishui.core.console import load, operator_actor
    from lishui.registry import Organisation

    _, db = load()
    try:
        with db.unit_of_work() as session:
            org_id = session.scalar(select(Organisation.id).where(Organisation.uscc == org.strip().upper()))
            if org_id is None:
                typer.secho(f"error: no organisation with credit code {org}", fg=typer.colors.RED, err=True)
                raise typer.Exit(1)
            p, entity, results = service.evaluate_org(session, operator_actor("policy explain"), org_id, period,
                                                      pack=_pack(pack) if pack else None,
                                                      measure_id=measure or None)
            for r in results:
                typer.echo(service.explain(p, entity, r) + "\n")
    finally:
        db.dispose()


@app.command()
def publish(pack: Annotated[str, typer.Argument(help="Shipped pack: id@version, or id (newest version)")],
            note: Annotated[str, typer.Option(help="Why this version is published")] = "") -> None:
    """Publish a pack version. Its checks and test cases must pass; afterwards its content is fixed (SM3 hash):
    evaluation refuses the pack if its files change, and a change must be published as a new version."""
    from lishui.core.console import console_error, load, operator_actor

    _, db = load()
    try:
        with db.unit_of_work() as session:
            p = _pack(pack)
            before = service.publication(session, p)
            version = service.publish_pack(session, operator_actor("policy publish"), p, note)
            state = "already published" if before is not None else "published"
            typer.echo(f"{service.pack_key(p)} {state} {version.published_at:%Y-%m-%d %H:%M} by "
                       f"{version.published_by}; SM3 {version.content_hash}")
    except DomainError as exc:
        console_error(exc.message)
        raise typer.Exit(1) from None
    finally:
        db.dispose()


@app.command()
def publications() -> None:
    """Published pack versions, with their state: published, or altered (files changed since: refused)."""
    from lishui.core.console import load

    _, db = load()
    try:
        with db.unit_of_work() as session:
            shipped = service.packs()
            rows = service.publications(session)
            for v in rows:
                loaded = shipped.get(f"{v.pack_id}@{v.version}")
                state = "not shipped" if loaded is None else service.publication_state(session, loaded)
                typer.echo(f"{v.pack_id}@{v.version:<8} {v.published_at:%Y-%m-%d %H:%M} {v.published_by:<16} "
                           f"{state:<10} {v.content_hash[:16]}…  {v.note}")
            drafts = [k for k, p in sorted(shipped.items()) if service.publication(session, p) is None]
            if drafts:
                typer.echo("not published: " + ", ".join(drafts))
            if not rows and not drafts:
                typer.echo("no packs")
    finally:
        db.dispose()
