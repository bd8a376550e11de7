"""The live event and what follows it: the event's chat room (through `chat_bridge`), the
host's pins and "questions for the speakers", attendance from the live page and the chat,
and, once the event is over, the chat archived as a read-only transcript on the event page
(or, if the host chooses, posted as a forum thread).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.accounts.models import User
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.core.timezones import localtime
from cop.events import chat_bridge, forum_bridge, registrations
from cop.events.models import (
    ChatMark,
    Event,
    EventStatus,
    MarkKind,
    TranscriptTarget,
)
from cop.events.permissions import (
    can_close_chat,
    can_enter_live,
    can_manage_event,
    can_mark_messages,
    can_view_event,
)
from cop.extensions import db

CLOSE_LOOKBACK_DAYS = 30


def marks_of(event: Event) -> dict[int, set[str]]:
    """message id -> {"pin", "question"} (one query)."""
    found: dict[int, set[str]] = {}
    for message_id, kind in db.session.execute(
        sa.select(ChatMark.message_id, ChatMark.kind).where(ChatMark.event_id == event.id)
    ):
        found.setdefault(message_id, set()).add(kind)
    return found


def marks_payload(event: Event) -> list[dict[str, Any]]:
    return [
        {"message_id": mid, "pin": "pin" in kinds, "question": "question" in kinds}
        for mid, kinds in sorted(marks_of(event).items())
    ]


def live_context(user: User, event: Event, now: datetime | None = None) -> dict[str, Any]:
    """What the live page shows: the chat room (created on first use) and the marks.
    Records the visit as attendance."""
    now = now or utcnow()
    if not can_enter_live(user, event, now):
        raise PermissionDenied(
            f"The live page is open to registrants from {localtime(event.opens_at, user.timezone)}."
        )
    registrations.record_visit(user, event, now=now)
    context: dict[str, Any] = {"chat": None, "pinned": [], "marks": marks_payload(event)}
    room = chat_bridge.ensure_room(event)
    if room is not None:
        context["chat"] = chat_bridge.room_view(user, room)
        pins = [m["message_id"] for m in context["marks"] if m["pin"]]
        by_id = chat_bridge.messages_by_id(room, pins)
        context["pinned"] = [by_id[i] for i in pins if i in by_id]
    return context


def set_mark(actor: User, event: Event, message_id: Any, kind: Any, on: Any) -> list[dict]:
    """Pin or unpin a message, mark or unmark it as a question for the speakers. Commits."""
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_mark_messages(actor, event):
        raise PermissionDenied("Only the host pins messages and marks questions.")
    if kind not in {k.value for k in MarkKind}:
        raise ServiceError("kind is pin or question.", code="invalid", field="kind")
    if not isinstance(on, bool):
        raise ServiceError("on is true or false.", code="invalid", field="on")
    if isinstance(message_id, bool) or not isinstance(message_id, int) or message_id <= 0:
        raise ServiceError("message_id is a positive integer.", code="invalid", field="message_id")
    room = chat_bridge.find_room(event)
    if room is None or not chat_bridge.message_in_room(message_id, room):
        raise NotFound("No such message in this event's chat.")
    existing = db.session.execute(
        sa.select(ChatMark).where(
            ChatMark.event_id == event.id, ChatMark.message_id == message_id, ChatMark.kind == kind
        )
    ).scalar_one_or_none()
    if on and existing is None:
        db.session.add(
            ChatMark(event_id=event.id, message_id=message_id, kind=kind, created_by_id=actor.id)
        )
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.commit()
    return marks_payload(event)


# ---------------------------------------------------------------- after the event


def close_chat(event: Event, now: datetime, actor: User | None = None) -> bool:
    """Record who wrote in the chat during the event as attendees, archive the room
    (read-only) and keep its transcript on the event. Idempotent. Commits."""
    if event.chat_closed_at is not None:
        return False
    room = chat_bridge.find_room(event)
    event.transcript = []  # no room: nobody opened the live page, nobody wrote
    if room is not None:
        authors = chat_bridge.authors_between(room, event.opens_at, min(now, event.ends_at))
        registrations.record_chat_attendance(event, authors, now)
        event.transcript = chat_bridge.transcript_entries(room, marks_of(event))
    event.chat_closed_at = now
    if actor is not None:
        audit.record(actor, "events.chat_close", event, messages=len(event.transcript or []))
    db.session.commit()
    if room is not None:
        chat_bridge.archive(room)  # chat's service commits
    return True


def close_chat_now(actor: User, event: Event, now: datetime | None = None) -> bool:
    """The host ends the chat early (or after the event, before the job runner does)."""
    now = now or utcnow()
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_close_chat(actor, event, now):
        raise PermissionDenied("The host closes the chat once the event has started.")
    if event.chat_closed_at is not None:
        raise Conflict("The chat is already closed.", code="closed")
    return close_chat(event, now, actor)


def close_ended_events(now: datetime | None = None) -> int:
    """The periodic job: every event that ended (in the last 30 days) gets its chat closed.
    Idempotent (marks what it handled). Returns 0: it creates no notifications."""
    now = now or utcnow()
    ids = list(
        db.session.execute(
            sa.select(Event.id)
            .where(
                Event.status == EventStatus.SCHEDULED.value,
                Event.chat_closed_at.is_(None),
                Event.ends_at <= now,
                Event.ends_at > now - timedelta(days=CLOSE_LOOKBACK_DAYS),
            )
            .order_by(Event.ends_at)
            .limit(200)
        ).scalars()
    )
    for event_id in ids:
        event = db.session.get(Event, event_id)
        close_chat(event, now)
    return 0


def transcript_markdown(event: Event) -> str:
    lines = []
    for entry in event.transcript or []:
        at = datetime.fromisoformat(entry["at"])
        mark = " (question)" if entry.get("question") else ""
        body = entry["body"].replace("\n", "\n> ")
        lines.append(
            f"**{entry['author']}**, {localtime(at, event.timezone, '%-I:%M %p')}"
            f"{mark}:\n> {body}\n"
        )
    return "\n".join(lines) or "_Nobody wrote in the chat._"


def post_transcript_to_forum(actor: User, event: Event, category_id: Any) -> str:
    """Post the transcript as a forum thread instead of showing it on the event page.
    The thread is created by the forums' service (its own commit); then the event points to
    it (a second commit). Returns the thread's URL."""
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins post the transcript.")
    if event.chat_closed_at is None:
        raise Conflict("The chat is still open: close it first.", code="open")
    if event.forum_thread_id is not None:
        raise Conflict("The transcript is already posted.", code="posted")
    if not forum_bridge.available():
        raise NotFound("The forums are not available.")
    allowed = {cid for cid, _ in forum_bridge.categories_for(actor)}
    if not isinstance(category_id, int) or category_id not in allowed:
        raise ServiceError(
            "Choose a forum category you may post in.", code="invalid", field="category_id"
        )
    day = event.starts_at.astimezone(ZoneInfo(event.timezone))
    title = f"Chat transcript: {event.title} ({day:%b %-d, %Y})"[:200]
    body = (
        f"The chat of the event “{event.title}”, kept when the event ended.\n\n"
        + transcript_markdown(event)
    )
    posted = forum_bridge.post_thread(actor, category_id, title=title, body=body[:19_000])
    if posted is None:
        raise NotFound("The forums are not available.")
    event.forum_thread_id = posted[0]
    event.transcript_target = TranscriptTarget.FORUM_THREAD.value
    audit.record(actor, "events.transcript_forum", event, thread_id=posted[0])
    db.session.commit()
    return posted[1]
