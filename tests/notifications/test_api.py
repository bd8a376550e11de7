"""The JSON API: /api/v1/notifications, /api/v1/notifications/read, /api/v1/me/preferences."""

from __future__ import annotations

import pytest

from cop.notifications import services
from cop.notifications.kinds import Delivery
from tests.notifications.helpers import mention


@pytest.fixture
def api(app, token_for):
    """api(user) -> (method, path, **kw) -> response, with the user's bearer token."""

    def _for(user):
        headers = {"Authorization": f"Bearer {token_for(user)}"}

        def call(method, path, **kw):
            return getattr(app.test_client(), method)(path, headers=headers, **kw)

        return call

    return _for


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/notifications"),
        ("get", "/api/v1/notifications/unread-count"),
        ("post", "/api/v1/notifications/read"),
        ("get", "/api/v1/me/preferences"),
        ("put", "/api/v1/me/preferences"),
    ],
)
def test_authentication_required(client, method, path):
    kwargs = {"json": {}} if method in ("post", "put") else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["code"] == "unauthorized" and body["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = getattr(client, method)(path, headers={"Authorization": "Bearer cop_nope"}, **kwargs)
    assert bad.status_code == 401


def test_list_newest_first_with_cursor_and_unread_filter(app, world, api):
    member, coach = world["member"], world["coach"]
    items = [mention(member, coach, text=f"Mention {i}", excerpt=f"Excerpt {i}") for i in range(3)]
    services.mark_read(member, [items[0].id])
    call = api(member)
    body = call("get", "/api/v1/notifications?limit=2").get_json()
    assert [n["text"] for n in body["items"]] == ["Mention 2", "Mention 1"]
    assert body["unread_count"] == 2
    first = body["items"][0]
    assert first["actor"] == {"id": coach.id, "name": coach.name}
    assert first["url"] == "/forums/threads/7#post-42" and first["read"] is False
    assert first["kind"] == "mention" and first["excerpt"] == "Excerpt 2"
    rest = call("get", f"/api/v1/notifications?limit=2&cursor={body['next_cursor']}").get_json()
    assert [n["text"] for n in rest["items"]] == ["Mention 0"]
    assert rest["items"][0]["read"] is True and rest["next_cursor"] is None
    unread = call("get", "/api/v1/notifications?unread=true").get_json()
    assert [n["text"] for n in unread["items"]] == ["Mention 2", "Mention 1"]
    assert call("get", "/api/v1/notifications/unread-count").get_json() == {"unread_count": 2}


def test_list_is_private(app, world, api):
    mention(world["member"], world["coach"])
    body = api(world["lead"])("get", "/api/v1/notifications").get_json()
    assert body["items"] == [] and body["unread_count"] == 0


def test_list_validates_the_query(app, world, api):
    response = api(world["member"])("get", "/api/v1/notifications?limit=500")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_mark_read_some_or_all(app, world, api):
    member = world["member"]
    mine = [mention(member, world["coach"], text=f"M{i}") for i in range(3)]
    theirs = mention(world["lead"], world["coach"])
    call = api(member)
    response = call("post", "/api/v1/notifications/read", json={"ids": [mine[0].id, theirs.id]})
    assert response.status_code == 200
    assert response.get_json() == {"marked": 1, "unread_count": 2}
    assert api(world["lead"])("get", "/api/v1/notifications/unread-count").get_json() == {
        "unread_count": 1
    }
    assert call("post", "/api/v1/notifications/read", json={"all": True}).get_json() == {
        "marked": 2,
        "unread_count": 0,
    }


def test_mark_read_with_a_session_cookie_needs_the_csrf_header(app, world, client_for):
    mention(world["member"], world["coach"])
    client = client_for(world["member"])
    assert client.post("/api/v1/notifications/read", json={"all": True}).status_code == 400
    from tests.conftest import csrf_token

    token = csrf_token(client, "/notifications")
    response = client.post(
        "/api/v1/notifications/read", json={"all": True}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and response.get_json()["marked"] == 1


def test_get_and_put_preferences(app, world, api):
    member = world["member"]
    call = api(member)
    body = call("get", "/api/v1/me/preferences").get_json()
    kinds = {k["key"]: k for k in body["kinds"]}
    # The defaults: these by email right away, everything else in the app only.
    for key in ("mention", "direct_message", "reply", "event_reminder", "expert_request"):
        assert kinds[key]["delivery"] == kinds[key]["default"] == "email", key
    for key in ("followed_post", "event_changed", "waitlist_promoted", "action_item"):
        assert kinds[key]["delivery"] == "in_app", key
    assert body["digest_hour"] == 8 and body["weekly_day"] == 0
    assert body["timezone"] == member.timezone
    assert body["deliveries"] == ["off", "in_app", "email", "daily", "weekly"]

    response = call(
        "put",
        "/api/v1/me/preferences",
        json={
            "kinds": {"followed_post": "daily", "mention": "off"},
            "digest_hour": 6,
            "weekly_day": 2,
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    kinds = {k["key"]: k["delivery"] for k in body["kinds"]}
    assert kinds["followed_post"] == "daily" and kinds["mention"] == "off"
    assert kinds["reply"] == "email"  # untouched
    assert (body["digest_hour"], body["weekly_day"]) == (6, 2)
    assert services.preferences_of(member)["mention"] == Delivery.OFF


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"kinds": {"no_such_kind": "email"}}, "kinds"),
        ({"kinds": {"mention": "carrier-pigeon"}}, "kinds"),
        ({"digest_hour": 24}, "digest_hour"),
        ({"weekly_day": 7}, "weekly_day"),
    ],
)
def test_put_preferences_rejects_bad_input(app, world, api, payload, field):
    response = api(world["member"])("put", "/api/v1/me/preferences", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and field in str(error.get("details"))
    assert services.preferences_of(world["member"])["mention"] == Delivery.EMAIL


def test_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert set(paths["/api/v1/notifications"]) >= {"get"}
    assert set(paths["/api/v1/notifications/read"]) >= {"post"}
    assert set(paths["/api/v1/me/preferences"]) >= {"get", "put"}
    assert "/api/v1/notifications/unread-count" in paths
