"""CSV that is safe to open in a spreadsheet: no formula injection.

A cell that begins with =, +, -, @, a tab or a carriage return can be run as a formula by
Excel, LibreOffice or Google Sheets (OWASP "CSV injection"). Text cells that begin with one
of them are prefixed with a single quote, which the spreadsheet shows as text. Numbers that
our own code computes (int, float, Decimal) are written as they are, so "-3" stays a number.
Quoting of commas, quotes and newlines is left to the csv module.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import Response

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as written: None -> "", numbers as they are, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date | time):
        value = value.isoformat()
    text = str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer with every cell neutralised."""

    def __init__(self, stream, **fmtparams: Any):
        fmtparams.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def to_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV as text (header first)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def iter_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV line by line, for streaming large exports."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    for row in itertools.chain([header], rows):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Iterable[Any]], *, bom: bool = True
) -> Response:
    """A download. The UTF-8 byte-order mark makes Excel read accented names correctly."""
    safe_name = "".join(c for c in filename if c.isalnum() or c in "-_.") or "export.csv"
    body = ("\ufeff" if bom else "") + to_csv(header, rows)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
