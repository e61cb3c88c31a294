"""Parks and their tenants; people with GB 11643 resident ID numbers, encrypted and masked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from lishui.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lishui.registry import service
from lishui.registry.models import Park, Person


@pytest.fixture
def operator(factory) -> int:
    return factory.org(kind="park_operator", division="331122", name="缙云电商园运营管理有限公司")


def _park(db, actor, operator: int, **kw: object) -> int:
    args: dict[str, object] = {"name": "缙云电商创业园二期", "operator_org_id": operator, "division_code": "331122",
                               "total_area_m2": Decimal("12000.50"), "opened_on": date(2016, 5, 1)}
    args.update(kw)
    with db.unit_of_work() as session:
        return service.create_park(session, actor, **args).id  # type: ignore[arg-type]


def test_create_park_keeps_the_area_exact(db, city, operator):
    park_id = _park(db, city, operator)
    with db.unit_of_work() as session:
        park = session.get(Park, park_id)
        assert park.total_area_m2 == Decimal("12000.50") and isinstance(park.total_area_m2, Decimal)
        assert park.opened_on == date(2016, 5, 1)


def test_park_operator_must_be_a_park_operator(db, factory, city):
    enterprise = factory.org(division="331122", name="普通企业有限公司")
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.create_park(session, city, name="某园区", operator_org_id=enterprise, division_code="331122",
                            total_area_m2=Decimal(100))
    [error] = info.value.fields
    assert error.field == "operator_org_id" and "普通企业有限公司" in error.message


def test_park_area_must_be_positive_and_the_name_unique(db, city, operator):
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.create_park(session, city, name="某园区", operator_org_id=operator, division_code="331122",
                            total_area_m2=Decimal(0))
    assert [f.field for f in info.value.fields] == ["total_area_m2"]
    _park(db, city, operator)
    with pytest.raises(Conflict) as conflict:
        _park(db, city, operator)
    assert "缙云电商创业园二期" in conflict.value.message


def test_county_officer_cannot_use_another_countys_operator_or_place(db, factory, county):
    other = factory.org(kind="park_operator", division="331181", name="龙泉园区运营有限公司")
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.create_park(session, county, name="越界园区", operator_org_id=other, division_code="331122",
                            total_area_m2=Decimal(100))
    assert info.value.fields[0].field == "operator_org_id"
    assert "龙泉园区运营有限公司" not in info.value.fields[0].message  # an unseen organisation is not described
    own = factory.org(kind="park_operator", division="331122")
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.create_park(session, county, name="越界园区", operator_org_id=own, division_code="331181",
                            total_area_m2=Decimal(100))


def test_tenants_by_id_or_credit_code_and_not_twice(db, factory, city, operator):
    park_id = _park(db, city, operator)
    tenant = factory.org(division="331122", name="入驻甲有限公司")
    other = factory.org(division="331122", name="入驻乙有限公司")
    with db.unit_of_work() as session:
        uscc = session.get(service.Organisation, other).uscc
        service.add_tenancy(session, city, park_id, org_id=tenant, move_in_date=date(2017, 1, 1),
                            leased_area_m2=Decimal("350.25"))
        service.add_tenancy(session, city, park_id, org_uscc=uscc.lower(), move_in_date=date(2018, 3, 1),
                            leased_area_m2=Decimal(80))
    with db.unit_of_work() as session:
        park = service.get_park(session, city, park_id)
        assert [(t.org_id, t.leased_area_m2) for t in park.tenancies] == [(tenant, Decimal("350.25")),
                                                                           (other, Decimal("80.00"))]
        assert [name for _, name in service.tenancies_of(session, city, tenant)] == ["缙云电商创业园二期"]
    with db.unit_of_work() as session, pytest.raises(Conflict) as info:
        service.add_tenancy(session, city, park_id, org_id=tenant, move_in_date=date(2019, 1, 1),
                            leased_area_m2=Decimal(10))
    assert "入驻甲有限公司" in info.value.message and "2017-01-01" in info.value.message


def test_a_tenancy_needs_a_known_organisation_and_a_positive_area(db, city, operator):
    park_id = _park(db, city, operator)
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.add_tenancy(session, city, park_id, org_uscc="91330100716105852F", move_in_date=date(2020, 1, 1),
                            leased_area_m2=Decimal(-5))
    assert {f.field for f in info.value.fields} == {"org_uscc", "leased_area_m2"}
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.add_tenancy(session, city, park_id, move_in_date=date(2020, 1, 1), leased_area_m2=Decimal(5))
    assert info.value.fields[0].field == "org_uscc"


def test_parks_are_scoped_like_organisations(db, factory, city, county, operator):
    jinyun = _park(db, city, operator)
    longquan_operator = factory.org(kind="park_operator", division="331181")
    longquan = _park(db, city, longquan_operator, name="龙泉园区", division_code="331181")
    with db.unit_of_work() as session:
        assert {p.id for p in service.list_parks(session, county)} == {jinyun}
        with pytest.raises(NotFound):
            service.get_park(session, county, longquan)
    tenant = factory.org(division="331122")
    with db.unit_of_work() as session:
        service.add_tenancy(session, city, jinyun, org_id=tenant, move_in_date=date(2020, 1, 1),
                            leased_area_m2=Decimal(10))
    enterprise = factory.actor(factory.account("enterprise_user", org_id=tenant))
    operator_user = factory.actor(factory.account("park_operator_user", org_id=longquan_operator))
    with db.unit_of_work() as session:
        assert {p.id for p in service.list_parks(session, enterprise)} == {jinyun}
        assert {p.id for p in service.list_parks(session, operator_user)} == {longquan}


# ---------------------------------------------------------------- people

ID = "11010519491231002X"  # a public GB 11643 test vector


def test_person_id_number_is_validated_encrypted_and_masked(db, city):
    with db.unit_of_work() as session:
        person = service.create_person(session, city, name="赵丽", id_number=ID.lower(), division_code="331122",
                                       phone="13800000000")
        person_id = person.id
    with db.unit_of_work() as session:
        person = session.get(Person, person_id)
        assert person.id_number_masked == "1****************X"
        assert ID not in person.id_number_cipher and ID not in person.id_number_index
        assert person.gender == "F" and person.birth_date == date(1949, 12, 31)
        assert service.reveal_id_number(session, city, person_id, "核对培训补贴名单") == ID


@pytest.mark.parametrize(("number", "expected"), [
    ("36042619910102009X", "校验位错误：应为“3”，实际为“X”"),  # wrong check character (public vector)
    ("360426199113010079", "出生日期“19911301”不是有效日期"),  # month 13
    ("3604261991010100", "应为18位，实际为16位"),
])
def test_invalid_id_numbers_are_refused_with_the_reason(db, city, number, expected):
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.create_person(session, city, name="钱伟", id_number=number, division_code="331122")
    [error] = info.value.fields
    assert error.field == "id_number" and expected in error.message
    with db.unit_of_work() as session:
        assert session.scalar(select(Person.id).where(Person.name == "钱伟")) is None


def test_an_id_number_is_registered_once(db, city):
    with db.unit_of_work() as session:
        service.create_person(session, city, name="孙明", id_number="360426199101010071", division_code="331122")
    with db.unit_of_work() as session, pytest.raises(Conflict):
        service.create_person(session, city, name="孙明明", id_number="360426199101010071", division_code="331181")


def test_people_are_scoped_and_a_county_registers_only_its_own(db, factory, city, county):
    with db.unit_of_work() as session:
        own = service.create_person(session, county, name="缙云学员", id_number="44011320141005001X",
                                    division_code="331122").id
        other = service.create_person(session, city, name="龙泉学员", id_number="360426199101010071",
                                      division_code="331181").id
    with db.unit_of_work() as session:
        assert {p.id for p in service.list_people(session, county)} == {own}
        assert {p.id for p in service.list_people(session, city)} >= {own, other}
        with pytest.raises(NotFound):
            service.get_person(session, county, other)
        with pytest.raises(Forbidden):
            service.create_person(session, county, name="越界学员", id_number=ID, division_code="331181")


def test_a_person_may_name_an_employer_by_credit_code(db, factory, city):
    org_id = factory.org(kind="station_operator", division="331122", name="服务站运营有限公司")
    with db.unit_of_work() as session:
        uscc = session.get(service.Organisation, org_id).uscc
        person = service.create_person(session, city, name="站长", id_number=ID, division_code="331122",
                                       org_uscc=uscc)
        assert person.org_id == org_id
    employee = factory.actor(factory.account("station_operator_user", org_id=org_id))
    with db.unit_of_work() as session:
        assert [p.name for p in service.list_people(session, employee)] == ["站长"]
