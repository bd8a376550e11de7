"""Keyboard only (issue 11, item 7): posting a forum reply, registering for an event and
sending a chat message with Tab, Shift+Tab, Enter and Space, no clicks. At each stop the
focused element is the expected one and its focus is visible (a real outline)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

MEMBER = "member@demo.example.org"
EXPERT = "expert@demo.example.org"
LEAD = "lead@demo.example.org"
COACH = "coach@demo.example.org"

FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing has focus';
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return el.matches(':focus-visible') && (outline || ring) ? '' :
    `focus on <${el.tagName.toLowerCase()} ${el.id || el.name || ''}> is not visible`;
}"""


def tab_to(page, target, limit: int = 250) -> None:
    """Press Tab until `target` (a locator) has focus; fail if it never does."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => el === document.activeElement", handle):
            problem = page.evaluate(FOCUS_VISIBLE)
            assert not problem, problem
            return
    raise AssertionError(f"{target} never got the focus in {limit} Tab presses")


@pytest.fixture(scope="module")
def keyboard_data(live_server):
    """A thread, an upcoming event and the lead's coalition room, made through the services."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.chat import services as chat
    from cop.chat.models import ChatRoom
    from cop.coalitions.models import Membership
    from cop.core.models import utcnow
    from cop.events import services as events
    from cop.extensions import db
    from cop.forums import services as forums
    from cop.forums.models import Category

    app = live_server.app()
    with app.app_context():
        users = {
            e: db.session.execute(sa.select(User).where(User.email == e)).scalar_one()
            for e in (MEMBER, EXPERT, LEAD, COACH)
        }
        forums.ensure_default_categories()
        general = db.session.execute(
            sa.select(Category).where(Category.slug == "general")
        ).scalar_one()
        thread = forums.create_thread(
            users[LEAD], general, title="Keyboard users welcome", body="Reply without a mouse."
        )
        start = (utcnow() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
        event = events.create_event(
            users[COACH],
            {
                "title": "Keyboard office hours",
                "type": "office_hours",
                "timezone": "America/Chicago",
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "audience": "everyone",
            },
        )
        chat.ensure_default_rooms()
        coalition_id = (
            db.session.execute(
                sa.select(Membership.coalition_id).where(Membership.user_id == users[MEMBER].id)
            )
            .scalars()
            .first()
        )
        room = db.session.execute(
            sa.select(ChatRoom.id).where(ChatRoom.key == chat.coalition_room_key(coalition_id))
        ).scalar_one()
        return {"thread": thread.id, "event": event.id, "room": room}


def test_post_a_forum_reply_with_the_keyboard(session_for, keyboard_data):
    page = session_for(MEMBER).page
    page.goto(f"/forums/t/{keyboard_data['thread']}")
    box = page.get_by_label("Your reply")
    tab_to(page, box)
    page.keyboard.type("Typed and sent with the keyboard alone.")
    tab_to(page, page.get_by_role("button", name="Post reply"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Typed and sent with the keyboard alone.")).to_be_visible()


def test_register_for_an_event_with_the_keyboard(session_for, keyboard_data):
    page = session_for(EXPERT).page
    page.goto(f"/events/{keyboard_data['event']}")
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Register")))
    page.keyboard.press("Space")
    expect(page.get_by_text("You are registered.")).to_be_visible()


def test_send_a_chat_message_with_the_keyboard(session_for, keyboard_data):
    page = session_for(MEMBER).page
    page.goto(f"/chat/rooms/{keyboard_data['room']}")
    expect(page.locator("#chat-status").get_by_text("Connected.")).to_be_visible(timeout=15000)
    box = page.locator("#chat-body")
    tab_to(page, box)
    page.keyboard.type("Sent from the keyboard")
    tab_to(page, page.get_by_role("button", name="Send", exact=True))
    page.keyboard.press("Enter")
    expect(
        page.locator("#chat-messages li.cop-chat-msg", has_text="Sent from the keyboard")
    ).to_be_visible()
    expect(box).to_have_value("")
