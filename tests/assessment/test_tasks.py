"""Responsibility tasks: generation from the pack's clauses, colours, reports, extensions, closure, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lishui.assessment import tasks
from lishui.assessment.models import Task
from lishui.core.audit import AuditRecord
from lishui.core.errors import Conflict, NotFound, ValidationFailed
from tests.conftest import csrf_from
from tests.factories import login


def _gov(factory):
    city = factory.org(kind="government", division="331100", name="丽水市商务局")
    liandu = factory.org(kind="government", division="331102", name="莲都区商务局")
    jinyun = factory.org(kind="government", division="331122", name="缙云县商务局")
    return city, liandu, jinyun


def test_generate_is_idempotent_and_names_unmapped_units(db, factory):
    city, liandu, _ = _gov(factory)
    with db.unit_of_work() as session:
        first = tasks.generate(session, factory.system, pack_key="lishui-2015", year=2017)
    with db.unit_of_work() as session:
        again = tasks.generate(session, factory.system, pack_key="lishui-2015", year=2017)
        total = session.scalar(select(func.count()).select_from(Task))
        commerce = session.scalars(select(Task).where(Task.unit_name == "市商务局")).all()
        county = session.scalar(select(Task).where(Task.unit_name == "莲都区人民政府", Task.clause_id == "二(一)1"))
        coop = session.scalars(select(Task).where(Task.role == "cooperating")).all()
        audits = session.scalar(select(func.count()).select_from(AuditRecord)
                                .where(AuditRecord.event == "assessment.tasks.generate"))
    assert first.created > 100 and first.created == total
    assert again.created == 0 and again.existing == total
    assert commerce and all(t.org_id == city and t.division_code == "331100" for t in commerce)
    assert county is not None and county.org_id == liandu and county.due_on == dt.date(2017, 12, 31)
    assert {t.unit_name for t in coop} >= {"市旅委", "团市委"}
    assert "团市委" in first.unmapped and "市商务局" not in first.unmapped and "莲都区人民政府" not in first.unmapped
    assert audits == 2


def test_colours_follow_the_deadline_and_extensions():
    task = Task(due_on=dt.date(2017, 6, 30), status="open", report_every_days=30)
    assert tasks.colour(task, dt.date(2017, 5, 1)) == "green"
    assert tasks.colour(task, dt.date(2017, 6, 20)) == "yellow"
    assert tasks.colour(task, dt.date(2017, 7, 1)) == "red"
    task.extended_to = dt.date(2017, 9, 30)
    assert tasks.colour(task, dt.date(2017, 7, 1)) == "green"
    task.status = "closed"
    assert tasks.colour(task, dt.date(2018, 1, 1)) == "closed"


def _one(db, factory, unit="莲都区人民政府"):
    _gov(factory)
    with db.unit_of_work() as session:
        tasks.generate(session, factory.system, pack_key="lishui-2015", year=2017, due_on=dt.date(2017, 6, 30))
        return session.scalar(select(Task.id).where(Task.unit_name == unit).order_by(Task.id).limit(1))


def test_report_extension_and_closure(db, factory, tmp_path):
    task_id = _one(db, factory)
    system = factory.system
    with db.unit_of_work() as session:
        tasks.report_progress(session, system, task_id, text="已建成站点", figures=tasks.parse_figures("站点: 120"),
                              attachment=("进展.pdf", b"%PDF-1.4 test"), upload_dir=tmp_path)
    with pytest.raises(ValidationFailed) as bad:
        tasks.parse_figures("站点: 十二")
    assert bad.value.fields[0].field == "figures"
    with db.unit_of_work() as session, pytest.raises(ValidationFailed):
        tasks.request_extension(session, system, task_id, until=dt.date(2017, 6, 1), reason="x")
    with db.unit_of_work() as session:
        tasks.request_extension(session, system, task_id, until=dt.date(2017, 9, 30), reason="资金未到位")
    with db.unit_of_work() as session, pytest.raises(Conflict):
        tasks.request_extension(session, system, task_id, until=dt.date(2017, 10, 30), reason="again")
    with db.unit_of_work() as session:
        assert tasks.pending_extensions(session, [task_id, task_id + 1]) == {task_id}
    with db.unit_of_work() as session:
        tasks.decide_extension(session, system, task_id, approve=True, note="同意")
        tasks.chase(session, system, task_id, note="请加快进度")
        task = tasks.close(session, system, task_id, grade="B", note="完成")
        kinds = [e.kind for e in tasks.events(session, task)]
        event = tasks.attachment(session, system, task_id, 0)
    assert task.extended_to == dt.date(2017, 9, 30) and task.grade == "B"
    assert kinds == ["report", "extension", "extension", "chase", "closure"]
    assert (tmp_path / "assessment" / event.attachment_stored).read_bytes() == b"%PDF-1.4 test"
    with db.unit_of_work() as session, pytest.raises(Conflict):
        tasks.chase(session, system, task_id, note="late")


def test_task_score_counts_grades_lateness_and_overdue():
    closed = Task(due_on=dt.date(2017, 6, 30), status="closed", grade="A", closed_on=dt.date(2017, 6, 1))
    late = Task(due_on=dt.date(2017, 6, 30), status="closed", grade="A", closed_on=dt.date(2017, 7, 5))
    overdue = Task(due_on=dt.date(2017, 6, 30), status="open")
    assert tasks.task_score(closed) == 1.0
    assert tasks.task_score(late) == 0.5
    assert tasks.task_score(overdue, dt.date(2017, 7, 1)) == 0.0


def test_pages_county_officer_sees_only_its_county_and_reports(client, db, factory):
    _, liandu, _ = _gov(factory)
    own = _one(db, factory)
    with db.unit_of_work() as session:
        other = session.scalar(select(Task.id).where(Task.unit_name == "缙云县人民政府").limit(1))
    officer = factory.account("county_officer", org_id=liandu)
    login(client, officer)
    page = client.get("/assessment/tasks?year=2017")
    assert page.status_code == 200 and "莲都区人民政府" in page.text and "缙云县人民政府" not in page.text
    assert client.get(f"/assessment/tasks/{other}").status_code == 404
    detail = client.get(f"/assessment/tasks/{own}")
    resp = client.post(f"/assessment/tasks/{own}/report", data={"text": "推进中", "figures": "完成: 3",
                                                                "csrf_token": csrf_from(detail.text)},
                       files={"attachment": ("a.csv", b"a,b\n1,2\n", "text/csv")}, follow_redirects=False)
    assert resp.status_code == 303
    detail = client.get(f"/assessment/tasks/{own}")
    assert "推进中" in detail.text and "a.csv" in detail.text
    assert client.get(f"/assessment/tasks/{own}/attachment").content == b"a,b\n1,2\n"
    refused = client.post(f"/assessment/tasks/{other}/report", data={"text": "x", "csrf_token": csrf_from(detail.text)})
    assert refused.status_code == 404
    # a county officer cannot close
    assert client.post(f"/assessment/tasks/{own}/close", data={"grade": "A", "csrf_token": csrf_from(detail.text)},
                       headers={"Accept": "application/json"}).status_code == 403


def test_overdue_task_shows_red_and_api_generates(client, db, factory):
    _gov(factory)
    officer = factory.account("city_officer")
    token = factory.token(officer)
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post("/api/v1/assessment/tasks/generate", json={"pack": "lishui-2015", "year": 2016,
                                                                   "due_on": "2016-03-31"}, headers=auth)
    assert resp.status_code == 200 and resp.json()["created"] > 100
    red = client.get("/api/v1/assessment/tasks?year=2016&colour=red", headers=auth).json()
    assert red and all(t["colour"] == "red" for t in red)
    task_id = red[0]["id"]
    bad = client.post(f"/api/v1/assessment/tasks/{task_id}/close", json={"grade": "E"}, headers=auth)
    assert bad.status_code == 422
    ok = client.post(f"/api/v1/assessment/tasks/{task_id}/close", json={"grade": "C", "note": "补办"}, headers=auth)
    assert ok.status_code == 200 and ok.json()["colour"] == "closed"
    login(client, officer)
    page = client.get("/assessment/tasks?year=2016&colour=red")
    assert 'data-colour="red"' in page.text


def test_unknown_task_is_not_found(db, factory):
    with db.unit_of_work() as session, pytest.raises(NotFound):
        tasks.get_task(session, factory.system, 999)


def test_cli_generates_tasks(settings, db, factory, monkeypatch):
    from typer.testing import CliRunner

    from lishui.cli.main import app

    _gov(factory)
    monkeypatch.setenv("LISHUI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LISHUI_SECRET_KEY", settings.secret_key)
    result = CliRunner().invoke(app, ["assessment", "tasks", "generate", "--pack", "lishui-2015", "--year", "2017"])
    assert result.exit_code == 0, result.output
    assert "tasks created" in result.output and "unmapped unit" in result.output
    again = CliRunner().invoke(app, ["assessment", "tasks", "generate", "--pack", "lishui-2015", "--year", "2017"])
    assert again.output.startswith("0 tasks created")
    listed = CliRunner().invoke(app, ["assessment", "tasks", "list", "--year", "2017", "--colour", "red"])
    assert listed.exit_code == 0 and "莲都区人民政府" in listed.output
    assert listed.output.splitlines()[-1].startswith("red: ")


def test_api_reports_are_idempotent_and_scoped(client, db, factory):
    _, liandu, _ = _gov(factory)
    own = _one(db, factory)
    with db.unit_of_work() as session:
        other = session.scalar(select(Task.id).where(Task.unit_name == "缙云县人民政府").limit(1))
    token = factory.token(factory.account("county_officer", org_id=liandu))
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "report-1"}
    body = {"text": "推进中", "figures": {"站点": "12"}}
    first = client.post(f"/api/v1/assessment/tasks/{own}/reports", json=body, headers=headers)
    again = client.post(f"/api/v1/assessment/tasks/{own}/reports", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert [e["kind"] for e in again.json()["events"]] == ["report"]
    assert client.post(f"/api/v1/assessment/tasks/{other}/reports", json=body,
                       headers={"Authorization": f"Bearer {token}"}).status_code == 404
    bad = client.post(f"/api/v1/assessment/tasks/{own}/reports", json={"text": "x", "figures": {"站点": "many"}},
                      headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "figures"


def test_api_report_with_an_attachment(client, db, factory):
    _, liandu, _ = _gov(factory)
    own = _one(db, factory)
    token = factory.token(factory.account("county_officer", org_id=liandu))
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post(f"/api/v1/assessment/tasks/{own}/reports/upload", headers=auth,
                       data={"text": "附进展表", "figures": "站点: 7"},
                       files={"file": ("进展.pdf", b"%PDF-1.4 report", "application/pdf")})
    assert resp.status_code == 201, resp.text
    event = resp.json()["events"][0]
    assert event["attachment_name"] == "进展.pdf" and "7" in event["figures"]
    refused = client.post(f"/api/v1/assessment/tasks/{own}/reports/upload", headers=auth, data={"text": "x"},
                          files={"file": ("a.exe", b"MZ\x00\x00binary", "application/octet-stream")})
    assert refused.status_code == 415
