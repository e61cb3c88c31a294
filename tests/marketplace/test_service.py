"""Marketplace services: validation, visibility of private demands, quotes, the engagement state machine,
ratings on both sides, disputes, notifications, the center's figures. Every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lishui.core import clock
from lishui.core.audit import AuditRecord
from lishui.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from lishui.marketplace import service
from lishui.marketplace.models import Demand, Engagement, Notification, Offering, Quote, Rating


def count(db, model) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_demand_with_negative_budget_or_past_deadline_is_refused_and_nothing_is_stored(db, market):
    ent = market.enterprise()
    before = count(db, Demand), count(db, AuditRecord)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as err:
        service.create_demand(session, ent.actor, category="design", title="主图设计", budget="-1",
                              deadline=clock.today() - timedelta(days=1))
    fields = {f.field for f in err.value.fields}
    assert fields == {"budget", "deadline"}
    assert (count(db, Demand), count(db, AuditRecord)) == before


def test_an_offering_without_category_is_refused(db, market):
    provider = market.provider()
    before = count(db, Offering)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as err:
        service.create_offering(session, provider.actor, category="", title="详情页设计", price_min="100",
                                price_max="50")
    assert {f.field for f in err.value.fields} == {"category", "price_max"}
    assert count(db, Offering) == before


def test_government_purchased_service_needs_contract_and_budget_line(db, market):
    provider = market.provider()
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as err:
        service.create_offering(session, provider.actor, category="training", title="电商培训", price_min="0",
                                price_max="0", government_purchased=True)
    assert {f.field for f in err.value.fields} == {"contract_no", "budget_line"}
    with db.unit_of_work() as session:
        o = service.create_offering(session, provider.actor, category="training", title="电商培训", price_min="0",
                                    price_max="0", government_purchased=True, contract_no="LSGC-2017-018",
                                    budget_line="商务发展专项-公共服务")
        assert o.government_purchased and o.contract_no == "LSGC-2017-018"


def test_an_unverified_provider_cannot_publish_or_quote(db, market):
    pending = market.provider(verify=False)
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.create_offering(session, pending.actor, category="design", title="设计", price_min="1",
                                price_max="2")


def test_a_provider_never_sees_a_private_demand_it_was_not_invited_to(db, market):
    ent = market.enterprise()
    invited = market.provider(name="受邀服务商")
    outsider = market.provider(name="未受邀服务商")
    demand_id = market.demand(ent, private=True, invite=[invited.provider_id])
    public_id = market.demand(ent, title="公开需求")
    other = market.enterprise()
    with db.unit_of_work() as session:
        assert service.get_demand(session, invited.actor, demand_id).id == demand_id
        with pytest.raises(NotFound):
            service.get_demand(session, outsider.actor, demand_id)
        listed = {d.id for d in service.list_demands(session, outsider.actor)}
        assert demand_id not in listed and public_id in listed
        assert demand_id not in {d.id for d in service.demands_for_provider(session, outsider.actor)}
        with pytest.raises(NotFound):
            service.submit_quote(session, outsider.actor, demand_id, amount="1000", days=10)
        # Nor does another enterprise see it.
        with pytest.raises(NotFound):
            service.get_demand(session, other.actor, demand_id)
        # Notifications went to the invited provider only.
        texts = list(session.scalars(select(Notification.org_id).where(Notification.link.like(f"%/{demand_id}"))))
        assert texts == [invited.account.org_id]


def test_a_private_demand_needs_an_invitation(db, market):
    ent = market.enterprise()
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as err:
        service.create_demand(session, ent.actor, category="design", title="私密需求", budget="100",
                              deadline=clock.today(), is_private=True)
    assert err.value.fields[0].field == "invite"


def test_quote_accept_deliver_rate_both_sides(db, market):
    ent = market.enterprise()
    provider = market.provider()
    other = market.provider(name="另一家")
    demand_id = market.demand(ent)
    with db.unit_of_work() as session:
        quote = service.submit_quote(session, provider.actor, demand_id, amount="28000.50", days=30, message="三个月")
        loser = service.submit_quote(session, other.actor, demand_id, amount="25000", days=40)
        quote_id, loser_id = quote.id, loser.id
    with db.unit_of_work() as session, pytest.raises(Conflict):
        service.submit_quote(session, provider.actor, demand_id, amount="1", days=1)
    with db.unit_of_work() as session, pytest.raises(NotFound):  # a provider cannot accept
        service.accept_quote(session, provider.actor, quote_id)
    with db.unit_of_work() as session:
        eng = service.accept_quote(session, ent.actor, quote_id)
        eng_id = eng.id
        assert eng.amount.fen == 2800050
        assert session.get(Quote, loser_id).state == "declined"
        assert session.get(Demand, demand_id).state == "awarded"
    # Rating before delivery: refused, nothing stored.
    with db.unit_of_work() as session, pytest.raises(ValidationFailed):
        service.rate(session, ent.actor, eng_id, score=5)
    assert count(db, Rating) == 0
    # The enterprise cannot start the work; the provider can.
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.advance(session, ent.actor, eng_id, "start")
    with db.unit_of_work() as session:
        service.advance(session, provider.actor, eng_id, "start")
    with db.unit_of_work() as session, pytest.raises(Conflict):
        service.advance(session, provider.actor, eng_id, "start")
    with db.unit_of_work() as session:
        service.advance(session, provider.actor, eng_id, "deliver")
        service.rate(session, ent.actor, eng_id, score=4, comment="<b>很好</b>")
    with db.unit_of_work() as session, pytest.raises(Conflict):
        service.rate(session, ent.actor, eng_id, score=5)
    with db.unit_of_work() as session:
        assert session.get(Engagement, eng_id).state == "delivered"
        service.rate(session, provider.actor, eng_id, score=5)
        assert session.get(Engagement, eng_id).state == "completed"
    with db.unit_of_work() as session:
        events = set(session.scalars(select(AuditRecord.event).where(AuditRecord.event.like("marketplace.%"))))
        assert {"marketplace.quote.submit", "marketplace.quote.accept", "marketplace.engagement.start",
                "marketplace.engagement.deliver", "marketplace.engagement.rate"} <= events
        records = service.provider_records(session, [provider.provider_id])[provider.provider_id]
        assert records.rating == 4.0 and records.engagements == 1


def test_rating_out_of_range_is_refused(db, market):
    ent = market.enterprise()
    provider = market.provider()
    with db.unit_of_work() as session:
        quote = service.submit_quote(session, provider.actor, market.demand(ent), amount="100", days=3)
        eng = service.accept_quote(session, ent.actor, quote.id)
        service.advance(session, provider.actor, eng.id, "start")
        service.advance(session, provider.actor, eng.id, "deliver")
        eng_id = eng.id
    for bad in ("0", "6", "x"):
        with db.unit_of_work() as session, pytest.raises(ValidationFailed):
            service.rate(session, ent.actor, eng_id, score=bad)


def test_a_dispute_goes_to_the_center(db, market):
    ent = market.enterprise()
    provider = market.provider()
    with db.unit_of_work() as session:
        quote = service.submit_quote(session, provider.actor, market.demand(ent), amount="100", days=3)
        eng_id = service.accept_quote(session, ent.actor, quote.id).id
        service.advance(session, provider.actor, eng_id, "start")
    with db.unit_of_work() as session, pytest.raises(ValidationFailed):
        service.advance(session, ent.actor, eng_id, "dispute", "")
    with db.unit_of_work() as session:
        service.advance(session, ent.actor, eng_id, "dispute", "未按约定交付")
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.advance(session, ent.actor, eng_id, "resolve", "自己说了算")
    with db.unit_of_work() as session:
        assert len(service.open_disputes(session, market.center)) == 1
        service.advance(session, market.center, eng_id, "resolve", "双方协商，服务商补充交付")
        assert session.get(Engagement, eng_id).state == "delivered"
        assert service.open_disputes(session, market.center) == []


def test_enterprise_sees_only_its_own_engagements_and_figures_are_scoped(db, market):
    ent = market.enterprise(division="331102")
    far = market.enterprise(division="331122")
    provider = market.provider()
    d1, d2 = market.demand(ent), market.demand(far)
    with db.unit_of_work() as session:
        q1 = service.submit_quote(session, provider.actor, d1, amount="100", days=3)
        q2 = service.submit_quote(session, provider.actor, d2, amount="300", days=3)
        e1 = service.accept_quote(session, ent.actor, q1.id)
        e2 = service.accept_quote(session, far.actor, q2.id)
        e1_id, e2_id = e1.id, e2.id
    with db.unit_of_work() as session:
        assert [e.id for e in service.list_engagements(session, ent.actor)] == [e1_id]
        with pytest.raises(NotFound):
            service.get_engagement(session, ent.actor, e2_id)
        assert {e.id for e in service.list_engagements(session, provider.actor)} == {e1_id, e2_id}
        by_county = {f.key: f for f in service.figures(session, market.center, "county")}
        assert by_county["331102"].engagements == 1 and by_county["331122"].volume.fen == 30000
        by_cat = {f.key: f for f in service.figures(session, market.center, "category")}
        assert by_cat["store_operation"].demands == 2 and by_cat["store_operation"].quotes == 2
    officer = market.factory.account("county_officer", division="331122")
    with db.unit_of_work() as session:
        scoped = {f.key: f for f in service.figures(session, market.factory.actor(officer), "county")}
        assert scoped["331122"].engagements == 1 and scoped["331102"].engagements == 0


def test_money_never_takes_floats_and_huge_budgets_are_refused(db, market):
    ent = market.enterprise()
    with db.unit_of_work() as session, pytest.raises(DomainError) as err:
        service.create_demand(session, ent.actor, category="design", title="设计", budget="1e12",
                              deadline=clock.today())
    assert err.value.fields[0].field == "budget"


def test_no_quote_after_the_deadline(db, market):
    ent = market.enterprise()
    provider = market.provider()
    demand_id = market.demand(ent)
    with clock.shifted(timedelta(days=31)), db.unit_of_work() as session, pytest.raises(Conflict) as err:
        service.submit_quote(session, provider.actor, demand_id, amount="100", days=3)
    assert "截止" in err.value.message
    assert count(db, Quote) == 0
