"""Test helpers for the forums: make content through the services, or in bulk."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cop.core.models import utcnow
from cop.extensions import db
from cop.forums import services
from cop.forums.markdown import handle_for
from cop.forums.models import Category, Post, Thread


def fresh() -> None:
    """End the test's transaction so the next read sees what requests committed."""
    db.session.rollback()
    db.session.expire_all()


def text(response) -> str:
    return response.get_data(as_text=True)


def category(slug: str) -> Category:
    return db.session.execute(sa.select(Category).where(Category.slug == slug)).scalar_one()


def thread_by_id(thread_id: int) -> Thread:
    fresh()
    return db.session.get(Thread, thread_id)


def start(
    user, slug: str, title: str = "How did you recruit?", body: str = "Tell us.", **kwargs
) -> Thread:
    return services.create_thread(user, category(slug), title=title, body=body, **kwargs)


def mention(user) -> str:
    return f"@{handle_for(user)}"


def bulk_thread(author, slug: str, posts: int, title: str = "A long thread") -> Thread:
    """A thread of `posts` posts written straight to the tables (fast), counters kept."""
    cat = category(slug)
    now = utcnow() - timedelta(days=1)
    thread = Thread(
        category_id=cat.id,
        author_id=author.id,
        title=title,
        kind="question",
        created_at=now,
        last_post_at=now,
        last_poster_id=author.id,
        last_post_number=posts,
        reply_count=posts - 1,
    )
    db.session.add(thread)
    db.session.flush()
    rows = [
        {
            "thread_id": thread.id,
            "number": n,
            "author_id": author.id,
            "body": f"Post {n} about apprenticeship sponsors",
            "body_html": f"<p>Post {n} about apprenticeship sponsors</p>",
            "search_text": f"Post {n} about apprenticeship sponsors",
            "created_at": now + timedelta(seconds=n),
            "version": 1,
        }
        for n in range(1, posts + 1)
    ]
    db.session.execute(sa.insert(Post), rows)
    thread.last_post_at = now + timedelta(seconds=posts)
    cat.thread_count = Category.thread_count + 1
    cat.post_count = Category.post_count + posts
    db.session.commit()
    return thread


def post_number(thread: Thread, number: int) -> Post:
    return db.session.execute(
        sa.select(Post).where(Post.thread_id == thread.id, Post.number == number)
    ).scalar_one()
