"""Pydantic models of the marketplace API. Money is a decimal string of yuan; it is integer fen inside."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lishui.core.money import Money

Yuan = Annotated[Decimal, Field(ge=0, le=Decimal("100000000"), max_digits=12, decimal_places=2,
                                description="Amount in yuan, two decimals at most")]


def _yuan(value: Any) -> Any:
    return value.as_yuan if isinstance(value, Money) else value


class DemandCreate(BaseModel):
    category: str = Field(min_length=1, max_length=30)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    budget: Yuan
    deadline: date
    is_private: bool = False
    invite: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(default_factory=list, max_length=50)


class DemandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    division_code: str
    category: str
    title: str
    description: str
    budget: Decimal
    deadline: date
    is_private: bool
    state: str
    created_at: datetime

    _money = field_validator("budget", mode="before")(_yuan)


class ReasonRead(BaseModel):
    key: str
    points: float
    weight: float
    text: str


class MatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    provider_id: int
    provider_name: str
    offering_id: int
    offering_title: str
    score: float
    reasons: list[ReasonRead]


class QuoteCreate(BaseModel):
    amount: Yuan
    days: int = Field(ge=1, le=3650)
    message: str = Field(default="", max_length=2000)


class QuoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    demand_id: int
    provider_id: int
    amount: Decimal
    days: int
    message: str
    state: str
    response_hours: int
    created_at: datetime

    _money = field_validator("amount", mode="before")(_yuan)


class EngagementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    demand_id: int
    quote_id: int
    provider_id: int
    org_id: int
    category: str
    amount: Decimal
    state: str
    accepted_at: datetime
    started_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None

    _money = field_validator("amount", mode="before")(_yuan)


class TransitionBody(BaseModel):
    action: str = Field(min_length=1, max_length=20, description="start | deliver | dispute | resolve")
    reason: str = Field(default="", max_length=2000)


class RatingCreate(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    engagement_id: int
    side: str
    score: int
    comment: str


class OfferingCreate(BaseModel):
    category: str = Field(min_length=1, max_length=30)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    price_min: Yuan
    price_max: Yuan
    counties: list[Annotated[str, Field(max_length=12)]] = Field(default_factory=list, max_length=12)
    cases: str = Field(default="", max_length=4000)
    government_purchased: bool = False
    contract_no: str = Field(default="", max_length=100)
    budget_line: str = Field(default="", max_length=100)


class OfferingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    provider_id: int
    category: str
    title: str
    description: str
    price_min: Decimal
    price_max: Decimal
    counties: str
    government_purchased: bool
    contract_no: str
    budget_line: str

    _money = field_validator("price_min", "price_max", mode="before")(_yuan)


class FigureRead(BaseModel):
    key: str
    label: str
    demands: int
    quotes: int
    engagements: int
    completed: int
    volume: Decimal
    response_hours: float | None
    satisfaction: float | None

    _money = field_validator("volume", mode="before")(_yuan)


class FiguresRead(BaseModel):
    by_category: list[FigureRead]
    by_county: list[FigureRead]


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    text: str
    link: str
    is_read: bool
    created_at: datetime
