"""HTTP catch-up and send: /api/v1/rooms..., with bearer tokens and with the session cookie."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.chat.models import ChatMessage
from tests.conftest import csrf_token


@pytest.fixture
def bearer(api_token):
    def _headers(who) -> dict:
        return {"Authorization": f"Bearer {api_token(who)}"}

    return _headers


def _post(client, url, body, headers):
    return client.post(url, json=body, headers=headers)


def test_rooms_lists_mine_with_unread_counts(client, rooms, bearer, chat_client):
    lead = chat_client("lead")
    for i in range(3):
        lead.send(rooms["alpha"], f"m{i}")
    response = client.get("/api/v1/rooms", headers=bearer("member"))
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json}
    assert rooms["alpha"].id in by_id and rooms["beta"].id not in by_id
    assert rooms["lounge"].id in by_id and rooms["broadband"].id in by_id
    alpha = by_id[rooms["alpha"].id]
    assert (alpha["last_seq"], alpha["last_read_seq"], alpha["unread"]) == (3, 0, 3)
    assert alpha["url"] == f"/chat/rooms/{rooms['alpha'].id}"


@pytest.mark.parametrize(
    "who,expected",
    [
        ("admin", {"lounge", "alpha", "beta", "broadband"}),
        ("coach", {"lounge", "alpha", "broadband"}),
        ("other_coach", {"lounge", "broadband"}),
        ("expert", {"lounge", "broadband"}),
        ("guest", set()),
    ],
)
def test_rooms_by_role(client, rooms, bearer, who, expected):
    ids = {r["id"] for r in client.get("/api/v1/rooms", headers=bearer(who)).json}
    assert {k for k in ("lounge", "alpha", "beta", "broadband") if rooms[k].id in ids} == expected


def test_rooms_needs_login(client, rooms):
    assert client.get("/api/v1/rooms").status_code == 401


def test_catch_up_after_seq_ascending_with_limit(client, rooms, bearer, chat_client):
    lead = chat_client("lead")
    for i in range(12):
        lead.send(rooms["alpha"], f"m{i}")
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    page = client.get(f"{url}?after_seq=4&limit=5", headers=bearer("member")).json
    assert [m["seq"] for m in page["messages"]] == [5, 6, 7, 8, 9] and page["has_more"]
    assert page["room"]["last_seq"] == 12
    rest = client.get(f"{url}?after_seq=9", headers=bearer("member")).json
    assert [m["seq"] for m in rest["messages"]] == [10, 11, 12] and not rest["has_more"]
    before = client.get(f"{url}?before_seq=5&limit=3", headers=bearer("member")).json
    assert [m["seq"] for m in before["messages"]] == [2, 3, 4] and before["has_more"]


def test_page_size_is_capped_at_500(client, rooms, bearer):
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    assert client.get(f"{url}?limit=500", headers=bearer("member")).status_code == 200
    response = client.get(f"{url}?limit=501", headers=bearer("member"))
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid"


def test_edits_and_deletes_catch_up_with_edited_after(client, rooms, bearer, chat_client):
    lead = chat_client("lead")
    first = lead.send(rooms["alpha"], "one")["message"]
    second = lead.send(rooms["alpha"], "two")["message"]
    lead.ack("edit", {"message_id": first["id"], "body": "one (edited)"})
    lead.ack("delete", {"message_id": second["id"]})
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    page = client.get(f"{url}?edited_after=0", headers=bearer("member")).json
    assert [(m["id"], m["edit_seq"], m["deleted"]) for m in page["messages"]] == [
        (first["id"], 1, False),
        (second["id"], 2, True),
    ]
    assert page["room"]["last_edit_seq"] == 2
    # tombstones keep the seq line without gaps, and show nothing
    after = client.get(f"{url}?after_seq=0", headers=bearer("member")).json["messages"]
    assert [m["seq"] for m in after] == [1, 2]
    assert after[1]["body"] == "" and after[1]["body_html"] == "" and after[1]["deleted"]


def test_history_of_a_room_one_is_not_in_is_404(client, rooms, bearer):
    for path in (f"/api/v1/rooms/{rooms['alpha'].id}/messages", "/api/v1/rooms/999999/messages"):
        response = client.get(path, headers=bearer("other_member"))
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_post_is_idempotent_by_client_id(client, rooms, bearer, db, chat_client):
    watcher = chat_client("lead")
    watcher.join(rooms["alpha"])
    watcher.clear()
    headers = bearer("member")
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    first = _post(client, url, {"body": "over HTTP", "client_id": "http-1"}, headers)
    again = _post(client, url, {"body": "over HTTP", "client_id": "http-1"}, headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json == again.json and first.json["seq"] == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(ChatMessage)).scalar_one() == 1
    assert watcher.got("message") == [first.json]  # broadcast once, after the commit


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"body": "hi"}, 422, "invalid"),  # no client_id
        ({"client_id": "c"}, 422, "invalid"),
        ({"body": 5, "client_id": "c"}, 422, "invalid"),
        ({"body": {"html": "<b>"}, "client_id": "c"}, 422, "invalid"),
        ({"body": "hi", "client_id": "c", "seq": 1}, 422, "invalid"),
        ({"body": "hi", "client_id": "c", "author": {"id": 1}}, 422, "invalid"),
        ({"body": "x" * 4001, "client_id": "c"}, 400, "body_too_long"),
        ({"body": "x" * 1_000_000, "client_id": "c"}, 400, "body_too_long"),
        ({"body": "", "client_id": "c"}, 400, "body_empty"),
        ({"body": "hi", "client_id": "white space"}, 400, "invalid"),
    ],
)
def test_bad_posts_store_nothing(client, rooms, bearer, db, body, status, code):
    response = _post(client, f"/api/v1/rooms/{rooms['alpha'].id}/messages", body, bearer("member"))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert db.session.execute(sa.select(sa.func.count()).select_from(ChatMessage)).scalar_one() == 0


def test_post_to_a_room_one_is_not_in(client, rooms, bearer, db):
    response = _post(
        client,
        f"/api/v1/rooms/{rooms['alpha'].id}/messages",
        {"body": "hi", "client_id": "c"},
        bearer("other_member"),
    )
    assert response.status_code == 404


def test_rate_limit_over_http(client, rooms, bearer, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_SEND_RATE", "3 per 10 seconds")
    headers = bearer("member")
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    codes = [
        _post(client, url, {"body": "x", "client_id": f"r{i}"}, headers).status_code
        for i in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]


def test_cookie_session_post_needs_the_csrf_header(login_as, rooms):
    client = login_as("member")
    url = f"/api/v1/rooms/{rooms['alpha'].id}/messages"
    assert client.post(url, json={"body": "x", "client_id": "c1"}).status_code == 400
    token = csrf_token(client, "/chat/")
    response = client.post(
        url, json={"body": "x", "client_id": "c1"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def test_mark_read(client, rooms, bearer, chat_client):
    chat_client("lead").send(rooms["alpha"], "hi")
    response = _post(
        client, f"/api/v1/rooms/{rooms['alpha'].id}/read", {"seq": 1}, bearer("member")
    )
    assert response.json == {"room_id": rooms["alpha"].id, "last_read_seq": 1, "unread": 0}
    assert (
        _post(
            client, f"/api/v1/rooms/{rooms['alpha'].id}/read", {"seq": "1"}, bearer("member")
        ).status_code
        == 422
    )


def test_edit_and_delete_over_http(client, rooms, bearer, chat_client):
    sent = chat_client("member").send(rooms["alpha"], "draft")["message"]
    url = f"/api/v1/messages/{sent['id']}"
    assert client.patch(url, json={"body": "other's"}, headers=bearer("lead")).status_code == 403
    edited = client.patch(url, json={"body": "final"}, headers=bearer("member"))
    assert edited.status_code == 200 and edited.json["body"] == "final"
    assert client.delete(url, headers=bearer("other_member")).status_code == 404
    assert client.delete(url, headers=bearer("coach")).json["deleted"] is True


def test_mute_over_http(client, rooms, bearer, world):
    url = f"/api/v1/rooms/{rooms['alpha'].id}/mutes"
    body = {"user_id": world["member"].id, "minutes": 5}
    assert _post(client, url, body, bearer("lead")).status_code == 403
    assert _post(client, url, body, bearer("coach")).status_code == 201
    assert client.delete(f"{url}/{world['member'].id}", headers=bearer("coach")).status_code == 204


def test_direct_messages(client, rooms, bearer, world, chat_client):
    lead = chat_client("lead")
    response = _post(client, "/api/v1/dms", {"user_ids": [world["lead"].id]}, bearer("member"))
    assert response.status_code == 200
    room = response.json
    assert room["kind"] == "dm" and room["name"] == world["lead"].name
    assert lead.got("room_added") == [
        {"id": room["id"], "kind": "dm", "name": world["member"].name}
    ]
    again = _post(
        client,
        "/api/v1/dms",
        {"user_ids": [world["lead"].id, world["member"].id]},
        bearer("member"),
    )
    assert again.json["id"] == room["id"]
    # outsiders cannot read it; admins neither (private to its members)
    for who in ("coach", "admin"):
        path = f"/api/v1/rooms/{room['id']}/messages"
        assert client.get(path, headers=bearer(who)).status_code == 404
    # guests cannot be messaged
    refused = _post(client, "/api/v1/dms", {"user_ids": [world["guest"].id]}, bearer("member"))
    assert refused.status_code == 404


def test_direct_message_notifies(client, rooms, bearer, world, db, chat_client):
    from cop.notifications.models import Notification

    room = _post(client, "/api/v1/dms", {"user_ids": [world["lead"].id]}, bearer("member")).json
    _post(
        client,
        f"/api/v1/rooms/{room['id']}/messages",
        {"body": "got a minute?", "client_id": "dm1"},
        bearer("member"),
    )
    notes = db.session.execute(sa.select(Notification)).scalars().all()
    assert [(n.user_id, n.kind) for n in notes] == [(world["lead"].id, "direct_message")]


def test_openapi_documents_the_chat_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/rooms",
        "/api/v1/rooms/{room_id}/messages",
        "/api/v1/rooms/{room_id}/read",
    ):
        assert path in paths
