"""The hostile corpus (tests/hardening/hostile_corpus.py) in Chromium: no script runs.

Many payloads per page, so there are few page loads: every payload as a reply in one forum
thread (pages of 50), as a thread title in one category (pages of 30, plain text: it must
read back as typed), in event descriptions (30 per event) and as chat messages in a
coalition room (45 per load). On every page: no dialog opened, no console message carries a
marker, no CSP violation, no element with an on* attribute and no link or frame whose URL
the browser takes as javascript:/data:/vbscript:. The server-side side, through every
field, is tests/hardening/test_hostile_input.py.
"""

from __future__ import annotations

import uuid

import pytest

from tests.hardening.hostile_corpus import MARKER_RE, PAYLOADS, Payload
from tests.hardening.html_safety import skeleton

ADMIN, COACH = "admin@demo.example.org", "coach@demo.example.org"
LEAD, MEMBER = "lead@demo.example.org", "member@demo.example.org"

DOM_PROBLEMS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on')) found.push(`${el.tagName} ${a.name}=${a.value.slice(0, 60)}`);
    }
  }
  for (const el of document.querySelectorAll('a[href], area[href], iframe, frame, embed, object,'
                                             + ' form[action], button[formaction]')) {
    const url = el.href || el.src || el.data || el.action || el.formAction || '';
    if (/^(javascript|data|vbscript):/i.test(url)) found.push(`${el.tagName} -> ${url.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('main iframe, main object, main embed, main frame,'
                                             + ' main style, main script, main svg script')) {
    found.push(`${el.tagName} in main`);
  }
  return found;
}"""


class Watch:
    """Dialogs and marker console messages on one browser session's page."""

    def __init__(self, session):
        self.session, self.dialogs, self.console = session, [], []
        session.page.on("dialog", self._dialog)
        session.page.on("console", self._console)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message):
        if MARKER_RE.search(message.text):
            self.console.append(message.text)

    def check(self, label: str) -> list[str]:
        page = self.session.page
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # let timers and late handlers fire
        problems = [f"{label}: dialog {d}" for d in self.dialogs]
        problems += [f"{label}: console {c}" for c in self.console]
        problems += [
            f"{label}: {e}"
            for e in self.session.errors
            if "Content Security Policy" in e or "pageerror" in e
        ]
        problems += [f"{label}: DOM {p}" for p in page.evaluate(DOM_PROBLEMS)]
        self.dialogs.clear()
        self.console.clear()
        self.session.errors.clear()
        return problems

    def walk(self, path: str, label: str) -> tuple[list[str], str]:
        """Open `path` and each "next" page after it; return the problems and the text."""
        problems, text, page = [], "", self.session.page
        self.session.goto(path)
        for n in range(20):
            problems += self.check(f"{label} page {n + 1}")
            text += page.locator("main").inner_text()
            more = page.locator('main a[rel="next"]')
            if more.count() == 0:
                break
            self.session.goto(more.first.get_attribute("href"))
        return problems, text


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.fixture(scope="module")
def hostile(live_server):
    """The corpus written through the services into the live server's database."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.core.errors import ServiceError
    from cop.events import services as events
    from cop.extensions import db
    from cop.forums import services as forums
    from cop.forums.models import Category
    from tests.events.conftest import event_values

    app = live_server.app()
    with app.app_context():
        users = {
            email: db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
            for email in (ADMIN, COACH, LEAD, MEMBER)
        }
        forums.ensure_default_categories()
        general = db.session.execute(
            sa.select(Category).where(Category.slug == "general")
        ).scalar_one()
        thread = forums.create_thread(
            users[MEMBER],
            general,
            title="Hostile replies",
            body="Every payload of the corpus follows.",
        )
        titles = forums.create_category(
            users[ADMIN],
            name="Hostile titles",
            section="topic",
            slug=f"hostile-{uuid.uuid4().hex[:6]}",
        )
        accepted_titles: list[Payload] = []
        for payload in PAYLOADS:
            try:
                forums.reply(users[LEAD], thread, body=payload.text)
            except ServiceError:
                db.session.rollback()
            try:
                forums.create_thread(users[MEMBER], titles, title=payload.text, body="x")
                accepted_titles.append(payload)
            except ServiceError:
                db.session.rollback()
        event_ids = []
        for i, chunk in enumerate(_chunks(PAYLOADS, 30)):
            description = "\n\n".join(p.text for p in chunk).replace("\x00", "")[:20_000]
            event_ids.append(
                events.create_event(
                    users[COACH],
                    event_values(title=f"Hostile descriptions {i}", description=description),
                ).id
            )
        from cop.chat import services as chat
        from cop.chat.models import ChatRoom
        from cop.coalitions.models import Membership

        chat.ensure_default_rooms()
        coalition_id = (
            db.session.execute(
                sa.select(Membership.coalition_id).where(Membership.user_id == users[LEAD].id)
            )
            .scalars()
            .first()
        )
        room_id = db.session.execute(
            sa.select(ChatRoom.id).where(ChatRoom.key == chat.coalition_room_key(coalition_id))
        ).scalar_one()
        yield {
            "app": app,
            "thread": thread.id,
            "titles": titles.slug,
            "accepted_titles": accepted_titles,
            "events": event_ids,
            "lead_id": users[LEAD].id,
            "room": room_id,
        }


def test_no_payload_runs_and_plain_text_round_trips(session_for, hostile):
    reader = Watch(session_for(MEMBER))
    reader.session.page.evaluate("() => { console.log('hst9999k'); alert('hst9998k'); }")
    assert reader.console and reader.dialogs, "the watch must see a console marker and a dialog"
    reader.console.clear()
    reader.dialogs.clear()
    problems, _ = reader.walk(f"/forums/t/{hostile['thread']}", "thread")
    found, text = reader.walk(f"/forums/c/{hostile['titles']}", "titles")
    problems += found
    shown = skeleton(text)
    missing = [p.marker for p in hostile["accepted_titles"] if skeleton(p.text) not in shown]
    problems += [f"thread title {m} does not read back as typed" for m in missing]
    for n, event_id in enumerate(hostile["events"]):
        reader.session.goto(f"/events/{event_id}")
        problems += reader.check(f"event {n}")
    assert len(hostile["accepted_titles"]) > len(PAYLOADS) // 2
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_no_payload_runs_in_chat(session_for, hostile):
    from flask import current_app

    from cop.accounts.models import User
    from cop.chat import services as chat
    from cop.core.errors import ServiceError
    from cop.extensions import db

    app, room_id = hostile["app"], hostile["room"]
    reader = Watch(session_for(MEMBER))
    problems: list[str] = []
    for n, chunk in enumerate(_chunks(PAYLOADS, 45)):  # the room shows the latest 50
        with app.app_context():
            current_app.config["CHAT_SEND_RATE"] = ""  # flooding is another test's business
            lead = db.session.get(User, hostile["lead_id"])
            for payload in chunk:
                try:
                    chat.send_message(lead, room_id, payload.text, uuid.uuid4().hex)
                except ServiceError:  # refusals are checked server-side
                    db.session.rollback()
        reader.session.goto(f"/chat/rooms/{room_id}")
        problems += reader.check(f"chat batch {n}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
