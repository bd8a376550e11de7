"""Chat pages: who sees which room, the no-JavaScript form, direct messages, query counts."""

from __future__ import annotations

import re

import pytest

from tests.conftest import post_form


def test_nav_has_chat(login_as, rooms):
    html = login_as("member").get("/").get_data(as_text=True)
    assert 'href="/chat/"' in html and ">Chat<" in html


def test_index_lists_my_rooms(login_as, rooms):
    html = login_as("member").get("/chat/").get_data(as_text=True)
    assert "Alpha Coalition (demo)" in html and "Beta Coalition (demo)" not in html
    assert "Community lounge" in html


@pytest.mark.parametrize(
    "who,room,status",
    [
        ("member", "alpha", 200),
        ("coach", "alpha", 200),
        ("admin", "beta", 200),
        ("other_member", "alpha", 404),
        ("expert", "alpha", 404),
        ("guest", "lounge", 404),
        ("anonymous", "lounge", 302),
    ],
)
def test_room_page_access(login_as, rooms, who, room, status):
    assert login_as(who).get(f"/chat/rooms/{rooms[room].id}").status_code == status


def test_room_page_shows_history_divider_and_scripts(login_as, rooms, chat_client):
    member_socket, lead = chat_client("member"), chat_client("lead")
    lead.send(rooms["alpha"], "first")
    member_socket.ack("read", {"room_id": rooms["alpha"].id, "seq": 1})
    lead.send(rooms["alpha"], "second, **unread**")
    response = login_as("member").get(f"/chat/rooms/{rooms['alpha'].id}")
    html = response.get_data(as_text=True)
    assert html.index("first") < html.index("New messages") < html.index("<strong>unread</strong>")
    assert "socket.io-client-4.8.4/socket.io.min.js" in html and "js/chat.js" in html
    assert "css/chat.css" in html
    assert "<script>" not in html.split("</footer>")[0]  # no inline scripts
    assert 'style="' not in html
    assert 'aria-live="polite"' in html


def test_post_without_javascript(login_as, rooms, chat_client):
    watcher = chat_client("lead")
    watcher.join(rooms["alpha"])
    watcher.clear()
    client = login_as("member")
    url = f"/chat/rooms/{rooms['alpha'].id}"
    response = post_form(
        client, f"{url}/messages", {"body": "no JS here", "client_id": "nojs-1"}, token_from=url
    )
    assert response.status_code == 303 and response.location.endswith("#message-1")
    again = post_form(
        client, f"{url}/messages", {"body": "no JS here", "client_id": "nojs-1"}, token_from=url
    )
    assert again.location.endswith("#message-1")  # the same client_id: the same message
    assert [m["body"] for m in watcher.got("message")] == ["no JS here"]


def test_post_errors_show_on_the_form(login_as, rooms):
    client = login_as("member")
    url = f"/chat/rooms/{rooms['alpha'].id}"
    response = post_form(
        client, f"{url}/messages", {"body": "x" * 4001, "client_id": "long"}, token_from=url
    )
    assert response.status_code == 400
    assert "at most 4,000 characters" in response.get_data(as_text=True)


def test_delete_without_javascript(login_as, rooms, chat_client):
    sent = chat_client("member").send(rooms["alpha"], "remove me")["message"]
    client = login_as("member")
    url = f"/chat/rooms/{rooms['alpha'].id}"
    response = post_form(client, f"/chat/messages/{sent['id']}/delete", token_from=url)
    assert response.status_code == 303
    assert "Message deleted." in client.get(url).get_data(as_text=True)


def test_start_a_direct_message(login_as, rooms, world):
    client = login_as("member")
    html = client.get("/chat/direct?q=lead").get_data(as_text=True)
    assert world["lead"].name in html
    assert world["guest"].name not in client.get("/chat/direct?q=guest").get_data(as_text=True)
    response = post_form(
        client, "/chat/direct", {"user_ids": [str(world["lead"].id)]}, token_from="/chat/direct"
    )
    assert response.status_code == 303
    room_url = response.location
    assert re.search(r"/chat/rooms/\d+$", room_url)
    assert world["lead"].name in client.get(room_url).get_data(as_text=True)
    assert login_as("coach").get(room_url).status_code == 404


def test_room_page_queries_do_not_grow_with_messages(
    login_as, rooms, chat_client, db, count_queries
):
    from types import SimpleNamespace

    lead = chat_client("lead")
    client = login_as("member")
    room = SimpleNamespace(id=rooms["alpha"].id)
    url = f"/chat/rooms/{room.id}"
    lead.send(room, "one")
    db.session.remove()  # a fresh session, as each real request has
    with count_queries() as few:
        client.get(url)
    for i in range(30):
        lead.send(room, f"more {i}")
    db.session.remove()
    with count_queries() as many:
        client.get(url)
    assert many.count == few.count, many.statements
    assert many.count <= 14
