"""Reporting use cases: values, the report's life (draft, submitted, returned, accepted),
who may do what, audit with old and new values, measures, targets, tags, comparisons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from cop.core.audit import AuditEvent
from cop.core.errors import Conflict, PermissionDenied, ServiceError
from cop.notifications.models import Notification
from cop.reporting import services
from cop.reporting.models import Comparison, Figure, QuarterlyReport, Target
from cop.reporting.periods import Quarter
from tests.reporting.conftest import make_report, set_targets


def audit(db, action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars()
    )


def notes(db, user) -> list[Notification]:
    db.session.rollback()
    return list(
        db.session.execute(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )


def figures(db) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(Figure)).scalar_one()


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("slug", "raw", "value"),
    [
        ("exiters", "12", Decimal(12)),
        ("exiters", " 1,204 ", Decimal(1204)),
        ("exiters", 0, Decimal(0)),
        ("employment-rate-q2", "72.5%", Decimal("72.5")),
        ("employment-rate-q2", 100, Decimal(100)),
        ("median-earnings-q2", "$9,500.25", Decimal("9500.25")),
    ],
)
def test_good_values(measures, slug, raw, value):
    assert services.check_value(measures[slug], raw) == value


@pytest.mark.parametrize(
    ("slug", "raw", "message"),
    [
        ("exiters", "-3", "cannot be negative"),
        ("exiters", "2.5", "a count is a whole number"),
        ("exiters", "twelve", "is not a number"),
        ("exiters", "1e3", "is not a number"),
        ("exiters", "NaN", "is not a number"),
        ("exiters", "5000000", "check it"),
        ("employment-rate-q2", "100.5", "from 0 to 100"),
        ("employment-rate-q2", "-1", "cannot be negative"),
        ("median-earnings-q2", "12.345", "at most two decimals"),
        ("median-earnings-q2", None, "give a number"),
        ("exiters", True, "give a number"),
    ],
)
def test_bad_values_are_refused_naming_the_measure(measures, slug, raw, message):
    with pytest.raises(ServiceError) as exc:
        services.check_value(measures[slug], raw)
    assert message in exc.value.message
    assert exc.value.message.startswith(measures[slug].name)


# ---------------------------------------------------------------- drafting


def test_a_member_drafts_and_every_figure_change_is_audited(db, world, measures, q):
    report = services.save_report(
        world["member"],
        world["alpha"],
        q["last"],
        figures={"exiters": "10", "employment-rate-q2": "70"},
        narrative={"progress": "**Good** quarter."},
    )
    assert (
        report.status == "draft" and report.progress_html == "<p><strong>Good</strong> quarter.</p>"
    )
    services.save_report(
        world["lead"],
        world["alpha"],
        q["last"],
        figures={"exiters": "12", "employment-rate-q2": ""},
    )
    created, updated = audit(db, "reporting_report.create"), audit(db, "reporting_report.update")
    assert created[0].details["new_figures"] == {"exiters": 10, "employment-rate-q2": 70}
    assert updated[0].details["previous_figures"] == {"exiters": 10, "employment-rate-q2": 70}
    assert updated[0].details["new_figures"] == {"exiters": 12, "employment-rate-q2": None}
    assert updated[0].actor_id == world["lead"].id
    assert figures(db) == 1


def test_nothing_is_half_saved(db, world, measures, q):
    services.save_report(world["member"], world["alpha"], q["last"], figures={"exiters": 5})
    with pytest.raises(services.Invalid) as exc:
        services.save_report(
            world["member"],
            world["alpha"],
            q["last"],
            figures={
                "exiters": "6",
                "employment-rate-q2": "140",
                "began-training": "-2",
                "no-such": "1",
            },
            narrative={"progress": "changed"},
        )
    db.session.rollback()
    assert set(exc.value.errors) == {
        "figures.employment-rate-q2",
        "figures.began-training",
        "figures.no-such",
    }
    report = services.find_report(world["alpha"], q["last"])
    assert [f.value for f in report.figures] == [Decimal(5)]
    assert report.progress == "", "the narrative of the refused request was not kept"


@pytest.mark.parametrize(
    ("quarter", "message"),
    [
        (Quarter(2023, 3), "outside the grant period"),
        (Quarter(2031, 1), "outside the grant period"),
    ],
)
def test_quarters_outside_the_grant_are_refused(world, measures, quarter, message):
    with pytest.raises(services.Invalid) as exc:
        services.save_report(world["lead"], world["alpha"], quarter, figures={"exiters": 1})
    assert message in exc.value.errors["quarter"]


def test_a_quarter_that_has_not_begun_is_refused(app, world, measures, monkeypatch):
    from cop.reporting.periods import GrantPeriod

    # A grant period around today whatever the date: the next quarter is inside it.
    today = GrantPeriod.current().current_quarter()
    monkeypatch.setitem(app.config, "REPORTING_GRANT_START", today.previous.key)
    monkeypatch.setitem(app.config, "REPORTING_GRANT_END", today.next.next.key)
    future = today.next
    with pytest.raises(services.Invalid) as exc:
        services.save_report(world["lead"], world["alpha"], future, figures={"exiters": 1})
    assert "has not begun" in exc.value.errors["quarter"]


@pytest.mark.parametrize("who", ["coach", "other_member", "expert", "other_coach"])
def test_only_members_and_admins_write_a_report(world, measures, q, who):
    with pytest.raises(PermissionDenied):
        services.save_report(world[who], world["alpha"], q["last"], figures={"exiters": 1})


def test_a_retired_measure_takes_no_new_figures(world, measures, q):
    services.update_measure(world["admin"], measures["exiters"], {"active": False})
    with pytest.raises(services.Invalid) as exc:
        services.save_report(world["lead"], world["alpha"], q["last"], figures={"exiters": 3})
    assert "retired" in exc.value.errors["figures.exiters"]


# ---------------------------------------------------------------- submit and review


def test_a_submitted_report_is_locked_for_the_coalition_but_admins_correct_it(
    db, world, measures, q
):
    report = services.save_report(
        world["lead"],
        world["alpha"],
        q["last"],
        figures={"exiters": 10},
        narrative={"progress": "Done."},
    )
    services.submit_report(world["lead"], report)
    for who in ("member", "lead"):
        with pytest.raises(Conflict) as exc:
            services.save_report(world[who], world["alpha"], q["last"], figures={"exiters": 9})
        assert "submitted" in exc.value.message and "waiting for review" in exc.value.message
        db.session.rollback()
    services.save_report(world["admin"], world["alpha"], q["last"], figures={"exiters": 11})
    correction = audit(db, "reporting_report.update")[-1]
    assert correction.details["status"] == "submitted"
    assert (correction.details["previous_figures"], correction.details["new_figures"]) == (
        {"exiters": 10},
        {"exiters": 11},
    )
    assert audit(db, "reporting_report.submit")[0].details["figures"] == {"exiters": 10}


def test_submitting(db, world, measures, q):
    report = services.save_report(
        world["member"], world["alpha"], q["last"], figures={"exiters": 3}
    )
    with pytest.raises(PermissionDenied):
        services.submit_report(world["member"], report)
    with pytest.raises(services.Invalid) as exc:
        services.submit_report(world["lead"], report)
    assert "progress" in exc.value.errors
    db.session.rollback()
    services.save_report(
        world["lead"], world["alpha"], q["last"], narrative={"progress": "We did it."}
    )
    services.submit_report(world["lead"], report)
    assert report.status == "submitted" and report.submitted_by_id == world["lead"].id
    coach_notes = notes(db, world["coach"])
    assert [n.kind for n in coach_notes] == ["report_submitted"]
    assert coach_notes[0].url == f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    assert notes(db, world["other_coach"]) == []
    with pytest.raises(Conflict):
        services.submit_report(world["lead"], report)


def test_returning_with_comments_and_accepting(db, world, measures, q):
    report = make_report(
        world["alpha"], q["last"], {"exiters": 3}, status="submitted", actor=world["member"]
    )
    for who in ("lead", "member", "other_coach"):
        with pytest.raises(PermissionDenied):
            services.review_report(world[who], report, decision="accept")
    with pytest.raises(services.Invalid) as exc:
        services.review_report(world["coach"], report, decision="return", comments="  ")
    assert "Say what needs changing" in exc.value.errors["comments"]
    db.session.rollback()
    services.review_report(
        world["coach"], report, decision="return", comments="Please explain the *exiters*."
    )
    assert report.status == "returned" and report.is_editable
    assert report.review_comments_html == "<p>Please explain the <em>exiters</em>.</p>"
    lead_notes = notes(db, world["lead"])
    assert lead_notes[-1].kind == "report_reviewed"
    assert "returned with comments" in lead_notes[-1].text
    assert lead_notes[-1].excerpt == "Please explain the *exiters*."
    assert notes(db, world["member"])[-1].kind == "report_reviewed", "who submitted it"
    # Returned: the coalition edits and submits again; then it is accepted.
    services.save_report(world["member"], world["alpha"], q["last"], figures={"exiters": 4})
    services.submit_report(world["lead"], report)
    services.review_report(world["admin"], report, decision="accept")
    assert report.status == "accepted"
    with pytest.raises(Conflict):
        services.review_report(world["admin"], report, decision="return", comments="late")
    decisions = [e.details["decision"] for e in audit(db, "reporting_report.review")]
    assert decisions == ["return", "accept"]


# ---------------------------------------------------------------- measures and targets


def test_admins_configure_measures(db, world, measures):
    created = services.create_measure(
        world["admin"],
        {
            "slug": "women-served",
            "name": "Women served",
            "kind": "count",
            "definition": "Women among new participants.",
        },
    )
    assert created.position > max(m.position for m in measures.values())
    with pytest.raises(services.Invalid) as exc:
        services.create_measure(
            world["admin"],
            {"slug": "Bad Slug", "name": "Exiters", "kind": "ratio", "cumulative": True},
        )
    assert set(exc.value.errors) == {"slug", "name", "kind", "cumulative"}
    with pytest.raises(PermissionDenied):
        services.create_measure(world["coach"], {"slug": "x", "name": "X", "kind": "count"})
    services.update_measure(world["admin"], created, {"name": "Women served (new)"})
    entry = audit(db, "reporting_measure.update")[0]
    assert entry.details["previous"] == {"name": "Women served"}


def test_the_kind_of_a_measure_with_figures_cannot_change(world, measures, q):
    make_report(world["alpha"], q["last"], {"exiters": 3})
    with pytest.raises(services.Invalid) as exc:
        services.update_measure(world["admin"], measures["exiters"], {"kind": "rate"})
    assert "cannot change" in exc.value.errors["kind"]


def test_targets_are_set_removed_and_audited(db, world, measures):
    values = {
        (measures["exiters"], 0): "300",
        (measures["exiters"], 1): "40",
        (measures["employment-rate-q2"], 0): "70",
    }
    assert services.set_targets(world["admin"], world["alpha"], values) == 3
    assert services.set_targets(world["admin"], world["alpha"], values) == 0
    assert (
        services.set_targets(
            world["admin"],
            world["alpha"],
            {(measures["exiters"], 1): "", (measures["exiters"], 0): 310},
        )
        == 2
    )
    entries = audit(db, "reporting_targets.update")
    assert entries[-1].details["previous"] == {"exiters:grant": 300, "exiters:year1": 40}
    assert entries[-1].details["new"] == {"exiters:grant": 310, "exiters:year1": None}
    with pytest.raises(services.Invalid) as exc:
        services.set_targets(
            world["admin"],
            world["alpha"],
            {(measures["employment-rate-q2"], 0): "170", (measures["exiters"], 9): "1"},
        )
    assert len(exc.value.errors) == 2
    with pytest.raises(PermissionDenied):
        services.set_targets(world["coach"], world["alpha"], values)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Target)).scalar_one() == 2


def test_many_targets_all_or_nothing(db, world, measures):
    with pytest.raises(services.Invalid):
        services.set_many_targets(
            world["admin"],
            [
                {"coalition": "alpha", "measure": "exiters", "period": 0, "value": 100},
                {"coalition": "beta", "measure": "exiters", "period": 0, "value": -1},
            ],
        )
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Target)).scalar_one() == 0
    assert (
        services.set_many_targets(
            world["admin"],
            [
                {"coalition": "alpha", "measure": "exiters", "period": 0, "value": 100},
                {"coalition": "beta", "measure": "exiters", "period": 0, "value": 90},
            ],
        )
        == 2
    )


# ---------------------------------------------------------------- tags and comparisons


def test_tagging_a_coaching_session_with_measures(db, world, measures):
    from cop.coaching import services as coaching
    from cop.core.models import utcnow

    coaching.ensure_default_topics()
    session = coaching.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": utcnow() - timedelta(hours=3),
            "duration_minutes": 30,
            "modality": "phone",
            "initiated_by": "coach",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": [],
            "need": "",
            "summary": "Call",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "",
        },
    )
    ids = [measures["exiters"].id, measures["entered-employment"].id]
    assert [m.slug for m in services.tag_session(world["coach"], session, ids)] == [
        "exiters",
        "entered-employment",
    ]
    services.tag_session(world["coach"], session, [measures["exiters"].id])
    entries = audit(db, "coaching_session.measures")
    assert entries[-1].details["previous"] == ["entered-employment", "exiters"]
    assert entries[-1].details["new"] == ["exiters"]
    for who in ("lead", "other_coach"):
        with pytest.raises(PermissionDenied):
            services.tag_session(world[who], session, ids)
    with pytest.raises(services.Invalid):
        services.tag_session(world["coach"], session, [987654])
    # Deleting the session deletes its tags (ON DELETE CASCADE).
    coaching.delete_session(world["coach"], session)
    assert services.session_measure_ids(session.id) == []


def test_a_published_comparison_is_frozen(db, world, measures, q):
    set_targets(world["alpha"], {("exiters", 0): 200})
    make_report(world["alpha"], q["last"], {"exiters": 10}, status="accepted")
    comparison = services.publish_comparison(world["admin"], q["last"], note="For *all*.")
    assert comparison.title == f"Coalitions compared, {q['last'].label}"
    cell = next(r for r in comparison.snapshot["rows"] if r["slug"] == "alpha")["cells"]["exiters"]
    assert cell["actual"] == 10
    services.save_report(world["admin"], world["alpha"], q["last"], figures={"exiters": 99})
    db.session.expire_all()
    again = db.session.get(Comparison, comparison.id)
    assert (
        next(r for r in again.snapshot["rows"] if r["slug"] == "alpha")["cells"]["exiters"][
            "actual"
        ]
        == 10
    )
    with pytest.raises(PermissionDenied):
        services.publish_comparison(world["coach"], q["last"])
    services.withdraw_comparison(world["admin"], again)
    assert not again.is_published


def test_only_aggregates_are_stored():
    """No reporting table has a column for a person's data beyond who acted (user ids)."""
    from cop.extensions import db

    personal = {"ssn", "birth", "dob", "participant", "address", "phone", "email", "name_of"}
    for table in db.metadata.sorted_tables:
        if table.name.startswith("reporting_"):
            for column in table.columns:
                assert not any(word in column.name for word in personal), column


def test_reports_are_unique_per_coalition_and_quarter(db, world, measures, q):
    make_report(world["alpha"], q["last"])
    db.session.add(
        QuarterlyReport(
            coalition_id=world["alpha"].id,
            year=q["last"].year,
            quarter=q["last"].number,
            status="draft",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
