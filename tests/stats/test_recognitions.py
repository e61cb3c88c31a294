"""The demonstration-recognition register (二(六), M20, T1): any kind of organisation, kept by officers, counted by
the T1 indicators and handed to the policy engine as ``demonstration_level``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, select, text

from lishui.assessment import indicators as assessment
from lishui.core.errors import ValidationFailed
from lishui.core.migrate import upgrade
from lishui.stats import facts, imports, indicators, service
from lishui.stats.models import StatsForm, StatsFormField, StatsSubmission
from tests.factories import login
from tests.stats.helpers import chain
from tests.stats.test_facts import approve_all, provided
from tests.stats.test_imports import csv_bytes, uscc_of

FORM = "DEMO_RECOGNITION"


def register(db, c, org_id: int, year: int, **levels: int) -> None:
    with db.unit_of_work() as session:
        service.submit(session, c.city, form_code=FORM, entity_ref=uscc_of(db, org_id), period=str(year),
                       values={**{k: str(v) for k, v in levels.items()}, "document": f"浙商务发〔{year}〕12号"})
    approve_all(db, c)


def test_recognitions_of_any_kind_of_organisation_count_towards_t1_from_their_year_on(db, factory):
    c, jinyun = chain(factory, "331102"), chain(factory, "331122")
    firm = factory.org(division="331102")
    park = factory.org(kind="park_operator", division="331122")
    town = factory.org(kind="government", division="331122", name="某某镇人民政府")
    city_level = factory.org(division="331102")
    register(db, c, firm, 2016, enterprise_level=2)
    register(db, jinyun, park, 2017, base_level=3)
    register(db, jinyun, town, 2017, village_town_level=1)
    register(db, c, city_level, 2017, enterprise_level=1)  # city level: not 省示范

    with db.unit_of_work() as session:
        enterprises = indicators.compute(session, c.city, indicator="provincial_demo_enterprises", year=2017,
                                         granularity="quarter")
        bases_2016 = indicators.compute(session, c.city, indicator="provincial_demo_bases", year=2016,
                                        granularity="year")
        bases_2017 = indicators.compute(session, c.city, indicator="provincial_demo_bases", year=2017,
                                        granularity="year")
    rows = {r.division_code: r for r in enterprises.rows}
    assert rows["331102"].values["2017-Q4"] == Decimal(1), "the 2016 recognition still stands in 2017"
    assert rows["331100"].values["2017-Q1"] == Decimal(1) and rows["331122"].values["2017-Q1"] is None
    assert rows["331102"].growth["2017-Q1"] == Decimal("0.0")
    assert {r.division_code: r.values["2016"] for r in bases_2016.rows}["331100"] is None
    assert {r.division_code: r.values["2017"] for r in bases_2017.rows}["331122"] == Decimal(1), "national counts"

    with db.unit_of_work() as session:  # the assessment's T1 indicators read the register
        table = assessment.value_table(session, "provincial_demo_enterprises", ["331100", "331102"], ["2017"])
    assert table[("331100", "2017")] == assessment.Value(Decimal("1.0000"), "stats")


def test_the_year_s_highest_level_is_the_policy_fact_and_says_which_entry_it_came_from(db, factory):
    c = chain(factory)
    firm = factory.org()
    register(db, c, firm, 2017, enterprise_level=1, platform_level=2)
    assert provided(db, firm, 2017)["demonstration_level"] == 2
    assert "demonstration_level" not in provided(db, firm, 2016), "no entry for the year: the provider is silent"
    with db.unit_of_work() as session:
        service.submit(session, c.city, form_code=FORM, entity_ref=uscc_of(db, firm), period="2018",
                       values={"document": "无新认定"})
    approve_all(db, c)
    assert provided(db, firm, 2018)["demonstration_level"] == 0
    with db.unit_of_work() as session:
        sub = session.scalar(select(StatsSubmission).join(StatsForm).where(StatsForm.code == FORM,
                                                                            StatsSubmission.period == "2017"))
        assert facts.sources(session, firm, 2017)["demonstration_level"] == [f"{sub.id}#1"]


def test_only_officers_keep_the_register_and_a_level_out_of_range_is_refused(db, factory):
    c = chain(factory)
    with db.unit_of_work() as session:
        with pytest.raises(ValidationFailed) as bad:
            service.submit(session, c.city, form_code=FORM, entity_ref=uscc_of(db, c.enterprise_org),
                           period="2017", values={"enterprise_level": "4", "document": "x"})
        assert any(e.field == "enterprise_level" for e in bad.value.fields)
        assert not service.may_report(c.enterprise, service.get_form(session, FORM))
    with db.unit_of_work() as session:
        assert session.scalar(select(StatsSubmission.id).join(StatsForm).where(StatsForm.code == FORM)) is None


def test_the_register_imports_from_a_file_for_any_kind_of_organisation(db, factory):
    c = chain(factory)
    park = factory.org(kind="park_operator", division="331102")
    with db.unit_of_work() as session:
        head, _ = imports.template(service.get_form(session, FORM))
    assert head[0] == "统一社会信用代码" and len(head) == 7
    body = csv_bytes([[uscc_of(db, park), "2017", "", "", "2", "", "浙商务发〔2017〕3号"]], head)
    with db.unit_of_work() as session:
        report = imports.import_file(session, c.county, FORM, body, filename="register.csv")
    assert report.ok, report.errors
    approve_all(db, c)
    assert provided(db, park, 2017)["demonstration_level"] == 2


def test_the_migration_adds_the_register_to_a_database_made_before_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:  # a database from before the register shipped
        form_id = conn.execute(text("SELECT id FROM stats_forms WHERE code = :c"), {"c": FORM}).scalar_one()
        conn.execute(delete(StatsFormField.__table__).where(StatsFormField.__table__.c.form_id == form_id))
        conn.execute(delete(StatsForm.__table__).where(StatsForm.__table__.c.id == form_id))
        conn.execute(text("UPDATE stats_forms SET title = '管理员改过的标题' WHERE code = 'PARK_QUARTERLY'"))
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT f.subject, count(x.id) FROM stats_forms f JOIN stats_form_fields x "
                                 "ON x.form_id = f.id WHERE f.code = :c GROUP BY f.subject"), {"c": FORM}).all()
        title = conn.execute(text("SELECT title FROM stats_forms WHERE code = 'PARK_QUARTERLY'")).scalar_one()
    engine.dispose()
    assert rows == [("organisation", 5)] and title == "管理员改过的标题"


def test_the_indicator_page_shows_the_register_counts(app, db, factory):
    c = chain(factory)
    register(db, c, factory.org(kind="park_operator"), 2016, base_level=2)
    client = login(TestClient(app, base_url="http://127.0.0.1"), c.accounts["city"])
    page = client.get("/stats/indicators?indicator=provincial_demo_bases&year=2017&granularity=year")
    assert page.status_code == 200 and "省级以上示范电子商务产业基地" in page.text
    assert ">1<" in page.text.replace(" ", "") and ">1.00<" not in page.text.replace(" ", "")


def test_the_organisation_search_answers_officers_only_within_their_scope(app, db, factory):
    c = chain(factory, "331102")
    factory.org(kind="park_operator", division="331102", name="甲园区运营公司")
    factory.org(kind="park_operator", division="331122", name="乙园区运营公司")
    county = login(TestClient(app, base_url="http://127.0.0.1"), c.accounts["county"])
    found = county.get("/stats/forms/DEMO_RECOGNITION/entities", params={"entity": "园区运营"})
    assert found.status_code == 200 and "甲园区运营公司" in found.text and "乙园区运营公司" not in found.text
    assert county.get("/stats/forms/DEMO_RECOGNITION/entities", params={"entity": "%"}).text.strip() == ""
    enterprise = login(TestClient(app, base_url="http://127.0.0.1"), c.accounts["enterprise"])
    assert enterprise.get("/stats/forms/DEMO_RECOGNITION/entities", params={"entity": "园"}).status_code == 403
