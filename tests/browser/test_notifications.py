"""Notifications in a real browser: the bell's count changes live when a notification is
created in another process (this one, through Redis), and the pages pass axe-core."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.conftest import IN_CI

MEMBER = "member@demo.example.org"
COACH = "coach@demo.example.org"
ADMIN = "admin@demo.example.org"


@pytest.fixture(scope="module")
def live_app(live_server):
    return live_server.app()


def _user(email):
    from cop.accounts.models import User
    from cop.extensions import db

    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one()


def _mention(app, text="Dana Whitfield mentioned you in “Employer engagement <b>tips</b>”"):
    """What the forums do: notify inside their transaction and commit (here, in this process)."""
    from cop.extensions import db
    from cop.notifications.services import notify

    with app.app_context():
        notify(
            _user(MEMBER),
            "mention",
            actor=_user(COACH),
            subject_type="post",
            subject_id=1,
            url="/coalitions/",
            text=text,
            excerpt="Has anyone tried a hiring fair?",
        )
        db.session.commit()


def _mark_all_read(app):
    from cop.notifications.services import mark_all_read

    with app.app_context():
        mark_all_read(_user(MEMBER))


def test_the_bell_count_updates_live(session_for, live_server, live_app):
    if live_server.redis_url is None:
        reason = "Redis is not reachable: the test process cannot reach the server's sockets"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    _mark_all_read(live_app)
    s = session_for(MEMBER)
    s.goto("/coalitions/")
    bell = s.page.locator("[data-cop-bell]")
    count = s.page.locator("[data-cop-bell-count]")
    badge = s.page.locator("[data-cop-bell-badge]")
    expect(bell).to_have_attribute("data-live", "connected", timeout=15_000)
    expect(badge).to_be_hidden()

    _mention(live_app)
    expect(count).to_have_text("1", timeout=10_000)
    expect(badge).to_be_visible()
    expect(s.page.locator("[data-cop-bell-status]")).to_have_text("1 unread notification")
    _mention(live_app, text="Marcus Ortega mentioned you in “Rural outreach”")
    expect(count).to_have_text("2", timeout=10_000)
    expect(bell.get_by_role("link")).to_have_accessible_name("Notifications 2 unread")

    # Read elsewhere (another tab, the API): this page follows.
    _mark_all_read(live_app)
    expect(badge).to_be_hidden(timeout=10_000)
    assert s.page.url.endswith("/coalitions/")  # no reload happened
    # (The only console error is the browser's own /favicon.ico request.)
    assert not [e for e in s.errors if "pageerror" in e or "Security Policy" in e], s.errors


def test_the_count_is_right_on_the_next_page_load(session_for, live_app):
    _mark_all_read(live_app)
    s = session_for(MEMBER)
    _mention(live_app)
    s.goto("/")
    expect(s.page.locator("[data-cop-bell-count]")).to_have_text("1")


def test_notification_center_opens_the_thing_and_is_accessible(session_for, live_app):
    _mark_all_read(live_app)
    _mention(live_app)
    s = session_for(MEMBER)
    s.goto("/notifications")
    expect(s.page.get_by_role("heading", name="Today")).to_be_visible()
    # The HTML in the text is shown as text.
    link = s.page.get_by_role("link", name="Employer engagement <b>tips</b>").first
    expect(link).to_be_visible()
    s.assert_accessible("/notifications")
    link.click()
    s.page.wait_for_url("**/coalitions/")
    expect(s.page.locator("[data-cop-bell-badge]")).to_be_hidden()


def test_mark_all_read_button(session_for, live_app):
    _mark_all_read(live_app)
    _mention(live_app)
    s = session_for(MEMBER)
    s.goto("/notifications")
    s.page.get_by_role("button", name="Mark all as read").click()
    expect(s.page.get_by_text("All notifications are marked as read.")).to_be_visible()
    expect(s.page.locator("[data-cop-bell-badge]")).to_be_hidden()
    s.assert_accessible("/notifications after mark all read")


def test_preferences_page_is_accessible_and_saves(session_for, live_app):
    s = session_for(MEMBER)
    s.goto("/notifications/preferences")
    s.assert_accessible("/notifications/preferences")
    s.page.get_by_label("A new post in a thread or category you follow").select_option("daily")
    s.page.get_by_label("Send my digests at").select_option(label="7:00 AM")
    s.page.get_by_role("button", name="Save settings").click()
    expect(s.page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(s.page.get_by_label("A new post in a thread or category you follow")).to_have_value(
        "daily"
    )
    s.assert_accessible("/notifications/preferences after saving")
    s.page.get_by_label("A new post in a thread or category you follow").select_option("in_app")
    s.page.get_by_role("button", name="Save settings").click()


def test_unsubscribe_pages_are_accessible(session_for, live_app):
    from cop.notifications.services import unsubscribe_token

    with live_app.app_context():
        token = unsubscribe_token(_user(MEMBER).id, "expert_request")
    s = session_for()  # from a mail app: not logged in
    s.goto(f"/notifications/unsubscribe/{token}")
    s.assert_accessible("unsubscribe: confirm")
    s.page.get_by_role("button", name="Unsubscribe").click()
    expect(s.page.get_by_text("no more emails for")).to_be_visible()
    s.assert_accessible("unsubscribe: done")
    s.page.goto("/notifications/unsubscribe/forged-token")
    expect(s.page.get_by_text("nothing was changed")).to_be_visible()
    s.assert_accessible("unsubscribe: invalid")


def test_outbox_and_mobile_menu_are_accessible(session_for, live_app):
    s = session_for(ADMIN)
    s.goto("/notifications/outbox")
    s.assert_accessible("/notifications/outbox")
    s.page.set_viewport_size({"width": 400, "height": 800})
    s.goto("/")
    s.page.get_by_role("button", name="Menu").click()
    expect(s.page.get_by_role("link", name="Notifications")).to_be_visible()
    s.assert_accessible("mobile menu with the bell")
