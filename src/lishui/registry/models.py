"""Registry: divisions, organisations with their tags, parks and tenancies, people."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime


class Division(Base):
    """City, county-level divisions (GB/T 2260), the development zone, townships (NBS 9-digit)."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))  # city | county | zone | township
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    township_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"))
    address: Mapped[str] = mapped_column(String(300), default="")
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account_cipher: Mapped[str] = mapped_column(Text, default="")
    bank_account_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    bank_account_masked: Mapped[str] = mapped_column(String(30), default="")
    established_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    tags: Mapped[list[OrganisationTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrganisationTag.tag"
    )

    @property
    def tag_set(self) -> set[str]:
        return {t.tag for t in self.tags}


class OrganisationTag(Base):
    __tablename__ = "organisation_tags"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class Park(Base):
    """An e-commerce park (电子商务产业园区) run by a park operator."""

    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    operator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    total_area_m2: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    opened_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    tenancies: Mapped[list[ParkTenancy]] = relationship(
        back_populates="park", lazy="selectin", order_by="ParkTenancy.move_in_date"
    )


class ParkTenancy(Base):
    __tablename__ = "park_tenancies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    move_in_date: Mapped[date] = mapped_column(Date)
    move_out_date: Mapped[date | None] = mapped_column(Date)
    leased_area_m2: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    park: Mapped[Park] = relationship(back_populates="tenancies")


class Person(Base):
    """Trainees, station staff and other natural persons; the ID number is stored SM4-encrypted."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    id_number_cipher: Mapped[str] = mapped_column(Text)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    gender: Mapped[str] = mapped_column(String(1))  # M | F, from the ID number
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(30), default="")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
