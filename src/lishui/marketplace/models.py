"""Marketplace: providers and their offerings, enterprise demands, quotes, engagements with ratings and disputes,
the Lishui showcase (brands, products, collections, images, outbound-link clicks) and notifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lishui.core.clock import now
from lishui.core.db import Base, UTCDateTime
from lishui.core.money import Money, MoneyType


class Provider(Base):
    """A service provider: a registry organisation the center verifies (credit code, documents) before it shows."""

    __tablename__ = "mp_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # platform | store_operation | design | ... (vocab.PROVIDER_KINDS)
    introduction: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[str] = mapped_column(Text, default="")  # what was submitted for review
    document_name: Mapped[str] = mapped_column(String(200), default="")  # the qualification file, if uploaded
    document_stored: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | verified | rejected
    review_note: Mapped[str] = mapped_column(String(500), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer, default=5)  # engagements it can run at once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Offering(Base):
    __tablename__ = "mp_offerings"
    # Withdrawn offerings are few: counting them through this partial index tells matching its index is stale.
    __table_args__ = (Index("ix_mp_offerings_withdrawn", "id", postgresql_where=text("NOT is_active"),
                            sqlite_where=text("NOT is_active")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("mp_providers.id"), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_min: Mapped[Money] = mapped_column(MoneyType())
    price_max: Mapped[Money] = mapped_column(MoneyType())
    counties: Mapped[str] = mapped_column(String(200), default="")  # space-separated division codes; "" = all
    cases: Mapped[str] = mapped_column(Text, default="")
    government_purchased: Mapped[bool] = mapped_column(Boolean, default=False)
    contract_no: Mapped[str] = mapped_column(String(100), default="")
    budget_line: Mapped[str] = mapped_column(String(100), default="")
    tokens: Mapped[str] = mapped_column(Text, default="")  # segmented words, space-separated (matching index)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Demand(Base):
    __tablename__ = "mp_demands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the enterprise's county, for scope
    category: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[Money] = mapped_column(MoneyType())
    deadline: Mapped[date] = mapped_column(Date)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | awarded | closed
    attachment_name: Mapped[str] = mapped_column(String(200), default="")
    attachment_stored: Mapped[str] = mapped_column(String(64), default="")
    tokens: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Invitation(Base):
    __tablename__ = "mp_invitations"
    __table_args__ = (UniqueConstraint("demand_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("mp_demands.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("mp_providers.id"), index=True)
    by_center: Mapped[bool] = mapped_column(Boolean, default=False)  # matched by hand by the center
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Quote(Base):
    __tablename__ = "mp_quotes"
    __table_args__ = (UniqueConstraint("demand_id", "provider_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("mp_demands.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("mp_providers.id"), index=True)
    amount: Mapped[Money] = mapped_column(MoneyType())
    days: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="submitted")  # submitted | accepted | declined
    response_hours: Mapped[int] = mapped_column(Integer, default=0)  # demand posted → quote, whole hours
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Engagement(Base):
    __tablename__ = "mp_engagements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("mp_demands.id"), unique=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("mp_quotes.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("mp_providers.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # the enterprise
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    amount: Mapped[Money] = mapped_column(MoneyType())
    # accepted → in_progress → delivered → completed (both rated); disputed from in_progress or delivered
    state: Mapped[str] = mapped_column(String(20), default="accepted", index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Rating(Base):
    __tablename__ = "mp_ratings"
    __table_args__ = (UniqueConstraint("engagement_id", "side"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("mp_engagements.id"), index=True)
    side: Mapped[str] = mapped_column(String(10))  # enterprise (rates the provider) | provider
    score: Mapped[int] = mapped_column(Integer)  # 1..5
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Dispute(Base):
    __tablename__ = "mp_disputes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("mp_engagements.id"), index=True)
    raised_by: Mapped[str] = mapped_column(String(10))  # enterprise | provider
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    resolution: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Image(Base):
    """A resized, re-encoded photo; the bytes live in the upload folder under a random name."""

    __tablename__ = "mp_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Brand(Base):
    __tablename__ = "mp_brands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    story: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[int | None] = mapped_column(ForeignKey("mp_images.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Product(Base):
    __tablename__ = "mp_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("mp_brands.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # origin county
    description: Mapped[str] = mapped_column(Text, default="")
    certifications: Mapped[str] = mapped_column(String(300), default="")
    image_id: Mapped[int | None] = mapped_column(ForeignKey("mp_images.id"))
    search_tokens: Mapped[str] = mapped_column(Text, default="")  # " tok tok … " (showcase search index)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class ShopLink(Base):
    """A product's shop on an outside platform (Taobao, JD, Pinduoduo…); clicks out are counted as traffic."""

    __tablename__ = "mp_shop_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("mp_products.id"), index=True)
    platform: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(500))


class LinkClick(Base):
    __tablename__ = "mp_link_clicks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("mp_shop_links.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class Collection(Base):
    __tablename__ = "mp_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_featured: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)


class CollectionItem(Base):
    __tablename__ = "mp_collection_items"

    collection_id: Mapped[int] = mapped_column(ForeignKey("mp_collections.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("mp_products.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    __tablename__ = "mp_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # new_demand | quote | status
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(200), default="")
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)
