"""`cop generate`: a small data set with consistent counts, a filled search index, and
pages that render with it (the same code loads 1,000,000 posts for the benchmarks)."""

from __future__ import annotations

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coalitions.models import Coalition, Membership
from cop.events.models import Event
from cop.extensions import db
from cop.forums.models import Category, Post, Thread


def _count(model, *where) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def test_generate_builds_a_consistent_data_set_the_pages_render(app, world, login_as):
    users_before = _count(User)
    result = app.test_cli_runner().invoke(
        args=[
            "cop",
            "generate",
            "--posts",
            "700",
            "--threads",
            "25",
            "--users",
            "60",
            "--events",
            "30",
            "--long-thread",
            "200",
            "--seed",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Generated 60 users, 25 threads, 700 posts, 30 events" in result.output
    assert _count(User) == users_before + 60
    assert _count(Post) == 700 and _count(Thread) == 25 and _count(Event) == 30

    # Counters agree with the rows they count.
    for coalition in db.session.execute(sa.select(Coalition)).scalars():
        assert coalition.member_count == _count(Membership, Membership.coalition_id == coalition.id)
    assert db.session.execute(sa.select(sa.func.sum(Category.post_count))).scalar_one() == 700
    long = db.session.execute(sa.select(Thread).order_by(Thread.id).limit(1)).scalar_one()
    assert long.last_post_number == 201 and long.reply_count == 200
    numbers = (
        db.session.execute(
            sa.select(Post.number).where(Post.thread_id == long.id).order_by(Post.number)
        )
        .scalars()
        .all()
    )
    assert numbers == list(range(1, 202))
    private = db.session.execute(
        sa.select(Post.author_id, Category.coalition_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(Category.coalition_id.is_not(None))
    ).all()
    for author_id, coalition_id in private:  # private categories: their members write
        assert (
            _count(
                Membership, Membership.user_id == author_id, Membership.coalition_id == coalition_id
            )
            == 1
        )
    db.session.rollback()

    client = login_as("member")
    last_page = f"/forums/t/{long.id}?after=150"
    for url in [
        "/forums/latest",
        f"/forums/t/{long.id}",
        last_page,
        "/forums/",
        "/coalitions/",
        "/events/",
        "/events/?when=past",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(last_page).get_data(as_text=True)
    assert 0 < page.count('<article class="cop-post') <= 50
    # Asking for more threads than posts is refused before anything is written.
    refused = app.test_cli_runner().invoke(
        args=["cop", "generate", "--posts", "5", "--threads", "6"]
    )
    assert refused.exit_code != 0 and _count(Post) == 700
    # The search index was rebuilt in bulk: the long thread's title is found.
    found = client.get("/forums/search?q=long-running").get_data(as_text=True)
    assert f"/forums/t/{long.id}" in found or f"/forums/p/{_first_post(long.id)}" in found


def _first_post(thread_id: int) -> int:
    return db.session.execute(
        sa.select(Post.id).where(Post.thread_id == thread_id, Post.number == 1)
    ).scalar_one()
