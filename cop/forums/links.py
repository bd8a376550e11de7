"""Paths to forum pages, inside a request or not (services, CLI, seeding)."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for

POSTS_PER_PAGE = 50


def path(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    return adapter.build(endpoint, values, force_external=False)


def post_path(post_id: int) -> str:
    """A permanent link to a post: it redirects to the page that shows it."""
    return path("forums.post_link", post_id=post_id)


def thread_page_after(number: int) -> int:
    """The `after` of the page on which post `number` is shown (0: the first page)."""
    return 0 if number <= POSTS_PER_PAGE else number - 1


def post_in_thread_path(thread_id: int, number: int) -> str:
    after = thread_page_after(number)
    base = (
        path("forums.thread", thread_id=thread_id, after=after)
        if after
        else path("forums.thread", thread_id=thread_id)
    )
    return f"{base}#post-{number}"
