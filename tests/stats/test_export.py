"""The report list as a file: one form's reports in the actor's scope and filters, in the upload template's columns
(so rows for new periods can be uploaded from the same sheet), audited."""

from __future__ import annotations

import html
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from lishui.core.audit import AuditRecord
from lishui.stats import imports, service
from tests.factories import login
from tests.stats.helpers import chain, months, retail, soon_after
from tests.stats.test_imports import uscc_of


def test_a_county_officer_exports_its_county_s_reports_and_uploads_new_ones_from_the_same_sheet(app, db, factory):
    liandu, jinyun = chain(factory, "331102"), chain(factory, "331122")
    first, second = months(3)[:2]
    with soon_after(second):
        for c in (liandu, jinyun):
            with db.unit_of_work() as session:
                service.submit(session, c.county, form_code="ENT_MONTHLY_RETAIL", entity_ref=c.enterprise_org,
                               period=first, values=retail(1234))
        client = login(TestClient(app, base_url="http://127.0.0.1"), liandu.accounts["county"])
        resp = client.get("/stats/forms/ENT_MONTHLY_RETAIL/export", params={"format": "xlsx"})
        assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
        rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
        head, body = list(rows[0]), [list(r) for r in rows[1:]]
        assert head[:3] == ["统一社会信用代码", "报告期", "网络零售额合计（元）"]
        assert head[-4:] == list(imports.EXPORT_INFO)
        assert len(body) == 1, "only the officer's own county"
        assert body[0][0] == uscc_of(db, liandu.enterprise_org) and body[0][1] == first
        assert body[0][2] == "1234.00" and body[0][head.index("状态")] == "已报送"

        csv = client.get("/stats/forms/ENT_MONTHLY_RETAIL/export", params={"format": "csv"})
        again = csv.content.decode("utf-8-sig").replace(first, second).encode()
        with db.unit_of_work() as session:
            report = imports.import_file(session, liandu.county, "ENT_MONTHLY_RETAIL", again, filename="again.csv")
        assert report.ok, report.errors
        listed = client.get("/stats/submissions", params={"form": "ENT_MONTHLY_RETAIL", "status": "submitted"})
        links = re.findall(r'href="(/stats/forms/ENT_MONTHLY_RETAIL/export\?[^"]+)"', listed.text)
        assert len(links) == 2 and all("status=submitted" in link for link in links)
        assert "flagged=&" not in html.unescape(listed.text), "no empty boolean in the pager's links"
        for link in links:  # the page's own links work as they are
            assert client.get(html.unescape(link)).status_code == 200, link
        assert client.get("/stats/forms/NO_SUCH_FORM/export").status_code == 404
    with db.unit_of_work() as session:
        record = session.scalar(select(AuditRecord).where(AuditRecord.event == "stats.submission.export"))
        assert record is not None and '"rows":1' in record.detail.replace(" ", "")
