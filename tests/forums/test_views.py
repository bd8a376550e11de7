"""Forum pages through HTTP: reading, posting with CSRF-protected forms, errors that save
nothing, unread tracking, moderation and category administration."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cop.extensions import db
from cop.forums import services
from cop.forums.models import Flag, Post, Reaction, Thread
from tests.conftest import post_form
from tests.forums.helpers import category, fresh, mention, post_number, start, text


def form(client, url, data, **kwargs):
    return post_form(client, url, data, token_from="/forums/", **kwargs)


def count(model, *where) -> int:
    fresh()
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


# ---------------------------------------------------------------- who gets in


def test_guests_and_anonymous_visitors_see_no_forum(login_as, forums):
    assert login_as("guest").get("/forums/").status_code == 404
    assert login_as("guest").get("/forums/search?q=x").status_code == 404
    response = login_as("anonymous").get("/forums/latest")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Forums" not in text(login_as("guest").get("/"))
    assert 'href="/forums/"' in text(login_as("member").get("/"))


def test_the_index_lists_what_each_role_may_read(login_as, forums):
    member = text(login_as("member").get("/forums/"))
    assert "Renewable energy" in member and "Alpha Coalition (demo)" in member
    assert "Beta Coalition (demo)" not in member and "Staff room" not in member
    coach = text(login_as("coach").get("/forums/"))
    assert "Alpha Coalition (demo)" in coach and "Staff room" in coach
    assert "Beta Coalition (demo)" not in coach
    admin = text(login_as("admin").get("/forums/"))
    assert "Beta Coalition (demo)" in admin and "Manage categories" in admin
    expert = text(login_as("expert").get("/forums/"))
    assert "Coalition spaces" not in expert and "Performance reporting" in expert


# ---------------------------------------------------------------- posting


def test_post_a_thread_and_a_reply_through_the_forms(login_as, world, forums):
    member = login_as("member")
    response = form(
        member,
        "/forums/new",
        {
            "category": "recruitment-and-outreach",
            "title": "Reaching women in rural counties",
            "kind": "question",
            "body": "What **worked** for you?",
            "tags": "women-in-trades",
        },
    )
    assert response.status_code == 303
    thread_url = response.headers["Location"]
    page = text(member.get(thread_url))
    assert "Reaching women in rural counties" in page and "<strong>worked</strong>" in page
    assert "#women-in-trades" in page and "Question" in page

    other = login_as("other_member")
    response = form(
        other, thread_url + "/reply", {"body": f"Evening sessions, {mention(world['member'])}"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("#post-2")
    page = text(other.get(thread_url))
    assert 'id="post-2"' in page and "@Member Person" in page
    fresh()
    thread = db.session.execute(sa.select(Thread)).scalar_one()
    assert thread.reply_count == 1 and thread.kind == "question"


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({"body": ""}, 400, "Write something before posting."),
        ({"body": "x" * 100_000}, 400, "The post is too long"),
        ({"title": "", "body": "x"}, 400, "Give the thread a title."),
        ({"category": "no-such-category"}, 400, "Not a valid choice"),
        ({"category": "coalition-beta"}, 400, "Not a valid choice"),
        ({"category": "staff-room"}, 400, "Not a valid choice"),
        ({"tags": "a,b,c,d,e,f"}, 400, "at most 5 tags"),
    ],
)
def test_bad_new_threads_save_nothing(login_as, forums, data, status, message):
    payload = {
        "category": "general",
        "title": "A fine title",
        "kind": "discussion",
        "body": "Fine",
        **data,
    }
    response = form(login_as("member"), "/forums/new", payload)
    assert response.status_code == status
    assert message in text(response)
    assert count(Thread) == 0 and count(Post) == 0


def test_a_form_without_csrf_is_refused(login_as, forums):
    response = login_as("member").post(
        "/forums/new",
        data={"category": "general", "title": "A fine title", "kind": "discussion", "body": "x"},
    )
    assert response.status_code == 400
    assert count(Thread) == 0


def test_replying_errors(login_as, world, forums):
    thread = start(world["member"], "general")
    other = login_as("other_member")
    assert form(other, f"/forums/t/{thread.id}/reply", {"body": " "}).status_code == 400
    services.set_locked(world["coach"], thread, True)
    response = form(other, f"/forums/t/{thread.id}/reply", {"body": "Hello"})
    assert response.status_code == 403 and "locked" in text(response)
    assert other.get(f"/forums/t/{thread.id}/reply").status_code == 403
    private = start(world["member"], "coalition-alpha")
    assert form(other, f"/forums/t/{private.id}/reply", {"body": "Hi"}).status_code == 404
    assert form(other, "/forums/t/999999/reply", {"body": "Hi"}).status_code == 404
    assert count(Post) == 2


def test_quote_reply_without_javascript(login_as, world, forums):
    thread = start(world["member"], "general", body="Evening info sessions\nwith child care")
    page = text(
        login_as("other_member").get(
            f"/forums/t/{thread.id}/reply?quote={post_number(thread, 1).id}"
        )
    )
    assert "&gt; Evening info sessions\n&gt; with child care" in page
    assert "[wrote](/forums/p/" in page


def test_edit_and_revision_history(login_as, world, forums):
    thread = start(world["member"], "general", title="Original title", body="Original body")
    opening = post_number(thread, 1)
    member = login_as("member")
    assert "Original body" in text(member.get(f"/forums/p/{opening.id}/edit"))
    response = form(
        member,
        f"/forums/p/{opening.id}/edit",
        {"title": "Better title", "body": "Better body", "tags": "x"},
    )
    assert response.status_code == 303
    page = text(login_as("other_member").get(f"/forums/t/{thread.id}"))
    assert "Better body" in page and "edited" in page and "see the revision history" in page
    history = text(login_as("other_member").get(f"/forums/p/{opening.id}/revisions"))
    assert "Version 2 (current)" in history and "Original body" in history
    assert "Original title" in history


def test_editing_or_deleting_someone_elses_post_is_forbidden(login_as, world, forums):
    thread = start(world["member"], "general", body="Mine")
    post_id = post_number(thread, 1).id
    other = login_as("other_member")
    assert other.get(f"/forums/p/{post_id}/edit").status_code == 403
    assert form(other, f"/forums/p/{post_id}/edit", {"body": "Theirs"}).status_code == 403
    assert form(other, f"/forums/p/{post_id}/delete", {}).status_code == 403
    fresh()
    assert post_number(thread, 1).body == "Mine" and thread.deleted_at is None


def test_delete_with_confirmation(login_as, world, forums):
    thread = start(world["member"], "general")
    reply = services.reply(world["other_member"], thread, body="Oops")
    other = login_as("other_member")
    assert "Delete post 2?" in text(other.get(f"/forums/p/{reply.id}/delete"))
    response = form(other, f"/forums/p/{reply.id}/delete", {})
    assert response.status_code == 303
    assert "This post was deleted." in text(other.get(f"/forums/t/{thread.id}"))


def test_reactions_accept_and_follow_buttons(login_as, world, forums):
    thread = start(world["member"], "general", kind="question")
    reply = services.reply(world["other_member"], thread, body="Answer")
    member = login_as("member")
    assert (
        form(member, f"/forums/p/{reply.id}/react", {"reaction": "helpful:on"}).status_code == 303
    )
    assert count(Reaction) == 1
    page = text(member.get(f"/forums/t/{thread.id}"))
    assert re.search(r'aria-pressed="true"\s+data-kind="helpful"', page)
    form(member, f"/forums/p/{reply.id}/react", {"reaction": "helpful:off"})
    assert count(Reaction) == 0
    assert form(member, f"/forums/p/{reply.id}/react", {"reaction": "evil:on"}).status_code == 400
    assert form(member, f"/forums/p/{reply.id}/accept", {"value": "on"}).status_code == 303
    page = text(login_as("expert").get(f"/forums/t/{thread.id}"))
    assert "Accepted answer, by" in page and "Answered" in page
    assert (
        form(member, f"/forums/t/{thread.id}/subscription", {"value": "follow"}).status_code == 303
    )
    assert "<strong>following</strong>" in text(member.get(f"/forums/t/{thread.id}"))


def test_unread_tracking_and_jump_to_first_unread(login_as, world, forums):
    thread = start(world["other_member"], "general", title="Sponsors and stipends")
    member = login_as("member")
    assert "New" in text(member.get("/forums/latest"))
    member.get(f"/forums/t/{thread.id}")
    services.reply(world["other_member"], thread, body="Second")
    services.reply(world["other_member"], thread, body="Third")
    latest = text(member.get("/forums/latest"))
    assert f'href="/forums/t/{thread.id}/2"' in latest and "2 unread" in latest
    jump = member.get(f"/forums/t/{thread.id}/2")
    assert jump.headers["Location"].endswith(f"/forums/t/{thread.id}#post-2")
    page = text(member.get(f"/forums/t/{thread.id}"))
    assert f'<a href="/forums/t/{thread.id}/2">Jump to the first unread post (post 2)' in page
    assert "Jump to the first unread" not in text(member.get(f"/forums/t/{thread.id}"))
    assert "unread" not in text(member.get("/forums/latest")).split("<tbody>")[1]


def test_long_threads_page_by_post_number(login_as, world, forums):
    from tests.forums.helpers import bulk_thread

    thread = bulk_thread(world["member"], "general", 120)
    member = login_as("member")
    first = text(member.get(f"/forums/t/{thread.id}"))
    assert 'id="post-50"' in first and 'id="post-51"' not in first
    assert f"/forums/t/{thread.id}?after=50" in first
    second = text(member.get(f"/forums/t/{thread.id}?after=50"))
    assert 'id="post-51"' in second and 'id="post-100"' in second and 'id="post-1"' not in second
    assert "Earlier posts (1 to 50)" in second
    assert (
        member.get(f"/forums/t/{thread.id}/117").headers["Location"].endswith("?after=116#post-117")
    )


def test_private_threads_are_not_found_by_others(login_as, world, forums):
    thread = start(world["member"], "coalition-alpha", title="Our Q3 numbers")
    post_id = post_number(thread, 1).id
    for who in ("other_member", "expert", "other_coach", "guest"):
        client = login_as(who)
        for url in (
            f"/forums/t/{thread.id}",
            f"/forums/p/{post_id}",
            f"/forums/p/{post_id}/revisions",
            "/forums/c/coalition-alpha",
            f"/forums/t/{thread.id}/reply",
            f"/forums/p/{post_id}/flag",
        ):
            assert client.get(url).status_code == 404, (who, url)
        assert "Our Q3 numbers" not in text(client.get("/forums/latest"))
    for who in ("member", "lead", "coach", "admin"):
        assert login_as(who).get(f"/forums/t/{thread.id}").status_code == 200


def test_hostile_post_renders_inert_on_the_page(login_as, world, forums):
    body = (
        "<script>window.__pwned=1</script> [x](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> <svg onload=alert(1)>"
    )
    thread = start(world["member"], "general", body=body, title='<script>alert("t")</script>')
    page = text(login_as("other_member").get(f"/forums/t/{thread.id}"))
    main = page.split('id="main-content"')[1]
    assert "<script>" not in main.split("</main>")[0]
    assert "javascript:" not in main and "onerror=" not in main.replace("onerror=alert", "")
    assert (
        "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
        or "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in page
    )


# ---------------------------------------------------------------- moderation


def test_flag_queue_hide_and_audit(login_as, world, forums):
    thread = start(world["member"], "coalition-alpha")
    reply = services.reply(world["lead"], thread, body="Participant: Jane Doe, SSN 123")
    member = login_as("member")
    assert (
        form(
            member, f"/forums/p/{reply.id}/flag", {"reason": "private_data", "details": ""}
        ).status_code
        == 303
    )
    assert form(member, f"/forums/p/{reply.id}/flag", {"reason": "spam"}).status_code == 400
    assert login_as("member").get("/forums/moderation").status_code == 404
    queue = text(login_as("coach").get("/forums/moderation"))
    assert "Shares personal data about participants" in queue and "Jane Doe" in queue
    other_queue = text(login_as("other_coach").get("/forums/moderation"))
    assert "Jane Doe" not in other_queue
    coach = login_as("coach")
    assert (
        form(coach, f"/forums/p/{reply.id}/hide?next=queue", {"reason": "Personal data"})
        .headers["Location"]
        .endswith("/forums/moderation")
    )
    page = text(login_as("member").get(f"/forums/t/{thread.id}"))
    assert "A moderator hid this post: Personal data" in page and "SSN 123" not in page
    assert "SSN 123" in text(coach.get(f"/forums/t/{thread.id}"))  # moderators can check
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    audit = text(login_as("admin").get("/admin/audit"))
    assert "forum.post_hide" in audit and "Personal data" in audit


def test_pin_lock_move_merge_through_the_pages(login_as, world, forums):
    thread = start(world["member"], "general", title="Welcome thread")
    other = start(world["member"], "general", title="Duplicate welcome")
    coach = login_as("coach")
    assert form(coach, f"/forums/t/{thread.id}/pin", {"value": "on"}).status_code == 303
    assert form(coach, f"/forums/t/{thread.id}/lock", {"value": "on"}).status_code == 303
    page = text(login_as("member").get("/forums/c/general"))
    assert page.index("Welcome thread") < page.index("Duplicate welcome") and "Pinned" in page
    assert "Move" in text(coach.get(f"/forums/t/{thread.id}/move"))
    assert form(coach, f"/forums/t/{thread.id}/move", {"category": "broadband"}).status_code == 303
    assert form(coach, f"/forums/t/{other.id}/merge", {"target": other.id}).status_code == 400
    assert form(coach, f"/forums/t/{other.id}/merge", {"target": thread.id}).status_code == 303
    response = login_as("member").get(f"/forums/t/{other.id}")
    assert response.status_code == 301 and response.headers["Location"].endswith(
        f"/forums/t/{thread.id}"
    )
    member = login_as("member")
    assert form(member, f"/forums/t/{thread.id}/pin", {"value": ""}).status_code == 403
    fresh()
    assert category("broadband").thread_count == 1 and category("general").thread_count == 0


def test_category_admin(login_as, world, forums):
    admin = login_as("admin")
    assert "Manage categories" in text(admin.get("/forums/admin/categories"))
    assert login_as("coach").get("/forums/admin/categories").status_code == 404
    response = form(
        admin,
        "/forums/admin/categories",
        {"name": "Data tools", "section": "topic", "description": "Dashboards"},
    )
    assert response.status_code == 303
    assert (
        form(
            admin, "/forums/admin/categories", {"name": "Data tools", "section": "topic"}
        ).status_code
        == 400
    )
    assert (
        form(admin, "/forums/admin/categories/data-tools/move", {"value": "up"}).status_code == 303
    )
    assert (
        form(admin, "/forums/admin/categories/data-tools/archive", {"value": "on"}).status_code
        == 303
    )
    assert "archived" in text(login_as("member").get("/forums/c/data-tools"))
    assert (
        form(
            admin,
            "/forums/admin/categories/data-tools/edit",
            {"name": "Data and dashboards", "description": "x"},
        ).status_code
        == 303
    )
    assert category("data-tools").name == "Data and dashboards"


# ---------------------------------------------------------------- search page


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "*",
        "-",
        "%",
        "_",
        "'",
        "''",
        '"unbalanced',
        "a OR b",
        "NEAR(a b)",
        "x AND NOT y",
        "'; DROP TABLE forum_posts; --",
        "title:women",
        "^women",
        "women*",
        "(women",
        "a:b:c",
        "\\",
        "<script>alert(1)</script>",
        "%%%",
        "__",
        "-women",
        "ü" * 300,
    ],
)
def test_search_input_is_text_never_an_error(login_as, world, forums, q):
    start(world["member"], "general", title="Recruiting women", body="women in the trades")
    response = login_as("member").get("/forums/search", query_string={"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in text(response)


def test_search_page_highlights_matches(login_as, world, forums):
    start(
        world["member"],
        "general",
        title="Recruiting women",
        body="Women instructors <b>helped</b> us",
    )
    page = text(login_as("other_member").get("/forums/search?q=instructors"))
    assert "<mark>instructors</mark>" in page and "helped" in page
    # The text "<b>" is shown escaped (SQLite) or left out (PostgreSQL's ts_headline drops
    # what its parser takes for tags); never as markup.
    assert "<b>helped" not in page
    assert "<mark>" in text(login_as("other_member").get("/forums/search?q=recruiting"))
    assert "No results" in text(login_as("other_member").get("/forums/search?q=zzzqqq"))


def test_every_forum_page_renders(login_as, world, forums):
    thread = start(world["member"], "general", kind="question")
    reply = services.reply(world["other_member"], thread, body="Answer")
    services.edit_post(world["other_member"], reply, body="Better answer")
    services.flag_post(world["member"], reply, reason="off_topic")
    admin = login_as("admin")
    for url in [
        "/forums/",
        "/forums/latest",
        "/forums/latest?tag=x",
        "/forums/c/general",
        "/forums/c/coalition-alpha",
        f"/forums/t/{thread.id}",
        "/forums/new",
        "/forums/new?category=general",
        f"/forums/t/{thread.id}/reply",
        f"/forums/p/{reply.id}/edit",
        f"/forums/p/{reply.id}/revisions",
        f"/forums/p/{reply.id}/delete",
        f"/forums/p/{reply.id}/hide",
        f"/forums/t/{thread.id}/move",
        f"/forums/t/{thread.id}/merge",
        "/forums/moderation",
        "/forums/admin/categories",
        "/forums/admin/categories/general/edit",
        "/forums/search",
        "/forums/search?q=answer&sort=newest&from=2020-01-01&to=2999-01-01",
    ]:
        response = admin.get(url)
        assert response.status_code == 200, url
    assert login_as("member").get(f"/forums/p/{reply.id}/flag").status_code == 200


def test_follows_are_named_in_the_notification_settings(login_as, world, forums):
    from cop.forums.queries import describe_categories, describe_threads
    from cop.notifications.services import set_subscription

    public = start(world["other_member"], "general", title="Tool stipends compared")
    private = start(world["lead"], "coalition-alpha", title="Alpha payroll question")
    set_subscription(world["member"], "thread", public.id, "follow")
    set_subscription(world["member"], "category", category("broadband").id, "mute")
    page = text(login_as("member").get("/notifications/preferences"))
    assert "Tool stipends compared" in page and "Broadband" in page
    from flask import current_app, g

    with current_app.test_request_context():  # describers name only what the reader may open
        g._login_user = world["other_member"]
        assert describe_threads([private.id])[private.id] == ("a thread you cannot open", None)
        assert describe_categories([category("general").id])[category("general").id][0] == (
            "General"
        )
