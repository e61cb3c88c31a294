"""Progress bulletins (定期通报): generated from the data (headline figures, county ranking, target progress,
overdue responsibility tasks) as a page and a PDF with its bar charts; published ones are archived and
immutable (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lishui.assessment import indicators, scoring, targets
from lishui.assessment import tasks as task_service
from lishui.assessment.models import Bulletin
from lishui.core import audit, clock
from lishui.core.actor import Actor
from lishui.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from lishui.registry import CITY_CODE

HEADLINES = ("city_online_retail", "online_shops", "rural_stations", "community_stations", "taobao_villages",
             "taobao_towns", "ecommerce_park_area")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# Simplified Chinese faces, best first: (file name pattern, index in a collection)
FONT_CANDIDATES = (("NotoSansCJK-Regular.ttc", 2), ("NotoSansCJKsc-Regular.otf", 0), ("NotoSansSC-Regular.otf", 0),
                   ("NotoSerifCJK-Regular.ttc", 2), ("wqy-microhei.ttc", 0), ("wqy-zenhei.ttc", 0))


class FontMissing(DomainError):
    def __init__(self) -> None:
        super().__init__("生成 PDF 需要中文字体（Noto Sans CJK）：请安装 fonts-noto-cjk"
                         "（apt-get install fonts-noto-cjk）", "pdf_font_missing", 503)


def cjk_font() -> tuple[Path, int]:
    """The CJK font file to embed, found at run time; FontMissing when none is installed."""
    for name, index in FONT_CANDIDATES:
        for folder in FONT_DIRS:
            if folder.is_dir():
                found = sorted(folder.rglob(name))
                if found:
                    return found[0], index
    raise FontMissing()


def _period(text: str) -> tuple[str, int]:
    try:
        period, year, start = indicators.parse_period(text)
    except ValueError as exc:
        raise ValidationFailed("期间有误", [FieldError("period", str(exc))]) from None
    if start > clock.today():
        raise ValidationFailed("期间有误", [FieldError("period", "期间尚未开始")])
    return period, year


def _text(value: Any) -> str | None:
    return None if value is None else format(Decimal(value).normalize(), "f")


def snapshot(session: Session, period: str) -> dict[str, Any]:
    """Everything the bulletin says, as plain data (what a published bulletin keeps)."""
    period, year = _period(period)
    years = [str(y) for y in range(2010, year + 1)]
    headlines = []
    tables = indicators.value_tables(session, HEADLINES, [CITY_CODE], years)
    for code in HEADLINES:
        info = indicators.INDICATORS[code]
        values = tables[code]
        if values:
            (_, latest), value = max(values.items(), key=lambda kv: kv[0][1])
            previous = values.get((CITY_CODE, str(int(latest) - 1)))
            headlines.append({"indicator": code, "label": info.label, "unit": info.unit, "period": latest,
                              "value": _text(value.value), "public": value.is_public, "reference": value.reference,
                              "previous": _text(previous.value) if previous else None})
    cards = scoring.compute(session, year)
    ranking = [{"rank": c.rank, "division": c.division, "name": c.name, "total": _text(c.total),
                "improvement": _text(c.improvement)} for c in cards]
    progress = [{"id": p.target.id, "label": p.target.label, "goal": _text(p.goal),
                 "latest": _text(p.latest[1]) if p.latest else None, "year": p.latest[0] if p.latest else None,
                 "percent": p.percent, "status": p.status, "status_label": targets.STATUS[p.status][0],
                 "public": p.public}
                for p in targets.progress(session, targets.default_pack(), CITY_CODE, year)]
    overdue = [{"id": t.id, "clause": t.clause_id, "title": t.title, "unit": t.unit_name,
                "due": task_service.effective_due(t).isoformat()} for t in task_service.overdue_tasks(session, year)]
    open_tasks = task_service.list_tasks(session, _platform(), task_service.TaskFilter(year=year))
    colours: dict[str, int] = {}
    for task in open_tasks:
        colours[task_service.colour(task)] = colours.get(task_service.colour(task), 0) + 1
    return {"period": period, "year": year, "title": f"丽水市电子商务工作进度通报（{period}）",
            "as_of": clock.today().isoformat(), "headlines": headlines, "ranking": ranking, "targets": progress,
            "overdue": overdue, "task_colours": colours}


def _platform() -> Actor:
    from lishui.core.actor import system_actor

    return system_actor("bulletin")


# ---------------------------------------------------------------- PDF

def _bar_chart(pdf: Any, title: str, labels: list[str], values: list[float], *, maximum: float | None = None,
               suffix: str = "") -> None:
    """Horizontal bars drawn with the PDF's own rectangles (no image, no plotting library)."""
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    top = maximum or max([v for v in values if v > 0], default=1.0)
    left, width, height = pdf.l_margin + 38, pdf.epw - 58, 5.5
    pdf.set_font("cjk", size=8)
    for label, value in zip(labels, values, strict=True):
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(36, height, label[:14], align="R")
        pdf.set_fill_color(230, 234, 240)
        pdf.rect(left, y + 0.8, width, height - 1.6, style="F")
        pdf.set_fill_color(31, 95, 168)
        share = max(0.0, min(1.0, value / top)) if top else 0.0
        if share > 0:
            pdf.rect(left, y + 0.8, width * share, height - 1.6, style="F")
        pdf.set_xy(left + width + 1, y)
        pdf.cell(18, height, f"{value:g}{suffix}")
        pdf.set_xy(pdf.l_margin, y + height)
    pdf.ln(3)


def _table(pdf: Any, headers: list[str], rows: list[list[str]], widths: list[float]) -> None:
    pdf.set_font("cjk", size=9)
    pdf.set_fill_color(31, 95, 168)
    pdf.set_text_color(255, 255, 255)
    for header, w in zip(headers, widths, strict=True):
        pdf.cell(w, 7, header, border=1, fill=True, align="C")
    pdf.ln()
    pdf.set_text_color(0, 0, 0)
    for row in rows:
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
        for cell, w in zip(row, widths, strict=True):
            pdf.cell(w, 6.5, cell[:40], border=1)
        pdf.ln()
    pdf.ln(3)


def _fmt(value: str | None) -> str:
    if value is None:
        return "—"
    number = Decimal(value)
    return f"{number:,f}" if number == number.to_integral_value() else f"{number:,.2f}"


def render_pdf(content: dict[str, Any]) -> bytes:
    from fpdf import FPDF

    font, index = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", "", str(font), collection_font_number=index)
    pdf.set_title(content["title"])
    pdf.set_creator("丽水市电子商务促进平台")
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 12, content["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, f"丽水市商务局 · 数据截至 {content['as_of']}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "一、主要指标", new_x="LMARGIN", new_y="NEXT")
    _table(pdf, ["指标", "期间", "数值", "上年", "来源"],
           [[h["label"], h["period"], _fmt(h["value"]) + h["unit"].replace("比例", ""), _fmt(h["previous"]),
             "公开数据" if h["public"] else "统计填报"] for h in content["headlines"]], [50, 20, 45, 35, 30])
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "二、县（市、区）考核排名", new_x="LMARGIN", new_y="NEXT")
    ranking = content["ranking"]
    _bar_chart(pdf, "考核得分", [r["name"] for r in ranking], [float(r["total"]) for r in ranking], maximum=100.0)
    _table(pdf, ["名次", "地区", "得分", "较上年"],
           [[str(r["rank"]), r["name"], _fmt(r["total"]), _fmt(r["improvement"])] for r in ranking], [20, 70, 40, 40])
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, "三、2018年目标进度（全市）", new_x="LMARGIN", new_y="NEXT")
    measured = [t for t in content["targets"] if t["percent"] is not None]
    if measured:
        _bar_chart(pdf, "目标完成率", [f"{t['id']} {t['label']}" for t in measured],
                   [float(min(t["percent"], 100)) for t in measured], maximum=100.0, suffix="%")
    _table(pdf, ["目标", "内容", "目标值", "最新值", "判断"],
           [[t["id"], t["label"], _fmt(t["goal"]), _fmt(t["latest"]), t["status_label"]] for t in content["targets"]],
           [16, 70, 36, 36, 22])
    pdf.set_font("cjk", size=12)
    pdf.cell(0, 8, f"四、逾期责任任务（{len(content['overdue'])} 项）", new_x="LMARGIN", new_y="NEXT")
    if content["overdue"]:
        _table(pdf, ["条款", "任务", "责任单位", "截止日期"],
               [[o["clause"], o["title"], o["unit"], o["due"]] for o in content["overdue"]], [24, 60, 66, 30])
    else:
        pdf.set_font("cjk", size=10)
        pdf.cell(0, 7, "无逾期任务。", new_x="LMARGIN", new_y="NEXT")
    public = [h for h in content["headlines"] if h["public"]]
    if public:
        pdf.set_font("cjk", size=8)
        pdf.multi_cell(0, 5, "注：标注“公开数据”的数值为公开发布的数字，非统计报送数据。出处：" +
                       "；".join(sorted({h["reference"] for h in public})))
    return bytes(pdf.output())


# ---------------------------------------------------------------- publishing and the archive

def publish(session: Session, actor: Actor, period: str) -> Bulletin:
    content = snapshot(session, period)
    pdf = render_pdf(content)
    bulletin = Bulletin(period=content["period"], title=content["title"],
                        content=json.dumps(content, ensure_ascii=False),
                        pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(), published_by=actor.username)
    session.add(bulletin)
    session.flush()
    audit.record(session, actor, "assessment.bulletin.publish", object_type="bulletin", object_id=bulletin.id,
                 after={"period": bulletin.period, "pdf_sha256": bulletin.pdf_sha256})
    return bulletin


def archive(session: Session) -> list[Bulletin]:
    return list(session.scalars(select(Bulletin).order_by(Bulletin.id.desc())))


def get(session: Session, bulletin_id: int) -> Bulletin:
    found = session.get(Bulletin, bulletin_id)
    if found is None:
        raise NotFound("通报不存在")
    return found


def default_period() -> str:
    return str(dt.date.today().year - 1)
