"""Chat use cases beneath the transports: gapless seq under concurrency, rooms, the kind
registry (how the events feature plugs in), the demo seed."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from cop.chat import services
from cop.chat.models import ChatMessage, ChatRoom
from cop.chat.permissions import ROOM_KINDS, can_access_room, register_room_kind


def test_concurrent_senders_get_gapless_seq(app, rooms, world, monkeypatch):
    """Four threads, each its own session and connection, send into one room at once."""
    from cop.extensions import db

    monkeypatch.setitem(app.config, "CHAT_SEND_RATE", "")
    senders = ["member", "lead", "coach", "admin"]
    room_id = rooms["alpha"].id
    ids = {k: world[k].id for k in senders}
    barrier = threading.Barrier(len(senders))
    errors: list[BaseException] = []

    def run(key: str) -> None:
        try:
            with app.test_request_context():
                from cop.accounts.models import User

                user = db.session.get(User, ids[key])
                barrier.wait()
                for i in range(15):
                    services.send_message(user, room_id, f"{key} {i}", f"{key}-{i}")
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    db.session.expire_all()
    seqs = (
        db.session.execute(
            sa.select(ChatMessage.seq)
            .where(ChatMessage.room_id == room_id)
            .order_by(ChatMessage.seq)
        )
        .scalars()
        .all()
    )
    assert seqs == list(range(1, 61))
    assert db.session.get(ChatRoom, room_id).last_seq == 60


def test_ensure_default_rooms_is_idempotent(app, world, db):
    first = services.ensure_default_rooms()
    assert first == 1 + 4 + 2  # lounge, four sectors, two coalitions
    assert services.ensure_default_rooms() == 0
    assert not services.default_rooms_missing()
    from tests import factories

    factories.make_coalition("gamma")
    assert services.default_rooms_missing()
    assert services.ensure_default_rooms() == 1


def test_room_names_with_script_render_inert(login_as, world, db):
    world["alpha"].name = "<script>alert(1)</script> Alpha"
    db.session.commit()
    services.ensure_default_rooms()
    room = db.session.execute(
        sa.select(ChatRoom).where(ChatRoom.coalition_id == world["alpha"].id)
    ).scalar_one()
    html = login_as("member").get(f"/chat/rooms/{room.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Alpha" in html


@pytest.fixture
def placeholder_event_rule():
    """Chat's own rule for event rooms, whether or not the events feature replaced it."""
    from cop.chat import permissions

    saved = ROOM_KINDS["event"]
    ROOM_KINDS["event"] = permissions.RoomKindRules(
        "event", permissions._admin_only, permissions._admin_only, permissions._no_more
    )
    yield
    ROOM_KINDS["event"] = saved


def test_event_rooms_are_admin_only_until_the_events_feature_registers(
    world, db, placeholder_event_rule
):
    room = services.ensure_event_room(41, "Webinar: employer engagement")
    assert services.ensure_event_room(41, "again").id == room.id
    assert can_access_room(world["admin"], room)
    assert not can_access_room(world["member"], room)


@pytest.fixture
def registrants_rule():
    """What the events feature does: replace the "event" rule, restore it afterwards."""
    original = ROOM_KINDS["event"]
    registered: set[tuple[int, int]] = set()

    def access(user, room):
        return user.is_admin or (user.id, room.ref_id) in registered

    register_room_kind("event", can_access=access, can_moderate=original.can_moderate, replace=True)
    yield registered
    ROOM_KINDS["event"] = original


def test_the_events_feature_can_open_event_rooms_to_registrants(
    app, world, registrants_rule, chat_client
):
    from cop.chat.connections import sweep

    room = services.ensure_event_room(7, "Convening (live)")
    registrants_rule.add((world["guest"].id, 7))
    guest = chat_client("guest")
    assert guest.join(room)["ok"]
    assert guest.send(room, "Hello from a guest")["ok"]
    assert not can_access_room(world["member"], room)
    registrants_rule.clear()  # the guest's registration was cancelled
    assert sweep(app)["removed"] == 1  # no fingerprint hook: re-checked on every sweep


def test_kinds_cannot_be_registered_twice_by_accident():
    with pytest.raises(ValueError):
        register_room_kind("event", can_access=lambda u, r: True, can_moderate=lambda u, r: True)
    with pytest.raises(ValueError):
        register_room_kind("webinar", can_access=lambda u, r: True, can_moderate=lambda u, r: True)


def test_archived_rooms_are_read_only(chat_client, rooms):
    services.archive_room(rooms["lounge"])
    ack = chat_client("member").send(rooms["lounge"], "anyone?")
    assert ack["ok"] is False and ack["error"]["code"] == "archived"


def test_demo_seed_is_idempotent(app, db):
    from cop.chat.seed import seed_demo_chat
    from cop.seed import seed_demo

    first = seed_demo()["features"]["chat"]  # `seed-demo` loads the chat rooms
    second = seed_demo_chat()
    assert first["rooms"] == 1 + 4 + 34 and first["messages"] >= 10
    assert second == {"rooms": 0, "messages": 0}
    lounge = db.session.execute(sa.select(ChatRoom).where(ChatRoom.key == "lounge")).scalar_one()
    assert lounge.last_seq == 5
    html = db.session.execute(
        sa.select(ChatMessage.body_html).where(
            ChatMessage.room_id == lounge.id, ChatMessage.seq == 3
        )
    ).scalar_one()
    assert 'class="cop-mention"' in html
