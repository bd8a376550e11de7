"""Progress against target (docs/reporting.md), the dashboards built from it, and their
bounded number of SQL statements."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from cop.reporting.dashboards import Calculator, Progress, fmt_value
from cop.reporting.models import Measure
from cop.reporting.periods import GrantPeriod, Quarter, parse_quarter
from tests import factories
from tests.reporting.conftest import make_report, set_targets, text

D = Decimal
PERIOD = GrantPeriod(Quarter(2023, 4), Quarter(2028, 3), 45)


def m(kind="count", cumulative=False, slug="x"):
    return Measure(slug=slug, name=slug.title(), kind=kind, cumulative=cumulative)


@pytest.fixture
def calc(app):
    return Calculator(PERIOD)


# ---------------------------------------------------------------- the grant period


def test_the_grant_period_and_its_years():
    assert PERIOD.length == 20 and PERIOD.years == 5
    assert PERIOD.year_of(Quarter(2023, 4)) == 1 and PERIOD.year_of(Quarter(2024, 3)) == 1
    assert PERIOD.year_of(Quarter(2024, 4)) == 2 and PERIOD.year_of(Quarter(2028, 3)) == 5
    assert PERIOD.year_label(1) == "Year 1 (Oct 2023 to Sep 2024)"
    assert str(PERIOD.due_on(Quarter(2026, 3))) == "2026-11-14"
    assert not PERIOD.contains(Quarter(2023, 3)) and not PERIOD.contains(Quarter(2028, 4))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026Q3", "2026Q3"),
        ("2026-Q3", "2026Q3"),
        ("2026 q3", "2026Q3"),
        ("Q3 2026", "2026Q3"),
        (" q1-2024 ", "2024Q1"),
    ],
)
def test_quarters_are_read_loosely(text, key):
    assert parse_quarter(text).key == key


@pytest.mark.parametrize("text", ["", "2026Q5", "2026", "Q3", "1999Q1", "26Q3", "2026Q3x"])
def test_what_is_not_a_quarter(text):
    assert parse_quarter(text) is None


# ---------------------------------------------------------------- targets to date


def test_a_count_that_adds_up_against_the_grant_target_pro_rata(calc):
    measure = m()
    assert calc.target_to_date(measure, {0: D(200)}, Quarter(2024, 4)) == D(50)  # 5 of 20
    assert calc.target_to_date(measure, {0: D(200)}, Quarter(2028, 3)) == D(200)
    assert calc.target_to_date(measure, {0: D(200)}, Quarter(2030, 1)) == D(200)  # clamped
    assert calc.target_to_date(measure, {0: D(200)}, Quarter(2023, 3)) is None  # before


def test_yearly_targets_win_over_the_grant_target(calc):
    measure = m()
    targets = {0: D(200), 1: D(20), 2: D(40)}
    # Year 1 whole, then one quarter of year 2.
    assert calc.target_to_date(measure, targets, Quarter(2024, 4)) == D(30)
    assert calc.quarter_target(measure, targets, Quarter(2024, 4)) == D(10)
    assert calc.quarter_target(measure, targets, Quarter(2023, 4)) == D(5)
    # Year 3 has no target: back to the grant target, pro rata.
    assert calc.target_to_date(measure, targets, Quarter(2025, 4)) == D(90)


def test_a_running_total_is_held_against_its_milestones(calc):
    measure = m(cumulative=True)
    targets = {0: D(400), 1: D(100), 2: D(250)}
    assert calc.target_to_date(measure, targets, Quarter(2024, 3)) == D(100)
    assert calc.target_to_date(measure, targets, Quarter(2024, 4)) == D("137.5")
    # A running total's quarter target is the level to be at, not a share.
    assert calc.quarter_target(measure, targets, Quarter(2024, 4)) == D("137.5")
    assert calc.target_to_date(measure, {0: D(400)}, Quarter(2024, 4)) == D(100)


def test_rates_and_money_are_levels(calc):
    rate = m("rate")
    assert calc.target_to_date(rate, {0: D(70), 2: D(72)}, Quarter(2024, 4)) == D(72)
    assert calc.target_to_date(rate, {0: D(70), 2: D(72)}, Quarter(2025, 4)) == D(70)


# ---------------------------------------------------------------- values to date and status


def test_counts_add_up_and_levels_take_the_latest_figure(calc):
    figures = {Quarter(2024, 1): D(10), Quarter(2024, 2): D(15), Quarter(2024, 3): D(20)}
    assert calc.actual_to_date(m(), figures, Quarter(2024, 2)) == (D(25), Quarter(2024, 2))
    assert calc.actual_to_date(m(cumulative=True), figures, Quarter(2024, 3)) == (
        D(20),
        Quarter(2024, 3),
    )
    assert calc.actual_to_date(m("rate"), figures, Quarter(2030, 1))[0] == D(20)
    assert calc.actual_to_date(m(), figures, Quarter(2023, 4)) == (None, None)


@pytest.mark.parametrize(
    ("actual", "target", "status"),
    [
        (D(89), D(100), "behind"),
        (D(90), D(100), "on_track"),
        (D(109), D(100), "on_track"),
        (D(110), D(100), "ahead"),
        (None, D(100), "no_figures"),
        (D(5), None, "no_target"),
        (D(5), D(0), "no_target"),
    ],
)
def test_statuses(calc, actual, target, status):
    progress = calc.rate(Progress(m(), actual, target))
    assert progress.status == status
    assert progress.status_label  # a word, not only a colour


def test_the_thresholds_are_settings(app, calc):
    app.config["REPORTING_ON_TRACK_PERCENT"] = 95
    try:
        assert Calculator(PERIOD).rate(Progress(m(), D(92), D(100))).status == "behind"
    finally:
        app.config["REPORTING_ON_TRACK_PERCENT"] = 90


def test_program_totals_add_counts_and_average_rates(calc):
    counts = [
        calc.rate(Progress(m(), D(50), D(100), D(400))),
        calc.rate(Progress(m(), D(150), D(100), D(400))),
        calc.rate(Progress(m(), None, D(100), D(400))),
    ]
    total = calc.combine(m(), counts)
    assert (total.actual, total.target, total.grant_target) == (D(200), D(300), D(1200))
    assert total.pct == D("66.7") and total.status == "behind" and total.reporting == 2
    rates = calc.combine(
        m("rate"), [Progress(m("rate"), D(60), D(70)), Progress(m("rate"), D(80), D(70))]
    )
    assert (rates.actual, rates.target, rates.status) == (D(70), D(70), "on_track")


def test_the_trend_carries_a_running_total_forward(calc):
    running = m(cumulative=True)
    series = [
        ({Quarter(2024, 1): D(10), Quarter(2024, 3): D(30)}, {}),
        ({Quarter(2024, 2): D(5)}, {}),
    ]
    points = calc.trend(running, series, [Quarter(2024, 1), Quarter(2024, 2), Quarter(2024, 3)])
    assert [p.value for p in points] == [D(10), D(15), D(35)]
    plain = calc.trend(m(), series, [Quarter(2024, 1), Quarter(2024, 2), Quarter(2024, 4)])
    assert [p.value for p in plain] == [D(10), D(5), None]


def test_formatting_for_people():
    assert fmt_value("count", D("1234.4")) == "1,234"
    assert fmt_value("rate", D("72.50")) == "72.5%" and fmt_value("rate", D(70)) == "70%"
    assert fmt_value("money", D("9500.49")) == "$9,500"
    assert fmt_value("count", None) == "–"


# ---------------------------------------------------------------- the dashboards


@pytest.fixture
def program(world, measures, q):
    """alpha behind on new participants, beta (another sector) and gamma (alpha's sector)
    ahead; each with a grant target of 200."""
    gamma = factories.make_coalition("gamma", name="Gamma Coalition (demo)", sectors=["broadband"])
    for c in (world["alpha"], world["beta"], gamma):
        set_targets(c, {("new-participants-served", 0): 200, ("employment-rate-q2", 0): 70})
    n = q["period"].through(q["last"])
    per_quarter = D(200) / len(q["period"].quarters())
    for c, factor in ((world["alpha"], D("0.5")), (world["beta"], D(2)), (gamma, D(2))):
        for quarter in n:
            make_report(
                c,
                quarter,
                {
                    "new-participants-served": (per_quarter * factor).quantize(D(1)),
                    "employment-rate-q2": 71,
                },
                status="accepted",
            )
    return {"gamma": gamma, "quarters": n}


def test_the_program_dashboard_for_each_role(login_as, world, program, q):
    admin = text(login_as("admin").get("/reporting/"))
    assert "Alpha Coalition (demo)" in admin and "Gamma Coalition (demo)" in admin
    assert "behind" in admin and "ahead" in admin
    assert 'role="img"' in admin and "Program figures per quarter" in admin
    coach = text(login_as("coach").get("/reporting/"))
    assert "Alpha Coalition (demo)" in coach and "Gamma Coalition (demo)" not in coach
    member = text(login_as("member").get("/reporting/"))
    assert "Program totals to date" in member
    assert "Gamma Coalition (demo)" not in member and "Beta Coalition (demo)" not in member
    assert "comparisons the program staff publish" in member


def test_the_coalitions_table_sorts_on_the_server_too(login_as, world, program):
    page = text(login_as("admin").get("/reporting/?sort=new-participants-served&dir=asc"))
    assert page.index("Alpha Coalition") < page.index("Beta Coalition")
    assert 'aria-sort="ascending"' in page
    page = text(login_as("admin").get("/reporting/?sort=new-participants-served&dir=desc"))
    assert page.index("Alpha Coalition (demo)</a>") > page.index("Gamma Coalition (demo)</a>")


def test_peers_in_the_same_sector_doing_well(login_as, world, program):
    page = text(login_as("lead").get("/reporting/coalitions/alpha"))
    peers = page[page.index("Peers to learn from") :]
    assert "Gamma Coalition (demo)" in peers and "Beta Coalition (demo)" not in peers
    assert "ahead" in peers and "%" not in peers.split("Gamma Coalition (demo)")[1][:60], (
        "members see that a peer does well, not its figures"
    )
    staff = text(login_as("coach").get("/reporting/coalitions/alpha"))
    peers = staff[staff.index("Peers to learn from") :]
    assert "Gamma Coalition (demo)" in peers and "% " in peers
    assert '/coalitions/gamma"' in peers


def test_behind_without_coaching_this_quarter(login_as, world, program, measures):
    from cop.coaching import services as coaching
    from cop.core.models import utcnow
    from cop.reporting.services import tag_session

    def gaps():
        page = text(login_as("coach").get("/reporting/"))
        return page[page.index("gaps-heading") : page.index("trend-heading")]

    assert "Alpha Coalition (demo)" in gaps()
    coaching.ensure_default_topics()
    session = coaching.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": utcnow() - timedelta(minutes=5),
            "duration_minutes": 30,
            "modality": "phone",
            "initiated_by": "coach",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": [],
            "need": "",
            "summary": "Recruitment plan",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "",
        },
    )
    tag_session(world["coach"], session, [measures["new-participants-served"].id])
    assert "Alpha Coalition (demo)" not in gaps()


def test_the_coalition_dashboard_shows_coaching_next_to_the_trend(
    login_as, world, program, measures, q
):
    from cop.coaching import services as coaching
    from cop.reporting.services import tag_session

    start, _ = q["last"].bounds()
    coaching.ensure_default_topics()
    session = coaching.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": start + timedelta(days=10),
            "duration_minutes": 90,
            "modality": "video",
            "initiated_by": "coach",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": ["recruitment-outreach"],
            "need": "",
            "summary": "Outreach",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "",
        },
    )
    tag_session(world["coach"], session, [measures["new-participants-served"].id])
    page = text(
        login_as("coach").get("/reporting/coalitions/alpha?measure=new-participants-served")
    )
    assert 'id="chart-trend"' in page or "chart-trend-title" in page
    assert "chart-coaching-title" in page
    coaching_table = page[page.index("coaching-caption") :]
    assert (
        f'{q["last"].label}</th><td class="cop-num">1</td><td class="cop-num">1.5</td>'
        in coaching_table
    )
    assert "Recruitment and outreach: 1, 1.5 h" in coaching_table
    trend_table = page[page.index("Sessions aimed at it") :]
    assert f"{q['last'].label}</th>" in trend_table
    # Experts never see a coalition's reporting; other coalitions' members neither.
    assert login_as("other_member").get("/reporting/coalitions/alpha").status_code == 404


def test_dashboards_run_a_bounded_number_of_statements(
    app, login_as, world, measures, q, count_queries
):
    """The statements per page do not grow with the coalitions, quarters or measures."""
    client = login_as("admin")
    set_targets(world["alpha"], {("exiters", 0): 100})
    make_report(world["alpha"], q["last"], {"exiters": 4}, status="accepted", actor=world["lead"])
    pages = [
        "/reporting/",
        "/reporting/coalitions/alpha",
        "/reporting/coach",
        "/reporting/measures/exiters",
        "/reporting/reports",
        f"/reporting/coalitions/alpha/reports/{q['last'].key}/packet",
        "/api/v1/reporting/summary",
    ]

    def counts():
        result = {}
        for page in pages:
            with count_queries() as counter:
                assert client.get(page).status_code == 200, page
            result[page] = counter.count
        return result

    small = counts()
    quarters = q["period"].through(q["last"])
    for i in range(12):
        c = factories.make_coalition(f"extra-{i}", sectors=["broadband"])
        factories.assign_coach(world["coach"], c)
        set_targets(c, {(slug, 0): 100 for slug in list(measures)[:10]})
        for quarter in quarters[-6:]:
            make_report(
                c,
                quarter,
                {slug: 3 for slug in list(measures)[1:11]},
                status="accepted",
                actor=world["lead"],
            )
    large = counts()
    assert large == small, (small, large)
    assert max(large.values()) <= 30, large
