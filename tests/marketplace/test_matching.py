"""Matching: ranked providers with reasons; text relevance through jieba words; the index follows new offerings."""

from __future__ import annotations

from lishui.core.money import Money
from lishui.marketplace import matching, service
from lishui.marketplace.models import Demand


def test_the_best_fit_ranks_first_with_its_reasons(db, market):
    ent = market.enterprise(division="331181")
    best = market.provider(name="青瓷代运营", title="龙泉青瓷天猫店铺代运营", description="青瓷类目运营经验丰富",
                           price_min="10000", price_max="40000", counties="331181 331102")
    far = market.provider(name="远方代运营", title="店铺代运营", description="服装类目",
                          price_min="10000", price_max="40000", counties="331126")
    dear = market.provider(name="昂贵代运营", title="天猫店铺代运营", description="高端品牌",
                           price_min="200000", price_max="400000")
    design = market.provider(name="设计工作室", category="design", title="青瓷产品主图设计",
                             description="青瓷 摄影 设计", price_min="1000", price_max="5000")
    demand_id = market.demand(ent, title="龙泉青瓷天猫店需要代运营", description="青瓷茶具，预算三万",
                              budget="30000")
    with db.unit_of_work() as session:
        demand = session.get(Demand, demand_id)
        ranked = matching.rank_demand(session, demand)
    order = [m.provider_id for m in ranked]
    assert order[0] == best.provider_id
    assert set(order) == {best.provider_id, far.provider_id, dear.provider_id, design.provider_id}
    top = {r.key: r for r in ranked[0].reasons}
    assert set(top) == {"text", "category", "county", "price", "capacity", "rating", "response", "past"}
    assert top["category"].points == top["category"].weight
    assert "龙泉市" in top["county"].text and top["county"].points == top["county"].weight
    assert abs(ranked[0].score - sum(r.points for r in ranked[0].reasons)) < 0.2
    far_reasons = {r.key: r for r in next(m for m in ranked if m.provider_id == far.provider_id).reasons}
    assert far_reasons["county"].points == 0 and "不含" in far_reasons["county"].text
    dear_reasons = {r.key: r for r in next(m for m in ranked if m.provider_id == dear.provider_id).reasons}
    assert "低于最低报价" in dear_reasons["price"].text


def test_the_index_picks_up_new_offerings_and_skips_unverified_and_own(db, market):
    ent = market.enterprise()
    market.provider(verify=False, name="未认证")
    need = matching.Need("design", "331102", Money.yuan("5000"), ["详情页", "设计"], ent.account.org_id)
    with db.unit_of_work() as session:
        assert matching.rank(session, need) == []
    new = market.provider(category="design", title="详情页设计", name="新设计")
    with db.unit_of_work() as session:
        ranked = matching.rank(session, need)
        assert [m.provider_id for m in ranked] == [new.provider_id]
        assert ranked[0].reasons[0].points == matching.WEIGHTS["text"]


def test_a_matching_public_demand_notifies_the_providers(db, market):
    provider = market.provider()
    ent = market.enterprise()
    market.demand(ent)
    with db.unit_of_work() as session:
        notes = service.notifications(session, provider.actor)
        assert notes and notes[0].kind == "new_demand"


def test_new_offerings_extend_the_index_and_rank_like_a_fresh_build(db, market):
    first = market.provider(category="design", title="详情页设计", name="老设计")
    other = market.provider(category="design", title="海报设计", name="另一家")
    need = matching.Need("design", "331102", Money.yuan("5000"), ["青瓷", "详情页", "设计"])
    with db.unit_of_work() as session:
        before = matching.current_index(session)
        assert matching.rank(session, need)[0].provider_id == first.provider_id
    with db.unit_of_work() as session:
        service.create_offering(session, other.actor, category="design", title="青瓷详情页设计",
                                description="青瓷", price_min="100", price_max="200")
    with db.unit_of_work() as session:
        extended = matching.current_index(session)
        assert extended is not before and extended.size == before.size + 1
        fresh = matching.build_index(session)
        assert list(extended.offering_ids) == list(fresh.offering_ids)
        assert (extended.text_scores(need.tokens)[0] == fresh.text_scores(need.tokens)[0]).all()
        assert matching.rank(session, need)[0].provider_id == other.provider_id
