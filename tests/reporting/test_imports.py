"""CSV imports through the page: checked row by row, applied whole or refused whole with the
bad rows named; encodings and sizes; members import their own coalition only; targets."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cop.core.audit import AuditEvent
from cop.reporting.models import Figure, QuarterlyReport, Target
from tests import factories
from tests.conftest import csrf_token
from tests.reporting.conftest import make_report, text

TOKEN_PAGE = "/accessibility"


def upload(client, data: bytes | str, *, path="/reporting/import", quarter="", name="f.csv"):
    """POST the file as a browser does (multipart, encoded in memory: no temporary file)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    form = {
        "file": FileStorage(io.BytesIO(data), filename=name, content_type="text/csv"),
        "csrf_token": csrf_token(client, TOKEN_PAGE),
    }
    if path == "/reporting/import":
        form["quarter"] = quarter
    boundary, body = encode_multipart(form)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def problems(response) -> list[tuple[str, str, str]]:
    """(row, column, problem) of the refusal table."""
    page = text(response)
    return re.findall(
        r'<th scope="row" data-label="Row">([^<]*)</th><td data-label="Column">'
        r'([^<]*)</td><td data-label="Problem">([^<]*)</td>',
        page,
    )


def figure_rows(db) -> list[tuple[str, str, str, Decimal]]:
    from cop.coalitions.models import Coalition
    from cop.reporting.models import Measure

    db.session.rollback()
    return sorted(
        (slug, f"{year}Q{number}", measure, value)
        for slug, year, number, measure, value in db.session.execute(
            sa.select(
                Coalition.slug,
                QuarterlyReport.year,
                QuarterlyReport.quarter,
                Measure.slug,
                Figure.value,
            )
            .join(QuarterlyReport, QuarterlyReport.id == Figure.report_id)
            .join(Coalition, Coalition.id == QuarterlyReport.coalition_id)
            .join(Measure, Measure.id == Figure.measure_id)
        ).all()
    )


# ---------------------------------------------------------------- accepted whole


def test_an_admin_imports_a_wide_file(login_as, db, world, measures, q):
    last = q["last"].key
    make_report(world["alpha"], q["last"], {"exiters": 1}, status="submitted", actor=world["lead"])
    csv = (
        "coalition,quarter,new-participants-served,Exiters,employment-rate-q2\r\n"
        f"alpha,{last},40,12,71.5\r\n"
        f"beta,{q['last'].label},25,,64\r\n"
    )
    response = upload(login_as("admin"), "\ufeff" + csv)
    assert response.status_code == 303, problems(response)
    assert response.headers["Location"].endswith(f"/reporting/?quarter={last}")
    assert figure_rows(db) == [
        ("alpha", last, "employment-rate-q2", Decimal("71.50")),
        ("alpha", last, "exiters", Decimal(12)),
        ("alpha", last, "new-participants-served", Decimal(40)),
        ("beta", last, "employment-rate-q2", Decimal("64.00")),
        ("beta", last, "new-participants-served", Decimal(25)),
    ]
    events = (
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "reporting_report.import")
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    alpha = next(e for e in events if e.details["coalition"] == "alpha")
    assert alpha.details["status"] == "submitted", "a submitted report's figures changed"
    assert alpha.details["previous_figures"] == {
        "exiters": 1,
        "employment-rate-q2": None,
        "new-participants-served": None,
    }
    assert alpha.details["new_figures"]["exiters"] == 12
    summary = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "reporting_import.figures")
    ).scalar_one()
    assert summary.details["rows"] == 2 and summary.details["reports_created"] == 1


def test_the_long_layout_and_the_quarter_from_the_form(login_as, db, world, measures, q):
    csv = "coalition,measure,value\nalpha,exiters,3\nalpha,Began training,4\n"
    response = upload(login_as("admin"), csv, quarter=q["prev"].key)
    assert response.status_code == 303, problems(response)
    assert [(r[1], r[2], r[3]) for r in figure_rows(db)] == [
        (q["prev"].key, "began-training", Decimal(4)),
        (q["prev"].key, "exiters", Decimal(3)),
    ]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    login_as, db, world, measures, q
):
    csv = f"coalition,quarter,exiters\nalpha,{q['last'].key},3\n"
    admin = login_as("admin")
    assert upload(admin, csv).status_code == 303
    assert upload(admin, csv).status_code == 303
    db.session.rollback()
    imports = (
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "reporting_report.import")
        )
        .scalars()
        .all()
    )
    assert len(imports) == 1


# ---------------------------------------------------------------- refused whole


def test_a_file_with_bad_rows_is_refused_whole_naming_each(login_as, db, world, measures, q):
    last = q["last"].key
    make_report(world["alpha"], q["last"], {"exiters": 7})
    csv = (
        "coalition,quarter,measure,value\n"
        f"alpha,{last},exiters,8\n"  # 2: fine on its own
        f"no-such-coalition,{last},exiters,1\n"  # 3
        f"alpha,{last},made-up-measure,1\n"  # 4
        f"alpha,{last},exiters,9\n"  # 5: duplicate of 2
        f"beta,{last},began-training,-4\n"  # 6
        f"beta,{last},employment-rate-q2,101\n"  # 7
        "beta,2019Q2,exiters,1\n"  # 8
        "beta,last spring,exiters,1\n"  # 9
        f"beta,{last},credentials-attained,2.5\n"  # 10
        f",{last},exiters,1\n"
    )  # 11
    response = upload(login_as("admin"), csv)
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported: the file has 9 problems" in page
    found = problems(response)
    assert [row for row, _, _ in found] == ["3", "4", "5", "6", "7", "8", "9", "10", "11"]
    by_row = {row: (column, message) for row, column, message in found}
    assert "no coalition “no-such-coalition”" in by_row["3"][1]
    assert by_row["4"][0] == "measure" and "no measure “made-up-measure”" in by_row["4"][1]
    assert "Duplicate: row 2 already gives Exiters" in by_row["5"][1]
    assert by_row["6"][0] == "value" and "cannot be negative" in by_row["6"][1]
    assert "from 0 to 100" in by_row["7"][1]
    assert by_row["8"][0] == "quarter" and "outside the grant period" in by_row["8"][1]
    assert "is not a quarter" in by_row["9"][1]
    assert "whole number" in by_row["10"][1]
    assert "coalition is missing" in by_row["11"][1]
    assert figure_rows(db) == [("alpha", last, "exiters", Decimal(7))], "nothing half-applied"


def test_unknown_and_repeated_columns_are_named(login_as, db, world, measures, q):
    csv = f"coalition,quarter,exiters,favourite colour,exiters\nalpha,{q['last'].key},1,blue,2\n"
    response = upload(login_as("admin"), csv)
    assert response.status_code == 422
    found = problems(response)
    assert (
        "1",
        "favourite colour",
        "“favourite colour” is not a measure. Name the columns "
        "with the measures&#39; short names (see the template).",
    ) in found
    assert any(
        column == "exiters" and "repeats column 3" in message for _, column, message in found
    )
    assert figure_rows(db) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "coalition,quarter,exiters\nalpha,2026Q1,caf\xe9\n".encode("latin-1"),
            "Row 2: This line is not UTF-8 text (byte 0xe9)",
        ),
        ("coalition,exiters\nalpha,1\n".encode("utf-16"), "The file is in UTF-16"),
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "spreadsheet workbook, not a CSV file"),
        (b"coalition,exiters\nalpha,1\x00\n", "contains a NUL byte"),
        (b"", "The file is empty"),
        (b"   \n", "The file is empty"),
        (b"slug-less,exiters\nalpha,1\n", "must be “coalition”"),
        (b"coalition,quarter,exiters\n", "a header but no rows"),
    ],
)
def test_files_that_are_not_what_they_should_be(login_as, world, measures, data, message):
    response = upload(login_as("admin"), data)
    assert response.status_code in (400, 422)
    page = text(response).replace("&#34;", '"')
    flat = " ".join(f"Row {r}: {m}" if r.isdigit() else m for r, _, m in problems(response))
    assert message in page or message in flat, flat or page[:2000]


def test_the_quarter_is_needed(login_as, world, measures):
    response = upload(login_as("admin"), "coalition,exiters\nalpha,1\n", quarter="")
    assert "Add a “quarter” column, or choose the quarter on the form." in text(response)


def test_a_file_over_the_import_limit(app, login_as, world, measures, q):
    row = f"alpha,{q['last'].key},1\n"
    big = "coalition,quarter,exiters\n" + row * (3 * 1024 * 1024 // len(row))
    response = upload(login_as("admin"), big)
    assert response.status_code == 422
    assert re.search(r"The file is 3(\.\d)? MB; the limit is 2 MB", text(response)), problems(
        response
    )


def test_a_50_mb_file_is_refused_before_it_is_read(app, login_as, world, measures):
    response = upload(login_as("admin"), b"coalition,exiters\n" + b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413
    page = text(response)
    assert "The file is too large" in page and "Nothing was imported" in page
    assert "<h1>Import figures" in page


def test_too_many_rows(app, login_as, world, measures, q):
    app.config["REPORTING_IMPORT_MAX_ROWS"] = 3
    try:
        csv = "coalition,quarter,exiters\n" + f"alpha,{q['last'].key},1\n" * 4
        response = upload(login_as("admin"), csv)
    finally:
        app.config["REPORTING_IMPORT_MAX_ROWS"] = 5000
    assert response.status_code == 422
    assert "more than 3 rows" in text(response)


# ---------------------------------------------------------------- members


def test_members_import_their_own_coalition_only(login_as, db, world, measures, q):
    last = q["last"].key
    assert (
        upload(login_as("member"), f"coalition,quarter,exiters\nalpha,{last},5\n").status_code
        == 303
    )
    response = upload(
        login_as("member"), f"coalition,quarter,exiters\nalpha,{last},6\nbeta,{last},6\n"
    )
    assert response.status_code == 422
    assert ("3", "coalition", "There is no coalition “beta” that you report for.") in problems(
        response
    )
    assert figure_rows(db) == [("alpha", last, "exiters", Decimal(5))]


def test_a_submitted_report_cannot_be_changed_by_a_members_import(login_as, db, world, measures, q):
    make_report(world["alpha"], q["last"], {"exiters": 5}, status="submitted", actor=world["lead"])
    response = upload(login_as("lead"), f"coalition,quarter,exiters\nalpha,{q['last'].key},6\n")
    assert response.status_code == 422
    ((row, column, message),) = problems(response)
    assert (row, column) == ("2", "quarter") and "is waiting for review" in message
    assert figure_rows(db)[0][3] == Decimal(5)


def test_the_template_lists_the_coalitions_and_measures(login_as, world, measures, q):
    response = login_as("lead").get(f"/reporting/import/template.csv?quarter={q['prev'].key}")
    lines = text(response).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("coalition,quarter,participants-served,new-participants-served")
    assert lines[1:] == [f"alpha,{q['prev'].key}" + "," * len(measures)]


# ---------------------------------------------------------------- targets


def test_an_admin_imports_targets(login_as, db, world, measures):
    csv = (
        "coalition,period,exiters,employment-rate-q2\n"
        "alpha,grant,300,70\nalpha,year 1,40,\nbeta,Whole grant,200,65\n"
    )
    response = upload(login_as("admin"), csv, path="/reporting/import/targets")
    assert response.status_code == 303, problems(response)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Target)).scalar_one() == 5
    bad = (
        "coalition,period,measure,value\nalpha,grant,exiters,1\nalpha,year 9,exiters,1\n"
        "alpha,grant,exiters,2\ngamma,grant,exiters,1\nalpha,grant,employment-rate-q2,170\n"
    )
    response = upload(login_as("admin"), bad, path="/reporting/import/targets")
    assert response.status_code == 422
    messages = {row: message for row, _, message in problems(response)}
    assert "is not a period" in messages["3"] and "Duplicate: row 2" in messages["4"]
    assert "no coalition “gamma”" in messages["5"] and "from 0 to 100" in messages["6"]
    assert db.session.execute(
        sa.select(Target.value)
        .join(Target.measure)
        .where(
            Target.coalition_id == world["alpha"].id,
            Target.period == 0,
            Target.measure.has(slug="exiters"),
        )
    ).scalar_one() == Decimal(300)


# ---------------------------------------------------------------- exports are safe


def test_csv_exports_neutralise_formulas(login_as, db, world, measures, q):
    evil = factories.make_coalition("evil", name='=HYPERLINK("http://x.example","click")')
    factories.assign_coach(world["coach"], evil)
    make_report(evil, q["last"], {"exiters": 2})
    body = text(
        login_as("admin").get(
            f"/reporting/export/program.csv?quarter={q['last'].key}&table=coalitions"
        )
    )
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
    response = login_as("admin").get("/reporting/export/program.csv?table=totals")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="program')
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert login_as("admin").get("/reporting/export/program.csv?table=nope").status_code == 404
