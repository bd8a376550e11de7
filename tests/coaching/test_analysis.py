"""Quarters, the quarterly summary against the logs it comes from, CSV exports, SVG charts."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from cop.coaching import analysis
from cop.coaching.analysis import Quarter
from cop.coaching.models import ActionItem
from tests import factories
from tests.coaching.conftest import log

MODALITIES = ["video", "phone", "in_person", "email", "site_visit"]
MODALITY_LABEL = {
    "video": "Video call",
    "phone": "Phone",
    "in_person": "In person",
    "email": "Email",
    "site_visit": "Site visit",
}
TOPICS = {
    "apprenticeship": "Apprenticeship",
    "partnerships": "Partnerships",
    "sustainability": "Sustainability",
    "training-design": "Training design",
}


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


# ---------------------------------------------------------------- quarters


def test_quarters_are_calendar_quarters_in_the_reporting_zone(app):
    q = Quarter.parse("2026Q1")
    assert q == Quarter(2026, 1) == Quarter.parse("2026-q1")
    assert (q.key, q.label, q.first_day, q.last_day) == (
        "2026Q1",
        "2026 Q1",
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    start, end = q.bounds()
    assert start == datetime(2026, 1, 1, 5, tzinfo=UTC)  # midnight Eastern (EST)
    assert end == datetime(2026, 4, 1, 4, tzinfo=UTC)  # midnight Eastern (EDT)
    assert Quarter(2026, 1).previous == Quarter(2025, 4) and Quarter(2025, 4).next == q
    assert [x.key for x in q.recent(3)] == ["2025Q3", "2025Q4", "2026Q1"]
    # 11:30 pm Eastern on March 31 is already April 1 in UTC, and still in Q1.
    late = datetime(2026, 4, 1, 3, 30, tzinfo=UTC)
    assert Quarter.containing(late) == q and q.contains(late)
    assert not q.contains(end)
    for bad in ("2026Q5", "2026", "Q1", "", None, "1999Q1", "2026Q1; drop"):
        assert Quarter.parse(bad) is None


# ---------------------------------------------------------------- the summary vs the logs


@pytest.fixture
def history(world):
    """Sessions over three quarters of 2025 in alpha and gamma (both coached by the coach),
    one in beta (not theirs), and delta, coached by the coach but never reached."""
    gamma = factories.make_coalition("gamma", name="Gamma Coalition (demo)")
    delta = factories.make_coalition("delta", name="Delta Coalition (demo)")
    for c in (gamma, delta):
        factories.assign_coach(world["coach"], c)
    rng = random.Random(7)
    logged = []
    for i in range(40):
        coalition = rng.choice([world["alpha"], gamma])
        started = datetime(2025, 4, 1, 14, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 270), minutes=rng.randint(0, 600)
        )
        modality = rng.choice(MODALITIES)
        topics = rng.sample(sorted(TOPICS), k=rng.randint(0, 2))
        minutes = rng.choice([15, 30, 45, 50, 60, 90, 240])
        log(
            world["coach"],
            coalition,
            started_at=started,
            modality=modality,
            topics=topics,
            duration_minutes=minutes,
            summary=f"s{i}",
        )
        logged.append(
            {
                "coalition": coalition.slug,
                "started": started,
                "modality": modality,
                "topics": topics,
                "minutes": minutes,
            }
        )
    log(
        world["admin"],
        world["beta"],
        coach=world["admin"],
        started_at=datetime(2025, 8, 1, 15, tzinfo=UTC),
        duration_minutes=600,
    )
    return {"logged": logged, "coalitions": ["alpha", "delta", "gamma"]}


def expected_for(quarter: Quarter, logged: list[dict]) -> dict:
    start, end = quarter.bounds()
    mine = [s for s in logged if start <= s["started"] < end]
    by_coalition = Counter(s["coalition"] for s in mine)
    return {
        "sessions": len(mine),
        "minutes": sum(s["minutes"] for s in mine),
        "modality": {
            m: (
                sum(1 for s in mine if s["modality"] == m),
                sum(s["minutes"] for s in mine if s["modality"] == m),
            )
            for m in MODALITIES
        },
        "topic": {
            t: (
                sum(1 for s in mine if t in s["topics"]),
                sum(s["minutes"] for s in mine if t in s["topics"]),
            )
            for t in TOPICS
        },
        "by_coalition": by_coalition,
        "not_reached": sorted(c for c in ("alpha", "delta", "gamma") if not by_coalition[c]),
    }


@pytest.mark.parametrize("key", ["2025Q2", "2025Q3", "2025Q4"])
def test_the_summary_api_matches_the_logs(client, world, history, token_for, key):
    expected = expected_for(Quarter.parse(key), history["logged"])
    data = client.get(
        f"/api/v1/coaching/summary?quarter={key}", headers=token_for("coach")
    ).get_json()
    assert data["quarter"] == key
    assert data["sessions"] == expected["sessions"] > 0
    assert data["hours"] == hours(expected["minutes"])
    assert {t["key"]: (t["sessions"], t["hours"]) for t in data["by_modality"]} == {
        m: (n, hours(mins)) for m, (n, mins) in expected["modality"].items()
    }
    topics = {t["label"]: (t["sessions"], t["hours"]) for t in data["by_topic"]}
    for slug, (n, mins) in expected["topic"].items():
        assert topics[TOPICS[slug]] == (n, hours(mins))
    assert {c["slug"]: c["sessions"] for c in data["coalitions"]} == {
        c: expected["by_coalition"][c] for c in history["coalitions"]
    }
    assert data["not_reached"] == expected["not_reached"]
    assert "delta" in data["not_reached"] and "beta" not in str(data["coalitions"])
    assert data["coalitions_in_scope"] == 3


def test_the_summary_csv_and_the_page_match_the_logs(login_as, world, history):
    q = Quarter.parse("2025Q3")
    expected = expected_for(q, history["logged"])
    client = login_as("coach")
    rows = rows_of(client.get("/coaching/export/summary.csv?quarter=2025Q3"))
    assert all(r["quarter"] == "2025Q3" for r in rows)
    (total,) = [r for r in rows if r["coalition_slug"] == "ALL" and r["dimension"] == "total"]
    assert int(total["sessions"]) == expected["sessions"]
    assert float(total["hours"]) == hours(expected["minutes"])
    modality = {
        r["category"]: (int(r["sessions"]), float(r["hours"]))
        for r in rows
        if r["coalition_slug"] == "ALL" and r["dimension"] == "modality"
    }
    assert modality == {
        MODALITY_LABEL[m]: (n, hours(mins)) for m, (n, mins) in expected["modality"].items()
    }
    per_coalition = {
        r["coalition_slug"]: int(r["sessions"])
        for r in rows
        if r["dimension"] == "total" and r["coalition_slug"] != "ALL"
    }
    assert per_coalition == {c: expected["by_coalition"][c] for c in history["coalitions"]}
    # Per coalition, the modality rows add up to the coalition's total.
    for slug in history["coalitions"]:
        parts = [
            int(r["sessions"])
            for r in rows
            if r["coalition_slug"] == slug and r["dimension"] == "modality"
        ]
        assert sum(parts) == per_coalition[slug]
    (not_reached,) = [r for r in rows if r["dimension"] == "not_reached"]
    assert int(not_reached["sessions"]) == len(expected["not_reached"])
    # The page shows the same numbers in its tables.
    page = client.get("/coaching/analysis?quarter=2025Q3").get_data(as_text=True)
    for m, (n, mins) in expected["modality"].items():
        assert re.search(
            rf'<th scope="row">{MODALITY_LABEL[m]}</th><td class="cop-num">{n}</td>'
            rf'<td class="cop-num">{analysis.fmt_hours(mins / 60)}</td>',
            page,
        ), m
    assert f"<strong>{expected['sessions']}</strong> session" in page


def test_the_sessions_csv_matches_the_logs(login_as, world, history):
    client = login_as("coach")
    rows = rows_of(client.get("/coaching/export/sessions.csv?quarter=all"))
    assert len(rows) == len(history["logged"]), "beta is not the coach's"
    assert sum(int(r["duration_minutes"]) for r in rows) == sum(
        s["minutes"] for s in history["logged"]
    )
    by_quarter = Counter(r["quarter"] for r in rows)
    for key in ("2025Q2", "2025Q3", "2025Q4"):
        assert by_quarter[key] == expected_for(Quarter.parse(key), history["logged"])["sessions"]
        q_rows = rows_of(client.get(f"/coaching/export/sessions.csv?quarter={key}"))
        assert {r["session_id"] for r in q_rows} == {
            r["session_id"] for r in rows if r["quarter"] == key
        }
    gamma = rows_of(client.get("/coaching/export/sessions.csv?quarter=all&coalition=gamma"))
    assert {r["coalition_slug"] for r in gamma} == {"gamma"}
    assert rows[0]["private_notes"].startswith("SECRET-NOTE"), "the staff export has the notes"
    assert rows[0]["time_zone"] == "America/New_York"
    admin_rows = rows_of(login_as("admin").get("/coaching/export/sessions.csv?quarter=all"))
    assert len(admin_rows) == len(history["logged"]) + 1


def test_action_items_opened_and_closed_per_quarter(client, world, db, token_for):
    session = log(
        world["coach"],
        world["alpha"],
        started_at=datetime(2025, 2, 1, 15, tzinfo=UTC),
        topics=[],
        items=[
            ("a", world["lead"].id, None),
            ("b", world["lead"].id, None),
            ("c", world["lead"].id, None),
        ],
    )
    a, b, c = session.action_items
    q1, q2 = datetime(2025, 2, 2, 15, tzinfo=UTC), datetime(2025, 5, 2, 15, tzinfo=UTC)
    for item in (a, b, c):
        item.created_at = q1
    a.status, a.closed_at = "done", q1
    b.status, b.closed_at = "dropped", q2
    db.session.commit()
    headers = token_for("coach")
    first = client.get("/api/v1/coaching/summary?quarter=2025Q1", headers=headers).get_json()
    second = client.get("/api/v1/coaching/summary?quarter=2025Q2", headers=headers).get_json()
    assert (
        first["action_items_opened"],
        first["action_items_done"],
        first["action_items_dropped"],
    ) == (3, 1, 0)
    assert (
        second["action_items_opened"],
        second["action_items_done"],
        second["action_items_dropped"],
    ) == (0, 0, 1)
    assert db.session.execute(sa.select(sa.func.count()).select_from(ActionItem)).scalar() == 3


# ---------------------------------------------------------------- charts


def test_charts_are_accessible_svg_with_the_numbers_in_a_table(login_as, world, history):
    page = login_as("coach").get("/coaching/analysis?quarter=2025Q3").get_data(as_text=True)
    charts = re.findall(r"<svg xmlns[^>]*>.*?</svg>", page, re.S)
    assert len(charts) == 3
    for svg in charts:
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for element_id in labelled:
            assert f'id="{element_id}"' in svg
        assert "<title" in svg and "<desc" in svg
        assert "style=" not in svg, "CSP: no inline styles"
    assert "<caption>Sessions and hours by modality, 2025 Q3</caption>" in page
    assert "<script" not in "".join(charts)


def test_chart_labels_are_escaped(app):
    svg = analysis.bar_chart("c1", "T <b>", "D & d", [("<script>alert(1)</script>", 2.5)], "h")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "T &lt;b&gt;" in svg and "D &amp; d" in svg
    assert "2.5 h" in svg
    empty = analysis.bar_chart("c2", "Nothing", "None", [], "h")
    assert 'role="img"' in empty


def test_fmt_hours():
    assert [analysis.fmt_hours(x) for x in (0, 1, 1.5, 0.75, 2 / 3, 12.0)] == [
        "0",
        "1",
        "1.5",
        "0.75",
        "0.67",
        "12",
    ]


def test_an_unknown_quarter_falls_back_to_the_current_one(login_as, world):
    page = login_as("coach").get("/coaching/analysis?quarter=nonsense").get_data(as_text=True)
    from cop.core.models import utcnow

    assert Quarter.containing(utcnow()).label in page


def test_sessions_per_quarter_trend(app, world):
    sessions = [
        type(
            "S", (), {"started_at": datetime(2025, m, 10, 15, tzinfo=UTC), "duration_minutes": 30}
        )()
        for m in (1, 2, 5, 11, 12, 12)
    ]
    result = dict(analysis.trend(Quarter(2025, 4).recent(4), sessions))
    assert [(q.key, t.sessions, t.minutes) for q, t in result.items()] == [
        ("2025Q1", 2, 60),
        ("2025Q2", 1, 30),
        ("2025Q3", 0, 0),
        ("2025Q4", 3, 90),
    ]
