"""Due-date reminders (as a due date approaches and once it has passed) to the coalition's
leads and coaches, once each; the submission and the review told by notification and email."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from cop.notifications.models import Notification
from cop.reporting import due_report_reminders, services
from cop.reporting.models import ReportReminder
from cop.reporting.periods import Quarter
from tests import factories
from tests.reporting.conftest import make_report, set_targets

Q1 = Quarter(2026, 1)  # ends March 31; due May 15, 2026 (45 days)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 14, tzinfo=UTC)  # 10 am Eastern


def notes(db) -> list[tuple[int, str, str]]:
    db.session.rollback()
    return [
        (n.user_id, n.kind, n.text)
        for n in db.session.execute(sa.select(Notification).order_by(Notification.id)).scalars()
    ]


@pytest.fixture(autouse=True)
def set_up(world, measures):
    """Both coalitions have targets: their reporting is set up, so they are reminded."""
    for coalition in (world["alpha"], world["beta"]):
        set_targets(coalition, {("exiters", 0): 100})


@pytest.fixture
def second_lead(world):
    return factories.make_user(
        "member", coalition=world["alpha"], lead=True, email="lead2@test.example.org"
    )


def test_due_soon_goes_to_leads_and_coaches_once(db, world, measures, second_lead):
    assert due_report_reminders(at(5, 7)) == 0, "8 days before: not yet"
    assert due_report_reminders(at(5, 8)) == 3
    got = notes(db)
    assert {uid for uid, _, _ in got} == {world["lead"].id, second_lead.id, world["coach"].id}
    assert {kind for _, kind, _ in got} == {"report_due"}
    assert got[0][2] == "The 2026 Q1 report of Alpha Coalition (demo) is due on May 15, 2026"
    assert due_report_reminders(at(5, 9)) == 0, "once"
    assert due_report_reminders(at(5, 15)) == 0
    # Every coalition is claimed once, even one without leads or coaches (beta).
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(ReportReminder)).scalar_one() == 2
    )


def test_overdue_once_when_the_date_has_passed(db, world, measures):
    make_report(world["beta"], Q1, status="submitted")
    assert due_report_reminders(at(5, 16)) == 2  # alpha's lead and coach
    assert notes(db)[0][2] == (
        "The 2026 Q1 report of Alpha Coalition (demo) was due on "
        "May 15, 2026 and has not been submitted"
    )
    assert due_report_reminders(at(5, 20)) == 0
    assert due_report_reminders(at(7, 1)) == 0, "after REPORTING_OVERDUE_DAYS: silence"


def test_no_reminder_for_a_report_handed_in(db, world, measures):
    make_report(world["alpha"], Q1, status="submitted")
    make_report(world["beta"], Q1, status="accepted")
    assert due_report_reminders(at(5, 10)) == 0
    assert due_report_reminders(at(5, 16)) == 0


def test_a_returned_report_is_not_handed_in(db, world, measures):
    make_report(world["alpha"], Q1, status="returned")
    assert due_report_reminders(at(5, 16)) == 2


def test_no_reminder_before_a_coalitions_reporting_is_set_up(db, world, measures):
    gamma = factories.make_coalition("gamma")
    factories.make_user("member", coalition=gamma, lead=True)
    due_report_reminders(at(5, 10))
    assert db.session.execute(sa.select(ReportReminder.coalition_id)).scalars().all() != []
    assert (
        gamma.id not in db.session.execute(sa.select(ReportReminder.coalition_id)).scalars().all()
    )


def test_the_job_runner_runs_the_reminders(app, db, world, measures):
    from cop.notifications.jobs import run_once

    assert "reporting.due_reminders" in app.extensions["cop_periodic_jobs"]
    result = run_once(app, now=at(5, 10))
    assert result["periodic"] >= 2


def test_the_lead_gets_the_reviewers_comments_by_email(app, db, world, measures, q, smtp_server):
    report = make_report(
        world["alpha"], q["last"], {"exiters": 3}, status="submitted", actor=world["lead"]
    )
    services.review_report(
        world["coach"],
        report,
        decision="return",
        comments="Please explain the drop in completions.",
    )
    smtp_server.deliver()
    # (deliver() runs every job, the due-date reminders too: pick the review's email.)
    (mail,) = [
        m for m in smtp_server.to(world["lead"].email) if "returned with comments" in m["Subject"]
    ]
    body = smtp_server.text(mail)
    assert "Please explain the drop in completions." in body
    assert "/notifications/" in body  # the link opens the report (and marks it read)
    opened = db.session.execute(
        sa.select(Notification).where(
            Notification.user_id == world["lead"].id, Notification.kind == "report_reviewed"
        )
    ).scalar_one()
    assert opened.url == f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    assert not [m for m in smtp_server.to(world["member"].email) if "returned" in m["Subject"]]


def test_coaches_hear_of_a_submission_in_the_app(db, world, measures, q):
    report = make_report(world["alpha"], q["last"], {"exiters": 3})
    services.submit_report(world["lead"], report)
    assert [(uid, kind) for uid, kind, _ in notes(db)] == [(world["coach"].id, "report_submitted")]


def test_the_kinds_are_on_the_settings_page(login_as, world):
    page = login_as("lead").get("/notifications/preferences").get_data(as_text=True)
    assert "A quarterly report is due soon or overdue" in page
    assert (
        "Your coalition&#39;s quarterly report was accepted or returned" in page
        or "Your coalition's quarterly report was accepted or returned" in page
    )
