"""API shapes of the assessment domain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    pack_id: str
    year: int
    clause_id: str
    title: str
    measures: str
    unit_name: str
    role: str
    division_code: str
    org_id: int | None
    due_on: dt.date
    extended_to: dt.date | None
    report_every_days: int
    status: str
    grade: str
    closed_on: dt.date | None
    last_report_on: dt.date | None
    colour: str = ""


class TaskEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    at: dt.datetime
    by: str
    text: str
    figures: str
    attachment_name: str


class TaskDetail(TaskRead):
    events: list[TaskEventRead] = []


class GenerateBody(BaseModel):
    pack: str = Field(default="lishui-2015", max_length=80)
    year: int = Field(ge=2000, le=2100)
    due_on: dt.date | None = None
    report_every_days: int = Field(default=30, ge=1, le=366)


class GenerateResult(BaseModel):
    created: int
    existing: int
    unmapped: list[str]


class ProgressBody(BaseModel):
    text: str = Field(min_length=1, max_length=5000)
    figures: dict[str, str] = Field(default_factory=dict, max_length=10)


class ChaseBody(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class DeadlineBody(BaseModel):
    due_on: dt.date
    report_every_days: int | None = Field(default=None, ge=1, le=366)


class ExtensionBody(BaseModel):
    until: dt.date
    reason: str = Field(min_length=1, max_length=2000)


class DecisionBody(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


class CloseBody(BaseModel):
    grade: str = Field(pattern="^[ABCD]$")
    note: str = Field(default="", max_length=2000)


class IndicatorRead(BaseModel):
    code: str
    label: str
    label_en: str
    unit: str


class ObservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    indicator: str
    division_code: str
    period: str
    value: Decimal
    revision: int
    source: str
    reference: str
    note: str
    recorded_by: str
    recorded_at: dt.datetime


class ObservationCreate(BaseModel):
    indicator: str = Field(max_length=60)
    division_code: str = Field(max_length=12)
    period: str = Field(max_length=10)
    value: str = Field(max_length=40)
    note: str = Field(default="", max_length=300)


class TargetProgressRead(BaseModel):
    target: str
    label: str
    indicator: str
    division_code: str
    goal: Decimal | None
    baseline_year: int | None
    baseline: Decimal | None
    latest_year: int | None
    latest: Decimal | None
    latest_is_public_figure: bool
    expected: Decimal | None
    forecast: Decimal | None
    status: str


class ScoreLineRead(BaseModel):
    indicator: str
    rule: str
    weight: Decimal
    actual: Decimal | None
    goal: Decimal | None
    points: Decimal
    note: str


class ScorecardRead(BaseModel):
    division_code: str
    name: str
    rank: int
    total: Decimal
    previous: Decimal | None
    improvement: Decimal | None
    lines: list[ScoreLineRead]


class SchemeItem(BaseModel):
    indicator: str = Field(max_length=60)
    weight: str = Field(max_length=20)
    rule: str = Field(max_length=20)


class SchemeRead(BaseModel):
    year: int
    version: int
    name: str
    items: list[SchemeItem]


class SchemeWrite(BaseModel):
    year: int = Field(ge=2000, le=2100)
    name: str = Field(default="", max_length=100)
    items: list[SchemeItem] = Field(max_length=30)


class BulletinBody(BaseModel):
    period: str = Field(max_length=10)


class BulletinRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    period: str
    title: str
    pdf_sha256: str
    published_by: str
    published_at: dt.datetime


class BulletinDetail(BulletinRead):
    content: dict[str, object]
