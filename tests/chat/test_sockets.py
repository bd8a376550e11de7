"""The /chat protocol through Flask-SocketIO's test client: connect, join, send, refusals.

Every refusal comes back in the ack as {ok: false, error: {code, message}}, stores nothing,
shows nothing to other users, and leaves the connection up."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.chat.models import ChatMessage, ChatMute
from cop.core.audit import AuditEvent

NS = "/chat"


def _count(db, room=None) -> int:
    stmt = sa.select(sa.func.count()).select_from(ChatMessage)
    if room is not None:
        stmt = stmt.where(ChatMessage.room_id == room.id)
    return db.session.execute(stmt).scalar_one()


def _refused(ack, code: str) -> None:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    assert ack["error"]["message"]


# --- connecting -------------------------------------------------------------------------


def test_connect_with_session_cookie_and_with_token(chat_client, api_token):
    assert chat_client("member").connected
    assert chat_client("member", token=api_token("member")).connected


@pytest.mark.parametrize("auth", [None, {}, {"token": "not-a-token"}, {"token": 42}, "token"])
def test_anonymous_or_bad_token_is_refused(app, world, auth):
    from cop.extensions import socketio

    sc = socketio.test_client(app, namespace=NS, auth=auth)
    assert not sc.is_connected(NS)


def test_revoked_token_is_refused(app, world, api_token, db):
    from cop.accounts.models import ApiToken
    from cop.extensions import socketio

    raw = api_token("member")
    token = db.session.execute(sa.select(ApiToken)).scalar_one()
    from cop.accounts.services import revoke_api_token

    revoke_api_token(world["member"], token)
    sc = socketio.test_client(app, namespace=NS, auth={"token": raw})
    assert not sc.is_connected(NS)


def test_deactivated_user_is_refused(chat_client, app, world, api_token):
    from cop.extensions import socketio

    raw = api_token("deactivated")
    assert not socketio.test_client(app, namespace=NS, auth={"token": raw}).is_connected(NS)


def test_foreign_origin_is_refused(chat_client, app):
    client = chat_client("member", headers={"Origin": "https://evil.example"})
    assert not client.connected
    same = chat_client("member", headers={"Origin": "http://localhost"})
    assert same.connected


def test_configured_origins_are_allowed(chat_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SOCKETIO_CORS_ORIGINS", ["https://cop.example.org"])
    assert chat_client("member", headers={"Origin": "https://cop.example.org"}).connected
    assert not chat_client("lead", headers={"Origin": "http://localhost"}).connected


# --- joining ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,room,allowed",
    [
        ("member", "alpha", True),
        ("lead", "alpha", True),
        ("coach", "alpha", True),
        ("admin", "alpha", True),
        ("other_member", "alpha", False),
        ("other_coach", "alpha", False),
        ("expert", "alpha", False),
        ("guest", "alpha", False),
        ("member", "lounge", True),
        ("expert", "lounge", True),
        ("guest", "lounge", False),
        ("other_member", "broadband", True),
        ("guest", "broadband", False),
    ],
)
def test_join_follows_the_app_permissions(chat_client, rooms, who, room, allowed):
    client = chat_client(who)
    ack = client.ack("join", {"room_id": rooms[room].id})
    if allowed:
        assert ack["ok"] and ack["room"]["id"] == rooms[room].id
    else:
        _refused(ack, "not_found")
    assert client.connected


@pytest.mark.parametrize(
    "payload,code",
    [
        (None, "invalid"),
        ("3", "invalid"),
        ([1], "invalid"),
        ({}, "invalid"),
        ({"room_id": "1"}, "invalid"),
        ({"room_id": True}, "invalid"),
        ({"room_id": -1}, "invalid"),
        ({"room_id": 999999}, "not_found"),
        ({"room_id": 1, "extra": 1}, "invalid"),
    ],
)
def test_join_bad_payloads(chat_client, rooms, payload, code):
    client = chat_client("member")
    _refused(client.ack("join", payload), code)
    assert client.connected


def test_join_ack_has_last_seq_read_position_and_presence(chat_client, rooms, world):
    member, lead = chat_client("member"), chat_client("lead")
    lead.join(rooms["alpha"])
    for i in range(3):
        lead.send(rooms["alpha"], f"m{i}")
    ack = member.join(rooms["alpha"])
    assert ack["last_seq"] == 3 and ack["last_read_seq"] == 0
    assert ack["room"]["name"] == "Alpha Coalition (demo)"
    assert {p["id"] for p in ack["presence"]} == {world["lead"].id, world["member"].id}
    assert ack["can_post"] is True and ack["can_moderate"] is False


def test_unknown_event_gets_an_error_ack(chat_client):
    client = chat_client("member")
    _refused(client.ack("hack", {"x": 1}), "unknown_event")
    assert client.connected


# --- sending ----------------------------------------------------------------------------


def test_message_reaches_the_room_and_no_one_outside(chat_client, rooms, world, db):
    inside = {k: chat_client(k) for k in ("member", "lead", "coach", "admin")}
    outside = {k: chat_client(k) for k in ("other_member", "other_coach", "expert")}
    for client in inside.values():
        client.join(rooms["alpha"])
    for key, client in outside.items():  # in other rooms, so they do receive something
        client.join(rooms["lounge"])
    for client in [*inside.values(), *outside.values()]:
        client.clear()
    ack = inside["member"].send(rooms["alpha"], "Q2 numbers are in", "q2")
    assert ack["ok"]
    for key, client in inside.items():
        assert client.got("message") == [ack["message"]], key
    for key, client in outside.items():
        assert client.got("message") == [], key
    assert _count(db) == 1


def test_ack_comes_after_commit_and_payload_matches_the_protocol(chat_client, rooms, db, world):
    member = chat_client("member")
    ack = member.send(rooms["alpha"], "hello", "id-1")
    message = ack["message"]
    assert set(message) >= {
        "id",
        "room_id",
        "seq",
        "client_id",
        "author",
        "body_html",
        "created_at",
    }
    assert message["author"] == {"id": world["member"].id, "name": world["member"].name}
    assert message["created_at"].endswith("Z")
    db.session.expire_all()
    stored = db.session.get(ChatMessage, message["id"])
    assert (stored.seq, stored.client_id, stored.body) == (1, "id-1", "hello")


def test_seq_increases_by_one_per_room(chat_client, rooms):
    member = chat_client("member")
    alpha = [member.send(rooms["alpha"], f"a{i}")["message"]["seq"] for i in range(5)]
    lounge = [member.send(rooms["lounge"], f"l{i}")["message"]["seq"] for i in range(3)]
    assert alpha == [1, 2, 3, 4, 5] and lounge == [1, 2, 3]


def test_same_client_id_returns_the_stored_message(chat_client, rooms, db):
    member, lead = chat_client("member"), chat_client("lead")
    lead.join(rooms["alpha"])
    first = member.send(rooms["alpha"], "once", "dup-1")
    lead.clear()
    again = member.send(rooms["alpha"], "once", "dup-1")
    changed = member.send(rooms["alpha"], "different text", "dup-1")
    assert again["ok"] and again["duplicate"] is True and again["message"] == first["message"]
    assert changed["message"] == first["message"]
    assert _count(db) == 1
    assert lead.got("message") == []  # nothing new was broadcast


def test_same_client_id_in_another_room_is_a_conflict(chat_client, rooms, db):
    member = chat_client("member")
    member.send(rooms["alpha"], "x", "k-1")
    _refused(member.send(rooms["lounge"], "x", "k-1"), "client_id_reused")
    assert _count(db) == 1


def test_another_user_may_use_the_same_client_id(chat_client, rooms, db):
    assert chat_client("member").send(rooms["alpha"], "a", "shared")["ok"]
    assert chat_client("lead").send(rooms["alpha"], "b", "shared")["ok"]
    assert _count(db) == 2


@pytest.mark.parametrize(
    "payload,code",
    [
        ({"body": "hi", "client_id": "c"}, "invalid"),  # no room
        ({"room_id": "R", "body": "hi", "client_id": "c"}, "invalid"),
        ({"room_id": 0, "body": "hi"}, "invalid"),  # no client_id
        ({"room_id": 0, "body": "hi", "client_id": ""}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": 12}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "x" * 65}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "<script>"}, "invalid"),
        ({"room_id": 0, "body": 12, "client_id": "c"}, "invalid"),  # non-string body
        ({"room_id": 0, "body": None, "client_id": "c"}, "invalid"),
        ({"room_id": 0, "body": ["hi"], "client_id": "c"}, "invalid"),
        ({"room_id": 0, "body": "   ", "client_id": "c"}, "body_empty"),
        ({"room_id": 0, "body": "x" * 4001, "client_id": "c"}, "body_too_long"),
        ({"room_id": 0, "body": "a\x00b", "client_id": "c"}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "c", "author": {"id": 1}}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "c", "seq": 99}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "c", "id": 5}, "invalid"),
        ({"room_id": 0, "body": "hi", "client_id": "c", "created_at": "2020"}, "invalid"),
        ("just text", "invalid"),
    ],
)
def test_bad_sends_are_refused_and_store_nothing(chat_client, rooms, db, payload, code):
    member, lead = chat_client("member"), chat_client("lead")
    lead.join(rooms["alpha"])
    lead.clear()
    if isinstance(payload, dict) and payload.get("room_id") == 0:
        payload = {**payload, "room_id": rooms["alpha"].id}
    _refused(member.ack("send", payload), code)
    assert _count(db) == 0
    assert lead.got("message") == []
    assert member.connected


def test_exactly_4000_characters_is_accepted(chat_client, rooms):
    ack = chat_client("member").send(rooms["alpha"], "é" * 4000)
    assert ack["ok"] and len(ack["message"]["body"]) == 4000


def test_sending_to_a_room_one_is_not_in(chat_client, rooms, db):
    outsider, member = chat_client("other_member"), chat_client("member")
    member.join(rooms["alpha"])
    member.clear()
    _refused(outsider.send(rooms["alpha"], "let me in"), "not_found")
    assert _count(db) == 0 and member.got("message") == []


def test_token_client_sends_like_a_cookie_client(chat_client, rooms, api_token):
    client = chat_client("member", token=api_token("member"))
    assert client.send(rooms["alpha"], "from a script")["ok"]


def test_rate_limit_refuses_in_the_ack_and_spares_other_users(
    chat_client, rooms, app, db, monkeypatch
):
    # The "1,000 sends in ten seconds"; a one-minute window keeps the test exact
    # on a slow machine too.
    monkeypatch.setitem(app.config, "CHAT_SEND_RATE", "20 per minute")
    spammer, other = chat_client("member"), chat_client("lead")
    results = [spammer.send(rooms["alpha"], f"spam {i}") for i in range(1000)]
    ok = [r for r in results if r["ok"]]
    refused = [r for r in results if not r["ok"]]
    assert len(ok) == 20 and len(refused) == 980
    assert {r["error"]["code"] for r in refused} == {"rate_limited"}
    assert spammer.connected
    assert other.send(rooms["alpha"], "still fine")["ok"]
    assert _count(db) == 21


def test_script_in_a_message_renders_inert(chat_client, rooms):
    html = chat_client("member").send(
        rooms["alpha"],
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
    )["message"]["body_html"]
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html


def test_mentions_render_and_notify(chat_client, rooms, world, db):
    from cop.notifications.models import Notification

    ack = chat_client("member").send(
        rooms["alpha"],
        f"@**{world['lead'].name}** and @**{world['other_member'].name}** "
        "and @**Nobody Here**, please look",
    )
    html = ack["message"]["body_html"]
    assert f'<span class="cop-mention">@{world["lead"].name}</span>' in html
    # not in the room: no mention, no notification
    assert f"<strong>{world['other_member'].name}</strong>" in html
    notes = db.session.execute(sa.select(Notification)).scalars().all()
    assert [(n.user_id, n.kind) for n in notes] == [(world["lead"].id, "mention")]
    assert notes[0].url.endswith(f"/chat/rooms/{rooms['alpha'].id}#message-1")


# --- typing, presence, read -------------------------------------------------------------


def test_typing_goes_to_others_in_the_room_throttled(chat_client, rooms, world):
    member, lead, outsider = chat_client("member"), chat_client("lead"), chat_client("expert")
    member.join(rooms["alpha"])
    lead.join(rooms["alpha"])
    outsider.join(rooms["lounge"])
    for c in (member, lead, outsider):
        c.clear()
    first = member.ack("typing", {"room_id": rooms["alpha"].id})
    second = member.ack("typing", {"room_id": rooms["alpha"].id})
    assert first == {"ok": True, "throttled": False} and second["throttled"] is True
    assert lead.got("typing") == [
        {
            "room_id": rooms["alpha"].id,
            "user": {"id": world["member"].id, "name": world["member"].name},
        }
    ]
    assert member.got("typing") == [] and outsider.got("typing") == []
    _refused(outsider.ack("typing", {"room_id": rooms["alpha"].id}), "not_found")


def test_presence_joined_and_left(chat_client, rooms, world):
    member, lead = chat_client("member"), chat_client("lead")
    member.join(rooms["alpha"])
    member.clear()
    lead.join(rooms["alpha"])
    assert member.got("presence") == [
        {
            "room_id": rooms["alpha"].id,
            "left": [],
            "joined": [{"id": world["lead"].id, "name": world["lead"].name}],
        }
    ]
    member.clear()
    assert lead.ack("leave", {"room_id": rooms["alpha"].id})["ok"]
    assert member.got("presence") == [
        {"room_id": rooms["alpha"].id, "joined": [], "left": [world["lead"].id]}
    ]
    ack = member.ack("presence", {"room_id": rooms["alpha"].id})
    assert [u["id"] for u in ack["users"]] == [world["member"].id]


def test_leaving_stops_delivery(chat_client, rooms):
    member, lead = chat_client("member"), chat_client("lead")
    member.join(rooms["alpha"])
    member.ack("leave", {"room_id": rooms["alpha"].id})
    member.clear()
    lead.send(rooms["alpha"], "after you left")
    assert member.got("message") == []


def test_read_position_and_other_tabs(chat_client, rooms, world):
    lead = chat_client("lead")
    tab1, tab2 = chat_client("member"), chat_client("member")
    for i in range(4):
        lead.send(rooms["alpha"], f"m{i}")
    tab2.clear()
    ack = tab1.ack("read", {"room_id": rooms["alpha"].id, "seq": 3})
    assert ack == {"ok": True, "room_id": rooms["alpha"].id, "last_read_seq": 3, "unread": 1}
    assert tab2.got("read") == [{"room_id": rooms["alpha"].id, "last_read_seq": 3, "unread": 1}]
    # never backwards, never past the end
    assert tab1.ack("read", {"room_id": rooms["alpha"].id, "seq": 1})["last_read_seq"] == 3
    assert tab1.ack("read", {"room_id": rooms["alpha"].id, "seq": 99})["last_read_seq"] == 4
    _refused(tab1.ack("read", {"room_id": rooms["alpha"].id, "seq": "x"}), "invalid")


def test_sending_marks_the_senders_own_message_read(chat_client, rooms):
    member = chat_client("member")
    member.send(rooms["alpha"], "mine")
    assert member.join(rooms["alpha"])["last_read_seq"] == 1


# --- edit, delete, moderation ----------------------------------------------------------


def test_edit_own_message(chat_client, rooms):
    member, lead = chat_client("member"), chat_client("lead")
    lead.join(rooms["alpha"])
    sent = member.send(rooms["alpha"], "typo hre")["message"]
    lead.clear()
    ack = member.ack("edit", {"message_id": sent["id"], "body": "typo *here*"})
    assert ack["ok"] and "<em>here</em>" in ack["message"]["body_html"]
    assert ack["message"]["edited_at"] and ack["message"]["edit_seq"] == 1
    assert ack["message"]["seq"] == sent["seq"]
    assert lead.got("message_updated") == [ack["message"]]
    _refused(lead.ack("edit", {"message_id": sent["id"], "body": "hijack"}), "forbidden")
    _refused(member.ack("edit", {"message_id": sent["id"], "body": "x" * 4001}), "body_too_long")


def test_delete_own_message_leaves_a_tombstone(chat_client, rooms, db):
    member, lead = chat_client("member"), chat_client("lead")
    lead.join(rooms["alpha"])
    sent = member.send(rooms["alpha"], "oops, wrong room")["message"]
    _refused(lead.ack("delete", {"message_id": sent["id"]}), "forbidden")
    lead.clear()
    ack = member.ack("delete", {"message_id": sent["id"]})
    assert ack["ok"] and ack["message"]["deleted"] and ack["message"]["body"] == ""
    assert lead.got("message_deleted") == [
        {"id": sent["id"], "room_id": rooms["alpha"].id, "seq": sent["seq"], "edit_seq": 1}
    ]
    db.session.expire_all()
    stored = db.session.get(ChatMessage, sent["id"])
    assert stored.body == "" and stored.body_html == "" and stored.deleted_at
    # the author's own delete is not a moderation act
    assert (
        db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "chat.message.delete")
        ).first()
        is None
    )


def test_coach_moderates_their_coalition_room_and_it_is_audited(chat_client, rooms, world, db):
    member, coach = chat_client("member"), chat_client("coach")
    sent = member.send(rooms["alpha"], "off-topic")["message"]
    ack = coach.ack("delete", {"message_id": sent["id"]})
    assert ack["ok"]
    entry = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "chat.message.delete")
    ).scalar_one()
    assert entry.actor_id == world["coach"].id
    assert entry.details["author_id"] == world["member"].id


def test_coach_does_not_moderate_other_rooms(chat_client, rooms):
    expert, coach = chat_client("expert"), chat_client("coach")
    sent = expert.send(rooms["lounge"], "hello lounge")["message"]
    _refused(coach.ack("delete", {"message_id": sent["id"]}), "forbidden")
    _refused(
        coach.ack(
            "mute", {"room_id": rooms["lounge"].id, "user_id": sent["author"]["id"], "minutes": 5}
        ),
        "forbidden",
    )
    assert chat_client("admin").ack("delete", {"message_id": sent["id"]})["ok"]


def test_mute_then_refused_then_unmute(chat_client, rooms, world, db):
    member, coach = chat_client("member"), chat_client("coach")
    ack = coach.ack(
        "mute",
        {
            "room_id": rooms["alpha"].id,
            "user_id": world["member"].id,
            "minutes": 10,
            "reason": "cool down",
        },
    )
    assert ack["ok"] and ack["until"]
    assert member.got("muted")[0]["room_id"] == rooms["alpha"].id
    _refused(member.send(rooms["alpha"], "but"), "muted")
    assert member.send(rooms["lounge"], "elsewhere is fine")["ok"]
    assert member.join(rooms["alpha"])["can_post"] is False
    actions = db.session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert "chat.user.mute" in actions
    assert coach.ack("unmute", {"room_id": rooms["alpha"].id, "user_id": world["member"].id})["ok"]
    assert member.send(rooms["alpha"], "thanks")["ok"]
    assert "chat.user.unmute" in db.session.execute(sa.select(AuditEvent.action)).scalars().all()


@pytest.mark.parametrize(
    "payload,code",
    [
        ({"user_id": "x", "minutes": 5}, "not_found"),
        ({"minutes": 5}, "not_found"),
        ({"user_id": "member", "minutes": 0}, "invalid"),
        ({"user_id": "member", "minutes": "5"}, "invalid"),
        ({"user_id": "member", "minutes": 10**6}, "invalid"),
        ({"user_id": "other_member", "minutes": 5}, "not_found"),  # not in the room
        ({"user_id": "admin", "minutes": 5}, "forbidden"),  # moderators cannot be muted
    ],
)
def test_bad_mutes(chat_client, rooms, world, db, payload, code):
    coach = chat_client("coach")
    payload = {"room_id": rooms["alpha"].id, **payload}
    if payload.get("user_id") in world:
        payload["user_id"] = world[payload["user_id"]].id
    _refused(coach.ack("mute", payload), code)
    assert db.session.execute(sa.select(ChatMute)).first() is None


def test_member_cannot_mute(chat_client, rooms, world):
    _refused(
        chat_client("member").ack(
            "mute", {"room_id": rooms["alpha"].id, "user_id": world["lead"].id, "minutes": 5}
        ),
        "forbidden",
    )
