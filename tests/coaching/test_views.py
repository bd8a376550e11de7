"""Coaching pages through HTTP: the form, history, search, dashboard, items, topics, audit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cop.coaching.models import ActionItem, CoachingSession, CoachingTopic
from cop.core.audit import AuditEvent
from cop.core.models import utcnow
from cop.notifications.models import Notification
from tests.coaching.conftest import log
from tests.conftest import post_form

TOKEN_PAGE = "/accessibility"


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.session.rollback()
    db.session.expire_all()
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def audit(db, action: str) -> list[AuditEvent]:
    db.session.rollback()
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars()
    )


def yesterday() -> date:
    return (utcnow() - timedelta(days=1)).date()


def form_data(world, **overrides) -> dict:
    data = {
        "held_on": yesterday().isoformat(),
        "start_time": "10:00",
        "duration_minutes": "45",
        "modality": "phone",
        "initiated_by": "coalition",
        "coach_ids": [str(world["coach"].id)],
        "attendee_ids": [str(world["lead"].id), str(world["member"].id)],
        "topics": ["employer-engagement", "apprenticeship"],
        "need": "Employers are slow to commit.",
        "summary": "Drafted a **commitment letter** together.",
        "outcome": "One employer signed since last time.",
        "private_notes": "PRIVATE-ZEBRA the lead may leave in spring",
        "items-0-description": "Send the letter to three employers",
        "items-0-owner_id": str(world["lead"].id),
        "items-0-due_on": (yesterday() + timedelta(days=10)).isoformat(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------- the form


def test_the_new_session_form_has_sensible_defaults(login_as, world):
    earlier = log(
        world["coach"],
        world["alpha"],
        modality="site_visit",
        attendee_ids=[world["member"].id],
        items=[("Finish the budget", world["member"].id, None)],
    )
    page = text(login_as("coach").get("/coaching/coalitions/alpha/sessions/new"))
    assert 'name="duration_minutes" required type="number" value="60"' in page
    assert re.search(r'value="site_visit" checked', page), "the last session's modality"
    assert re.search(r'value="coach" checked', page)
    assert re.search(rf'name="coach_ids" value="{world["coach"].id}" checked', page)
    assert re.search(rf'name="attendee_ids" value="{world["member"].id}" checked', page)
    assert not re.search(rf'name="attendee_ids" value="{world["lead"].id}" checked', page)
    today = utcnow().astimezone(ZoneInfo(world["coach"].timezone)).date()
    assert (
        f'name="held_on" required type="date" value="{today}"' in page
        or f'value="{today - timedelta(days=1)}"' in page
    )  # just after midnight: an hour ago
    # The last session's open items, to tick off.
    assert "Earlier action items still open" in page
    assert f'name="close_item_ids" value="{earlier.action_items[0].id}"' in page
    assert "Finish the budget" in page


def test_a_coach_logs_a_session_through_the_form(login_as, world, db):
    client = login_as("coach")
    response = post_form(
        client, "/coaching/coalitions/alpha/sessions/new", form_data(world), token_from=TOKEN_PAGE
    )
    assert response.status_code == 303, text(response)[:2000]
    session = db.session.execute(sa.select(CoachingSession)).scalar_one()
    assert response.headers["Location"] == f"/coaching/sessions/{session.id}"
    # 10:00 in the coach's zone (New York), stored in UTC.
    local = datetime.combine(
        yesterday(), datetime.strptime("10:00", "%H:%M").time(), tzinfo=ZoneInfo("America/New_York")
    )
    assert session.started_at == local.astimezone(UTC)
    assert (session.duration_minutes, session.modality, session.initiated_by) == (
        45,
        "phone",
        "coalition",
    )
    assert [u.id for u in session.coaches] == [world["coach"].id]
    assert {u.id for u in session.attendees} == {world["lead"].id, world["member"].id}
    assert [t.slug for t in session.topics] == ["employer-engagement", "apprenticeship"]
    assert "<strong>commitment letter</strong>" in session.summary_html
    assert session.private_notes.startswith("PRIVATE-ZEBRA")
    (item,) = session.action_items
    assert (item.owner_id, item.status, item.due_on) == (
        world["lead"].id,
        "open",
        yesterday() + timedelta(days=10),
    )
    # The owner is notified, with a link to the item; nothing about the private notes.
    (note,) = db.session.execute(
        sa.select(Notification).where(Notification.user_id == world["lead"].id)
    ).scalars()
    assert note.kind == "action_item" and note.subject_id == item.id
    assert note.url == f"/coaching/sessions/{session.id}#item-{item.id}"
    assert "Send the letter" in note.text and "ZEBRA" not in note.text
    (event,) = audit(db, "coaching_session.create")
    assert event.actor_id == world["coach"].id and event.target_id == session.id
    assert event.details["values"]["duration_minutes"] == 45
    assert len(audit(db, "action_item.create")) == 1
    # The page the coach lands on shows what was logged.
    page = text(client.get(response.headers["Location"]))
    assert "Drafted a <strong>commitment letter</strong> together." in page
    assert "PRIVATE-ZEBRA" in page


def test_the_form_ticks_off_earlier_open_items(login_as, world, db):
    earlier = log(
        world["coach"],
        world["alpha"],
        items=[
            ("Finish the budget", world["member"].id, None),
            ("Call the college", world["lead"].id, None),
        ],
    )
    done_id, still_open_id = (i.id for i in earlier.action_items)
    response = post_form(
        login_as("coach"),
        "/coaching/coalitions/alpha/sessions/new",
        form_data(world, close_item_ids=[str(done_id)]),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    db.session.expire_all()
    done, still = db.session.get(ActionItem, done_id), db.session.get(ActionItem, still_open_id)
    assert (done.status, done.closed_by_id) == ("done", world["coach"].id)
    assert done.closed_at is not None and utcnow() - done.closed_at < timedelta(minutes=1)
    assert still.status == "open" and still.closed_at is None


BAD_INPUT = [
    ({"duration_minutes": "0"}, "between 1 minute and 24 hours"),
    ({"duration_minutes": "1441"}, "between 1 minute and 24 hours"),
    ({"duration_minutes": "-30"}, "between 1 minute and 24 hours"),
    ({"duration_minutes": "an hour"}, "Not a valid integer"),
    ({"held_on": (utcnow() + timedelta(days=2)).date().isoformat()}, "cannot be in the future"),
    ({"held_on": "2019-05-01"}, "please check it"),
    ({"held_on": "not-a-date"}, "Not a valid date"),
    ({"modality": "carrier pigeon"}, "Not a valid choice"),
    ({"coach_ids": []}, "Name at least one coach"),
    ({"summary": ""}, "Say what was done"),
    ({"next_session_on": "2020-01-01"}, "before this session"),
    ({"topics": ["astrology"]}, "Choose topics from the list"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_is_saved(login_as, world, db, overrides, message):
    response = post_form(
        login_as("coach"),
        "/coaching/coalitions/alpha/sessions/new",
        form_data(world, **overrides),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
    assert message in text(response)
    assert 'id="error-summary"' in text(response)
    assert count(db, CoachingSession) == 0
    assert count(db, ActionItem) == 0
    assert count(db, Notification) == 0
    assert not audit(db, "coaching_session.create")


@pytest.mark.parametrize("outsider", ["other_member", "other_coach", "expert", "deactivated"])
def test_an_action_item_owner_outside_the_coalition_and_its_coaches(login_as, world, db, outsider):
    data = form_data(world, **{"items-0-owner_id": str(world[outsider].id)})
    response = post_form(
        login_as("coach"), "/coaching/coalitions/alpha/sessions/new", data, token_from=TOKEN_PAGE
    )
    assert response.status_code == 400
    page = text(response)
    assert "a member of the coalition or one of its coaches" in page
    assert 'href="#items-0-owner_id"' in page, "the error summary links to the field"
    assert count(db, CoachingSession) == 0 and count(db, Notification) == 0


def test_an_attendee_from_another_coalition_is_refused(login_as, world, db):
    data = form_data(world, attendee_ids=[str(world["other_member"].id)])
    response = post_form(
        login_as("coach"), "/coaching/coalitions/alpha/sessions/new", data, token_from=TOKEN_PAGE
    )
    assert response.status_code == 400
    assert "Attendees are members of the coalition" in text(response)
    assert count(db, CoachingSession) == 0


def test_a_coach_not_assigned_to_the_coalition_cannot_be_named(login_as, world, db):
    """An admin logs for alpha but names a coach who does not coach it."""
    data = form_data(world, coach_ids=[str(world["other_coach"].id)])
    response = post_form(
        login_as("admin"), "/coaching/coalitions/alpha/sessions/new", data, token_from=TOKEN_PAGE
    )
    assert response.status_code == 400
    assert "must be assigned to the coalition" in text(response)
    assert count(db, CoachingSession) == 0


def test_a_coach_cannot_log_for_a_coalition_not_assigned_to_them(login_as, world, db):
    client = login_as("coach")
    assert client.get("/coaching/coalitions/beta/sessions/new").status_code == 404
    response = post_form(
        client, "/coaching/coalitions/beta/sessions/new", form_data(world), token_from=TOKEN_PAGE
    )
    assert response.status_code == 404
    assert count(db, CoachingSession) == 0


def test_the_session_time_is_read_in_the_coachs_time_zone(login_as, world, db):
    world["coach"].timezone = "America/Los_Angeles"
    db.session.commit()
    response = post_form(
        login_as("coach"),
        "/coaching/coalitions/alpha/sessions/new",
        form_data(world, start_time="08:30"),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303
    session = db.session.execute(sa.select(CoachingSession)).scalar_one()
    local = session.started_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (local.date(), local.hour, local.minute) == (yesterday(), 8, 30)


# ---------------------------------------------------------------- who sees what


def test_the_lead_sees_the_log_without_the_private_notes(login_as, world, logs):
    sid = logs["alpha_id"]
    for role in ("lead", "member"):
        client = login_as(role)
        for url in (
            f"/coaching/sessions/{sid}",
            "/coaching/coalitions/alpha",
            "/coaching/coalitions/alpha?q=outreach",
        ):
            page = text(client.get(url))
            assert "Reviewed the <strong>outreach plan</strong>" in page, (role, url)
            assert "SECRET-NOTE" not in page and "Private coach notes" not in page, (role, url)
    for role in ("coach", "admin"):
        assert "SECRET-NOTE" in text(login_as(role).get(f"/coaching/sessions/{sid}"))


def test_a_search_never_matches_private_notes_for_members(login_as, world, logs):
    """A member must not learn what the notes say from which sessions a search finds."""
    url = "/coaching/coalitions/alpha?q=stretched"
    assert "No session matches the search." in text(login_as("lead").get(url))
    assert "Reviewed the <strong>outreach plan</strong>" in text(login_as("coach").get(url))


def test_another_coalitions_member_gets_404_for_its_ids(login_as, world, logs):
    client = login_as("other_member")  # a member of beta
    for url in (
        f"/coaching/sessions/{logs['alpha_id']}",
        "/coaching/coalitions/alpha",
        f"/coaching/sessions/{logs['alpha_id']}/edit",
        f"/coaching/action-items/{logs['item_id']}/edit",
    ):
        assert client.get(url).status_code == 404, url
    # and an alpha member cannot open beta's session by its id
    assert login_as("member").get(f"/coaching/sessions/{logs['beta_id']}").status_code == 404


def test_members_cannot_export(login_as, world, logs):
    for url in (
        "/coaching/export/sessions.csv",
        "/coaching/export/summary.csv",
        "/coaching/export/sessions.csv?coalition=alpha",
    ):
        response = login_as("lead").get(url)
        assert response.status_code == 403
        assert "Exports are for coaches and program staff" in text(response)
        assert "text/csv" not in response.headers["Content-Type"]


# ---------------------------------------------------------------- history


def test_history_search_by_topic_and_text(login_as, world):
    log(world["coach"], world["alpha"], topics=["apprenticeship"], summary="Talked about ratios")
    log(
        world["coach"],
        world["alpha"],
        topics=["sustainability"],
        summary="Braided funding",
        started_at=utcnow() - timedelta(days=3),
    )
    log(
        world["coach"],
        world["alpha"],
        topics=["sustainability", "partnerships"],
        summary="50% match_rate plan",
        need="Employer co-investment",
        started_at=utcnow() - timedelta(days=5),
    )
    client = login_as("member")

    def found(query: str) -> list[str]:
        page = text(client.get(f"/coaching/coalitions/alpha?{query}"))
        return re.findall(r"<p>(Talked about ratios|Braided funding|50% match_rate plan)</p>", page)

    assert found("") == ["Talked about ratios", "Braided funding", "50% match_rate plan"]
    assert found("topic=sustainability") == ["Braided funding", "50% match_rate plan"]
    assert found("topic=apprenticeship") == ["Talked about ratios"]
    assert found("q=BRAIDED") == ["Braided funding"]
    assert found("q=co-investment") == ["50% match_rate plan"], "the need is searched"
    assert found("q=50%25") == ["50% match_rate plan"], "% is a literal, not a wildcard"
    assert found("q=ma_ch") == [], "_ is a literal, not a wildcard"
    assert found("q=funding&topic=apprenticeship") == []
    assert found("topic=no-such-topic") == found(""), "an unknown topic is ignored"


def test_history_pages_by_keyset_newest_first(login_as, world):
    base = utcnow() - timedelta(days=1)
    for i in range(25):
        log(
            world["coach"],
            world["alpha"],
            summary=f"Session number {i:02d}",
            started_at=base - timedelta(days=i),
            topics=[],
        )
    client = login_as("coach")
    page1 = text(client.get("/coaching/coalitions/alpha"))
    first = re.findall(r"Session number (\d\d)", page1)
    assert first == [f"{i:02d}" for i in range(20)]
    after = re.search(r'href="/coaching/coalitions/alpha\?after=([^"]+)"', page1).group(1)
    page2 = text(client.get(f"/coaching/coalitions/alpha?after={after}"))
    assert re.findall(r"Session number (\d\d)", page2) == [f"{i:02d}" for i in range(20, 25)]
    assert "Older sessions" not in page2
    # A broken cursor is the first page, not an error.
    assert client.get("/coaching/coalitions/alpha?after=%%%garbage").status_code == 200


def test_list_pages_run_a_bounded_number_of_queries(login_as, world, count_queries):
    client = login_as("coach")

    def measure() -> dict[str, int]:
        result = {}
        for url in (
            "/coaching/",
            "/coaching/coalitions/alpha",
            "/coaching/action-items",
            "/coaching/analysis",
        ):
            with count_queries() as q:
                assert client.get(url).status_code == 200
            result[url] = q.count
        return result

    # The same shape of data, once small, once larger: eager loads run in both.
    log(
        world["coach"],
        world["alpha"],
        attendee_ids=[world["lead"].id],
        started_at=utcnow() - timedelta(days=40),
        items=[("One", world["coach"].id, yesterday() - timedelta(days=1))],
    )
    few = measure()
    for i in range(12):
        log(
            world["coach"],
            world["alpha"],
            started_at=utcnow() - timedelta(days=i + 20),
            attendee_ids=[world["lead"].id, world["member"].id],
            items=[
                (f"Item {i}", world["coach"].id, yesterday() - timedelta(days=i)),
                (f"Other {i}", world["lead"].id, yesterday() - timedelta(days=i)),
            ],
        )
    many = measure()
    assert many == few, (few, many)
    assert max(many.values()) <= 25, many


# ---------------------------------------------------------------- dashboard


def test_the_dashboard_warns_about_coalitions_without_recent_contact(app, login_as, world):
    gamma = __import__("tests.factories", fromlist=["x"]).make_coalition("gamma")
    __import__("tests.factories", fromlist=["x"]).assign_coach(world["coach"], gamma)
    log(
        world["coach"],
        world["alpha"],
        started_at=utcnow() - timedelta(days=40),
        next_session_on=(utcnow() + timedelta(days=6)).date(),
        items=[("Late thing", world["lead"].id, (utcnow() - timedelta(days=3)).date())],
    )
    client = login_as("coach")
    page = text(client.get("/coaching/"))
    assert "More than 30 days without a session" in page
    assert "No session logged yet" in page  # gamma
    assert "2 have had no session in more than 30 days." in page
    assert "Late thing" in page and "overdue" in page
    upcoming = page.split('id="upcoming-heading"')[1].split("</section>")[0]
    assert "Alpha Coalition (demo)" in upcoming
    app.config["COACHING_STALE_DAYS"] = 60
    try:
        page = text(client.get("/coaching/"))
        assert "More than 60 days without a session" not in page
        assert "1 has had no session in more than 60 days." in page
    finally:
        app.config.pop("COACHING_STALE_DAYS")


def test_members_see_their_coalition_and_their_own_items(login_as, world, logs):
    page = text(login_as("lead").get("/coaching/"))
    assert "Alpha Coalition (demo): coaching history" in page
    assert "Send the outreach calendar" in page
    assert "Beta" not in page
    page = text(login_as("member").get("/coaching/"))
    assert "You have no open action item." in page


# ---------------------------------------------------------------- edit, delete, audit


def test_editing_keeps_the_previous_values_in_the_audit_log(login_as, world, db, logs):
    sid = logs["alpha_id"]
    client = login_as("coach")
    edit_page = text(client.get(f"/coaching/sessions/{sid}/edit"))
    assert "SECRET-NOTE lead is stretched thin" in edit_page
    data = form_data(
        world,
        duration_minutes="90",
        private_notes="Rewritten notes",
        topics=["apprenticeship"],
        **{"items-0-description": None, "items-0-owner_id": None, "items-0-due_on": None},
    )
    response = post_form(client, f"/coaching/sessions/{sid}/edit", data, token_from=TOKEN_PAGE)
    assert response.status_code == 303, text(response)[:2000]
    (event,) = audit(db, "coaching_session.update")
    assert event.actor_id == world["coach"].id and event.target_id == sid
    assert event.details["previous"]["duration_minutes"] == 60
    assert event.details["new"]["duration_minutes"] == 90
    assert event.details["previous"]["private_notes"] == "SECRET-NOTE lead is stretched thin"
    assert event.details["previous"]["modality"] == "video"
    assert "topics" not in event.details["previous"], "only what changed"
    assert count(db, ActionItem) == 1, "empty item rows add nothing"


def test_deleting_asks_first_and_the_audit_log_keeps_everything(login_as, world, db, logs):
    sid = logs["alpha_id"]
    client = login_as("coach")
    confirm = client.get(f"/coaching/sessions/{sid}/delete")
    assert "Delete this session log?" in text(confirm)
    response = post_form(client, f"/coaching/sessions/{sid}/delete", token_from=TOKEN_PAGE)
    assert (
        response.status_code == 303 and response.headers["Location"] == "/coaching/coalitions/alpha"
    )
    assert count(db, CoachingSession, CoachingSession.id == sid) == 0
    assert count(db, ActionItem, ActionItem.session_id == sid) == 0
    (event,) = audit(db, "coaching_session.delete")
    assert event.details["previous"]["summary"] == "Reviewed the **outreach plan**."
    assert event.details["previous"]["private_notes"].startswith("SECRET-NOTE")
    assert event.details["action_items"][0]["description"] == "Send the outreach calendar"
    assert client.get(f"/coaching/sessions/{sid}").status_code == 404


# ---------------------------------------------------------------- action items


def test_marking_done_records_who_and_when(login_as, world, db, logs):
    iid = logs["item_id"]
    client = login_as("lead")  # the owner
    response = post_form(
        client,
        f"/coaching/action-items/{iid}/status",
        {"status": "done", "next": "/coaching/action-items"},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303 and response.headers["Location"] == "/coaching/action-items"
    item = db.session.get(ActionItem, iid)
    db.session.refresh(item)
    assert (item.status, item.closed_by_id) == ("done", world["lead"].id)
    assert utcnow() - item.closed_at < timedelta(minutes=1)
    (event,) = [e for e in audit(db, "action_item.update") if e.target_id == iid]
    assert event.details["previous"] == {"status": "open", "closed_by_id": None, "closed_at": None}
    page = text(client.get(f"/coaching/sessions/{logs['alpha_id']}"))
    assert "Done by " + world["lead"].name in page
    # Reopening clears who and when; an outside `next` is not followed.
    response = post_form(
        client,
        f"/coaching/action-items/{iid}/status",
        {"status": "open", "next": "https://evil.example.com/"},
        token_from=TOKEN_PAGE,
    )
    assert response.headers["Location"] == f"/coaching/sessions/{logs['alpha_id']}"
    db.session.refresh(item)
    assert (item.status, item.closed_by_id, item.closed_at) == ("open", None, None)


def test_a_coach_reassigns_an_item_and_the_new_owner_is_told(login_as, world, db, logs):
    iid = logs["item_id"]
    response = post_form(
        login_as("coach"),
        f"/coaching/action-items/{iid}/edit",
        {
            "description": "Send the calendar to all partners",
            "owner_id": str(world["member"].id),
            "due_on": "",
            "status": "open",
        },
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 303, text(response)[:1500]
    item = db.session.get(ActionItem, iid)
    db.session.refresh(item)
    assert (item.owner_id, item.description) == (
        world["member"].id,
        "Send the calendar to all partners",
    )
    note = db.session.execute(
        sa.select(Notification).where(Notification.user_id == world["member"].id)
    ).scalar_one()
    assert note.subject_id == iid
    (event,) = [e for e in audit(db, "action_item.update") if e.target_id == iid]
    assert event.details["previous"] == {
        "owner_id": world["lead"].id,
        "description": "Send the outreach calendar",
    }
    # An owner outside the coalition is refused; nothing changes.
    response = post_form(
        login_as("coach"),
        f"/coaching/action-items/{iid}/edit",
        {"description": "x", "owner_id": str(world["other_member"].id), "status": "open"},
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
    assert "a member of the coalition or one of its coaches" in text(response)
    db.session.refresh(item)
    assert item.owner_id == world["member"].id


def test_a_persons_open_items_across_coalitions(login_as, world, db, logs):
    from tests import factories

    factories.assign_coach(world["coach"], world["beta"])
    log(world["coach"], world["beta"], items=[("Coach's own task", world["coach"].id, None)])
    page = text(login_as("coach").get("/coaching/action-items"))
    assert "Coach&#39;s own task" in page and "Beta Coalition (demo)" in page
    assert "Send the outreach calendar" not in page
    page = text(login_as("coach").get(f"/coaching/people/{world['lead'].id}/action-items"))
    assert "Send the outreach calendar" in page
    # Another coach sees none of alpha's items, even by person.
    page = text(login_as("other_coach").get(f"/coaching/people/{world['lead'].id}/action-items"))
    assert "Send the outreach calendar" not in page


# ---------------------------------------------------------------- topics


def test_admins_edit_the_topic_list(login_as, world, db, logs):
    client = login_as("admin")
    response = post_form(
        client, "/coaching/topics", {"label": "  Digital   skills "}, token_from=TOKEN_PAGE
    )
    assert response.status_code == 303
    topic = db.session.execute(
        sa.select(CoachingTopic).where(CoachingTopic.slug == "digital-skills")
    ).scalar_one()
    assert topic.label == "Digital skills"
    response = post_form(
        client, "/coaching/topics", {"label": "digital skills"}, token_from=TOKEN_PAGE
    )
    assert response.status_code == 400 and "already a topic" in text(response)
    apprenticeship = db.session.execute(
        sa.select(CoachingTopic).where(CoachingTopic.slug == "apprenticeship")
    ).scalar_one()
    post_form(
        client, f"/coaching/topics/{apprenticeship.id}", {"action": "retire"}, token_from=TOKEN_PAGE
    )
    post_form(
        client,
        f"/coaching/topics/{topic.id}",
        {"action": "rename", "label": "Digital skills and IT"},
        token_from=TOKEN_PAGE,
    )
    form = text(login_as("coach").get("/coaching/coalitions/alpha/sessions/new"))
    assert "Digital skills and IT" in form
    assert 'value="apprenticeship"' not in form, "a retired topic is not offered"
    # ... but stays on the sessions that used it, and editing them keeps it.
    assert "Apprenticeship" in text(login_as("lead").get(f"/coaching/sessions/{logs['alpha_id']}"))
    edit = text(login_as("coach").get(f"/coaching/sessions/{logs['alpha_id']}/edit"))
    assert re.search(r'value="apprenticeship" checked', edit)
    assert "Apprenticeship (retired)" in edit
    actions = [e.action for e in audit(db, "coaching_topic.update")]
    assert actions == ["coaching_topic.update", "coaching_topic.update"]
    assert audit(db, "coaching_topic.update")[0].details["previous"] == {"active": True}


def test_an_old_session_stays_editable_after_its_coach_moves_on(login_as, world, db, logs):
    """Unassigning a coach (or a member leaving) must not make their old sessions invalid."""
    from cop.coalitions import services as coalition_services
    from tests import factories

    second = factories.make_user("coach", email="coach3@test.example.org")
    factories.assign_coach(second, world["alpha"])
    session = log(second, world["alpha"], attendee_ids=[world["member"].id])
    coalition_services.unassign_coach(world["admin"], world["alpha"], second)
    page = text(login_as("coach").get(f"/coaching/sessions/{session.id}/edit"))
    assert re.search(rf'name="coach_ids" value="{second.id}" checked', page)
    data = form_data(
        world,
        coach_ids=[str(second.id)],
        attendee_ids=[str(world["member"].id)],
        duration_minutes="30",
        **{"items-0-description": None, "items-0-owner_id": None, "items-0-due_on": None},
    )
    response = post_form(
        login_as("coach"), f"/coaching/sessions/{session.id}/edit", data, token_from=TOKEN_PAGE
    )
    assert response.status_code == 303, text(response)[:1500]
    # ... but a new session cannot name them any more.
    response = post_form(
        login_as("coach"),
        "/coaching/coalitions/alpha/sessions/new",
        form_data(world, coach_ids=[str(second.id)]),
        token_from=TOKEN_PAGE,
    )
    assert response.status_code == 400
