"""Action items and notifications: on assignment, before the due date, and by email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cop.coaching import due_action_item_reminders, services
from cop.coaching.models import ActionItem
from cop.notifications.models import Notification
from tests.coaching.conftest import log
from tests.coaching.test_views import form_data
from tests.conftest import post_form

NOW = datetime(2026, 3, 10, 14, tzinfo=UTC)  # 10 am Eastern
TODAY = NOW.astimezone(ZoneInfo("America/New_York")).date()  # the reporting zone


def notes(db, user=None) -> list[Notification]:
    db.session.rollback()
    stmt = sa.select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.execute(stmt).scalars())


@pytest.fixture
def items(world, db):
    """Open items of alpha due at several distances from NOW, all owned by the lead."""
    session = log(
        world["coach"],
        world["alpha"],
        started_at=NOW - timedelta(days=20),
        items=[
            (f"due in {d}", world["lead"].id, TODAY + timedelta(days=d))
            for d in (-1, 0, 1, 2, 3, 10)
        ]
        + [("no date", world["lead"].id, None)],
    )
    db.session.execute(sa.delete(Notification))  # the assignment notifications
    db.session.commit()
    return {i.description: i.id for i in session.action_items}


def test_assigning_notifies_the_owner_but_not_oneself(world, db):
    log(
        world["coach"],
        world["alpha"],
        items=[("for the lead", world["lead"].id, None), ("for me", world["coach"].id, None)],
    )
    assert [(n.user_id, n.text.split(": ", 1)[1]) for n in notes(db)] == [
        (world["lead"].id, "for the lead")
    ]
    assert notes(db)[0].actor_id == world["coach"].id


def test_reminders_go_out_once_before_the_due_date(app, world, db, items):
    assert due_action_item_reminders(NOW) == 3  # due today, in 1 and in 2 days (the default)
    texts = sorted(n.text for n in notes(db, world["lead"]))
    assert texts == [
        f"An action item for Alpha Coalition (demo) is due on {TODAY + timedelta(days=1):%b %-d, %Y}: due in 1",
        f"An action item for Alpha Coalition (demo) is due on {TODAY + timedelta(days=2):%b %-d, %Y}: due in 2",
        "An action item for Alpha Coalition (demo) is due today: due in 0",
    ]
    assert all(n.url.startswith("/coaching/sessions/") and n.actor_id is None for n in notes(db))
    assert due_action_item_reminders(NOW) == 0, "idempotent"
    assert due_action_item_reminders(NOW + timedelta(hours=1)) == 0
    # A day later, the item due in 3 days enters the window.
    assert due_action_item_reminders(NOW + timedelta(days=1)) == 1
    assert len(notes(db, world["lead"])) == 4


def test_the_window_is_configurable(app, world, db, items):
    app.config["COACHING_REMINDER_DAYS"] = 10
    try:
        assert due_action_item_reminders(NOW) == 5
    finally:
        app.config.pop("COACHING_REMINDER_DAYS")


def test_no_reminder_for_closed_items_or_people_who_left(app, world, db, items):
    item = db.session.get(ActionItem, items["due in 1"])
    services.update_action_item(world["lead"], item, status="done")
    # The member who owns "due in 2" leaves the coalition: no more news from its log.
    item2 = db.session.get(ActionItem, items["due in 2"])
    services.update_action_item(world["coach"], item2, owner_id=world["member"].id)
    from cop.coalitions import services as coalition_services
    from cop.coalitions.models import Membership

    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world["member"].id)
    ).scalar_one()
    coalition_services.remove_member(world["admin"], membership)
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    assert due_action_item_reminders(NOW) == 1  # only "due in 0"
    assert [n.user_id for n in notes(db)] == [world["lead"].id]
    db.session.refresh(item2)
    assert item2.reminded_at is not None, "handled: not looked at again"


def test_moving_the_due_date_brings_a_new_reminder(app, world, db, items):
    assert due_action_item_reminders(NOW) == 3
    item = db.session.get(ActionItem, items["due in 1"])
    services.update_action_item(world["coach"], item, due_on=TODAY + timedelta(days=2))
    assert item.reminded_at is None
    assert due_action_item_reminders(NOW) == 1


def test_the_hook_and_command_for_the_job_runner(app, world, db, items):
    hook = app.extensions["cop_periodic_jobs"]["coaching.action_item_reminders"]
    assert hook(NOW) == 3
    result = app.test_cli_runner().invoke(args=["cop", "coaching-reminders"])
    assert result.exit_code == 0 and "reminder(s) sent" in result.output


def test_the_lead_gets_the_action_item_by_email(app, world, db, login_as, smtp_server):
    """Through the form, as in the issue's "done when": the owner chose email for action
    items (ACTION_ITEM defaults to in-app); the notifications job runner sends it."""
    from cop.notifications import jobs
    from cop.notifications.services import update_preferences

    update_preferences(world["lead"], world["lead"], deliveries={"action_item": "email"})
    response = post_form(
        login_as("coach"),
        "/coaching/coalitions/alpha/sessions/new",
        form_data(world),
        token_from="/accessibility",
    )
    assert response.status_code == 303
    jobs.run_once(app)
    (message,) = smtp_server.to(world["lead"].email)
    body = smtp_server.text(message)
    assert "Send the letter to three employers" in body + message["Subject"]
    assert "PRIVATE-ZEBRA" not in message.as_string()
    assert smtp_server.to(world["member"].email) == []
