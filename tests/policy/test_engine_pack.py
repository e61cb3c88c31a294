"""The shipped pack on both paths: single and batch evaluation agree for every entity and every measure."""

import datetime as dt
from decimal import Decimal
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lishui.policy import engine as engine_module
from lishui.policy import service
from lishui.policy.engine import Engine, Entity, EntityColumns
from lishui.policy.lang import Type

PACK = service.packs()["lishui-2015@2015.1"]
ENGINE = Engine(PACK)
KINDS = ["enterprise", "park_operator", "station_operator", "service_center", "warehouse_center",
         "service_provider", "logistics", "training", "bank"]


def value_strategy(name, type_):
    if type_ is Type.BOOL:
        return st.booleans()
    if type_ is Type.DATE:
        return st.dates(dt.date(2013, 1, 1), dt.date(2021, 12, 31))
    if type_ is Type.INTEGER:
        if "year" in name and "tenancy" not in name and "operating" not in name:
            return st.integers(2013, 2021)
        return st.integers(0, 12000)
    if type_ is Type.MONEY:
        return st.one_of(st.decimals(0, 300_000_000, places=2),
                         st.sampled_from([Decimal("5000000"), Decimal("4999999.99"), Decimal("200000000"),
                                          Decimal("100000"), Decimal("50000"), Decimal("0")]))
    return st.decimals(0, 1, places=4) if name.endswith(("_share", "_rate", "_ratio")) else st.decimals(
        0, 200000, places=2)


FACTS = {name: value_strategy(name, decl.type) for name, decl in PACK.symbols.facts.items()}
entity_strategy = st.tuples(
    st.one_of(st.fixed_dictionaries(FACTS), st.fixed_dictionaries({}, optional=FACTS)),
    st.sampled_from(KINDS),
    st.sampled_from(["331100", "331102", "331199", "331122", "331181"]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(entity_strategy, min_size=1, max_size=12), st.sampled_from([2015, 2016, 2017, 2018, 2020, 2021]))
def test_single_and_batch_agree_on_the_shipped_pack(rows, year):
    entities = [Entity(i, f"e{i}", kind, division, facts) for i, (facts, kind, division) in enumerate(rows)]
    batch = ENGINE.evaluate_batch(EntityColumns(PACK, entities), year)
    for i, entity in enumerate(entities):
        for single in ENGINE.evaluate(entity, year, trace=False):
            b = batch[single.measure_id]
            assert b.status[i] == single.status, (single.measure_id, single.message, entity.facts)
            assert Decimal(int(b.amount_fen[i])) / 100 == single.amount, (single.measure_id, entity.facts)
            assert bool(b.near_miss()[i]) == single.near_miss, (single.measure_id, single.conditions, entity.facts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(entity_strategy, min_size=1, max_size=30), st.sampled_from([2016, 2017, 2018]))
def test_evaluating_only_the_rows_in_a_measure_s_scope_changes_nothing(rows, year):
    """The batch computes a measure over the rows of its kinds and jurisdictions when they are a minority; forced
    either way, every status, amount, failed condition and 差一点 is the same."""
    entities = [Entity(i, f"e{i}", kind, division, facts) for i, (facts, kind, division) in enumerate(rows)]
    ent = EntityColumns(PACK, entities)
    results = []
    for below in (0.0, 1.01):  # never take rows | always take them
        with patch.object(engine_module, "SUBSET_BELOW", below):
            results.append(ENGINE.evaluate_batch(ent, year))
    every, taken = results
    for mid, b in every.items():
        t = taken[mid]
        for name in ("codes", "amount_fen", "before_caps_fen", "failed_count", "failed_first"):
            assert getattr(b, name).tolist() == getattr(t, name).tolist(), (mid, name)
        assert b.near_miss().tolist() == t.near_miss().tolist(), mid


def test_every_measure_explains_itself_for_a_full_entity():
    facts = {name: (True if d.type is Type.BOOL else dt.date(2016, 3, 1) if d.type is Type.DATE else
                    2016 if d.type is Type.INTEGER and name == "year" else
                    1 if d.type is Type.INTEGER else Decimal("1000000"))
             for name, d in PACK.symbols.facts.items()}
    entity = Entity(1, "甲", "enterprise", "331102", facts)
    for result in ENGINE.evaluate(entity, 2016):
        text = ENGINE.explain(entity, result)
        assert result.measure_id in text and "结论" in text


def test_switching_the_m03_cap_reading_changes_which_receipts_count():
    """Cumulative cap (default): what was received in earlier years counts; per-year: only this year's."""
    facts = {**PACK.fact_defaults(), "year": 2017, "annual_rent": Decimal("60000"), "tenancy_year": 2,
             "in_park": True, "is_ecommerce_trading": True, "is_ecommerce_service": False,
             "in_cross_border_park": False, "received_m03_lifetime": Decimal("42000"),
             "received_m03_year": Decimal("0")}
    entity = Entity(1, "甲", "enterprise", "331102", facts)
    per_year = Engine(PACK, {"m03_cap_cumulative": False})
    for engine, expected, kind in ((ENGINE, Decimal("8000.00"), "lifetime"),
                                   (per_year, Decimal("30000.00"), "per_year")):
        [single] = engine.evaluate(entity, 2017, ["M03"])
        assert (single.status, single.amount, single.caps[0]["kind"]) == ("eligible", expected, kind)
        batch = engine.evaluate_batch(EntityColumns(PACK, [entity]), 2017, ["M03"])["M03"]
        assert int(batch.amount_fen[0]) == int(expected * 100)


def test_only_declared_readings_can_be_switched():
    import pytest

    with pytest.raises(ValueError, match="m03_cap_cumulative"):
        Engine(PACK, {"m03_cap": False})


def test_a_miss_that_cannot_be_closed_this_period_is_not_a_near_miss():
    base = {**PACK.fact_defaults(), "year": 2017, "online_retail": Decimal("1000000"),
            "online_retail_base": Decimal("900000"), "online_retail_highest_prior": Decimal("900000")}
    people = {
        "included_earlier": {**base, "online_retail_included": True, "first_included_year": 2015},
        "not_yet_included": {**base, "online_retail_included": False, "first_included_year": 0},
        "already_awarded": {**base, "online_retail_included": True, "first_included_year": 2017,
                            "received_m21_lifetime": Decimal("10000")},
    }
    entities = [Entity(i, name, "enterprise", "331102", facts) for i, (name, facts) in enumerate(people.items())]
    batch = ENGINE.evaluate_batch(EntityColumns(PACK, entities), 2017, ["M21"])["M21"]
    singles = [ENGINE.evaluate(e, 2017, ["M21"], trace=False)[0] for e in entities]
    assert [s.status for s in singles] == ["not_eligible"] * 3
    assert [s.near_miss for s in singles] == [False, True, False]
    assert batch.near_miss().tolist() == [False, True, False]
    assert [c["closable"] for c in singles[0].conditions] == [False, True]
