"""Input and output shapes of the registry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lishui.core.ids import InvalidIdentifier, validate_resident_id, validate_uscc
from lishui.registry.vocab import ORG_KINDS, ORG_TAGS


class OrganisationBase(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200, title="名称")
    kind: str = Field(title="机构类别")
    division_code: str = Field(title="所属县（区）")
    township_code: str | None = Field(default=None, title="乡镇（街道）")
    address: str = Field(default="", max_length=300)
    legal_representative: str = Field(default="", max_length=50)
    contact_name: str = Field(default="", max_length=50)
    contact_phone: str = Field(default="", max_length=30, pattern=r"^[0-9+\-() ]*$")
    contact_email: str = Field(default="", max_length=120)
    bank_name: str = Field(default="", max_length=100)
    bank_account: str = Field(default="", max_length=40, pattern=r"^[0-9 ]*$")
    established_on: date | None = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if not value:
            raise ValueError("请选择机构类别")
        if value not in ORG_KINDS:
            raise ValueError(f"“{value}”不是有效的机构类别，应为：" + "、".join(ORG_KINDS.values()))
        return value

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str) -> str:
        if not value:
            raise ValueError("请选择所属县（区）")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in ORG_TAGS]
        if unknown:
            raise ValueError("未知标签：" + "、".join(unknown) + "（可选：" + "、".join(ORG_TAGS.values()) + "）")
        return sorted(set(value))

    @field_validator("township_code", mode="before")
    @classmethod
    def _empty_township(cls, value: object) -> object:
        return None if value in ("", None) else value


class OrganisationCreate(OrganisationBase):
    uscc: str = Field(title="统一社会信用代码")

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        try:
            return validate_uscc(value)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None


class OrganisationUpdate(OrganisationBase):
    revision: int = Field(title="版本号", description="The revision the edit was based on (optimistic lock)")


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uscc: str
    name: str
    kind: str
    division_code: str
    township_code: str | None
    address: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    contact_email: str
    bank_name: str
    bank_account_masked: str
    established_on: date | None
    is_active: bool
    revision: int
    tags: list[str]

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_codes(cls, value: object) -> object:
        """From the ORM the tags are OrganisationTag rows; the API shows their codes, sorted."""
        if isinstance(value, list):
            return sorted(str(getattr(t, "tag", t)) for t in value)
        return value


class OrganisationPage(BaseModel):
    items: list[OrganisationRead]
    total: int
    page: int
    per_page: int


class DivisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _division_chosen(value: str) -> str:
    if not value:
        raise ValueError("请选择所属县（区）")
    return value


class ParkCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200, title="园区名称")
    operator_org_id: int = Field(title="运营方", description="Id of an organisation of kind park_operator")
    division_code: str = Field(max_length=12, title="所属县（区）")
    total_area_m2: Decimal = Field(gt=0, max_digits=12, decimal_places=2, title="总面积（平方米）")
    address: str = Field(default="", max_length=300, title="地址")
    opened_on: date | None = Field(default=None, title="开园日期")

    _opened = field_validator("opened_on", mode="before")(_blank_to_none)
    _division = field_validator("division_code")(_division_chosen)


class TenancyCreate(BaseModel):
    """A tenant moving into a park. Name the organisation by id (API) or by credit code (pages); one is needed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    org_id: int | None = Field(default=None, title="入驻机构")
    org_uscc: str | None = Field(default=None, max_length=18, title="入驻机构统一社会信用代码")
    move_in_date: date = Field(title="入驻日期")
    leased_area_m2: Decimal = Field(gt=0, max_digits=12, decimal_places=2, title="租用面积（平方米）")

    _blank = field_validator("org_id", "org_uscc", mode="before")(_blank_to_none)


class PersonCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=50, title="姓名")
    id_number: str = Field(max_length=40, title="居民身份证号码")
    division_code: str = Field(max_length=12, title="所属县（区）")
    org_id: int | None = Field(default=None, title="所属机构")
    org_uscc: str | None = Field(default=None, max_length=18, title="所属机构统一社会信用代码")
    phone: str = Field(default="", max_length=30, pattern=r"^[0-9+\-() ]*$", title="联系电话")

    _blank = field_validator("org_id", "org_uscc", mode="before")(_blank_to_none)
    _division = field_validator("division_code")(_division_chosen)

    @field_validator("id_number")
    @classmethod
    def _resident_id(cls, value: str) -> str:
        """Checked here too, so a form shows this error together with the others."""
        if not value:
            raise ValueError("请填写居民身份证号码")
        try:
            return validate_resident_id(value)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None


class TenancyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    move_in_date: date
    move_out_date: date | None
    leased_area_m2: Decimal


class ParkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    operator_org_id: int
    division_code: str
    address: str
    total_area_m2: Decimal
    opened_on: date | None
    tenancies: list[TenancyRead]


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    id_number_masked: str
    gender: str
    birth_date: date
    org_id: int | None
    division_code: str
