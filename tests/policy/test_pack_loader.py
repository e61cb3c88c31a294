"""The pack loader: a valid pack becomes the model; each kind of mistake is reported with its file, its line
and a plain Chinese explanation, and all of them at once."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from lishui.policy.lang import ParamShape, Schedule, Type
from lishui.policy.pack.cases import load_cases
from lishui.policy.pack.loader import builtin_pack_dirs, load_pack
from lishui.policy.pack.problems import PackErrors, Problem

FIXTURES = Path(__file__).parent / "packs"


def copy_pack(tmp_path: Path, name: str = "minimal") -> Path:
    dest = tmp_path / name
    shutil.copytree(FIXTURES / name, dest)
    return dest


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) with ``new``; the 1-based line where the replacement starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path}"
    start = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:start].count("\n") + 1


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def errors(path: Path) -> list[Problem]:
    with pytest.raises(PackErrors) as caught:
        load_pack(path)
    return caught.value.errors


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, f"expected one {code}, got {[str(p) for p in problems]}"
    return found[0]


# -- a valid pack -------------------------------------------------------------------------------------------


def test_the_minimal_pack_loads_into_the_model():
    pack = load_pack(FIXTURES / "minimal")
    assert (pack.id, pack.version, pack.valid_from, pack.valid_to) == ("minimal", "1", dt.date(2015, 7, 29),
                                                                        dt.date(2020, 7, 28))
    assert pack.jurisdictions == ("331102",)
    rates = pack.parameters["rent_rates"]
    assert rates.shape is ParamShape.SCHEDULE and rates.versions[0].value == (Decimal("0.7"), Decimal("0.5"),
                                                                                Decimal("0.3"))
    assert pack.parameters["rent_cap"].value_on(None) == Decimal("50000.00")
    rate = pack.parameters["benchmark_rate"]
    assert [v.effective_from for v in rate.versions] == [dt.date(2015, 6, 28), dt.date(2015, 8, 26),
                                                         dt.date(2015, 10, 24)]
    assert rate.value_on(dt.date(2015, 9, 1)) == Decimal("0.046")
    assert pack.parameters["cap_cumulative"].alternatives == ((False, "每年"),)
    m01 = pack.measures["M01"]
    assert m01.formulas == ("rent_rate", "rent_subsidy")
    assert m01.facts == ("annual_rent", "in_park", "tenancy_year")
    assert m01.caps[0].kind == "lifetime" and m01.caps[0].reading == "cap_cumulative"
    assert m01.summary == "第一年 70%，每家最高 50,000 元"
    assert m01.file == "minimal/measures/M01.yaml"
    assert pack.clauses["二(二)6"].responsible == ("市人行", "市财政局")
    assert isinstance(pack.params_runtime()["rent_rates"], Schedule)
    assert pack.fact_defaults() == {"received_m01_lifetime": Decimal("0.00"), "received_m01_year": Decimal("0.00")}
    result = m01.amount.evaluate({"annual_rent": Decimal(60000), "tenancy_year": 2}, pack.params_runtime())
    assert result.value == Decimal("30000.00")
    assert result.trace["formulas"][0]["file"] == "minimal/measures/M01.yaml"


def test_the_builtin_packs_load():
    dirs = builtin_pack_dirs()
    assert {"lishui-2015", "jinyun-2016"} <= set(dirs)
    for folder in dirs.values():
        load_pack(folder)


def test_a_money_parameter_may_be_written_without_its_unit(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "parameters.yaml", "value: 5万元", "value: 50000")
    assert load_pack(pack_dir).parameters["rent_cap"].value_on(None) == Decimal("50000.00")


# -- each kind of mistake -----------------------------------------------------------------------------------


def test_a_typo_in_a_fact_name_points_to_the_file_line_and_column_with_a_suggestion(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "expr: fact.in_park", "expr: fact.in_prak")
    problem = only(errors(pack_dir), "unknown_fact")
    assert (problem.file, problem.line, problem.column) == ("minimal/measures/M01.yaml", line, 11)
    assert "未知的事实 fact.in_prak" in problem.message and "是否是指 fact.in_park？" in problem.message
    assert problem.excerpt.splitlines()[1].strip() == "^" * len("fact.in_prak")


def test_a_typo_inside_a_multi_line_block_keeps_its_exact_line(tmp_path):
    pack_dir = copy_pack(tmp_path)
    path = pack_dir / "measures" / "M02.yaml"
    edit(path, "× loan_days / 360", "× loan_dayz / 360")
    problem = only(errors(pack_dir), "unknown_formula")
    assert (problem.file, problem.line) == ("minimal/measures/M02.yaml", line_of(path, "loan_dayz"))
    assert problem.column == path.read_text(encoding="utf-8").splitlines()[problem.line - 1].index("loan_dayz") + 1
    assert "是否是指 loan_days？" in problem.message


def test_a_typo_in_a_formula_is_reported_where_the_formula_is_written(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "expr: schedule(param.rent_rates, fact.tenancy_year)",
                "expr: schedule(param.rent_rates, fact.tenancy_yr)")
    problems = errors(pack_dir)
    problem = only(problems, "unknown_fact")
    assert (problem.file, problem.line) == ("minimal/measures/M01.yaml", line)
    assert "是否是指 fact.tenancy_year？" in problem.message
    # the formulas and the amount that use it do not each report an "unknown name" of their own
    assert len(problems) == 1


def test_a_dated_value_without_its_date(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "parameters.yaml", "- {from: 2015-08-26, value: 4.60%}", "- {value: 4.60%}")
    problem = only(errors(pack_dir), "param_no_date")
    assert (problem.file, problem.line) == ("minimal/parameters.yaml", line)
    assert "缺少生效日期 from" in problem.message


def test_a_dated_parameter_written_with_a_single_value(tmp_path):
    pack_dir = copy_pack(tmp_path)
    path = pack_dir / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  values:\n    - {from: 2015-06-28")
    end = text.index("subsidy_share:")
    path.write_text(text[:start] + "  value: 4.35%\n" + text[end:], encoding="utf-8")
    problem = only(errors(pack_dir), "param_no_date")
    assert (problem.file, problem.line) == ("minimal/parameters.yaml", line_of(path, "value: 4.35%"))
    assert "按日期生效" in problem.message and "from" in problem.message


def test_dates_must_increase(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "parameters.yaml", "{from: 2015-10-24, value: 4.35%}", "{from: 2015-08-01, value: 4.35%}")
    problem = only(errors(pack_dir), "param_dates")
    assert (problem.file, problem.line) == ("minimal/parameters.yaml", line)


def test_a_cycle_between_formulas(tmp_path):
    pack_dir = copy_pack(tmp_path)
    path = pack_dir / "measures" / "M01.yaml"
    edit(path, "expr: schedule(param.rent_rates, fact.tenancy_year)",
         "expr: schedule(param.rent_rates, fact.tenancy_year) × rent_subsidy / fact.annual_rent")
    problem = only(errors(pack_dir), "cycle")
    assert problem.file == "minimal/measures/M01.yaml"
    assert problem.line in (line_of(path, "× rent_subsidy"), line_of(path, "annual_rent × rent_rate"))
    assert "循环引用" in problem.message
    assert "rent_rate → rent_subsidy → rent_rate" in problem.message or \
        "rent_subsidy → rent_rate → rent_subsidy" in problem.message


def test_a_condition_comparing_money_with_a_date(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "expr: fact.in_park", "expr: fact.annual_rent > fact.loan_start")
    problem = only(errors(pack_dir), "type_mismatch")
    assert (problem.file, problem.line) == ("minimal/measures/M01.yaml", line)
    assert "不能比较金额（Money）与日期（Date）" in problem.message


def test_a_condition_that_is_not_true_or_false(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "expr: fact.in_park", "expr: fact.annual_rent")
    problem = only(errors(pack_dir), "wrong_result_type")
    assert problem.line == line and "条件必须是真假值（Bool）" in problem.message


def test_an_amount_that_is_not_money(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "amount: rent_subsidy", "amount: rent_rate")
    problem = only(errors(pack_dir), "wrong_result_type")
    assert problem.line == line and "金额（Money）" in problem.message


def test_an_unknown_clause_cited(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "clauses: [二(二)4]", "clauses: [二(二)5]")
    problem = only(errors(pack_dir), "unknown_clause")
    assert (problem.file, problem.line) == ("minimal/measures/M01.yaml", line)
    assert "不存在的条款 二(二)5" in problem.message and "请在 clauses.yaml 中登记" in problem.message
    assert "是否是指 二(二)" in problem.message


def test_an_unknown_clause_cited_by_a_parameter(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "parameters.yaml", "  clause: 二(二)6\n  value: 50%", "  clause: 二(三)6\n  value: 50%")
    problem = only(errors(pack_dir), "unknown_clause")
    assert (problem.file, problem.line) == ("minimal/parameters.yaml", line)


def test_a_cap_naming_a_parameter_that_is_not_money(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "param: rent_cap", "param: subsidy_share")
    problem = only(errors(pack_dir), "cap_not_money")
    assert (problem.file, problem.line) == ("minimal/measures/M01.yaml", line)
    assert "上限必须是金额参数" in problem.message and "小数（Decimal）" in problem.message


def test_a_cap_naming_an_unknown_parameter(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "param: rent_cap", "param: rent_cp")
    problem = only(errors(pack_dir), "unknown_param")
    assert problem.line == line and "是否是指 rent_cap？" in problem.message


def test_a_measure_missing_a_required_key(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "measures" / "M01.yaml", "amount: rent_subsidy\n", "")
    problem = only(errors(pack_dir), "missing_key")
    assert (problem.file, problem.line) == ("minimal/measures/M01.yaml", 1)
    assert "措施 M01 缺少必填项 amount" in problem.message


def test_a_misspelt_key_is_named_with_the_closest_known_one(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "conditions:", "conditons:")
    problems = errors(pack_dir)
    unknown = only(problems, "unknown_key")
    assert (unknown.line, unknown.column) == (line, 1)
    assert "未知的项 conditons" in unknown.message and "是否是指 conditions？" in unknown.message
    assert "缺少必填项 conditions" in only(problems, "missing_key").message


def test_a_condition_without_its_hint(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "measures" / "M01.yaml", "    hint: 需入驻园区\n", "")
    problem = only(errors(pack_dir), "missing_key")
    assert "第 1 个条件" in problem.message and "hint" in problem.message


def test_a_yaml_syntax_error(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "facts.yaml", "in_park:\n  type: Bool", "in_park:\n  type: Bool\n label: x")
    problem = only(errors(pack_dir), "yaml_syntax")
    assert problem.file == "minimal/facts.yaml" and problem.line in (line + 1, line + 2)
    assert problem.message.startswith("YAML 格式错误")


def test_a_clause_text_that_differs_from_the_document(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "clauses.yaml", "text: 给予基准利率50%的贷款贴息。", "text: 给予基准利率60%的贷款贴息。")
    problem = only(errors(pack_dir), "clause_text")
    assert (problem.file, problem.line) == ("minimal/clauses.yaml", line)
    assert "前 6 个字相同" in problem.message and "逐字照录" in problem.message


def test_a_value_the_rule_language_cannot_read(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "parameters.yaml", "value: 5万元", "value: 5万")
    problem = only(errors(pack_dir), "bad_value")
    assert (problem.file, problem.line) == ("minimal/parameters.yaml", line)
    assert "参数 rent_cap" in problem.message and "50000 元" in problem.message


def test_a_rate_written_as_money(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "parameters.yaml", "value: 50%", "value: 50 元")
    problem = only(errors(pack_dir), "bad_value")
    assert problem.line == line and "这里写的是金额" in problem.message


def test_an_unknown_domain_and_an_unknown_beneficiary_kind(tmp_path):
    pack_dir = copy_pack(tmp_path)
    fact_line = edit(pack_dir / "facts.yaml", "label: 入驻园区\n  domain: registry",
                     "label: 入驻园区\n  domain: registy")
    kind_line = edit(pack_dir / "measures" / "M02.yaml", "beneficiary_kinds: [enterprise]",
                     "beneficiary_kinds: [enterprize]")
    problems = errors(pack_dir)
    domain = only(problems, "unknown_domain")
    assert (domain.file, domain.line) == ("minimal/facts.yaml", fact_line + 1)
    assert "是否是指 registry？" in domain.message
    kind = only(problems, "unknown_kind")
    assert (kind.file, kind.line) == ("minimal/measures/M02.yaml", kind_line)
    assert "是否是指 enterprise？" in kind.message


def test_an_unknown_parameter_in_a_label(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "measures" / "M01.yaml", "label: 最高 {param.rent_cap}", "label: 最高 {param.rent_cp}")
    problem = only(errors(pack_dir), "unknown_param")
    assert problem.line == line and "param.rent_cp" in problem.message


def test_a_missing_pack_file(tmp_path):
    pack_dir = copy_pack(tmp_path)
    (pack_dir / "pack.yaml").unlink()
    problem = only(errors(pack_dir), "missing_file")
    assert problem.file == "minimal/pack.yaml"


def test_every_mistake_is_reported_at_once_in_file_order(tmp_path):
    pack_dir = copy_pack(tmp_path)
    edit(pack_dir / "measures" / "M01.yaml", "expr: fact.in_park", "expr: fact.in_prak")
    edit(pack_dir / "measures" / "M02.yaml", "clauses: [二(二)6]", "clauses: [二(九)6]")
    edit(pack_dir / "parameters.yaml", "- {from: 2015-08-26, value: 4.60%}", "- {value: 4.60%}")
    with pytest.raises(PackErrors) as caught:
        load_pack(pack_dir)
    problems = caught.value.errors
    assert [p.code for p in problems] == ["unknown_fact", "unknown_clause", "param_no_date"]
    assert [p.file for p in problems] == ["minimal/measures/M01.yaml", "minimal/measures/M02.yaml",
                                          "minimal/parameters.yaml"]
    text = str(caught.value)
    assert text.startswith("政策包检查未通过：3 个错误")
    assert "minimal/measures/M01.yaml:" in text and "名称错误：未知的事实 fact.in_prak" in text


# -- derivation ---------------------------------------------------------------------------------------------


def test_a_county_pack_derives_from_its_parent():
    county = load_pack(FIXTURES / "county")
    assert county.derives_from == "minimal" and county.jurisdictions == ("331122",)
    assert county.valid_to is None  # its own validity, not the parent's
    assert sorted(county.measures) == ["M01", "M03"]  # M02 dropped, M03 added
    assert county.dropped_measures == ("M02",)
    assert county.parameters["rent_rates"].versions[0].value == (Decimal("0.8"), Decimal("0.6"), Decimal("0.4"))
    assert county.parameters["rent_rates"].label == "房租补助比例"  # the rest of the entry is inherited
    assert county.parameters["rent_rates"].file == "county/parameters.yaml"
    assert county.measures["M01"].summary == "第一年 70%，每家最高 30,000 元"
    assert county.measures["M01"].file == "minimal/measures/M01.yaml"


def test_jinyun_overrides_drops_and_adds():
    jinyun = load_pack(builtin_pack_dirs()["jinyun-2016"])
    assert jinyun.jurisdictions == ("331122",) and jinyun.derives_from == "lishui-2015"
    assert "M13" not in jinyun.measures and "M14" not in jinyun.measures and "JY01" in jinyun.measures
    assert jinyun.parameters["m03_cap"].value_on(None) == Decimal("30000.00")
    operating = jinyun.parameters["m06_operating_award_per_station"]
    assert operating.value_on(None) == Decimal("1000.00") and operating.flag == "" and not operating.is_reading
    assert not any(m.all_counties for m in jinyun.measures.values())
    assert jinyun.fiscal_split == {"331122": "s3_city_share_jinyun"}
    assert jinyun.targets == () and jinyun.government_items == () and jinyun.facilitation


def test_a_parent_that_cannot_be_found(tmp_path):
    pack_dir = copy_pack(tmp_path, "county")
    line = edit(pack_dir / "pack.yaml", "derives_from: minimal", "derives_from: minimall")
    problem = only(errors(pack_dir), "unknown_pack")
    assert (problem.file, problem.line) == ("county/pack.yaml", line)
    assert "找不到上级政策包 minimall" in problem.message


def test_dropping_a_measure_the_parent_does_not_have(tmp_path):
    copy_pack(tmp_path, "minimal")
    pack_dir = copy_pack(tmp_path, "county")
    line = edit(pack_dir / "pack.yaml", "drop_measures: [M02]", "drop_measures: [M09]")
    problem = only(errors(pack_dir), "unknown_measure")
    assert (problem.file, problem.line) == ("county/pack.yaml", line)


def test_a_derived_pack_must_name_itself(tmp_path):
    copy_pack(tmp_path, "minimal")
    pack_dir = copy_pack(tmp_path, "county")
    edit(pack_dir / "pack.yaml", "title: 测试县政策\n", "")
    problem = only(errors(pack_dir), "missing_key")
    assert problem.file == "county/pack.yaml" and "必须写明自己的 title" in problem.message


def test_a_derivation_cycle(tmp_path):
    parent = copy_pack(tmp_path, "minimal")
    edit(parent / "pack.yaml", "id: minimal\n", "id: minimal\nderives_from: county\n")
    copy_pack(tmp_path, "county")
    problems = errors(tmp_path / "county")
    assert any(p.code == "derivation_cycle" and "county → minimal → county" in p.message for p in problems)


def test_an_override_in_a_county_pack_is_checked_where_it_is_written(tmp_path):
    copy_pack(tmp_path, "minimal")
    pack_dir = copy_pack(tmp_path, "county")
    line = edit(pack_dir / "parameters.yaml", "value: 3万元", "value: 3万")
    problem = only(errors(pack_dir), "bad_value")
    assert (problem.file, problem.line) == ("county/parameters.yaml", line)


# -- case files ---------------------------------------------------------------------------------------------


def test_a_case_file_with_an_unknown_fact(tmp_path):
    pack_dir = copy_pack(tmp_path)
    path = pack_dir / "tests" / "M01.yaml"
    line = edit(path, "facts: {tenancy_year: 4}", "facts: {tenancy_yaer: 4}")
    pack = load_pack(pack_dir)
    cases, problems = load_cases(pack)
    problem = only(problems, "unknown_fact")
    assert (problem.file, problem.line) == ("minimal/tests/M01.yaml", line)
    assert "是否是指 tenancy_year？" in problem.message
    assert [c.name for c in cases if c.measure == "M01"] == ["第一年"]


def test_a_case_file_for_an_unknown_measure(tmp_path):
    pack_dir = copy_pack(tmp_path)
    line = edit(pack_dir / "tests" / "M02.yaml", "measure: M02", "measure: M20")
    _, problems = load_cases(load_pack(pack_dir))
    problem = only(problems, "unknown_measure")
    assert problem.line == line and "是否是指 M02？" in problem.message


def test_a_case_reads_values_with_their_declared_types():
    pack = load_pack(FIXTURES / "minimal")
    cases, problems = load_cases(pack)
    assert problems == []
    loan = next(c for c in cases if c.measure == "M02")
    assert loan.facts["loan_start"] == dt.date(2015, 7, 1) and loan.facts["loan_principal"] == Decimal("1000000.00")
    assert loan.amount_before_caps == Decimal("12192.36") and loan.period == 2015
    first = next(c for c in cases if c.name == "第一年")
    assert (first.period, first.division, first.kind, first.status) == (2016, "331102", "enterprise", "eligible")
    assert pack.symbols.facts["loan_start"].type is Type.DATE
