"""Bulletins: generated from the data, PDF with a CJK font and drawn charts, archived and immutable."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from lishui.assessment import bulletins, indicators, tasks
from lishui.assessment.models import Bulletin
from tests.conftest import csrf_from
from tests.factories import login


def _data(db, factory):
    factory.org(kind="government", division="331100", name="丽水市商务局")
    with db.unit_of_work() as session:
        indicators.load_public_figures(session, factory.system)
        indicators.record(session, factory.system, indicator="rural_stations", division="331100", period="2016",
                          value="1500")
        tasks.generate(session, factory.system, pack_key="lishui-2015", year=2016, due_on=dt.date(2016, 9, 30))


def test_snapshot_has_headlines_ranking_targets_and_overdue_tasks(db, factory):
    _data(db, factory)
    with db.unit_of_work() as session:
        content = bulletins.snapshot(session, "2016")
    heads = {h["indicator"]: h for h in content["headlines"]}
    assert heads["online_shops"]["value"] == "8349" and heads["online_shops"]["public"]
    assert heads["rural_stations"]["value"] == "1500" and heads["rural_stations"]["period"] == "2016"
    assert len(content["ranking"]) == 10
    assert {t["id"] for t in content["targets"]} >= {"T2", "T5a"}
    assert content["overdue"] and all(o["due"] == "2016-09-30" for o in content["overdue"])
    assert content["task_colours"]["red"] == len(content["overdue"])


def test_publish_archives_an_immutable_pdf(db, factory):
    _data(db, factory)
    with db.unit_of_work() as session:
        bulletin = bulletins.publish(session, factory.system, "2016")
        number = bulletin.id
    assert bulletin.pdf.startswith(b"%PDF-") and b"FontFile" in bulletin.pdf and len(bulletin.pdf) > 5000
    for statement in (f"UPDATE assessment_bulletins SET title = 'x' WHERE id = {number}",
                      f"DELETE FROM assessment_bulletins WHERE id = {number}"):
        with pytest.raises(Exception, match="immutable"), db.unit_of_work() as session:
            session.execute(text(statement))
    with db.unit_of_work() as session:
        kept = session.get(Bulletin, number)
        assert kept is not None and json.loads(kept.content)["period"] == "2016"


def test_missing_font_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setattr(bulletins, "FONT_DIRS", (tmp_path,))
    with pytest.raises(bulletins.FontMissing) as exc:
        bulletins.cjk_font()
    assert "fonts-noto-cjk" in exc.value.message and exc.value.status == 503


def test_bad_period_is_refused(db, factory):
    from lishui.core.errors import ValidationFailed

    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as exc:
        bulletins.snapshot(session, "2999")
    assert exc.value.fields[0].field == "period"


def test_pages_publish_and_download(client, db, factory):
    _data(db, factory)
    login(client, factory.account("city_officer"))
    preview = client.get("/assessment/bulletins/preview?period=2016")
    assert preview.status_code == 200 and "预览" in preview.text and "8,349" in preview.text
    page = client.get("/assessment/bulletins")
    resp = client.post("/assessment/bulletins", data={"period": "2016", "csrf_token": csrf_from(page.text)},
                       follow_redirects=False)
    assert resp.status_code == 303
    detail = client.get(resp.headers["location"])
    assert detail.status_code == 200 and "逾期责任任务" in detail.text
    pdf = client.get(resp.headers["location"].split("?")[0] + "/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_county_officer_cannot_read_bulletins(client, factory):
    login(client, factory.account("county_officer", org_id=factory.org(kind="government", division="331102")))
    assert client.get("/assessment/bulletins", headers={"Accept": "application/json"}).status_code == 403


def test_cli_publishes_a_bulletin(settings, db, factory, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from lishui.cli.main import app

    _data(db, factory)
    monkeypatch.setenv("LISHUI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LISHUI_SECRET_KEY", settings.secret_key)
    out = tmp_path / "b.pdf"
    result = CliRunner().invoke(app, ["assessment", "bulletin", "--period", "2016", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "published" in result.output and out.read_bytes().startswith(b"%PDF-")
    bad = CliRunner().invoke(app, ["assessment", "bulletin", "--period", "20x"])
    assert bad.exit_code == 1
