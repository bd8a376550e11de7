"""Real server processes (`cop serve`, gevent) and python-socketio clients over WebSocket:
two processes sharing rooms through Redis, catch-up after missing 50 messages, a Redis
restart mid-conversation, the handshake Origin check, logout within a second."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.chat import servers
from tests.chat.servers import Client, catch_up, connect, http_json, merged
from tests.conftest import fresh_database_url

pytestmark = pytest.mark.xdist_group("chat-servers")
SHARED_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two `cop serve` processes on one database and the shared Redis (own channel)."""
    servers.need(servers.redis_ok(SHARED_REDIS), f"Redis not reachable at {SHARED_REDIS}")
    instance = tmp_path_factory.mktemp("chat-pair")
    with fresh_database_url(tmp_path_factory) as database_url:
        env = servers.base_env(instance, database_url, SHARED_REDIS, servers.new_channel())
        data = servers.setup_database(env)
        a, b = servers.start_servers(env, instance)
        try:
            yield a, b, data
        finally:
            a.stop()
            b.stop()


@pytest.fixture
def clients():
    made: list[Client] = []

    def _track(client: Client) -> Client:
        made.append(client)
        return client

    yield _track
    # websocket-client waits up to 3 s for each close handshake: close them all at once.
    closers = [threading.Thread(target=client.close) for client in made]
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join(10)


def _send(client: Client, room_id: int, body: str) -> dict:
    ack = client.call("send", {"room_id": room_id, "body": body, "client_id": uuid.uuid4().hex})
    assert ack["ok"], ack
    return ack["message"]


def test_two_processes_share_a_room_through_redis(pair, clients):
    a, b, data = pair
    users, room = data["users"], data["room"]
    alice = clients(connect(a, "alice", token=users["alice"]["token"]))
    bob = clients(connect(b, "bob", token=users["bob"]["token"]))
    outsider = clients(connect(b, "outsider", token=users["outsider"]["token"]))
    assert alice.call("join", {"room_id": room})["ok"]
    assert bob.call("join", {"room_id": room})["ok"]
    assert outsider.call("join", {"room_id": room})["error"]["code"] == "not_found"
    assert outsider.call("join", {"room_id": data["lounge"]})["ok"]

    sent = _send(alice, room, "Hello from process A")
    assert bob.wait_for(lambda c: any(m["id"] == sent["id"] for m in c.messages))
    reply = _send(bob, room, "And hello back from process B")
    assert alice.wait_for(lambda c: any(m["id"] == reply["id"] for m in c.messages))
    time.sleep(0.3)
    assert outsider.messages == []
    assert [m["seq"] for m in merged(alice.messages)] == [sent["seq"], reply["seq"]]


def test_reconnect_after_missing_50_shows_each_once_in_order(pair, clients):
    a, b, data = pair
    users, room = data["users"], data["room"]
    alice = clients(connect(a, "alice", token=users["alice"]["token"]))
    carol = clients(connect(b, "carol", token=users["carol"]["token"]))
    alice.call("join", {"room_id": room})
    carol.call("join", {"room_id": room})
    first = _send(alice, room, "before the laptop sleeps")
    assert carol.wait_for(lambda c: any(m["id"] == first["id"] for m in c.messages))
    seen_before = list(carol.messages)
    last_seen = max(m["seq"] for m in seen_before)
    carol.close()

    missed = [_send(alice, room, f"missed {i}") for i in range(50)]

    back = clients(connect(a, "carol again", token=users["carol"]["token"]))
    ack = back.call("join", {"room_id": room})
    assert ack["last_seq"] == missed[-1]["seq"]
    live_after = _send(alice, room, "after reconnecting")  # arrives live, maybe mid catch-up
    fetched = catch_up(a, users["carol"]["token"], room, last_seen)
    assert back.wait_for(lambda c: any(m["id"] == live_after["id"] for m in c.messages))
    view = merged(seen_before, fetched, back.messages)
    ids = [m["id"] for m in view]
    assert len(ids) == len(set(ids))
    seqs = [m["seq"] for m in view]
    assert seqs == list(range(seqs[0], seqs[-1] + 1))  # in order, no gaps
    assert {m["id"] for m in missed} <= set(ids) and live_after["id"] in ids
    assert [m["body"] for m in view if m["body"].startswith("missed")] == [
        f"missed {i}" for i in range(50)
    ]


def test_resending_the_same_client_id_stores_one_message(pair, clients):
    a, b, data = pair
    users, room = data["users"], data["room"]
    alice_a = clients(connect(a, "alice", token=users["alice"]["token"]))
    alice_b = clients(connect(b, "alice 2", token=users["alice"]["token"]))
    payload = {"room_id": room, "body": "sent twice", "client_id": f"dup-{uuid.uuid4().hex}"}
    first, second = alice_a.call("send", payload), alice_b.call("send", payload)
    assert first["message"] == second["message"] and second["duplicate"] is True
    _, page = http_json(
        a,
        f"/api/v1/rooms/{room}/messages?after_seq={first['message']['seq'] - 1}",
        users["alice"]["token"],
    )
    assert [m["body"] for m in page["messages"]].count("sent twice") == 1


def test_foreign_origin_is_refused_at_the_handshake(pair):
    a, _, _ = pair
    path = "/socket.io/?EIO=4&transport=polling"

    def handshake(origin: str) -> int:
        request = urllib.request.Request(a.url + path, headers={"Origin": origin})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            with exc:  # it holds the response's socket
                return exc.code

    assert handshake("https://evil.example") == 400
    assert handshake(a.url) == 200


def test_a_frame_over_the_limit_closes_only_that_connection(pair, clients):
    a, _, data = pair
    users, room = data["users"], data["room"]
    bob = clients(connect(a, "bob", token=users["bob"]["token"]))
    bob.call("join", {"room_id": room})
    alice = clients(connect(a, "alice", token=users["alice"]["token"]))
    _, before = http_json(a, "/api/v1/rooms", users["alice"]["token"])
    alice.sio.emit(
        "send", {"room_id": room, "body": "x" * 1_000_000, "client_id": "huge"}, namespace="/chat"
    )
    assert alice.disconnected.wait(10)
    _, after = http_json(a, "/api/v1/rooms", users["alice"]["token"])
    last = {r["id"]: r["last_seq"] for r in before}
    assert {r["id"]: r["last_seq"] for r in after} == last  # nothing stored
    assert bob.sio.connected
    assert _send(bob, room, "still here")["body"] == "still here"


def _page(opener, url: str, form: dict | None = None) -> str:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with opener.open(url, data=data, timeout=10) as response:
        return response.read().decode()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _login(server, email: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = _csrf(_page(opener, server.url + "/login"))
    _page(
        opener,
        server.url + "/login",
        {"email": email, "password": servers.PASSWORD, "csrf_token": token},
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "cop_session=" in cookie
    return opener, cookie


def test_logging_out_disconnects_the_socket_within_a_second(pair, clients):
    a, b, data = pair
    opener, cookie = _login(a, data["users"]["bob"]["email"])
    bob = clients(connect(b, "bob", headers={"Cookie": cookie}))  # the other process
    assert bob.call("join", {"room_id": data["room"]})["ok"]
    _page(opener, a.url + "/logout", {"csrf_token": _csrf(_page(opener, a.url + "/"))})
    logged_out = time.monotonic()
    assert bob.disconnected.wait(5), "still connected after logging out"
    assert bob.disconnected_at - logged_out < 1.0
    assert ("session_ended", {"reason": "session_ended"}) in bob.events


@pytest.mark.skipif(not servers.ThrowawayRedis.available(), reason="redis-server not installed")
def test_a_redis_restart_mid_conversation_loses_no_stored_message(tmp_path_factory, clients):
    """Never the shared Redis: a throwaway redis-server of this test, stopped and restarted."""
    instance = tmp_path_factory.mktemp("chat-redis-restart")
    redis_server = servers.ThrowawayRedis(instance)
    redis_server.start()
    started: list = []
    try:
        with fresh_database_url(tmp_path_factory) as database_url:
            env = servers.base_env(instance, database_url, redis_server.url, servers.new_channel())
            data = servers.setup_database(env)
            started = servers.start_servers(env, instance)
            a, b = started
            users, room = data["users"], data["room"]
            alice = clients(connect(a, "alice", token=users["alice"]["token"]))
            bob = clients(connect(b, "bob", token=users["bob"]["token"]))
            alice.call("join", {"room_id": room})
            bob.call("join", {"room_id": room})

            before = [_send(alice, room, f"before {i}") for i in range(5)]
            assert bob.wait_for(lambda c: len(c.messages) == 5)
            redis_server.stop()
            during = [_send(alice, room, f"during {i}") for i in range(5)]  # acked = stored
            redis_server.start()
            after = [_send(alice, room, f"after {i}") for i in range(5)]
            # Delivery may be delayed or lost while Redis was away; storage never is.
            stored = catch_up(b, users["bob"]["token"], room, 0)
            assert [m["id"] for m in stored] == [m["id"] for m in before + during + after]
            view = merged(bob.messages, stored)
            assert [m["body"] for m in view] == [m["body"] for m in before + during + after]
            # And live delivery comes back once python-socketio reconnects to Redis.
            deadline = time.monotonic() + 20
            latest = None
            while time.monotonic() < deadline:
                latest = _send(alice, room, "are we live again?")
                if bob.wait_for(
                    lambda c, i=latest["id"]: any(m["id"] == i for m in c.messages), timeout=1.0
                ):
                    break
            assert any(m["id"] == latest["id"] for m in bob.messages), b.tail()
    finally:
        for server in started:
            server.stop()
        redis_server.stop()
