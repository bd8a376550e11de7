"""Reporting pages through HTTP: writing, submitting and reviewing a report; the packet;
targets; measures; comparisons; tagging a coaching session from its page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from cop.core.audit import AuditEvent
from cop.reporting.models import QuarterlyReport, Target
from tests.conftest import post_form
from tests.reporting.conftest import make_report, set_targets, text

TOKEN_PAGE = "/accessibility"


def report_of(db, coalition, quarter) -> QuarterlyReport | None:
    db.session.rollback()
    db.session.expire_all()
    return db.session.execute(
        sa.select(QuarterlyReport).where(
            QuarterlyReport.coalition_id == coalition.id,
            QuarterlyReport.year == quarter.year,
            QuarterlyReport.quarter == quarter.number,
        )
    ).scalar_one_or_none()


def form_data(measures, **figures) -> dict:
    data = {
        f"figure_{measures[slug.replace('_', '-')].id}": value for slug, value in figures.items()
    }
    data.setdefault("progress", "We enrolled **forty** people.")
    return data


# ---------------------------------------------------------------- the report form


def test_a_member_drafts_the_report_and_the_lead_submits_it(login_as, db, world, measures, q):
    url = f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    member = login_as("member")
    page = text(member.get(url))
    assert "Not started" in page and "Start the report" in page
    form = text(member.get(url + "/edit"))
    assert 'name="figure_' in form and "Save and submit" not in form, "members do not submit"
    response = post_form(
        member,
        url + "/edit",
        form_data(measures, exiters="12", employment_rate_q2="71.5"),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    report = report_of(db, world["alpha"], q["last"])
    assert report.status == "draft" and len(report.figures) == 2
    lead = login_as("lead")
    assert "Save and submit" in text(lead.get(url + "/edit"))
    response = post_form(lead, url + "/submit", token_from=TOKEN_PAGE)
    assert response.status_code == 303
    page = text(lead.get(url))
    assert "is submitted. Your coach is told" in page
    assert "Submitted, awaiting review" in page and "Edit the report" not in page
    # The member now meets a clear refusal, not a form.
    refused = member.get(url + "/edit")
    assert refused.status_code == 409
    assert "was submitted" in text(refused) and "waiting for review" in text(refused)


def test_errors_name_the_measure_and_nothing_is_saved(login_as, db, world, measures, q):
    url = f"/reporting/coalitions/alpha/reports/{q['last'].key}/edit"
    response = post_form(
        login_as("lead"),
        url,
        form_data(measures, exiters="-4", employment_rate_q2="120", began_training="10"),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was saved: 2 things need your attention" in page
    assert re.search(r'<a href="#figure_\d+">Exiters: a count cannot be negative \(-4\)', page)
    assert "Employment rate, 2nd quarter after exit: a rate is a percentage from 0 to 100" in page
    assert 'aria-invalid="true"' in page
    assert report_of(db, world["alpha"], q["last"]) is None


def test_save_and_submit_in_one_step_needs_the_progress(login_as, db, world, measures, q):
    url = f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    lead = login_as("lead")
    data = form_data(measures, exiters="3")
    data["progress"] = ""
    data["then"] = "submit"
    response = post_form(lead, url + "/edit", data, token_from=TOKEN_PAGE)
    assert response.status_code == 303
    assert "saved but not submitted: Describe the quarter" in text(lead.get(url))
    data["progress"] = "Done."
    post_form(lead, url + "/edit", data, token_from=TOKEN_PAGE)
    assert report_of(db, world["alpha"], q["last"]).status == "submitted"


def test_the_coach_returns_the_report_with_comments(login_as, db, world, measures, q):
    make_report(world["alpha"], q["last"], {"exiters": 3}, status="submitted", actor=world["lead"])
    url = f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    coach = login_as("coach")
    assert "Send the review" in text(coach.get(url))
    response = post_form(
        coach, url + "/review", {"decision": "return", "comments": ""}, token_from=TOKEN_PAGE
    )
    assert response.status_code == 400
    assert "Say what needs changing when you return a report." in text(response)
    response = post_form(
        coach,
        url + "/review",
        {"decision": "return", "comments": "Please add the challenges."},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    lead_page = text(login_as("lead").get(url))
    assert "Returned with comments" in lead_page and "Please add the challenges." in lead_page
    assert "Edit the report" in lead_page
    assert login_as("lead").get("/notifications").status_code == 200
    assert "returned with comments the" in text(login_as("lead").get("/notifications"))


def test_an_admin_corrects_a_submitted_report_with_audit(login_as, db, world, measures, q):
    make_report(world["alpha"], q["last"], {"exiters": 3}, status="accepted", actor=world["lead"])
    url = f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    admin = login_as("admin")
    page = text(admin.get(url + "/edit"))
    assert "As program staff you may correct it" in page and 'value="3"' in page
    response = post_form(
        admin, url + "/edit", form_data(measures, exiters="4"), token_from=TOKEN_PAGE
    )
    assert response.status_code == 303
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "reporting_report.update")
    ).scalar_one()
    assert event.details["status"] == "accepted"
    assert (event.details["previous_figures"], event.details["new_figures"]) == (
        {"exiters": 3},
        {"exiters": 4},
    )
    assert "reporting_report.update" in text(admin.get("/admin/audit"))


def test_the_packet(login_as, db, world, measures, q):
    from cop.coaching import services as coaching

    make_report(
        world["alpha"],
        q["last"],
        {"exiters": 3},
        status="submitted",
        progress="A **strong** quarter.",
        actor=world["lead"],
    )
    start, _ = q["last"].bounds()
    coaching.ensure_default_topics()
    coaching.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": start + timedelta(days=3),
            "duration_minutes": 90,
            "modality": "video",
            "initiated_by": "coach",
            "coach_ids": [world["coach"].id],
            "attendee_ids": [],
            "other_attendees": "",
            "topics": ["apprenticeship"],
            "need": "",
            "summary": "RA plan",
            "outcome": "",
            "next_session_on": None,
            "private_notes": "PACKET-SECRET",
        },
        items=[coaching.NewActionItem("Call the state office", world["lead"].id, None)],
    )
    attended(
        world,
        start + timedelta(days=5),
        "Peer learning on outreach",
        {"lead": True, "member": None, "other_member": True},
    )
    attended(
        world, start + timedelta(days=6), "Staff-only briefing", {"lead": True}, audience="staff"
    )
    attended(world, start + timedelta(days=7), "Skipped webinar", {"lead": False})
    page = text(login_as("lead").get(f"/reporting/coalitions/alpha/reports/{q['last'].key}/packet"))
    assert "<strong>strong</strong>" in page
    assert "1 session, 1.5 hours." in page and "Apprenticeship" in page
    assert "Call the state office" in page
    assert "Events attended" in page
    assert "Peer learning on outreach" in page and "Staff-only briefing" not in page
    assert "Skipped webinar" not in page
    assert re.search(
        r"Peer learning on outreach</a></th>\s*<td>[^<]+</td><td>Peer-learning "
        r"session</td><td class=\"cop-num\">2</td>",
        page,
    )
    assert "PACKET-SECRET" not in page
    assert "data-print hidden" in page and "reporting.js" in page


def attended(world, starts_at, title, people: dict[str, bool | None], audience="everyone"):
    """An event with registrations: True attended (host's mark), None joined the live page,
    False marked absent. Written straight to the database (set-up, not what is tested)."""
    import uuid

    from cop.events.models import Event, Registration
    from cop.extensions import db

    event = Event(
        uid=uuid.uuid4().hex,
        title=title,
        type="peer_learning",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        timezone="America/New_York",
        audience=audience,
        host_id=world["admin"].id,
    )
    db.session.add(event)
    db.session.flush()
    for who, mark in people.items():
        db.session.add(
            Registration(
                event_id=event.id,
                user_id=world[who].id,
                status="registered",
                attended=mark if mark is not None else None,
                joined_at=starts_at if mark is None else None,
            )
        )
    db.session.commit()
    return event


# ---------------------------------------------------------------- targets, measures


def test_an_admin_sets_targets_on_a_form(login_as, db, world, measures):
    set_targets(world["alpha"], {("exiters", 0): 100})
    admin = login_as("admin")
    page = text(admin.get("/reporting/coalitions/alpha/targets"))
    field = f"target_{measures['exiters'].id}_0"
    assert f'name="{field}" type="text" value="100"' in page
    assert f'<label class="usa-sr-only" for="{field}">Exiters, whole grant</label>' in page
    response = post_form(
        admin,
        "/reporting/coalitions/alpha/targets",
        {
            field: "150",
            f"target_{measures['exiters'].id}_1": "30",
            f"target_{measures['employment-rate-q2'].id}_0": "170",
        },
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
    assert "a rate is a percentage from 0 to 100" in text(response)
    response = post_form(
        admin,
        "/reporting/coalitions/alpha/targets",
        {field: "150", f"target_{measures['exiters'].id}_1": "30"},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    db.session.rollback()
    assert sorted(db.session.execute(sa.select(Target.period, Target.value)).all()) == [
        (0, Decimal(150)),
        (1, Decimal(30)),
    ]


def test_an_admin_adds_and_retires_a_measure(login_as, db, world, measures):
    admin = login_as("admin")
    response = post_form(
        admin,
        "/reporting/admin/measures",
        {
            "name": "Women served",
            "slug": "women-served",
            "kind": "count",
            "definition": "Women among new participants.",
            "active": "y",
        },
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    page = text(admin.get("/reporting/admin/measures"))
    assert "Women served" in page and "<code>women-served</code>" in page
    from cop.reporting.models import Measure

    created = db.session.execute(
        sa.select(Measure).where(Measure.slug == "women-served")
    ).scalar_one()
    response = post_form(
        admin,
        f"/reporting/admin/measures/{created.id}",
        {"name": "Women served", "slug": "women-served", "kind": "count", "definition": ""},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    db.session.refresh(created)
    assert not created.active
    response = post_form(
        admin,
        "/reporting/admin/measures",
        {"name": "Exiters", "slug": "Not A Slug", "kind": "rate", "cumulative": "y"},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
    page = text(response)
    assert "Another measure is called “Exiters”." in page
    assert "Only counts can be running totals" in page


# ---------------------------------------------------------------- comparisons


def test_a_comparison_shows_other_coalitions_to_members(login_as, db, world, measures, q):
    set_targets(world["beta"], {("exiters", 0): 100})
    make_report(world["beta"], q["last"], {"exiters": 80}, status="accepted")
    member = login_as("member")
    assert "Beta Coalition (demo)" not in text(member.get("/reporting/"))
    response = post_form(
        login_as("admin"),
        "/reporting/comparisons",
        {"quarter": q["last"].key, "title": "", "note": "Well done, all."},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    page = text(member.get(url))
    assert "Beta Coalition (demo)" in page and "Well done, all." in page
    assert "Coalitions compared" in text(member.get("/reporting/"))
    post_form(login_as("admin"), url + "/withdraw", token_from=TOKEN_PAGE)
    assert member.get(url).status_code == 404
    assert login_as("admin").get(url).status_code == 200


# ---------------------------------------------------------------- coaching to outcomes


def test_tagging_a_session_from_its_page(login_as, db, world, measures):
    from cop.coaching import services as coaching
    from cop.core.models import utcnow

    coaching.ensure_default_topics()
    session = coaching.log_session(
        world["coach"],
        world["alpha"],
        {
            "started_at": utcnow() - timedelta(hours=2),
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
    url = f"/coaching/sessions/{session.id}"
    coach = login_as("coach")
    page = text(coach.get(url))
    assert "Measures this session aims at" in page and "None tagged." in page
    assert f'action="/reporting/sessions/{session.id}/measures"' in page
    response = post_form(
        coach,
        f"/reporting/sessions/{session.id}/measures",
        {"measure_ids": [str(measures["exiters"].id), str(measures["entered-employment"].id)]},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}#session-measures")
    page = text(coach.get(url))
    assert '<li class="usa-tag">Exiters</li>' in page
    lead_page = text(login_as("lead").get(url))
    assert '<li class="usa-tag">Exiters</li>' in lead_page
    assert "Tag the measures" not in lead_page, "members see the tags, do not change them"
