"""Every page bounds its SQL: the pages whose own feature tests do not count statements
(see `grep -rn count_queries tests/`) are counted here, with a little data and again after
`cop generate` added users, memberships, threads, posts, events and registrations. The
count must not grow with the data (no N+1) and must stay under the page's bound."""

from __future__ import annotations

import contextvars

import sqlalchemy as sa
from flask.testing import FlaskClient

from cop.accounts.models import User
from cop.extensions import db
from cop.forums import services as forums
from cop.forums.models import Category, Post
from cop.generate import generate
from tests.conftest import login
from tests.events.conftest import make_event, register

# (who, url template, most statements allowed)
PAGES = [
    ("admin", "/admin/users", 5),
    ("admin", "/admin/audit", 5),
    ("admin", "/invitations", 5),
    ("member", "/people/{member}", 9),
    ("member", "/chat/", 11),
    ("admin", "/forums/moderation", 5),
    ("member", "/forums/p/{post}/revisions", 9),
    ("admin", "/notifications/outbox", 6),
    ("member", "/events/{event}", 12),
    ("admin", "/events/{event}/registrations", 10),
    ("coach", "/coaching/people/{member}/action-items", 8),
    ("member", "/accessibility", 4),
]


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production: nothing cached between."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def _client(app, user):
    client = IsolatedClient(app, app.response_class, use_cookies=True)
    login(client, user)
    return client


def _counts(clients, ids, count_queries) -> dict[str, tuple[int, list[str]]]:
    out = {}
    for who, template, _ in PAGES:
        url = template.format(**ids)
        clients[who].get(url)  # warm: first-visit writes (read marks, session touch)
        with count_queries() as q:
            response = clients[who].get(url)
        assert response.status_code == 200, (url, response.status_code)
        out[template] = (q.count, q.statements)
    return out


def test_pages_without_a_feature_count_are_bounded_and_flat(app, world, count_queries):
    small = dict(posts=6, threads=3, users=6, events=3, long_thread=2, seed=1)
    generate(**small, echo=lambda line: None)
    general = db.session.execute(
        sa.select(Category).where(Category.kind == "community").order_by(Category.id).limit(1)
    ).scalar_one()
    thread = forums.create_thread(
        world["member"], general, title="Counting queries", body="First version."
    )
    post = thread_post = db.session.execute(
        sa.select(Post).where(Post.thread_id == thread.id)
    ).scalar_one()
    forums.edit_post(world["member"], thread_post, body="Second version.")
    event = make_event(world["admin"])
    ids = {"member": world["member"].id, "post": post.id, "event": event.id}
    clients = {who: _client(app, world[who]) for who in ("admin", "member", "coach")}
    few = _counts(clients, ids, count_queries)

    generate(
        posts=300, threads=12, users=40, events=15, long_thread=60, seed=2, echo=lambda line: None
    )
    generated = (
        db.session.execute(
            sa.select(User).where(User.email.like("%@generated.%"), User.role == "member").limit(12)
        )
        .scalars()
        .all()
    )
    for user in generated:
        register(user, event)
    forums.edit_post(world["member"], thread_post, body="Third version.")
    db.session.commit()
    many = _counts(clients, ids, count_queries)

    for _, template, bound in PAGES:
        count, statements = many[template]
        assert count <= bound, f"{template}: {count} statements\n\n" + "\n\n".join(statements)
        assert count <= few[template][0], (
            f"{template} grew from {few[template][0]} to {count}\n\n" + "\n\n".join(statements)
        )


def test_last_page_of_a_long_generated_thread_costs_what_the_first_does(app, world, count_queries):
    """Keyset pagination: the last page of a 300-reply thread runs no more statements than
    its first (and no OFFSET)."""
    generate(posts=400, threads=4, users=20, events=0, long_thread=300, echo=lambda line: None)
    thread_id, last = db.session.execute(
        sa.text(
            "SELECT id, last_post_number FROM forum_threads ORDER BY last_post_number DESC LIMIT 1"
        )
    ).one()
    db.session.commit()
    client = _client(app, world["member"])
    first = f"/forums/t/{thread_id}"
    client.get(first)
    with count_queries() as q_first:
        assert client.get(first).status_code == 200
    url = f"/forums/t/{thread_id}?after={last - 50}"
    client.get(url)
    with count_queries() as q:
        assert client.get(url).status_code == 200
    assert q.count <= q_first.count <= 8, "\n\n".join(q.statements)
    assert not any("OFFSET" in s.upper() for s in q.statements), q.statements
