"""Chat in Chromium against the real server: two demo users of one coalition talk, script
stays inert, a dropped connection catches up and sends what was typed offline, and every
chat page passes axe-core."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT

LEAD = "lead@demo.example.org"  # both in Great Lakes Solar Workforce Coalition (demo)
MEMBER = "member@demo.example.org"
ADMIN = "admin@demo.example.org"

# The chat tables come from `flask db upgrade` and the rooms from `seed-demo`: this only
# finds the coalition room (seed_demo_chat is idempotent).
SETUP = r"""
import json
from cop import create_app
from cop.extensions import db
app = create_app()
with app.app_context():
    from cop.chat.seed import seed_demo_chat
    from cop.chat.models import ChatRoom
    from cop.coalitions.models import Coalition
    seed_demo_chat()
    coalition = db.session.execute(db.select(Coalition).where(Coalition.slug == "great-lakes-solar")).scalar_one()
    room = db.session.execute(db.select(ChatRoom).where(ChatRoom.coalition_id == coalition.id)).scalar_one()
    print(json.dumps({"room": room.id}))
"""


@pytest.fixture(scope="module")
def chat_room(live_server) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["room"]


def _open_room(session, room_id: int):
    session.goto(f"/chat/rooms/{room_id}")
    session.page.locator("#chat-status").get_by_text("Connected.").wait_for(timeout=15000)
    return session.page


def _message(page, text: str):
    return page.locator("#chat-messages li.cop-chat-msg", has_text=text)


def test_a_message_from_one_member_appears_for_the_other(session_for, chat_room):
    lead, member = session_for(LEAD), session_for(MEMBER)
    lead_page, member_page = _open_room(lead, chat_room), _open_room(member, chat_room)
    lead_name = lead_page.locator("#chat").get_attribute("data-user-name")
    member_page.locator("#chat-presence").get_by_text(lead_name).wait_for(timeout=10000)

    lead_page.locator("#chat-body").fill("Employer roundtable moved to **Tuesday**.")
    lead_page.locator("#chat-body").press("Enter")
    arrived = _message(member_page, "Employer roundtable moved to Tuesday.")
    arrived.wait_for(timeout=10000)
    assert arrived.locator("strong").inner_text() == "Tuesday"
    assert arrived.locator(".cop-chat-msg__author").inner_text() == lead_name
    # the live region announces it for screen readers (WCAG 4.1.3)
    announcer = member_page.locator("#chat-announcer")
    announcer.get_by_text(f"{lead_name}: Employer roundtable moved to Tuesday.").wait_for(
        timeout=5000
    )
    assert announcer.get_attribute("aria-live") == "polite"
    # and the sender's own copy is the stored message, once
    _message(lead_page, "Employer roundtable moved to Tuesday.").and_(
        lead_page.locator("[data-id]")
    ).wait_for(timeout=10000)
    assert _message(lead_page, "Employer roundtable moved to Tuesday.").count() == 1
    member.assert_accessible("chat room with a new message")
    assert not [e for e in lead.errors + member.errors if "pageerror" in e], lead.errors


def test_script_in_a_message_renders_inert(session_for, chat_room):
    lead, member = session_for(LEAD), session_for(MEMBER)
    lead_page, member_page = _open_room(lead, chat_room), _open_room(member, chat_room)
    evil = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> inert?'
    lead_page.locator("#chat-body").fill(evil)
    lead_page.locator("#chat-body").press("Enter")
    shown = _message(member_page, "inert?")
    shown.wait_for(timeout=10000)
    assert "<script>" in shown.locator(".cop-chat-msg__body").inner_text()
    assert shown.locator("img, script").count() == 0
    assert member_page.evaluate("() => window.__pwned") is None
    # after a reload, the server-rendered copy is just as inert
    member.goto(f"/chat/rooms/{chat_room}")
    assert member_page.evaluate("() => window.__pwned") is None
    assert _message(member_page, "inert?").locator("img, script").count() == 0


def test_offline_messages_are_caught_up_and_the_outbox_sent(session_for, chat_room):
    lead, member = session_for(LEAD), session_for(MEMBER)
    lead_page, member_page = _open_room(lead, chat_room), _open_room(member, chat_room)
    member.context.set_offline(True)
    member_page.locator("#chat-status").get_by_text("Offline").wait_for(timeout=15000)
    for i in range(3):
        lead_page.locator("#chat-body").fill(f"While you were away {i}")
        lead_page.locator("#chat-body").press("Enter")
        _message(lead_page, f"While you were away {i}").and_(
            lead_page.locator("[data-id]")
        ).wait_for(timeout=10000)
    member_page.locator("#chat-body").fill("Typed on the train")
    member_page.locator("#chat-body").press("Enter")
    assert _message(member_page, "Typed on the train").get_attribute("data-pending") == "true"

    member.context.set_offline(False)
    _message(lead_page, "Typed on the train").wait_for(timeout=20000)
    for i in range(3):
        _message(member_page, f"While you were away {i}").wait_for(timeout=20000)
    seqs = [
        int(s)
        for s in member_page.locator("#chat-messages li[data-seq]").evaluate_all(
            "els => els.map(e => e.dataset.seq)"
        )
    ]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert _message(member_page, "Typed on the train").count() == 1
    assert _message(lead_page, "Typed on the train").count() == 1


@pytest.mark.parametrize("who", [MEMBER, ADMIN])
def test_chat_pages_are_accessible(session_for, chat_room, who):
    s = session_for(who)
    for path in ["/chat/", f"/chat/rooms/{chat_room}", "/chat/direct", "/chat/direct?q=a"]:
        s.goto(path)
        if path.startswith("/chat/rooms/"):
            s.page.locator("#chat-status").get_by_text("Connected.").wait_for(timeout=15000)
        s.assert_accessible(path)
    assert not [e for e in s.errors if "pageerror" in e], s.errors
