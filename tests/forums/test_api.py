"""The forum JSON API with bearer tokens: listing, cursors, writing, errors, search, and
the OpenAPI document."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.extensions import db
from cop.forums import services
from cop.forums.models import Post, Reaction, Thread
from tests.forums.helpers import bulk_thread, fresh, mention, post_number, start

API = "/api/v1/forums"


def count(model) -> int:
    fresh()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_the_api_needs_a_token_and_no_guests(app, api_as, forums):
    assert app.test_client().get(f"{API}/categories").status_code == 401
    response = api_as("guest").get(f"{API}/categories")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_categories_are_those_one_may_read(api_as, forums):
    slugs = [c["slug"] for c in api_as("member").get(f"{API}/categories").get_json()]
    assert "coalition-alpha" in slugs and "coalition-beta" not in slugs
    assert "staff-room" not in slugs and slugs.index("renewable-energy") < slugs.index("general")
    assert "staff-room" in [c["slug"] for c in api_as("coach").get(f"{API}/categories").get_json()]


def test_thread_lists_page_with_cursors(api_as, world, forums):
    for i in range(23):
        start(
            world["other_member"],
            "general",
            title=f"Thread number {i:02}",
            tags=["even"] if i % 2 == 0 else [],
            kind="question" if i < 3 else "discussion",
        )
    start(world["member"], "coalition-alpha", title="Private one")
    client, seen, cursor = api_as("member"), [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = client.get(f"{API}/threads", query_string=params).get_json()
        seen += [t["title"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 24 == len(set(seen)) and seen[0] == "Private one"
    other = [
        t["title"]
        for t in api_as("other_member").get(f"{API}/threads?limit=100").get_json()["items"]
    ]
    assert "Private one" not in other and len(other) == 23
    assert len(client.get(f"{API}/threads?tag=even&limit=100").get_json()["items"]) == 12
    assert len(client.get(f"{API}/threads?kind=question").get_json()["items"]) == 3
    author = world["member"].id
    assert [
        t["title"] for t in client.get(f"{API}/threads?author={author}").get_json()["items"]
    ] == ["Private one"]
    assert client.get(f"{API}/threads?category=coalition-beta").status_code == 404
    assert client.get(f"{API}/threads?category=nope").status_code == 404
    assert client.get(f"{API}/threads?limit=1000").status_code == 422
    assert client.get(f"{API}/threads?cursor=%%%").status_code == 200


def test_create_a_thread_and_reply(api_as, world, forums):
    member, other = api_as("member"), api_as("other_member")
    response = member.post(
        f"{API}/threads",
        json={
            "category": "employer-engagement",
            "title": "Utilities as sponsors",
            "body": "How did you **convince** them?",
            "kind": "question",
            "tags": ["Utilities"],
        },
    )
    assert response.status_code == 201, response.get_json()
    thread = response.get_json()
    assert thread["tags"] == ["utilities"] and thread["kind"] == "question"
    assert "<strong>convince</strong>" in thread["posts"][0]["body_html"]
    response = other.post(
        f"{API}/threads/{thread['id']}/posts",
        json={"body": f"An intermediary sponsor, {mention(world['member'])}"},
    )
    assert response.status_code == 201
    reply = response.get_json()
    assert reply["number"] == 2 and "/people/" in reply["body_html"]
    detail = member.get(f"{API}/threads/{thread['id']}").get_json()
    assert [p["number"] for p in detail["posts"]] == [1, 2] and detail["reply_count"] == 1


@pytest.mark.parametrize(
    "payload, status, field",
    [
        ({"body": ""}, 400, "body"),
        ({"body": "x" * 100_000}, 400, "body"),
        ({"title": "abc"}, 400, "title"),
        ({"title": None}, 422, None),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, 400, "tags"),
        ({"kind": "poll"}, 422, None),
        ({"category": "nope"}, 404, None),
        ({"category": "coalition-beta"}, 404, None),
        ({"category": "staff-room"}, 404, None),
    ],
)
def test_bad_threads_are_refused_and_nothing_is_saved(api_as, forums, payload, status, field):
    body = {"category": "general", "title": "A fine title", "body": "Fine", **payload}
    response = api_as("member").post(f"{API}/threads", json=body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["message"]
    if field:
        assert field in error["details"]
    assert count(Thread) == 0 and count(Post) == 0


def test_a_non_json_body_is_refused(api_as, forums):
    response = api_as("member").post(
        f"{API}/threads", data="category=general", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


def test_posts_page_with_a_cursor(api_as, world, forums):
    thread = bulk_thread(world["member"], "general", 120)
    client, numbers, cursor = api_as("other_member"), [], None
    while True:
        body = client.get(
            f"{API}/threads/{thread.id}", query_string={"cursor": cursor} if cursor else {}
        ).get_json()
        numbers += [p["number"] for p in body["posts"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert numbers == list(range(1, 121))


def test_edit_react_accept(api_as, world, forums):
    thread = start(world["member"], "general", kind="question", body="Question?")
    reply = services.reply(world["other_member"], thread, body="Answer")
    member, other = api_as("member"), api_as("other_member")
    response = other.patch(f"{API}/posts/{reply.id}", json={"body": "Better answer"})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    assert member.patch(f"{API}/posts/{reply.id}", json={"body": "Mine now"}).status_code == 403
    opening = post_number(thread, 1)
    response = member.patch(
        f"{API}/posts/{opening.id}", json={"body": "Question, clearer?", "title": "Clearer title"}
    )
    assert response.status_code == 200
    assert member.get(f"{API}/threads/{thread.id}").get_json()["title"] == "Clearer title"

    response = member.put(f"{API}/posts/{reply.id}/reactions/helpful")
    assert response.status_code == 200
    helpful = [r for r in response.get_json()["reactions"] if r["kind"] == "helpful"][0]
    assert helpful == {"kind": "helpful", "label": "Helpful", "count": 1, "mine": True}
    assert member.put(f"{API}/posts/{reply.id}/reactions/angry").status_code == 404
    assert other.put(f"{API}/posts/{reply.id}/reactions/thanks").status_code == 403
    assert member.delete(f"{API}/posts/{reply.id}/reactions/helpful").status_code == 200
    assert count(Reaction) == 0

    assert (
        other.put(
            f"{API}/threads/{thread.id}/accepted-answer", json={"post_id": reply.id}
        ).status_code
        == 403
    )
    response = member.put(f"{API}/threads/{thread.id}/accepted-answer", json={"post_id": reply.id})
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted_post_id"] == reply.id and body["accepted_post"]["id"] == reply.id
    assert (
        member.delete(f"{API}/threads/{thread.id}/accepted-answer").get_json()["accepted_post_id"]
        is None
    )


def test_locked_and_private_threads(api_as, world, forums):
    thread = start(world["member"], "general")
    services.set_locked(world["admin"], thread, True)
    response = api_as("other_member").post(f"{API}/threads/{thread.id}/posts", json={"body": "Hi"})
    assert response.status_code == 403 and "locked" in response.get_json()["error"]["message"]
    private = start(world["member"], "coalition-alpha")
    for who in ("other_member", "expert", "other_coach"):
        client = api_as(who)
        assert client.get(f"{API}/threads/{private.id}").status_code == 404
        assert (
            client.post(f"{API}/threads/{private.id}/posts", json={"body": "Hi"}).status_code == 404
        )
        assert client.get(f"{API}/posts/{post_number(private, 1).id}").status_code == 404
    assert count(Post) == 2


def test_deleting_through_the_api(api_as, world, forums):
    thread = start(world["member"], "general")
    reply = services.reply(world["other_member"], thread, body="Oops")
    assert api_as("member").delete(f"{API}/posts/{reply.id}").status_code == 403
    assert api_as("other_member").delete(f"{API}/posts/{reply.id}").status_code == 204
    body = api_as("member").get(f"{API}/posts/{reply.id}").get_json()
    assert body["deleted"] and body["body"] is None and body["body_html"] is None


def test_search_through_the_api(api_as, world, forums):
    start(world["member"], "coalition-alpha", title="Alpha secret sponsors", body="sponsors")
    start(world["member"], "general", title="Public sponsors", body="sponsors <b>x</b>")
    mine = api_as("member").get(f"{API}/search?q=sponsors").get_json()["items"]
    assert {r["thread_title"] for r in mine} == {"Alpha secret sponsors", "Public sponsors"}
    theirs = api_as("other_member").get(f"{API}/search?q=sponsors").get_json()["items"]
    assert [r["thread_title"] for r in theirs] == ["Public sponsors"]
    assert "<mark>sponsors</mark>" in theirs[0]["snippet_html"]
    assert "<b>" not in theirs[0]["snippet_html"] and theirs[0]["url"].startswith("/forums/p/")
    for q in ['"', "*", "OR", "'; DROP TABLE users; --", "%_"]:
        assert api_as("member").get(f"{API}/search", query_string={"q": q}).status_code == 200
    assert api_as("member").get(f"{API}/search").status_code == 422
    assert api_as("member").get(f"{API}/search?q=x&from=yesterday").status_code == 422


def test_mention_candidates(api_as, world, forums):
    thread = start(world["member"], "coalition-alpha")
    body = api_as("member").get(f"{API}/mentions?q=Person&thread={thread.id}").get_json()
    by_id = {p["id"]: p for p in body}
    assert by_id[world["lead"].id]["can_see"] is True
    assert by_id[world["other_member"].id]["can_see"] is False
    assert world["guest"].id not in by_id and world["deactivated"].id not in by_id
    assert by_id[world["lead"].id]["handle"].endswith(f"-{world['lead'].id}")
    assert (
        api_as("other_member").get(f"{API}/mentions?q=Person&thread={thread.id}").status_code == 404
    )


def test_session_cookie_writes_need_the_csrf_header(login_as, world, forums):
    import re

    thread = start(world["member"], "general")
    reply = services.reply(world["other_member"], thread, body="Answer")
    client = login_as("member")
    assert client.put(f"{API}/posts/{reply.id}/reactions/helpful").status_code == 400
    page = client.get(f"/forums/t/{thread.id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.put(
        f"{API}/posts/{reply.id}/reactions/helpful", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200 and count(Reaction) == 1


def test_the_openapi_document_lists_the_forum_endpoints(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/forums/categories": {"get"},
        "/api/v1/forums/threads": {"get", "post"},
        "/api/v1/forums/threads/{thread_id}": {"get"},
        "/api/v1/forums/threads/{thread_id}/posts": {"post"},
        "/api/v1/forums/posts/{post_id}": {"get", "patch", "delete"},
        "/api/v1/forums/posts/{post_id}/reactions/{kind}": {"put", "delete"},
        "/api/v1/forums/threads/{thread_id}/accepted-answer": {"put", "delete"},
        "/api/v1/forums/search": {"get"},
        "/api/v1/forums/mentions": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    assert "ForumThreadDetail" in spec["components"]["schemas"]
