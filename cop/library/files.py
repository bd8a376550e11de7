"""Checks on uploaded files and links, before anything is stored.

A file is accepted only when its extension is on the allowlist AND its content is what
that extension says (magic bytes, read with `puremagic` and exact signatures; OOXML
archives opened and measured for zip bombs; text files free of NUL bytes and markup).
HTML, SVG, executables and scripts are never accepted, whatever their name.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import puremagic
from flask import current_app

from cop.core.errors import ServiceError

# extension -> (content type served, label for messages)
ALLOWED = {
    "pdf": ("application/pdf", "PDF"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word document",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint presentation",
    ),
    "csv": ("text/csv; charset=utf-8", "CSV file"),
    "txt": ("text/plain; charset=utf-8", "text file"),
    "md": ("text/markdown; charset=utf-8", "Markdown file"),
    "png": ("image/png", "PNG image"),
    "jpg": ("image/jpeg", "JPEG image"),
    "jpeg": ("image/jpeg", "JPEG image"),
    "gif": ("image/gif", "GIF image"),
    "webp": ("image/webp", "WebP image"),
}
ALLOWED_LIST = ", ".join(sorted({e for e in ALLOWED if e != "jpeg"}))
INLINE = {"pdf", "png", "jpg", "jpeg", "gif", "webp"}  # shown in the browser; others download
IMAGE_SIGNATURES = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}
OOXML_MAIN_PART = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "pptx": "ppt/presentation.xml",
}
TEXT_TYPES = {"csv", "txt", "md"}
MARKUP = re.compile(
    rb"<\s*(script|html|!doctype|svg|iframe|body|object|embed|\?xml)\b", re.IGNORECASE
)
NAME_MAX = 150
PDF_TEXT_PAGES = 50
PDF_TEXT_MAX = 100_000


@dataclass
class CheckedFile:
    name: str
    extension: str
    content_type: str
    extracted_text: str


def upload_limit() -> int:
    return int(current_app.config.get("LIBRARY_MAX_UPLOAD_BYTES") or 25 * 1024 * 1024)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(1, size // 1024)} KB"


def check_name(raw: str | None) -> tuple[str, str]:
    """(the name, its lowercase extension). Refuses path parts and control characters
    rather than silently changing the name someone chose."""
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if not name:
        raise ServiceError("Choose a file to upload.", status=400, field="file")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ServiceError(
            "The file name contains control characters. Rename the file and upload it again.",
            status=400,
            field="file",
        )
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise ServiceError(
            "The file name may not contain a folder path (/, \\ or ..) or start "
            "with a dot. Rename the file and upload it again.",
            status=400,
            field="file",
        )
    if len(name) > NAME_MAX:
        raise ServiceError(
            f"The file name is longer than {NAME_MAX} characters.", status=400, field="file"
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ServiceError(
            f"Files of this type cannot be shared. Allowed: {ALLOWED_LIST}.",
            status=400,
            field="file",
        )
    return name, extension


def _looks_like(head: bytes) -> str:
    try:
        return puremagic.magic_string(head)[0].name
    except (puremagic.PureError, IndexError, ValueError):
        return ""


def _mismatch(extension: str, head: bytes) -> ServiceError:
    seen = _looks_like(head)
    label = ALLOWED[extension][1]
    detail = f" (it looks like: {seen})" if seen else ""
    return ServiceError(
        f"The file's content is not a {label}{detail}. Nothing was saved.", status=400, field="file"
    )


def check_content(path: Path, extension: str) -> str:
    """Raise unless the content matches the extension; return extracted text (PDF)."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if extension == "pdf":
        if not head.startswith(b"%PDF-"):
            raise _mismatch(extension, head)
        return extract_pdf_text(path)
    if extension in IMAGE_SIGNATURES:
        if not head.startswith(IMAGE_SIGNATURES[extension]):
            raise _mismatch(extension, head)
        return ""
    if extension == "webp":
        if not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            raise _mismatch(extension, head)
        return ""
    if extension in OOXML_MAIN_PART:
        check_ooxml(path, extension, head)
        return ""
    if extension in TEXT_TYPES:
        check_text(path, extension, head)
        return ""
    raise _mismatch(extension, head)  # pragma: no cover - every allowed type is handled


def check_text(path: Path, extension: str, head: bytes) -> None:
    data = path.read_bytes()
    if b"\x00" in data:
        raise _mismatch(extension, head)
    if MARKUP.search(data[:65536]):
        raise ServiceError(
            "The file contains web page or script markup (HTML, SVG or "
            "<script>), which cannot be shared. Nothing was saved.",
            status=400,
            field="file",
        )
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(
            "The text file is not UTF-8 text. Save it as UTF-8 and upload it again.",
            status=400,
            field="file",
        ) from None


def check_ooxml(path: Path, extension: str, head: bytes) -> None:
    """An Office Open XML file: a real zip with the right main part, no macros, and no
    more than the configured uncompressed size or compression ratio (zip bombs)."""
    if not head.startswith(b"PK\x03\x04"):
        raise _mismatch(extension, head)
    cfg = current_app.config
    max_total = int(cfg.get("LIBRARY_MAX_UNCOMPRESSED_BYTES") or 200 * 1024 * 1024)
    max_ratio = int(cfg.get("LIBRARY_MAX_COMPRESSION_RATIO") or 100)
    max_entries = 5000
    bomb = ServiceError(
        "The file expands to far more data than its size suggests (a "
        '"zip bomb"), so it was refused. Nothing was saved.',
        status=400,
        field="file",
    )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or OOXML_MAIN_PART[extension] not in names:
                raise _mismatch(extension, head)
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise ServiceError(
                    "The document contains macros, which cannot be shared. Save it without macros.",
                    status=400,
                    field="file",
                )
            if len(infos) > max_entries:
                raise bomb
            declared = sum(i.file_size for i in infos)
            archive_size = max(path.stat().st_size, 1)
            if declared > max_total or declared / archive_size > max_ratio:
                raise bomb
            # Headers can lie: decompress with a budget to be sure.
            budget = max_total
            for info in infos:
                with archive.open(info) as member:
                    while chunk := member.read(1024 * 1024):
                        budget -= len(chunk)
                        if budget < 0:
                            raise bomb
            if (max_total - budget) / archive_size > max_ratio:
                raise bomb
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ):
        raise _mismatch(extension, head) from None


def extract_pdf_text(path: Path) -> str:
    """The text of the first pages of a PDF, for search; "" if it cannot be read."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a dependency
        return ""
    parts: list[str] = []
    size = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted:
                return ""
            for page in reader.pages[:PDF_TEXT_PAGES]:
                text = page.extract_text() or ""
                parts.append(text)
                size += len(text)
                if size > PDF_TEXT_MAX:
                    break
        except Exception:  # noqa: BLE001 - a malformed PDF is still a PDF; no text then
            return " ".join(parts)[:PDF_TEXT_MAX]
    return " ".join(" ".join(parts).split())[:PDF_TEXT_MAX]


def check_link(raw: str | None) -> str:
    """An external link: http or https with a host; javascript:, data: and others refused."""
    url = (raw or "").strip()
    if not url:
        return ""
    bad = ServiceError(
        "Give a web address starting with http:// or https://.", status=400, field="external_url"
    )
    if len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise bad
    try:
        parts = urlsplit(url)
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise bad
    return url


def content_disposition_inline(extension: str) -> bool:
    return extension in INLINE
