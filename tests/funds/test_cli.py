"""lishui funds budget | candidates --period | batch | reconcile, against the test database."""

from __future__ import annotations

from typer.testing import CliRunner

from lishui.cli.main import app
from lishui.funds.models import Claim
from lishui.policy import service as policy
from tests.conftest import TEST_SECRET
from tests.funds.conftest import YEAR

runner = CliRunner()


def test_budget_candidates_batch_reconcile(world, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("LISHUI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LISHUI_SECRET_KEY", TEST_SECRET)
    out = runner.invoke(app, ["funds", "budget", str(YEAR)])
    assert out.exit_code == 0, out.output
    assert "general" in out.output and "1,000,000.00" in out.output
    out = runner.invoke(app, ["funds", "budget", "2017", "--general", "17000000", "--rural", "3000000"])
    assert out.exit_code == 0, out.output
    assert "17,000,000.00" in out.output

    ent = world.enterprise()
    world.factory.publish_packs()
    with world.db.unit_of_work() as s:
        policy.run_batch(s, world.city, policy.pack_in_force(YEAR, "331102"), YEAR)
    out = runner.invoke(app, ["funds", "candidates", "--period", str(YEAR)])
    assert out.exit_code == 0, out.output
    assert "candidate claims created" in out.output
    with world.db.unit_of_work() as s:
        assert s.query(Claim).filter(Claim.org_id == ent.org_id, Claim.state == "candidate").count() >= 1

    world.approved(world.enterprise(facts={"online_retail_included": True, "first_included_year": 2015,
                                           "online_retail_base": "20000000", "online_retail": "25000000"}),
                   measure="M22")
    bank_file = tmp_path / "bank.xlsx"
    out = runner.invoke(app, ["funds", "batch", str(YEAR), "--output", str(bank_file)])
    assert out.exit_code == 0, out.output
    assert bank_file.read_bytes().startswith(b"PK")
    out = runner.invoke(app, ["funds", "reconcile", str(YEAR)])
    assert out.exit_code == 0, out.output
    assert "books balance" in out.output
    statement = tmp_path / "statement.xlsx"
    out = runner.invoke(app, ["funds", "statement", str(YEAR), str(statement)])
    assert out.exit_code == 0, out.output
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(statement).active.iter_rows(values_only=True) for c in row]
    assert "预算行" in cells and "对账" in cells and "M22 网络零售额增长奖励" in cells
