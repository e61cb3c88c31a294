"""The facts gathered for the engine: the registry's own facts, for a few organisations or for all of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lishui.policy import facts as fact_store
from lishui.policy import service as policy

YEAR = 2017


def test_registry_facts_give_tags_and_the_latest_tenancy_the_same_for_a_list_and_for_everyone(factory, db):
    untagged = factory.org()
    tagged = factory.org(tags=["ecommerce_trading", "manufacturer"])
    factory.park_tenant(tagged, move_in=date(2015, 5, 1), area="150.00")
    factory.park_tenant(tagged, move_in=date(2017, 2, 1), area="80.00")  # the later tenancy decides tenancy_year
    not_yet = factory.org(tags=["ecommerce_service"])
    factory.park_tenant(not_yet, move_in=date(2018, 1, 1))  # moves in after the year
    provider = next(p for p in fact_store.providers() if p.name == "registry")
    ids = [untagged, tagged, not_yet]
    # From 5,000 organisations the provider reads every row and keeps the wanted ones: the answer is the same.
    everyone = ids + list(range(10**8, 10**8 + 5000))
    with db.unit_of_work() as session:
        few = provider.provide(session, ids, YEAR)
        many = provider.provide(session, everyone, YEAR)
        absent = provider.provide(session, [10**8], YEAR)
    assert few == {org: many[org] for org in ids} and set(many) == set(ids) and absent == {}
    assert few[untagged] == {"year": YEAR, "in_park": False, **{fact: False for fact in fact_store.TAG_FACTS.values()}}
    assert few[tagged]["is_ecommerce_trading"] and few[tagged]["is_manufacturer"]
    assert not few[tagged]["is_ecommerce_service"]
    assert (few[tagged]["in_park"], few[tagged]["tenancy_year"], few[tagged]["leased_area_m2"]) == (
        True, 1, Decimal("80.00"))
    assert few[not_yet]["is_ecommerce_service"] and few[not_yet]["in_park"] is False
    assert "tenancy_year" not in few[not_yet]


def test_recorded_facts_latest_revision_for_a_list_by_name_and_for_everyone(factory, db):
    org = factory.org()
    other = factory.org()
    factory.facts(org, YEAR, annual_rent="1000")
    factory.facts(org, YEAR, annual_rent="2000", in_cross_border_park=False)  # a second revision of the rent
    factory.facts(other, YEAR, annual_rent="3000")
    factory.facts(org, YEAR - 1, annual_rent="9")
    with db.unit_of_work() as session:
        few = fact_store.table_facts(session, [org], YEAR)
        named = fact_store.table_facts(session, [org, other], YEAR, names=["annual_rent"])
        many = fact_store.table_facts(session, [org, *range(10**8, 10**8 + 5000)], YEAR)
        gathered = fact_store.gather(session, policy.fact_symbols(), [org], YEAR)[org]
    assert few == many == {org: {"annual_rent": "2000", "in_cross_border_park": "false"}}
    assert named == {org: {"annual_rent": "2000"}, other: {"annual_rent": "3000"}}
    assert gathered["annual_rent"] == Decimal("2000") and gathered["in_cross_border_park"] is False
