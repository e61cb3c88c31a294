"""check_pack (is a pack fit to publish?) and diff_packs (what changed between two packs)."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

from lishui.policy.pack.checks import check_pack, diff_packs, errors_only
from lishui.policy.pack.loader import builtin_pack_dirs, load_pack

FIXTURES = Path(__file__).parent / "packs"
PACKS = builtin_pack_dirs()


def copy_pack(tmp_path: Path, name: str = "minimal") -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    start = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:start].count("\n") + 1


# -- check --------------------------------------------------------------------------------------------------


def test_the_builtin_packs_pass_their_checks():
    for pack_id, folder in PACKS.items():
        problems = check_pack(folder)
        assert errors_only(problems) == [], (pack_id, [str(p) for p in problems])


def test_the_city_pack_reminds_officers_of_the_values_the_text_does_not_give():
    warnings = [p for p in check_pack(PACKS["lishui-2015"]) if p.code == "flagged"]
    flagged = {re.match(r"参数 (\w+)", p.message).group(1) for p in warnings}  # type: ignore[union-attr]
    assert {"m06_operating_award_per_station", "s3_city_share_liandu", "s3_city_share_zone"} <= flagged
    assert all(p.severity == "warning" and p.file == "lishui-2015/parameters.yaml" and p.line for p in warnings)


def test_a_failing_case_is_an_error_at_its_line(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "tests" / "M02.yaml", "  - name: 181 天", "  - name: 181 天")
    edit(pack_dir / "tests" / "M02.yaml", "amount_before_caps: 12192.36 元", "amount_before_caps: 12192.37 元")
    problems = errors_only(check_pack(pack_dir))
    assert [(p.file, p.line, p.code) for p in problems] == [("minimal/tests/M02.yaml", line, "case_failed")]
    assert "测试用例“181 天”未通过" in problems[0].message
    assert "amount_before_caps 应为 12192.37，计算得 12192.36" in problems[0].message


def test_a_case_that_cannot_be_computed_says_why(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "tests" / "M02.yaml", "loan_start: 2015-07-01", "loan_start: 2015-01-01")
    problems = errors_only(check_pack(pack_dir))
    assert len(problems) == 1 and "尚未生效" in problems[0].message


def test_a_broken_pack_is_reported_without_running_cases(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "measures" / "M01.yaml", "expr: fact.in_park", "expr: fact.in_prak")
    problems = errors_only(check_pack(pack_dir))
    assert [p.code for p in problems] == ["unknown_fact"]


def test_a_county_measure_without_cases_is_a_warning():
    problems = check_pack(FIXTURES / "county")
    assert errors_only(problems) == []
    untested = [p for p in problems if p.code == "untested"]
    assert [(p.file, p.severity) for p in untested] == [("county/measures/M03.yaml", "warning")]


# -- diff ---------------------------------------------------------------------------------------------------


def test_identical_packs_have_no_differences():
    diff = diff_packs(FIXTURES / "minimal", FIXTURES / "minimal")
    assert not diff and diff.text() == "minimal@1 与 minimal@1 没有差别"


def test_a_new_version_shows_each_change(tmp_path):
    new = copy_pack(tmp_path)
    edit(new / "pack.yaml", 'version: "1"', 'version: "2"\neffective_from: 2017-01-01')
    edit(new / "parameters.yaml", "value: 5万元", "value: 6万元")
    edit(new / "parameters.yaml", "- {from: 2015-10-24, value: 4.35%}",
         "- {from: 2015-10-24, value: 4.30%}\n    - {from: 2019-08-20, value: 4.25%}")
    edit(new / "measures" / "M01.yaml", "expr: fact.in_park\n", "expr: fact.in_park and fact.annual_rent > 0 元\n")
    edit(new / "clauses.yaml", "responsible: [市人行, 市财政局]", "responsible: [市人行]")
    (new / "measures" / "M02.yaml").unlink()
    (new / "tests" / "M02.yaml").unlink()
    diff = diff_packs(FIXTURES / "minimal", new)
    assert (diff.old, diff.new) == ("minimal@1", "minimal@2")

    pack_change = diff.get("pack", "minimal")
    assert pack_change is not None and "版本：1 → 2" in pack_change.details
    assert "本版本生效日期：（无） → 2017-01-01" in pack_change.details
    cap = diff.get("parameter", "rent_cap")
    assert cap is not None and cap.details == ("取值：50,000 元 → 60,000 元",)
    rate = diff.get("parameter", "benchmark_rate")
    assert rate is not None and rate.details == ("2015-10-24 起：4.35% → 4.3%", "新增 2019-08-20 起的值 4.25%")
    m01 = diff.get("measure", "M01")
    assert m01 is not None and m01.kind == "changed"
    assert m01.details == ("条件 in_park：fact.in_park → fact.in_park and fact.annual_rent > 0 元",)
    m02 = diff.get("measure", "M02")
    assert m02 is not None and m02.kind == "removed"
    clause = diff.get("clause", "二(二)6")
    assert clause is not None and clause.details == ("责任单位：市人行、市财政局 → 市人行",)
    assert [c.id for c in diff.parameters] == ["rent_cap", "benchmark_rate"]
    text = diff.text()
    assert "修改参数 rent_cap：取值：50,000 元 → 60,000 元" in text and "删除措施 M02" in text


def test_a_county_pack_against_its_city_pack():
    diff = diff_packs(load_pack(PACKS["lishui-2015"]), load_pack(PACKS["jinyun-2016"]))
    assert {c.id for c in diff.measures if c.kind == "removed"} == {"M13", "M14"}
    assert {c.id for c in diff.measures if c.kind == "added"} == {"JY01"}
    m03_cap = diff.get("parameter", "m03_cap")
    assert m03_cap is not None and "取值：50,000 元 → 30,000 元" in m03_cap.details
    operating = diff.get("parameter", "m06_operating_award_per_station")
    assert operating is not None and "取值：0 元 → 1,000 元" in operating.details
    scope = diff.get("pack", "jinyun-2016")
    assert scope is not None
    assert "适用区划：331100 市直、331102 莲都区、331199 丽水经济技术开发区 → 331122 缙云县" in scope.details
    m06 = diff.get("measure", "M06")
    assert m06 is not None and m06.details == ("适用全市各县：是 → 否",)
    assert {c.id for c in diff.clauses if c.kind == "added"} >= {"缙-快递", "缙-附则"}
    assert Decimal(load_pack(PACKS["jinyun-2016"]).parameters["m21_award"].value_on(None)) == Decimal(20000)
