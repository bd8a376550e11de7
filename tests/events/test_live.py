"""The live event: the chat room through chat's hook (open to registrants from the set
time), the host's pins and questions, attendance from the chat, the transcript after."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.models import utcnow
from cop.events import live, registrations
from cop.events.models import ChatMark, Event, Registration
from tests.events.conftest import make_event, register

pytest.importorskip("cop.chat")


def live_event(world, **overrides):
    """An event starting in ten minutes: its live page (15 minutes before) is open."""
    start = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
    overrides.setdefault("starts_at", start)
    overrides.setdefault("ends_at", start + timedelta(hours=1))
    return make_event(world["coach"], **overrides)


def room_of(event):
    from cop.chat.models import ChatRoom
    from cop.extensions import db

    return db.session.execute(
        sa.select(ChatRoom).where(ChatRoom.key == f"event:{event.id}")
    ).scalar_one()


def test_the_event_room_is_created_through_chat_and_open_to_registrants(
    world, login_as, chat_client, db
):
    from cop.chat.permissions import can_access_room, can_moderate_room

    event = live_event(world)
    register(world["member"], event)
    assert login_as("member").get(f"/events/{event.id}/live").status_code == 200
    room = room_of(event)
    assert room.kind == "event" and room.ref_id == event.id
    assert can_access_room(world["member"], room)
    assert can_access_room(world["coach"], room) and can_moderate_room(world["coach"], room)
    assert can_access_room(world["admin"], room)
    assert not can_moderate_room(world["member"], room)
    for key in ("lead", "other_member", "expert", "guest", "other_coach"):
        assert not can_access_room(world[key], room), key

    member = chat_client("member")
    ack = member.ack("join", {"room_id": room.id})
    assert ack["ok"] and ack["room"]["kind"] == "event"
    sent = member.send(room.id, "Hello from the live page")
    assert sent["ok"], sent
    lead = chat_client("lead")
    assert lead.ack("join", {"room_id": room.id})["error"]["code"] == "not_found"


def test_the_room_is_closed_before_the_live_page_opens(world, db):
    from cop.chat.permissions import can_access_room
    from cop.events import chat_bridge

    event = make_event(world["coach"])  # two days away
    register(world["member"], event)
    room = chat_bridge.ensure_room(event)
    assert not can_access_room(world["member"], room)
    event.starts_at = utcnow() + timedelta(minutes=5)
    event.ends_at = event.starts_at + timedelta(hours=1)
    db.session.commit()
    assert can_access_room(world["member"], room)


def test_losing_the_seat_loses_the_room(world, people, db):
    from cop.chat.permissions import can_access_room
    from cop.events import chat_bridge

    event = live_event(world)
    reg = register(world["member"], event)
    room = chat_bridge.ensure_room(event)
    assert can_access_room(world["member"], room)
    registrations.decline(world["coach"], reg)
    assert not can_access_room(world["member"], room)
    fingerprint = chat_bridge._fingerprint([world["member"].id])
    assert ("r", event.id) not in fingerprint[world["member"].id]


def test_the_host_pins_and_marks_questions(world, login_as, chat_client, client, token_for, db):
    event = live_event(world)
    register(world["member"], event)
    login_as("member").get(f"/events/{event.id}/live")
    room = room_of(event)
    member = chat_client("member")
    member.ack("join", {"room_id": room.id})
    question = member.send(room.id, "Will the slides be shared?")["message"]
    chatter = member.send(room.id, "Hi all")["message"]
    host = token_for("coach")
    url = f"/api/v1/events/{event.id}/chat-marks"
    response = client.post(
        url, json={"message_id": question["id"], "kind": "question"}, headers=host
    )
    assert response.status_code == 200
    assert response.get_json() == [{"message_id": question["id"], "pin": False, "question": True}]
    client.post(url, json={"message_id": chatter["id"], "kind": "pin"}, headers=host)
    marks = client.get(url, headers=token_for("member")).get_json()
    assert {(m["message_id"], m["pin"], m["question"]) for m in marks} == {
        (question["id"], False, True),
        (chatter["id"], True, False),
    }
    # The live page shows the pin without JavaScript.
    page = login_as("member").get(f"/events/{event.id}/live").get_data(as_text=True)
    assert f'data-message-id="{chatter["id"]}"' in page and "Hi all" in page
    # Only the host marks; only messages of this event's room; unmarking works.
    assert (
        client.post(
            url, json={"message_id": question["id"], "kind": "pin"}, headers=token_for("member")
        ).status_code
        == 403
    )
    assert (
        client.post(url, json={"message_id": 999999, "kind": "pin"}, headers=host).status_code
        == 404
    )
    assert (
        client.post(
            url, json={"message_id": question["id"], "kind": "star"}, headers=host
        ).status_code
        == 422
    )
    client.post(url, json={"message_id": chatter["id"], "kind": "pin", "on": False}, headers=host)
    assert db.session.execute(sa.select(sa.func.count()).select_from(ChatMark)).scalar_one() == 1
    assert client.get(url, headers=token_for("lead")).status_code == 403


def test_after_the_event_the_chat_becomes_a_read_only_transcript(
    world, people, login_as, chat_client, db, app
):
    from cop.notifications.jobs import run_once

    event = live_event(world)
    register(world["member"], event)
    register(world["lead"], event)
    register(people[0], event)
    login_as("member").get(f"/events/{event.id}/live")  # the member opens the live page
    room = room_of(event)
    lead = chat_client("lead")  # the lead never opens the page, but writes in the chat
    lead.ack("join", {"room_id": room.id})
    question = lead.send(room.id, "A **question** for the speaker")["message"]
    live.set_mark(world["coach"], event, question["id"], "question", True)

    run_once(app, now=event.ends_at + timedelta(minutes=1))
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.chat_closed_at is not None
    (entry,) = event.transcript
    assert entry["author"] == world["lead"].name and entry["question"] is True
    assert "<strong>question</strong>" in entry["html"]
    regs = {r.user_id: r for r in db.session.execute(sa.select(Registration)).scalars()}
    assert regs[world["member"].id].join_source == "live_page"
    assert regs[world["lead"].id].join_source == "chat"
    assert not regs[people[0].id].did_attend
    assert room_of(event).archived_at is not None
    refused = lead.send(room.id, "Still there?")
    assert not refused["ok"] and refused["error"]["code"] in ("archived", "not_found")
    page = login_as("member").get(f"/events/{event.id}").get_data(as_text=True)
    assert "Chat transcript" in page and "Question" in page and "<strong>question</strong>" in page
    assert run_once(app, now=event.ends_at + timedelta(minutes=2)) is not None
    assert live.close_chat(event, utcnow()) is False, "idempotent"


def test_the_host_may_post_the_transcript_as_a_forum_thread(world, login_as, db):
    pytest.importorskip("cop.forums")
    from cop.events import forum_bridge
    from cop.forums import services as forum_services
    from cop.forums.models import Thread
    from tests.conftest import post_form

    if not forum_bridge.available():
        pytest.skip("the forums are not set up in this app")
    forum_services.ensure_default_categories()
    event = live_event(world)
    live.close_chat(event, event.starts_at + timedelta(minutes=5))
    categories = forum_bridge.categories_for(world["coach"])
    assert categories
    client = login_as("coach")
    assert "Post the transcript as a forum thread" in client.get(f"/events/{event.id}").get_data(
        as_text=True
    )
    response = post_form(
        client,
        f"/events/{event.id}/transcript/forum",
        {"category_id": str(categories[0][0])},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    thread = db.session.execute(sa.select(Thread)).scalar_one()
    assert thread.title.startswith(f"Chat transcript: {event.title}")
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.forum_thread_id == thread.id and event.transcript_target == "forum_thread"
    page = login_as("member").get(f"/events/{event.id}").get_data(as_text=True)
    assert "a forum thread" in page


def test_the_host_closes_the_chat_early(world, login_as, db):
    from tests.conftest import post_form

    event = live_event(world)
    event.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    client = login_as("coach")
    response = post_form(client, f"/events/{event.id}/chat/close", token_from="/accessibility")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).chat_closed_at is not None
