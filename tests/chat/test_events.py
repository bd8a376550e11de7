"""Who receives what: each emitter of cop.chat.events names its audience. A wrong audience
is a security bug, so every one is pinned here."""

from __future__ import annotations

import pytest

from cop.chat import events


@pytest.fixture
def emitted(monkeypatch):
    calls = []

    def fake_emit(event, data, **kwargs):
        calls.append((event, kwargs))

    monkeypatch.setattr(events.socketio, "emit", fake_emit)
    return calls


def test_audiences(emitted, chat_client, rooms, world):
    member = chat_client("member")
    member.join(rooms["alpha"])
    emitted.clear()
    sent = member.send(rooms["alpha"], "hi")["message"]
    member.ack("typing", {"room_id": rooms["alpha"].id})
    member.ack("edit", {"message_id": sent["id"], "body": "hi!"})
    member.ack("read", {"room_id": rooms["alpha"].id, "seq": 1})
    member.ack("delete", {"message_id": sent["id"]})
    room = f"chat:room:{rooms['alpha'].id}"
    me = f"chat:user:{world['member'].id}"
    got = {(event, kw["to"], kw.get("skip_sid") is not None) for event, kw in emitted}
    assert got == {
        ("message", room, False),
        ("typing", room, True),
        ("message_updated", room, False),
        ("read", me, False),
        ("message_deleted", room, False),
    }
    assert all(kw["namespace"] == "/chat" for _, kw in emitted)


def test_every_emit_names_an_audience(emitted):
    """No emitter may fall back to Flask-SocketIO's default (everyone)."""
    import inspect

    source = inspect.getsource(events)
    assert source.count("socketio.emit(") == 1  # only _emit calls it ...
    assert "to=to" in source  # ... always with an explicit `to`
    events.session_ended("sid-1")
    events.room_removed("sid-1", 3)
    events.user_muted(9, 3, None)
    assert [kw["to"] for _, kw in emitted] == ["sid-1", "sid-1", "chat:user:9"]


def test_emit_failure_never_reaches_the_sender(monkeypatch, chat_client, rooms, db):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(events.socketio, "emit", broken)
    ack = chat_client("member").send(rooms["alpha"], "stored anyway")
    assert ack["ok"] and ack["message"]["seq"] == 1
