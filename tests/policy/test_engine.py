from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lishui.policy.engine import Engine, Entity, EntityColumns
from tests.policy.minipack import PACK

ENGINE = Engine(PACK)


def ent(facts=None, kind="enterprise", division="331102", name="甲公司"):
    return Entity(1, name, kind, division, facts or {})


def m03(**facts):
    base = {"in_recognised_park": True, "tenancy_year": 1, "annual_rent": Decimal("60000")}
    base.update(facts)
    return ENGINE.evaluate(ent(base), 2016, ["M03"])[0]


def test_rent_subsidy_year_one_is_seventy_percent_of_rent():
    r = m03()
    assert r.status == "eligible" and r.amount == Decimal("42000.00")
    assert r.amount_before_caps == Decimal("42000.00")


def test_cap_reached_part_way_counts_what_was_already_received():
    r = m03(tenancy_year=2, received_m03_lifetime=Decimal("42000"))
    assert r.amount_before_caps == Decimal("30000.00")
    assert r.amount == Decimal("8000.00")
    assert r.caps[0]["binding"] and r.caps[0]["received"] == "42000.00"


def test_the_year_after_the_schedule_ends_fails_the_condition_with_its_label():
    r = m03(tenancy_year=4)
    assert r.status == "not_eligible" and r.amount == 0
    assert [c["label"] for c in r.failed_conditions] == ["入驻第1至3年"]


def test_out_of_scope_names_the_rule():
    r = ENGINE.evaluate(ent({"in_recognised_park": True, "tenancy_year": 1, "annual_rent": 1}, division="331122"),
                        2016, ["M03"])[0]
    assert r.status == "out_of_scope" and "本意见适用于市区" in r.message


def test_a_measure_reaching_every_county_is_in_scope_there():
    r = ENGINE.evaluate(ent({"center_level": 2, "center_accepted": True}, kind="service_center",
                            division="331122"), 2016, ["M01"])[0]
    assert r.status == "eligible" and r.amount == Decimal("300000.00")


def test_provincial_part_already_paid_is_deducted():
    r = ENGINE.evaluate(ent({"center_level": 1, "center_accepted": True, "provincial_m01": "200000"},
                            kind="service_center"), 2016, ["M01"])[0]
    assert r.amount == Decimal("300000.00") and r.deductions[0]["granted"] == "200000.00"


def test_outside_validity_is_not_covered_with_the_dates():
    r = ENGINE.evaluate(ent({}), 2021, ["M03"])[0]
    assert r.status == "not_covered" and "2015-07-29" in r.message and "2020-07-28" in r.message


def test_external_measure_says_so_until_the_officer_sets_it():
    r = ENGINE.evaluate(ent({"import_value": 100}), 2016, ["M14"])[0]
    assert r.status == "external_unset" and "丽水市对外贸易促进政策" in r.message


def test_missing_facts_are_named():
    r = ENGINE.evaluate(ent({"in_recognised_park": True}), 2016, ["M03"])[0]
    assert r.status == "missing_facts" and set(r.missing) == {"tenancy_year", "annual_rent"}
    assert "本年度房租" in r.message


def test_wrong_kind_is_not_a_beneficiary():
    r = ENGINE.evaluate(ent({"center_level": 1, "center_accepted": True}, kind="enterprise"), 2016, ["M01"])[0]
    assert r.status == "not_beneficiary"


def test_growth_award_boundaries():
    def m22(retail, base="0", first=2015):
        facts = {"included": True, "first_included_year": first, "year": 2016, "online_retail": retail,
                 "online_retail_base": base}
        return ENGINE.evaluate(ent(facts), 2016, ["M22"])[0]

    assert m22("4999999.99").status == "not_eligible"
    assert m22("5000000").amount == Decimal("10000.00")
    assert m22("24999999.99").amount == Decimal("40000.00")
    assert m22("100000000").amount == Decimal("50000.00")
    assert m22("100000000", first=2016).status == "not_eligible"


def test_explanation_cites_clause_conditions_caps_and_parameters():
    text = ENGINE.explain(ent(), m03(tenancy_year=2, received_m03_lifetime=Decimal("42000")))
    assert "二(二)4" in text and "✓ 入驻认定的电子商务园区" in text
    assert "上限「每家企业累计不超过5万元」" in text and "8,000.00" in text
    assert "param.m03_rates" in text or "m03_rates" in text


def test_trace_is_json():
    import json

    r = m03()
    data = json.loads(json.dumps(r.as_json()))
    assert data["amount"] == "42000.00" and data["trace"]["targets"]


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("200000000"), places=2)
entity_facts = st.fixed_dictionaries(
    {
        "in_recognised_park": st.booleans(), "tenancy_year": st.integers(-1, 5),
        "received_m03_lifetime": money, "included": st.booleans(), "first_included_year": st.integers(2013, 2018),
        "year": st.integers(2014, 2019), "online_retail": money, "online_retail_base": money,
        "received_m22_year": money, "center_level": st.integers(1, 2), "center_accepted": st.booleans(),
        "provincial_m01": money,
    },
    optional={"annual_rent": money},
)
entity = st.tuples(entity_facts, st.sampled_from(["enterprise", "service_center", "bank"]),
                   st.sampled_from(["331100", "331102", "331122", "331199"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entity, min_size=1, max_size=25), st.integers(2014, 2021))
def test_batch_and_single_agree_on_every_entity(rows, year):
    entities = [Entity(i, f"e{i}", kind, div, facts) for i, (facts, kind, div) in enumerate(rows)]
    batch = ENGINE.evaluate_batch(EntityColumns(PACK, entities), year)
    for i, e in enumerate(entities):
        for single in ENGINE.evaluate(e, year, trace=False):
            b = batch[single.measure_id]
            assert b.status[i] == single.status, (single.measure_id, e.facts)
            assert Decimal(int(b.amount_fen[i])) / 100 == single.amount, (single.measure_id, e.facts)
            if single.status == "not_eligible":
                assert b.failed_count[i] == len(single.failed_conditions)
