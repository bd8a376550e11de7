"""Live counts over Socket.IO: after the commit, to the recipient's room only."""

from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest

from cop.core.models import utcnow
from cop.extensions import db, socketio
from cop.notifications import jobs, services
from tests.notifications.helpers import mention


@pytest.fixture
def socket_for(app, client_for):
    """socket_for(user) -> a Socket.IO test client authenticated by the user's login cookie."""
    sockets = []

    def _make(user):
        # A fresh context per connection, as in production (Flask-Login caches the user in g).
        sock = contextvars.Context().run(
            socketio.test_client, app, flask_test_client=client_for(user)
        )
        assert sock.is_connected()
        sockets.append(sock)
        return sock

    yield _make
    for sock in sockets:
        if sock.is_connected():
            sock.disconnect()


def _counts(sock) -> list[int]:
    return [
        e["args"][0]["unread"] for e in sock.get_received() if e["name"] == "notifications:count"
    ]


def test_the_recipient_and_only_the_recipient_gets_the_new_count(app, world, socket_for):
    member_sock = socket_for(world["member"])
    lead_sock = socket_for(world["lead"])
    mention(world["member"], world["coach"])
    mention(world["member"], world["lead"])
    assert _counts(member_sock) == [1, 2]
    assert _counts(lead_sock) == []


def test_reading_pushes_the_lower_count(app, world, socket_for):
    member = world["member"]
    first = mention(member, world["coach"])
    mention(member, world["coach"])
    sock = socket_for(member)
    services.mark_read(member, [first.id])
    services.mark_all_read(member)
    assert _counts(sock) == [1, 0]


def test_nothing_is_pushed_before_the_commit_or_after_a_rollback(app, world, socket_for):
    member = world["member"]
    sock = socket_for(member)
    services.notify(
        member,
        "mention",
        actor=world["coach"],
        subject_type="post",
        subject_id=1,
        url="/x",
        text="Hi",
    )
    db.session.flush()
    assert _counts(sock) == []
    db.session.rollback()
    db.session.commit()
    assert _counts(sock) == []


def test_one_push_per_user_for_a_notification_to_many(app, world, socket_for):
    member, lead, coach = world["member"], world["lead"], world["coach"]
    socks = {u.id: socket_for(u) for u in (member, lead)}
    services.notify_many(
        [member, lead],
        "followed_post",
        actor=coach,
        subject_type="post",
        subject_id=9,
        url="/forums/threads/3",
        text="New post",
    )
    db.session.commit()
    assert _counts(socks[member.id]) == [1] and _counts(socks[lead.id]) == [1]


def test_anonymous_sockets_are_refused(app):
    sock = socketio.test_client(app)
    assert not sock.is_connected()


def test_a_scheduled_reminder_released_by_the_job_runner_is_pushed(
    app, world, socket_for, smtp_server
):
    member = world["member"]
    now = utcnow()
    services.schedule(
        member,
        "event_reminder",
        at=now + timedelta(hours=1),
        key=f"event:5:reminder:user:{member.id}",
        subject_type="event",
        subject_id=5,
        url="/events/5",
        text="“Apprenticeship 101” starts in an hour",
    )
    db.session.commit()
    sock = socket_for(member)
    assert jobs.run_once(app, now + timedelta(minutes=59))["reminders"] == 0
    result = jobs.run_once(app, now + timedelta(hours=1))
    assert result["reminders"] == 1 and result["sent"] == 1
    assert _counts(sock) == [1]
    assert "starts in an hour" in smtp_server.messages[0]["Subject"]
