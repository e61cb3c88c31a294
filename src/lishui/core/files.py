"""Uploaded files: size limits, type judged from content, zip-bomb checks, safe storage."""

from __future__ import annotations

import codecs
import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lishui.core.errors import DomainError, PayloadTooLarge

MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200


class UnsupportedFile(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, "unsupported_file", 415)


@dataclass(frozen=True)
class Sniffed:
    kind: str  # xlsx | csv | pdf | png | jpeg
    media_type: str


def sniff(data: bytes) -> Sniffed:
    """Decide the type from the bytes, never from the name."""
    if data.startswith(b"PK\x03\x04"):
        check_zip(data)
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return Sniffed("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        raise UnsupportedFile("压缩文件不是 Excel 工作簿（.xlsx）")
    if data.startswith(b"%PDF-"):
        return Sniffed("pdf", "application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("png", "image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("jpeg", "image/jpeg")
    if b"\x00" not in data[:65536]:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                # The prefix may end inside a multi-byte character: decode it as an unfinished stream.
                codecs.getincrementaldecoder(encoding)().decode(data[:65536], final=False)
            except UnicodeDecodeError:
                continue
            return Sniffed("csv", "text/csv")
    raise UnsupportedFile("无法识别的文件类型：请上传 Excel（.xlsx）或 CSV 文件")


def check_zip(data: bytes) -> None:
    """Refuse archives whose declared expansion is too large, before anything is decompressed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnsupportedFile("文件已损坏，不是有效的 Excel 工作簿") from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > MAX_XLSX_UNCOMPRESSED or total > MAX_XLSX_UNCOMPRESSED:
            raise PayloadTooLarge("工作簿解压后过大，已拒绝（疑似压缩炸弹）")
        if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO and info.file_size > 1_000_000:
            raise PayloadTooLarge("工作簿压缩比异常，已拒绝（疑似压缩炸弹）")


def check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise PayloadTooLarge(f"文件过大：{len(data) // 1024} KB，上限 {limit // 1024} KB")


def store(folder: Path, data: bytes) -> tuple[str, str]:
    """Store under a random name outside any served folder; return (stored name, SHA-256)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (folder / name).write_bytes(data)
    return name, hashlib.sha256(data).hexdigest()
