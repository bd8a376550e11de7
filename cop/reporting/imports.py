"""CSV imports of figures and targets: every row checked, then the whole file applied in one
transaction, or nothing at all with the list of the bad rows and why.

Two layouts are read, told apart by the header:

- long: `coalition, quarter, measure, value` (one figure a row);
- wide: `coalition, quarter, <measure>, <measure>, ...` (one coalition and quarter a row;
  a measure column is named by the measure's short name or its name; an empty cell changes
  nothing).

The quarter column may be left out when the form gives the quarter. Targets use `period`
(grant, or year 1 to year 5) instead of `quarter`. Files are UTF-8 (a byte-order mark is
fine), at most REPORTING_IMPORT_MAX_BYTES (2 MB) and REPORTING_IMPORT_MAX_ROWS (5,000 rows).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.core import audit
from cop.core.errors import PermissionDenied, ServiceError
from cop.extensions import db
from cop.reporting import services
from cop.reporting.models import Measure, QuarterlyReport, Target
from cop.reporting.periods import GrantPeriod, Quarter, parse_quarter
from cop.reporting.permissions import (
    can_edit_report,
    can_import_figures,
    can_import_targets,
    coalition_scope,
)

COALITION_COLUMNS = {"coalition", "coalition_slug", "coalition-slug", "slug"}
MAX_ERRORS = 200


@dataclass
class RowError:
    line: int  # the line of the file, the header being line 1 (0: the file as a whole)
    column: str
    message: str

    def __str__(self) -> str:
        where = "The file" if self.line == 0 else f"Row {self.line}"
        return f"{where}{f', {self.column}' if self.column else ''}: {self.message}"


class ImportRefused(ServiceError):
    """The file was refused whole; `errors` lists each bad row, field and reason."""

    status = 422
    code = "import_refused"

    def __init__(self, errors: list[RowError], total: int | None = None):
        count = total if total is not None else len(errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"Nothing was imported: the file has {count} {noun}.")
        self.errors = errors
        self.total = count


@dataclass
class ImportResult:
    rows: int = 0
    values: int = 0
    changed: int = 0
    created: int = 0  # reports (figures) or targets created
    coalitions: set[str] = field(default_factory=set)
    quarters: set[Quarter] = field(default_factory=set)


@dataclass
class _Entry:
    line: int
    coalition: str
    key: str  # quarter or period text
    key_column: str
    measure: str
    measure_column: str
    value: str


# ---------------------------------------------------------------- reading the file


def _limits() -> tuple[int, int]:
    cfg = current_app.config
    return (
        int(cfg.get("REPORTING_IMPORT_MAX_BYTES", 2 * 1024 * 1024)),
        int(cfg.get("REPORTING_IMPORT_MAX_ROWS", 5000)),
    )


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def check_size(size: int) -> None:
    """Refuse a file over REPORTING_IMPORT_MAX_BYTES before reading it."""
    max_bytes, _ = _limits()
    if size > max_bytes:
        raise ImportRefused(
            [
                RowError(
                    0,
                    "",
                    f"The file is {megabytes(size)}; the limit is "
                    f"{megabytes(max_bytes)}. Split it into smaller "
                    "files.",
                )
            ]
        )


def read_upload(storage) -> bytes:
    """An uploaded file's bytes, after checking its size (without reading it all)."""
    if storage is None:
        return b""
    stream = storage.stream
    try:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError):
        size = None
    if size is not None:
        check_size(size)
    max_bytes, _ = _limits()
    return stream.read(max_bytes + 1)


def decode(data: bytes) -> str:
    """The file as text, or a refusal that says what is wrong with it."""
    check_size(len(data))
    if not data.strip():
        raise ImportRefused([RowError(0, "", "The file is empty.")])
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportRefused(
            [
                RowError(
                    0,
                    "",
                    "This is a spreadsheet workbook, not a CSV file: "
                    "save it as “CSV UTF-8 (comma delimited)”.",
                )
            ]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(
            [RowError(0, "", "The file is in UTF-16: save it as “CSV UTF-8 (comma delimited)”.")]
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportRefused(
            [RowError(line, "", "The file contains a NUL byte: it is not a text file.")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            [
                RowError(
                    line,
                    "",
                    f"This line is not UTF-8 text (byte "
                    f"0x{data[exc.start]:02x}): the file was "
                    "probably saved in another encoding. Save it "
                    "as “CSV UTF-8 (comma delimited)”.",
                )
            ]
        ) from None


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", "-", (text or "").strip().lower())


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as exc:
        raise ImportRefused(
            [RowError(reader.line_num, "", f"The CSV cannot be read: {exc}.")]
        ) from None


def entries(
    data: bytes, key_name: str, measures: list[Measure], default_key: str | None
) -> tuple[list[_Entry], list[RowError], int]:
    """The file's cells as (coalition, quarter or period, measure, value) entries, with the
    errors of its layout (unknown columns...), and its number of data rows."""
    text = decode(data)
    _, max_rows = _limits()
    rows = _rows(text)
    first = next(rows, None)
    if first is None:
        raise ImportRefused([RowError(0, "", "The file is empty.")])
    header_line, header = first
    names = [_norm(h) for h in header]
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            errors.append(
                RowError(header_line, header[i], f"Column {i + 1} repeats column {seen[name] + 1}.")
            )
        seen.setdefault(name, i)
    coalition_col = next((i for i, n in enumerate(names) if n in COALITION_COLUMNS), None)
    if coalition_col is None:
        raise ImportRefused(
            [
                RowError(
                    header_line,
                    "",
                    "The first row names the columns; one "
                    "of them must be “coalition” (the "
                    "coalition's short name, its slug).",
                )
            ]
        )
    key_col = names.index(key_name) if key_name in names else None
    if key_col is None and not default_key:
        raise ImportRefused(
            [
                RowError(
                    header_line,
                    "",
                    f"Add a “{key_name}” column, or choose the {key_name} on the form.",
                )
            ]
        )
    long = "measure" in names and "value" in names
    measure_cols: dict[int, str] = {}
    if not long:
        by_name = {_norm(m.slug): m.slug for m in measures}
        by_name.update({_norm(m.name): m.slug for m in measures})
        for i, name in enumerate(names):
            if i in (coalition_col, key_col) or not name:
                continue
            if name in by_name:
                measure_cols[i] = by_name[name]
            else:
                errors.append(
                    RowError(
                        header_line,
                        header[i],
                        f"“{header[i][:60]}” is not a measure. Name the columns "
                        "with the measures' short names (see the template).",
                    )
                )
        if not measure_cols and not errors:
            errors.append(RowError(header_line, "", "No column names a measure."))
    found: list[_Entry] = []
    count = 0
    for line, row in rows:
        count += 1
        if count > max_rows:
            raise ImportRefused(
                [
                    RowError(
                        line,
                        "",
                        f"The file has more than {max_rows:,} rows; split it into smaller files.",
                    )
                ]
            )
        if len(row) > len(header):
            errors.append(
                RowError(line, "", f"The row has {len(row)} cells; the header has {len(header)}.")
            )
            continue

        def cell(i: int | None, row=row) -> str:
            return row[i] if i is not None and i < len(row) else ""

        coalition = cell(coalition_col)
        key = cell(key_col) if key_col is not None else (default_key or "")
        key_column = header[key_col] if key_col is not None else key_name
        if long:
            m_col, v_col = names.index("measure"), names.index("value")
            found.append(
                _Entry(line, coalition, key, key_column, cell(m_col), "measure", cell(v_col))
            )
        else:
            for i, slug in measure_cols.items():
                if cell(i):
                    found.append(_Entry(line, coalition, key, key_column, slug, header[i], cell(i)))
    if count == 0:
        errors.append(RowError(0, "", "The file has a header but no rows."))
    return found, errors, count


# ---------------------------------------------------------------- figures


def import_figures(
    actor: User, data: bytes, *, quarter: Quarter | None = None, now: datetime | None = None
) -> ImportResult:
    """Import figures: admins for any coalition and report; members for their own
    coalition's reports that are drafts or returned. All or nothing."""
    if not can_import_figures(actor):
        raise PermissionDenied("Only program staff and coalition members import figures.")
    period = GrantPeriod.current()
    measures = list(db.session.execute(sa.select(Measure)).scalars())
    found, errors, count = entries(
        data, "quarter", [m for m in measures if m.active], quarter.key if quarter else None
    )
    scope = coalition_scope(actor)
    coalitions = _coalitions({e.coalition for e in found}, scope)
    by_slug = {m.slug: m for m in measures}
    by_slug.update({_norm(m.name): m for m in measures})
    reports = _reports(coalitions, found)
    seen: dict[tuple[int, Quarter, int], int] = {}
    checked: list[tuple[Coalition, Quarter, Measure, Decimal]] = []
    for e in found:
        problem = _check_row(actor, e, coalitions, by_slug, reports, period, now)
        if isinstance(problem, RowError):
            errors.append(problem)
            continue
        coalition, q, measure, value = problem
        key = (coalition.id, q, measure.id)
        if key in seen:
            errors.append(
                RowError(
                    e.line,
                    e.measure_column,
                    f"Duplicate: row {seen[key]} already gives {measure.name} "
                    f"for {coalition.slug} in {q.label}.",
                )
            )
            continue
        seen[key] = e.line
        checked.append((coalition, q, measure, value))
    if errors:
        errors.sort(key=lambda r: (r.line, r.column))
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    return _apply_figures(actor, checked, reports, count)


def _coalitions(slugs: set[str], scope: frozenset[int] | None) -> dict[str, Coalition]:
    from cop.reporting.queries import coalitions_by_slug

    found = coalitions_by_slug(s for s in slugs if len(s) <= 80)
    return {slug: c for slug, c in found.items() if scope is None or c.id in scope}


def _reports(
    coalitions: dict[str, Coalition], found: list[_Entry]
) -> dict[tuple[int, Quarter], QuarterlyReport]:
    quarters = {q for q in (parse_quarter(e.key) for e in found) if q is not None}
    ids = [c.id for c in coalitions.values()]
    if not quarters or not ids:
        return {}
    years = {q.year for q in quarters}
    rows = db.session.execute(
        sa.select(QuarterlyReport)
        .options(selectinload(QuarterlyReport.figures))
        .where(QuarterlyReport.coalition_id.in_(ids), QuarterlyReport.year.in_(years))
    ).scalars()
    return {(r.coalition_id, Quarter(r.year, r.quarter)): r for r in rows}


def _check_row(actor, e: _Entry, coalitions, measures, reports, period, now):
    if not e.coalition:
        return RowError(e.line, "coalition", "The coalition is missing.")
    coalition = coalitions.get(e.coalition)
    if coalition is None:
        return RowError(
            e.line,
            "coalition",
            f"There is no coalition “{e.coalition[:80]}”"
            + ("." if actor.is_admin else " that you report for."),
        )
    q = parse_quarter(e.key)
    if q is None:
        return RowError(
            e.line,
            e.key_column,
            f"“{e.key[:40]}” is not a quarter such as 2026Q3."
            if e.key
            else "The quarter is missing.",
        )
    try:
        services.check_quarter(q, now, period)
    except ServiceError as exc:
        return RowError(e.line, e.key_column, exc.message)
    measure = measures.get(e.measure) or measures.get(_norm(e.measure))
    if measure is None:
        return RowError(
            e.line,
            e.measure_column,
            f"There is no measure “{e.measure[:60]}”." if e.measure else "The measure is missing.",
        )
    if not measure.active:
        return RowError(
            e.line, e.measure_column, f"{measure.name} is retired: it takes no figures."
        )
    if not e.value:
        return RowError(
            e.line,
            "value",
            f"The value of {measure.name} is missing (leave the row out to change nothing).",
        )
    try:
        value = services.check_value(measure, e.value)
    except ServiceError as exc:
        column = "value" if e.measure_column == "measure" else e.measure_column
        return RowError(e.line, column, exc.message)
    report = reports.get((coalition.id, q))
    if not can_edit_report(actor, coalition, report):
        return RowError(e.line, e.key_column, services.locked_message(report))
    return coalition, q, measure, value


def _apply_figures(actor: User, checked, reports, count: int) -> ImportResult:
    result = ImportResult(rows=count, values=len(checked))
    grouped: dict[tuple[Coalition, Quarter], dict[Measure, Decimal]] = {}
    for coalition, q, measure, value in checked:
        grouped.setdefault((coalition, q), {})[measure] = value
    try:
        for (coalition, q), values in grouped.items():
            report = reports.get((coalition.id, q))
            created = report is None
            if created:
                report = services.new_report(actor, coalition, q)
                result.created += 1
            previous, new = services.apply_figures(report, values)
            result.coalitions.add(coalition.slug)
            result.quarters.add(q)
            if not previous:
                continue
            result.changed += len(previous)
            db.session.flush()
            audit.record(
                actor,
                "reporting_report.import",
                report,
                coalition=coalition.slug,
                quarter=q.key,
                status=report.status,
                previous_figures=previous,
                new_figures=new,
            )
        audit.record(
            actor,
            "reporting_import.figures",
            None,
            rows=count,
            values=result.values,
            changed=result.changed,
            reports_created=result.created,
            coalitions=len(result.coalitions),
            quarters=sorted(q.key for q in result.quarters),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# ---------------------------------------------------------------- targets

_PERIOD_RE = re.compile(r"^(?:(?:grant-)?year-?|y)(\d{1,2})$")


def parse_period(text: str, period: GrantPeriod) -> int | None:
    """ "grant", "whole grant", "0" -> 0; "year 2", "Year2", "y2", "2" -> 2."""
    value = _norm(text)
    if value in {"grant", "whole-grant", "grant-period", "total", "0"}:
        return 0
    match = _PERIOD_RE.match(value)
    number = int(match.group(1)) if match else (int(value) if value.isdigit() else None)
    if number is None or not 1 <= number <= period.years:
        return None
    return number


def import_targets(actor: User, data: bytes, *, period_text: str | None = None) -> ImportResult:
    """Import targets (admins): `coalition, period, measure, value` or the wide layout."""
    if not can_import_targets(actor):
        raise PermissionDenied("Only admins import targets.")
    period = GrantPeriod.current()
    measures = list(db.session.execute(sa.select(Measure)).scalars())
    found, errors, count = entries(data, "period", measures, period_text)
    coalitions = _coalitions({e.coalition for e in found}, None)
    by_slug = {m.slug: m for m in measures}
    by_slug.update({_norm(m.name): m for m in measures})
    seen: dict[tuple[int, int, int], int] = {}
    checked: dict[Coalition, dict[tuple[Measure, int], Decimal]] = {}
    for e in found:
        coalition = coalitions.get(e.coalition)
        if coalition is None:
            errors.append(
                RowError(
                    e.line,
                    "coalition",
                    f"There is no coalition “{e.coalition[:80]}”."
                    if e.coalition
                    else "The coalition is missing.",
                )
            )
            continue
        year = parse_period(e.key, period)
        if year is None:
            errors.append(
                RowError(
                    e.line,
                    e.key_column,
                    f"“{e.key[:40]}” is not a period: write “grant” or “year 1” "
                    f"to “year {period.years}”.",
                )
            )
            continue
        measure = by_slug.get(e.measure) or by_slug.get(_norm(e.measure))
        if measure is None:
            errors.append(
                RowError(e.line, e.measure_column, f"There is no measure “{e.measure[:60]}”.")
            )
            continue
        if not e.value:
            errors.append(RowError(e.line, "value", f"The target of {measure.name} is missing."))
            continue
        try:
            value = services.check_value(measure, e.value)
        except ServiceError as exc:
            errors.append(
                RowError(
                    e.line,
                    "value" if e.measure_column == "measure" else e.measure_column,
                    exc.message,
                )
            )
            continue
        key = (coalition.id, measure.id, year)
        if key in seen:
            errors.append(
                RowError(
                    e.line,
                    e.measure_column,
                    f"Duplicate: row {seen[key]} already gives the "
                    f"{period.period_label(year).lower()} target of "
                    f"{measure.name} for {coalition.slug}.",
                )
            )
            continue
        seen[key] = e.line
        checked.setdefault(coalition, {})[(measure, year)] = value
    if errors:
        errors.sort(key=lambda r: (r.line, r.column))
        raise ImportRefused(errors[:MAX_ERRORS], len(errors))
    result = ImportResult(rows=count, values=sum(len(v) for v in checked.values()))
    existing = {
        (t.coalition_id, t.measure_id, t.period)
        for t in db.session.execute(
            sa.select(Target).where(Target.coalition_id.in_([c.id for c in checked] or [-1]))
        ).scalars()
    }
    try:
        for coalition, values in checked.items():
            result.created += sum(1 for (m, y) in values if (coalition.id, m.id, y) not in existing)
            result.changed += services.set_targets(actor, coalition, values, commit=False)
            result.coalitions.add(coalition.slug)
        audit.record(
            actor,
            "reporting_import.targets",
            None,
            rows=count,
            values=result.values,
            changed=result.changed,
            coalitions=len(result.coalitions),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# ---------------------------------------------------------------- templates


def figures_template(
    measures: list[Measure], coalitions: list[Coalition], quarter: Quarter
) -> tuple[list[str], list[list[str]]]:
    """A wide template: one row per coalition, one column per measure, values empty."""
    header = ["coalition", "quarter", *[m.slug for m in measures]]
    return header, [[c.slug, quarter.key, *["" for _ in measures]] for c in coalitions]


def targets_template(
    measures: list[Measure], coalitions: list[Coalition]
) -> tuple[list[str], list[list[str]]]:
    header = ["coalition", "period", *[m.slug for m in measures]]
    return header, [[c.slug, "grant", *["" for _ in measures]] for c in coalitions]
