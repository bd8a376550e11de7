"""A thread page of 50 posts runs a bounded number of SQL statements whatever the thread's
length; list pages do not grow with the number of threads (counters are on the rows)."""

from __future__ import annotations

import pytest

from cop.extensions import db
from cop.forums import services
from tests.forums.helpers import bulk_thread, fresh, post_number, start

MAX_THREAD_PAGE_QUERIES = 8


def _thread_with_answer(world, posts: int, slug: str = "general"):
    thread = bulk_thread(world["member"], slug, posts, title=f"Thread of {posts}")
    services.accept_answer(world["member"], thread, post_number(thread, posts - 5))
    reactor = world["other_member"] if slug == "general" else world["lead"]
    for n in (2, 3, posts - 1):
        services.react(reactor, post_number(thread, n), "helpful")
        services.react(world["coach"], post_number(thread, n), "thanks")
    fresh()
    return thread


def _statements(count_queries, client, url):
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count, counter.statements


@pytest.mark.parametrize(
    "who, slug",
    [
        ("member", "general"),
        ("coach", "general"),
        ("admin", "general"),
        ("member", "coalition-alpha"),
        ("coach", "coalition-alpha"),
    ],
)
def test_thread_page_query_count_is_bounded_and_flat(
    login_as, world, forums, count_queries, who, slug
):
    short, long = _thread_with_answer(world, 60, slug), _thread_with_answer(world, 600, slug)
    client = login_as(who)
    counts = {}
    for size, thread in ((60, short), (600, long)):
        for url in (f"/forums/t/{thread.id}", f"/forums/t/{thread.id}?after=50"):
            first, statements = _statements(count_queries, client, url)  # marks as read
            again, _ = _statements(count_queries, client, url)
            assert first <= MAX_THREAD_PAGE_QUERIES, "\n\n".join(statements)
            assert again <= first
            counts[(size, url.endswith("50"))] = (first, again)
    assert counts[(60, False)] == counts[(600, False)]
    assert counts[(60, True)] == counts[(600, True)]


def test_the_page_shows_fifty_posts_and_the_accepted_answer(login_as, world, forums):
    thread = _thread_with_answer(world, 600)
    page = login_as("member").get(f"/forums/t/{thread.id}").get_data(as_text=True)
    assert page.count('<article class="cop-post') == 50
    assert "Accepted answer, by" in page and "Post 595 about" in page


@pytest.mark.parametrize("path", ["/forums/latest", "/forums/c/general", "/forums/"])
def test_list_pages_do_not_grow_with_threads(login_as, world, forums, count_queries, path):
    client = login_as("member")
    for i in range(3):
        start(world["other_member"], "general", title=f"Thread number {i}", tags=["a", "b"])
    few, _ = _statements(count_queries, client, path)
    for i in range(3, 35):
        thread = start(world["other_member"], "general", title=f"Thread number {i}", tags=["c"])
        services.reply(world["lead"], thread, body="Reply")
    many, statements = _statements(count_queries, client, path)
    assert many == few, "\n\n".join(statements)
    assert many <= 6


def test_search_is_a_bounded_number_of_queries(login_as, world, forums, count_queries):
    client = login_as("member")
    for i in range(30):
        start(world["other_member"], "general", title=f"Apprenticeship sponsors {i}")
    count, statements = _statements(count_queries, client, "/forums/search?q=sponsors")
    assert count <= 6, "\n\n".join(statements)
    db.session.rollback()
