"""Uploads: size limit (413), type from content (415), zip bombs refused without inflating, safe storage."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lishui.core import files
from lishui.core.db import Database
from lishui.core.errors import PayloadTooLarge
from lishui.main import create_app
from tests.factories import login
from tests.security.conftest import csrf_token_of

LIMIT = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200


def _xlsx_like(entries: dict[str, int]) -> bytes:
    """A zip with the two names that make it look like a workbook, plus entries of N zero bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for name, size in entries.items():
            with archive.open(name, "w", force_zip64=True) as entry:
                chunk = b"\0" * (1 << 20)
                for _ in range(size // len(chunk)):
                    entry.write(chunk)
                entry.write(b"\0" * (size % len(chunk)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """One highly compressible entry declaring 201 MB: about 200 KB on the wire."""
    return _xlsx_like({"xl/worksheets/sheet1.xml": 201 * 1024 * 1024})


@pytest.fixture
def importer(settings, db: Database, factory):
    """A city officer's clients (cookie and bearer) on an app with a 64 KB upload limit."""
    app = create_app(settings.model_copy(update={"max_upload_bytes": LIMIT}), db)
    account = factory.account("city_officer")
    token = factory.token(account)
    with TestClient(app, base_url="http://127.0.0.1") as page, TestClient(app, base_url="http://127.0.0.1") as api:
        login(page, account)
        api.headers["Authorization"] = f"Bearer {token}"
        yield page, api


def _api_upload(api: TestClient, name: str, content: bytes, media: str = "application/octet-stream"):
    return api.post("/api/v1/orgs/import", files={"file": (name, content, media)})


def _page_upload(page: TestClient, name: str, content: bytes):
    return page.post("/registry/orgs/import", data={"csrf_token": csrf_token_of(page)},
                     files={"file": (name, content, "application/octet-stream")})


def _org_count(db: Database) -> int:
    from sqlalchemy import func, select

    from lishui.registry import Organisation

    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Organisation)) or 0


def test_a_file_over_the_limit_is_refused_with_413(importer, db):
    page, api = importer
    before = _org_count(db)
    just_over = b"a,b\n" * (LIMIT // 4 + 100)  # past the file limit, within the request allowance
    resp = _api_upload(api, "orgs.csv", just_over, "text/csv")
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"
    assert "KB" in resp.json()["message"]
    assert _page_upload(page, "orgs.csv", just_over).status_code == 413
    far_over = b"a,b\n" * (LIMIT * 2)  # refused by its declared length before the body is read
    resp = _api_upload(api, "orgs.csv", far_over, "text/csv")
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"
    assert _org_count(db) == before


def test_a_body_without_a_length_is_cut_off_at_the_limit(importer):
    _, api = importer
    boundary = "lishuiboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        for _ in range(40):
            yield b"x" * 16 * 1024  # 640 KB in all, never announced
        yield tail

    resp = api.post("/api/v1/orgs/import", content=chunks(),
                    headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert resp.status_code == 413, resp.text[:300]
    assert resp.json()["code"] == "payload_too_large"


def test_a_png_renamed_xlsx_is_refused_with_415(importer):
    page, api = importer
    resp = _api_upload(api, "机构名录.xlsx", PNG,
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert resp.status_code == 415, resp.text[:300]
    body = resp.json()
    assert body["code"] == "unsupported_file"
    assert "Excel" in body["message"] and "CSV" in body["message"]
    page_resp = _page_upload(page, "机构名录.xlsx", PNG)
    assert page_resp.status_code == 415 and "Excel" in page_resp.text


def test_a_zip_that_is_not_a_workbook_is_refused(importer):
    _, api = importer
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("payload.txt", "hello")
    resp = _api_upload(api, "orgs.xlsx", buf.getvalue())
    assert resp.status_code == 415 and "Excel" in resp.json()["message"]


def test_a_zip_bomb_disguised_as_xlsx_is_refused_without_inflating(settings, db, factory, zip_bomb):
    app = create_app(settings, db)  # the default 20 MB upload limit lets the bomb reach the parser
    assert len(zip_bomb) < settings.max_upload_bytes
    with TestClient(app) as big:
        big.headers["Authorization"] = f"Bearer {factory.token(factory.account('city_officer'))}"
        tracemalloc.start()
        started = time.perf_counter()
        try:
            resp = _api_upload(big, "orgs.xlsx", zip_bomb)
        finally:
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert resp.status_code == 413, resp.text[:300]
    assert "压缩炸弹" in resp.json()["message"]
    assert elapsed < 3.0
    assert peak < 40 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated: the entry was inflated"


def test_a_highly_compressed_workbook_under_the_size_cap_is_refused_by_ratio():
    bomb = _xlsx_like({"xl/worksheets/sheet1.xml": 30 * 1024 * 1024})
    with pytest.raises(PayloadTooLarge, match="压缩比"):
        files.sniff(bomb)


def test_stored_files_get_a_random_name_outside_the_static_folder(tmp_path: Path):
    from importlib import resources

    name_a, digest = files.store(tmp_path / "uploads", b"evidence")
    name_b, _ = files.store(tmp_path / "uploads", b"evidence")
    assert name_a != name_b and len(name_a) >= 32 and "." not in name_a and "/" not in name_a
    assert digest == __import__("hashlib").sha256(b"evidence").hexdigest()
    static = Path(str(resources.files("lishui.web").joinpath("static"))).resolve()
    assert static not in (tmp_path / "uploads" / name_a).resolve().parents
