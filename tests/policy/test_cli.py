"""The policy CLI on the shipped pack: list, show, check, diff, evaluate from files (no database)."""

import json

from openpyxl import load_workbook
from typer.testing import CliRunner

from lishui.cli.main import app

runner = CliRunner()
HEADER = "id,name,kind,division_code,annual_rent,in_park,is_ecommerce_trading,is_ecommerce_service," \
         "in_cross_border_park,tenancy_year\n"


def test_list_and_show():
    out = runner.invoke(app, ["policy", "list"])
    assert out.exit_code == 0 and "lishui-2015@2015.1" in out.output
    out = runner.invoke(app, ["policy", "show", "lishui-2015", "--measure", "M03"])
    assert out.exit_code == 0 and "二(二)4" in out.output and "m03_cap" in out.output


def test_check_passes_on_the_shipped_pack():
    from lishui.policy.pack.loader import builtin_pack_dirs

    out = runner.invoke(app, ["policy", "check", str(builtin_pack_dirs()["lishui-2015"])])
    assert out.exit_code == 0, out.output
    assert "pack OK" in out.output


def test_evaluate_a_csv_without_the_database(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "1,甲公司,enterprise,331102,60000,是,是,否,否,1\n"
                            "2,乙公司,enterprise,331122,60000,是,是,否,否,1\n", encoding="utf-8")
    dst = tmp_path / "out.json"
    out = runner.invoke(app, ["policy", "evaluate", "--pack", "lishui-2015", "--period", "2016", "--input", str(src),
                              "--output", str(dst), "--measure", "M03"])
    assert out.exit_code == 0, out.output
    data = json.loads(dst.read_text(encoding="utf-8"))
    assert [(e["name"], e["results"][0]["status"], e["results"][0]["amount"]) for e in data] == [
        ("甲公司", "eligible", "42000.00"), ("乙公司", "out_of_scope", "0.00")]
    assert data[0]["results"][0]["trace"]["targets"]


def test_evaluate_to_excel_agrees_with_json(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "1,甲公司,enterprise,331102,80000,是,是,否,否,2\n", encoding="utf-8")
    dst = tmp_path / "out.xlsx"
    out = runner.invoke(app, ["policy", "evaluate", "--pack", "lishui-2015", "--period", "2017", "--input", str(src),
                              "--output", str(dst)])
    assert out.exit_code == 0, out.output
    rows = list(load_workbook(dst).active.iter_rows(values_only=True))
    m03 = next(r for r in rows if r[2] == "M03")
    assert m03[4] == "符合条件" and m03[5] == "40000.00"


def test_bad_input_is_listed_by_row_and_column_and_nothing_is_evaluated(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(HEADER + "1,甲公司,enterprise,331102,-5,是,是,否,否,1\n"
                            "2,乙公司,enterprise,331102,100,也许,是,否,否,x\n", encoding="utf-8")
    dst = tmp_path / "out.json"
    out = runner.invoke(app, ["policy", "evaluate", "--pack", "lishui-2015", "--period", "2016", "--input", str(src),
                              "--output", str(dst)])
    assert out.exit_code == 1
    assert "row 2, column annual_rent" in out.output and "row 3, column in_park" in out.output
    assert "row 3, column tenancy_year" in out.output
    assert not dst.exists()


def test_missing_columns_are_refused(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,name\n1,甲\n", encoding="utf-8")
    out = runner.invoke(app, ["policy", "evaluate", "--pack", "lishui-2015", "--period", "2016", "--input", str(src),
                              "--output", str(tmp_path / "o.json")])
    assert out.exit_code != 0
