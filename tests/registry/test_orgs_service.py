"""Organisations: validation, conflicts, data scope, optimistic locking, places."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from lishui.core.audit import AuditRecord
from lishui.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from lishui.registry import service
from lishui.registry.messages import field_errors_zh
from lishui.registry.models import Organisation
from lishui.registry.schemas import OrganisationCreate, OrganisationUpdate

VALID = "91330100716105852F"


def _create(**overrides: object) -> OrganisationCreate:
    data: dict[str, object] = {"uscc": VALID, "name": "丽水测试电子商务有限公司", "kind": "enterprise",
                               "division_code": "331122"}
    data.update(overrides)
    return OrganisationCreate.model_validate(data)


def _update(org: Organisation, **overrides: object) -> OrganisationUpdate:
    data: dict[str, object] = {"name": org.name, "kind": org.kind, "division_code": org.division_code,
                               "township_code": org.township_code, "tags": sorted(org.tag_set),
                               "revision": org.revision}
    data.update(overrides)
    return OrganisationUpdate.model_validate(data)


def test_invalid_credit_code_names_the_expected_check_character():
    with pytest.raises(ValidationError) as info:
        _create(uscc="91330100716105852A")
    [error] = field_errors_zh(info.value)
    assert error.field == "uscc"
    assert "应为“F”" in error.message and "实际为“A”" in error.message


def test_credit_code_with_letters_outside_the_alphabet_is_refused_by_position():
    with pytest.raises(ValidationError) as info:
        _create(uscc="9111000060003IOZSV")
    [error] = field_errors_zh(info.value)
    assert "第14位" in error.message and "“I”" in error.message


def test_lower_case_credit_code_is_normalised(db, city):
    with db.unit_of_work() as session:
        org = service.create_organisation(session, city, _create(uscc=VALID.lower()))
        assert org.uscc == VALID


def test_schema_messages_are_chinese_and_name_the_field():
    with pytest.raises(ValidationError) as info:
        _create(name="X", kind="", division_code="", contact_phone="call me", established_on="2015-13-01")
    errors = {e.field: e.message for e in field_errors_zh(info.value)}
    assert errors == {
        "name": "至少2个字符",
        "kind": "请选择机构类别",
        "division_code": "请选择所属县（区）",
        "contact_phone": "只能包含数字、空格和 + - ( )",
        "established_on": "日期格式应为“年-月-日”，如 2015-06-01",
    }


def test_unknown_kind_lists_the_kinds_by_their_chinese_names():
    with pytest.raises(ValidationError) as info:
        _create(kind="alien")
    [error] = field_errors_zh(info.value)
    assert error.message.startswith("“alien”不是有效的机构类别")
    assert "园区运营方" in error.message and "物流快递企业" in error.message


def test_duplicate_credit_code_is_a_conflict_naming_the_existing_organisation(db, city):
    with db.unit_of_work() as session:
        first = service.create_organisation(session, city, _create(name="瓯江电子商务有限公司"))
        first_id = first.id
    with db.unit_of_work() as session, pytest.raises(Conflict) as info:
        service.create_organisation(session, city, _create(name="另一家有限公司"))
    assert info.value.status == 409
    assert "瓯江电子商务有限公司" in info.value.message and str(first_id) in info.value.message
    assert info.value.fields[0].field == "uscc"
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).where(Organisation.uscc == VALID)) == 1


def test_create_writes_an_audit_record_with_the_new_values(db, city):
    with db.unit_of_work() as session:
        org = service.create_organisation(session, city, _create(bank_account="6228 4800 0000 0001 234"))
        org_id = org.id
    with db.unit_of_work() as session:
        record = session.scalars(select(AuditRecord).where(AuditRecord.event == "registry.org.create")
                                 .order_by(AuditRecord.id.desc())).first()
        assert record is not None and record.object_id == str(org_id)
        assert record.username == city.username
        assert "丽水测试电子商务有限公司" in record.after
        assert "6228480000000001234" not in record.after  # the account number is never in the trail
        assert "**** **** 1234" in record.after


def test_bank_account_is_encrypted_and_masked(db, city):
    with db.unit_of_work() as session:
        org = service.create_organisation(session, city, _create(bank_account="6228480000000001234"))
        assert org.bank_account_masked == "**** **** 1234"
        assert "6228480000000001234" not in org.bank_account_cipher
        assert service.reveal_bank_account(session, city, org.id, "核对拨付账户") == "6228480000000001234"


def test_revealing_an_account_needs_a_reason_and_the_permission(db, factory, city, county):
    org_id = factory.org(division="331122", bank_account="6228480000000001234")
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.reveal_bank_account(session, city, org_id, "  ")
    assert info.value.fields[0].field == "reason"
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.reveal_bank_account(session, county, org_id, "核对拨付账户")


# ---------------------------------------------------------------- data scope

@pytest.fixture
def spread(factory) -> dict[str, int]:
    """One enterprise in each of two counties and one city-level unit."""
    return {
        "jinyun": factory.org(division="331122", name="缙云范围测试有限公司"),
        "longquan": factory.org(division="331181", name="龙泉范围测试有限公司"),
        "city": factory.org(division="331100", kind="bank", name="范围测试银行"),
    }


def _visible(db, actor) -> set[int]:
    with db.unit_of_work() as session:
        items, total = service.list_organisations(session, actor, service.OrgFilter(q="范围测试", per_page=200))
        assert total == len(items)
        return {o.id for o in items}


def test_city_officer_sees_every_organisation(db, city, spread):
    assert _visible(db, city) == set(spread.values())


def test_county_officer_sees_only_its_county(db, county, spread):
    assert _visible(db, county) == {spread["jinyun"]}
    with db.unit_of_work() as session, pytest.raises(NotFound):
        service.get_organisation(session, county, spread["longquan"])


def test_enterprise_user_sees_only_itself(db, factory, spread):
    account = factory.account("enterprise_user", org_id=spread["jinyun"])
    actor = factory.actor(account)
    assert _visible(db, actor) == {spread["jinyun"]}
    with db.unit_of_work() as session:
        assert service.get_organisation(session, actor, spread["jinyun"]).name == "缙云范围测试有限公司"
        with pytest.raises(NotFound):
            service.get_organisation(session, actor, spread["longquan"])
        _, rows = service.export_rows(session, actor, service.OrgFilter())
        assert [r[0] for r in rows] == [spread["jinyun"]]


def test_county_officer_cannot_register_in_another_county(db, county):
    with db.unit_of_work() as session, pytest.raises(Forbidden):
        service.create_organisation(session, county, _create(division_code="331181"))


def test_list_filters_by_kind_division_tag_and_text(db, factory, city):
    a = factory.org(division="331122", name="筛选甲电子商务有限公司", tags=["ecommerce_trading", "above_size"])
    b = factory.org(division="331181", name="筛选乙电子商务有限公司", tags=["ecommerce_trading"])
    c = factory.org(division="331122", kind="logistics", name="筛选丙快递有限公司")

    def ids(**kw: object) -> set[int]:
        with db.unit_of_work() as session:
            items, _ = service.list_organisations(session, city, service.OrgFilter(**kw))
            return {o.id for o in items}

    assert ids(q="筛选") == {a, b, c}
    assert ids(q="筛选", division_code="331122") == {a, c}
    assert ids(q="筛选", kind="logistics") == {c}
    assert ids(q="筛选", tag="above_size") == {a}
    with db.unit_of_work() as session:
        uscc = session.get(Organisation, b).uscc
    assert ids(q=uscc.lower()) == {b}


def test_pagination_pages_through_every_row_once(db, factory, city):
    made = {factory.org(name=f"分页测试{i:02d}有限公司") for i in range(7)}
    seen: list[int] = []
    for page in (1, 2, 3):
        with db.unit_of_work() as session:
            items, total = service.list_organisations(session, city, service.OrgFilter(q="分页测试", page=page,
                                                                                         per_page=3))
            assert total == 7
            seen += [o.id for o in items]
    assert len(seen) == 7 and set(seen) == made
    assert seen == sorted(seen, reverse=True)  # newest first


# ---------------------------------------------------------------- update

def test_update_bumps_the_revision_and_a_stale_revision_is_a_conflict(db, factory, city):
    org_id = factory.org(division="331122")
    with db.unit_of_work() as session:
        org = service.get_organisation(session, city, org_id)
        stale = _update(org, name="第一次修改有限公司")
        second = _update(org, name="第二次修改有限公司")
        service.update_organisation(session, city, org_id, stale)
    with db.unit_of_work() as session, pytest.raises(Conflict) as info:
        service.update_organisation(session, city, org_id, second)
    assert "当前版本 2" in info.value.message
    with db.unit_of_work() as session:
        org = session.get(Organisation, org_id)
        assert org.name == "第一次修改有限公司" and org.revision == 2


def test_enterprise_user_may_edit_its_contact_but_not_its_kind_or_tags(db, factory):
    org_id = factory.org(division="331122")
    actor = factory.actor(factory.account("enterprise_user", org_id=org_id))
    with db.unit_of_work() as session:
        org = service.get_organisation(session, actor, org_id)
        service.update_organisation(session, actor, org_id, _update(org, contact_name="王五"))
    with db.unit_of_work() as session:
        org = service.get_organisation(session, actor, org_id)
        assert org.contact_name == "王五"
        with pytest.raises(Forbidden):
            service.update_organisation(session, actor, org_id, _update(org, tags=["above_size"]))


def test_township_must_belong_to_the_county(db, city):
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        # 331181001 is 龙渊街道 of 龙泉市, not of 缙云县
        service.create_organisation(session, city, _create(division_code="331122", township_code="331181001"))
    [error] = info.value.fields
    assert error.field == "township_code" and "龙渊街道" in error.message and "不属于" in error.message
    with db.unit_of_work() as session:
        org = service.create_organisation(session, city, _create(division_code="331122", township_code="331122001"))
        assert org.township_code == "331122001"


def test_a_township_is_not_a_county_and_unknown_codes_are_refused(db, city):
    with db.unit_of_work() as session, pytest.raises(ValidationFailed) as info:
        service.create_organisation(session, city, _create(division_code="331122001", township_code="999999999"))
    fields = {f.field for f in info.value.fields}
    assert fields == {"division_code", "township_code"}


def test_the_development_zone_may_name_any_township(db, city):
    with db.unit_of_work() as session:
        org = service.create_organisation(session, city, _create(division_code="331199", township_code="331102001"))
        assert org.division_code == "331199"
