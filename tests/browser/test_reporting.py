"""Grant reporting in a real browser, on the demo program: the issue's "done when" (an admin
imports a quarter for the 34 coalitions, the program dashboard shows who is behind, a coach
opens one and sees its coaching next to its trend, the lead submits the narrative before the
due date and gets the reviewer's comments by notification), sorting with and without
JavaScript, and zero axe-core violations on every reporting page for every role."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

ADMIN = "admin@demo.example.org"
COACH = "coach@demo.example.org"
LEAD = "lead@demo.example.org"
MEMBER = "member@demo.example.org"
SLUG = "great-lakes-solar"
COALITION = "Great Lakes Solar Workforce Coalition (demo)"


@pytest.fixture(scope="module")
def reporting(live_server):
    """The live database with the demo reporting data (idempotent: also when seed-demo
    loads it), the quarters the tests use, a published comparison and a tagged session."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.coaching.models import CoachingSession
    from cop.coalitions.models import Coalition
    from cop.extensions import db
    from cop.reporting import seed_demo_reporting, services
    from cop.reporting.models import Measure
    from cop.reporting.periods import GrantPeriod

    app = live_server.app()
    with app.app_context():
        seed_demo_reporting()
        period = GrantPeriod.current()
        admin = db.session.execute(sa.select(User).where(User.email == ADMIN)).scalar_one()
        comparison = services.publish_comparison(
            admin, period.default_as_of(), note="Shared with **all** coalitions."
        )
        session_id = db.session.execute(
            sa.select(CoachingSession.id)
            .join(Coalition)
            .where(Coalition.slug == SLUG)
            .order_by(CoachingSession.started_at.desc())
            .limit(1)
        ).scalar_one()
        slugs = list(
            db.session.execute(sa.select(Coalition.slug).order_by(Coalition.slug)).scalars()
        )
        measure_id = db.session.execute(
            sa.select(Measure.id).where(Measure.slug == "exiters")
        ).scalar_one()
        yield {
            "app": app,
            "period": period,
            "last": period.default_as_of(),
            "current": period.clamp(period.current_quarter()),
            "slugs": slugs,
            "comparison": comparison.id,
            "session": session_id,
            "measure_id": measure_id,
        }


def figures_csv(slugs: list[str], quarter_key: str) -> bytes:
    rows = ["coalition,quarter,new-participants-served,exiters,employment-rate-q2"]
    for i, slug in enumerate(slugs):
        slow = slug == SLUG or i % 3 == 1
        rows.append(
            f"{slug},{quarter_key},{2 if slow else 60},{1 if slow else 40},{40 if slow else 75}"
        )
    return ("\n".join(rows) + "\n").encode()


def test_done_when(session_for, reporting):
    quarter = reporting["current"]

    # An admin imports a quarter of figures for the 34 demo coalitions from CSV.
    admin = session_for(ADMIN)
    admin.goto("/reporting/import")
    admin.assert_accessible("import page")
    page = admin.page
    page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": f"figures-{quarter.key}.csv",
                "mimeType": "text/csv",
                "buffer": figures_csv(reporting["slugs"], quarter.key),
            }
        ],
    )
    page.get_by_label("Quarter").select_option("")
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url(re.compile(rf".*/reporting/\?quarter={quarter.key}$"))
    assert page.get_by_text("Imported 102 figures for 34 coalitions").is_visible()
    admin.assert_accessible("program dashboard after the import")

    # The program dashboard shows who is behind; sorting in the page (JavaScript).
    heading = (
        page.locator("#coalitions-caption")
        .locator("xpath=..")
        .locator("thead th", has_text="New participants served")
    )
    heading.get_by_role("link").click()
    assert heading.get_attribute("aria-sort") == "ascending"
    first = page.locator("table:has(#coalitions-caption) tbody tr").first
    assert "behind" in first.inner_text()
    row = page.locator("table:has(#coalitions-caption) tbody tr", has_text=COALITION)
    assert "behind" in row.inner_text()
    assert page.get_by_role("status").filter(has_text="Sorted by New participants served")
    assert not [e for e in admin.errors if "pageerror" in e], admin.errors

    # A coach opens that coalition: its coaching next to its trend.
    coach = session_for(COACH)
    coach.goto(
        f"/reporting/coalitions/{SLUG}?quarter={quarter.key}&measure=new-participants-served"
    )
    assert coach.page.locator(
        "svg[aria-labelledby='chart-trend-title chart-trend-desc']"
    ).is_visible()
    assert coach.page.get_by_role("img", name=re.compile("Hours of coaching per quarter"))
    assert coach.page.get_by_role("heading", name="Coaching", exact=True).is_visible()
    coach.assert_accessible("coalition dashboard (coach)")

    # The lead writes the narrative and submits it before the due date.
    lead = session_for(LEAD)
    lead.goto(f"/reporting/coalitions/{SLUG}/reports/{quarter.key}/edit")
    lead.assert_accessible("report form (lead)")
    lead.page.get_by_label("Progress this quarter").fill(
        "Recruitment picked up in **rural counties** late in the quarter."
    )
    lead.page.get_by_label("Challenges").fill("Transportation to the training site.")
    lead.page.get_by_role("button", name="Save and submit").click()
    lead.page.wait_for_url(re.compile(rf".*/reports/{quarter.key}$"))
    assert lead.page.get_by_text("report is submitted. Your coach is told").is_visible()
    assert lead.page.get_by_text("Submitted, awaiting review").first.is_visible()
    lead.assert_accessible("submitted report (lead)")

    # The coach returns it with comments; the lead is told.
    coach.goto(f"/reporting/coalitions/{SLUG}/reports/{quarter.key}")
    coach.assert_accessible("report with the review form")
    coach.page.locator("label.usa-radio__label", has_text="Return it").click()
    coach.page.get_by_label("Comments", exact=True).fill("Please name the employer partners.")
    coach.page.get_by_role("button", name="Send the review").click()
    coach.page.wait_for_url(re.compile(rf".*/reports/{quarter.key}$"))
    lead.goto("/notifications")
    assert lead.page.get_by_text(
        re.compile(f"returned with comments the {quarter.label} report")
    ).first.is_visible()
    lead.goto(f"/reporting/coalitions/{SLUG}/reports/{quarter.key}")
    assert lead.page.get_by_text("Please name the employer partners.").is_visible()
    lead.assert_accessible("returned report (lead)")


def test_a_refused_import_lists_the_bad_rows_accessibly(session_for, reporting):
    s = session_for(ADMIN)
    s.goto("/reporting/import")
    s.page.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "bad.csv",
                "mimeType": "text/csv",
                "buffer": b"coalition,quarter,exiters\nno-such,2026Q1,-1\ngreat-lakes-solar,1999Q1,2\n",
            }
        ],
    )
    s.page.get_by_role("button", name="Check and import").click()
    # The click submits the form: wait for the answer page (is_visible() does not wait).
    expect(s.page.get_by_role("heading", name=re.compile("Nothing was imported"))).to_be_visible()
    assert s.page.get_by_role("cell", name=re.compile("no coalition “no-such”")).is_visible()
    s.assert_accessible("import refused")


def test_sorting_works_without_javascript(browser, live_server, reporting):
    from tests.browser.conftest import Session

    s = Session(browser, live_server)
    try:
        s.context.close()
        s.context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
        s.page = s.context.new_page()
        s.login(ADMIN)
        s.goto(f"/reporting/?quarter={reporting['last'].key}")
        s.page.locator("a.cop-sort", has_text="Exiters").click()
        s.page.wait_for_url(re.compile(r".*sort=exiters&dir=asc"))
        th = s.page.locator("th[data-sort-key=exiters]")
        assert th.get_attribute("aria-sort") == "ascending"
    finally:
        s.context.close()


def _pages(r) -> dict[str, list[str]]:
    last, current = r["last"].key, r["current"].key
    return {
        ADMIN: [
            "/reporting/",
            f"/reporting/?quarter={last}&sort=exiters&dir=desc",
            f"/reporting/coalitions/{SLUG}",
            "/reporting/coach",
            "/reporting/coach?coach=",
            "/reporting/reports",
            "/reporting/reports?status=missing",
            "/reporting/measures/employment-rate-q2",
            f"/reporting/coalitions/{SLUG}/reports/{last}",
            f"/reporting/coalitions/{SLUG}/reports/{last}/edit",
            f"/reporting/coalitions/{SLUG}/reports/{last}/packet",
            f"/reporting/coalitions/{SLUG}/targets",
            "/reporting/import",
            "/reporting/import/targets",
            "/reporting/admin/measures",
            f"/reporting/admin/measures/{r['measure_id']}",
            "/reporting/comparisons",
            f"/reporting/comparisons/{r['comparison']}",
        ],
        COACH: [
            "/reporting/",
            f"/reporting/coalitions/{SLUG}?measure=exiters",
            "/reporting/coach",
            "/reporting/reports",
            "/reporting/measures/exiters",
            f"/reporting/coalitions/{SLUG}/reports/{last}",
            f"/reporting/coalitions/{SLUG}/reports/{current}/packet",
            f"/coaching/sessions/{r['session']}",
        ],
        LEAD: [
            "/reporting/",
            f"/reporting/coalitions/{SLUG}",
            "/reporting/import",
            f"/reporting/coalitions/{SLUG}/reports/{last}",
            f"/reporting/coalitions/{SLUG}/reports/{last}/packet",
            f"/reporting/comparisons/{r['comparison']}",
            "/reporting/comparisons",
            f"/coaching/sessions/{r['session']}",
        ],
        MEMBER: [
            "/reporting/",
            f"/reporting/coalitions/{SLUG}?quarter={r['last'].previous.key}",
            "/reporting/measures/exiters",
        ],
    }


CASES = [(who, i) for who, n in ((ADMIN, 18), (COACH, 8), (LEAD, 8), (MEMBER, 3)) for i in range(n)]


@pytest.mark.parametrize(
    ("email", "index"), CASES, ids=[f"{e.split('@')[0]}-{i}" for e, i in CASES]
)
def test_every_reporting_page_is_accessible(session_for, reporting, email, index):
    path = _pages(reporting)[email][index]
    s = session_for(email)
    s.goto(path)
    s.assert_accessible(f"{path} as {email}")
    assert not [e for e in s.errors if "pageerror" in e], s.errors


def test_tagging_a_session_in_the_browser(session_for, reporting):
    s = session_for(COACH)
    s.goto(f"/coaching/sessions/{reporting['session']}")
    s.page.locator("summary", has_text="Tag the measures").click()
    s.assert_accessible("session page with the tag form open")
    s.page.locator("label.usa-checkbox__label", has_text="Completed on-the-job training").click()
    s.page.get_by_role("button", name="Save the measures").click()
    s.page.wait_for_url(re.compile(r".*#session-measures$"))
    assert s.page.locator(".usa-tag", has_text="Completed on-the-job training").is_visible()


def test_the_packet_prints(session_for, reporting):
    s = session_for(LEAD)
    s.goto(f"/reporting/coalitions/{SLUG}/reports/{reporting['last'].key}/packet")
    assert s.page.get_by_role("button", name="Print this packet").is_visible()
    s.page.emulate_media(media="print")
    assert not s.page.locator("header.usa-header").is_visible()
    assert s.page.get_by_role("heading", name="Events attended").is_visible()
