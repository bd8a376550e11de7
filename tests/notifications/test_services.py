"""The service features call: notify, notify_many, follow/mute, schedule, kinds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications import jobs, services
from cop.notifications.kinds import KINDS, Delivery, register_kind
from cop.notifications.models import Notification, OutboundEmail, ScheduledNotification


def _count(model, *where):
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def _notify(recipient, actor, **kw):
    values = {"subject_type": "post", "subject_id": 1, "url": "/forums/threads/1", "text": "Hello"}
    values.update(kw)
    return services.notify(recipient, values.pop("kind", "reply"), actor=actor, **values)


def test_no_notification_for_your_own_act_or_an_inactive_account(app, world):
    assert _notify(world["member"], world["member"]) is None
    assert _notify(world["deactivated"], world["coach"]) is None
    assert _notify(world["member"], None) is not None  # the system may notify anyone
    db.session.commit()
    assert _count(Notification) == 1


def test_notify_does_not_commit(app, world):
    _notify(world["member"], world["coach"])
    db.session.rollback()
    assert _count(Notification) == 0 and _count(OutboundEmail) == 0


def test_an_email_kind_queues_exactly_one_email_in_the_same_transaction(app, world):
    _notify(world["member"], world["coach"], kind="reply")
    _notify(world["member"], world["coach"], kind="followed_post")
    db.session.commit()
    assert _count(Notification) == 2
    [email] = db.session.execute(sa.select(OutboundEmail)).scalars().all()
    assert email.kind == "reply" and email.to_address == world["member"].email


def test_unknown_kinds_are_a_programming_error(app, world):
    with pytest.raises(KeyError, match="register it first"):
        _notify(world["member"], world["coach"], kind="no-such-kind")


def test_text_is_one_line_and_bounded(app, world):
    n = _notify(world["member"], world["coach"], text="a\nb\r\n  c" + "x" * 600)
    assert n.text.startswith("a b c") and len(n.text) == 500


def test_notify_many_skips_duplicates_and_people_already_notified(app, world):
    member, lead, coach, expert = world["member"], world["lead"], world["coach"], world["expert"]
    created = services.notify_many(
        [member, lead, member, coach, expert],
        "followed_post",
        actor=coach,
        subject_type="post",
        subject_id=3,
        url="/forums/threads/3",
        text="New post",
        context=[("thread", 3)],
        skip_user_ids=[lead.id],
    )
    db.session.commit()
    assert sorted(n.user_id for n in created) == sorted([member.id, expert.id])


def test_notify_many_reads_do_not_grow_with_recipients(app, world, count_queries):
    from tests import factories

    people = [factories.make_user("expert") for _ in range(12)]
    services.set_subscription(people[0], "thread", 3, services.MUTE)
    services.update_preferences(people[1], people[1], deliveries={"followed_post": "email"})

    def run(n):
        from cop.accounts.models import User

        ids = [p.id for p in people[:n]]
        recipients = db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars().all()
        actor = db.session.get(User, world["coach"].id)
        with count_queries() as q:
            created = services.notify_many(
                recipients,
                "followed_post",
                actor=actor,
                subject_type="post",
                subject_id=3,
                url="/forums/threads/3",
                text="New post",
                context=[("thread", 3)],
            )
            db.session.flush()
        assert len(created) == n - 1  # people[0] muted the thread
        db.session.rollback()
        # Reads stay constant; the inserts are one per row at most (batched on PostgreSQL).
        return len([s for s in q.statements if s.lstrip().upper().startswith("SELECT")])

    few, many = run(3), run(12)
    assert few == many == 2, (few, many)


def test_follow_mute_and_back_to_default(app, world):
    member, lead = world["member"], world["lead"]
    services.set_subscription(member, "thread", 5, services.FOLLOW)
    services.set_subscription(lead, "thread", 5, services.MUTE)
    assert [u.id for u in services.followers("thread", 5)] == [member.id]
    assert services.is_muted(lead, [("thread", 5), ("category", 1)])
    assert not services.is_muted(member, [("thread", 5)])
    services.set_subscription(lead, "thread", 5, services.FOLLOW)
    assert sorted(u.id for u in services.followers("thread", 5)) == sorted([member.id, lead.id])
    services.set_subscription(member, "thread", 5, None)
    assert services.subscription_level(member, "thread", 5) is None
    with pytest.raises(ValueError):
        services.set_subscription(member, "thread", 5, "shout")


def test_preferences_default_then_chosen_then_default_again(app, world):
    member = world["member"]
    assert services.delivery_for(member, "mention") == Delivery.EMAIL
    services.update_preferences(member, member, deliveries={"mention": "weekly"})
    assert services.delivery_for(member, "mention") == Delivery.WEEKLY
    services.update_preferences(member, member, deliveries={"mention": "email"})
    # Back to the default: no row kept, so a later change of the default reaches them.
    from cop.notifications.models import NotificationPreference

    assert _count(NotificationPreference) == 0


def test_only_you_change_your_preferences(app, world):
    from cop.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.update_preferences(world["admin"], world["member"], deliveries={"mention": "off"})


@pytest.fixture
def new_kind():
    """A feature registering its own kind, as events or coaching would."""
    saved = dict(KINDS)
    kind = register_kind(
        "library_resource", "A new resource in a collection you follow", Delivery.DAILY, "Library"
    )
    yield kind
    KINDS.clear()
    KINDS.update(saved)


def test_a_new_feature_adds_a_kind_without_touching_the_others(
    app, world, new_kind, client_for, token_for
):
    member = world["member"]
    assert services.delivery_for(member, "library_resource") == Delivery.DAILY
    html = client_for(member).get("/notifications/preferences").get_data(as_text=True)
    assert "A new resource in a collection you follow" in html and ">Library<" in html
    prefs = (
        app.test_client()
        .get("/api/v1/me/preferences", headers={"Authorization": f"Bearer {token_for(member)}"})
        .get_json()
    )
    assert {
        "key": "library_resource",
        "label": new_kind.label,
        "group": "Library",
        "default": "daily",
        "delivery": "daily",
    } in prefs["kinds"]
    # A kind whose default is a digest makes everyone a digest candidate.
    from tests.notifications.conftest import at

    n = _notify(member, world["coach"], kind="library_resource")
    n.created_at = at("2026-03-02 12:00", member.timezone)
    db.session.commit()
    assert jobs.run_once(app, at("2026-03-03 09:00", member.timezone))["digests"] == 1


def test_register_kind_twice_differently_is_refused(new_kind):
    assert register_kind("library_resource", new_kind.label, Delivery.DAILY, "Library") == new_kind
    with pytest.raises(ValueError):
        register_kind("library_resource", "Something else")


def test_schedule_moves_cancels_and_expires(app, world, smtp_server):
    member = world["member"]
    now = utcnow()
    values = {
        "subject_type": "event",
        "subject_id": 5,
        "url": "/events/5",
        "text": "Your event starts in an hour",
    }
    services.schedule(
        member, "event_reminder", at=now + timedelta(hours=1), key="event:5:reminder:1", **values
    )
    # The event moved: the same key, a new time.
    services.schedule(
        member, "event_reminder", at=now + timedelta(hours=3), key="event:5:reminder:1", **values
    )
    services.schedule(
        world["lead"],
        "event_reminder",
        at=now + timedelta(hours=3),
        key="event:5:reminder:2",
        **values,
    )
    services.schedule(
        world["coach"],
        "event_reminder",
        at=now + timedelta(hours=3),
        key="event:6:reminder:1",
        expires_at=now + timedelta(hours=4),
        **values,
    )
    db.session.commit()
    assert _count(ScheduledNotification) == 3
    assert jobs.run_once(app, now + timedelta(hours=2))["reminders"] == 0
    assert services.cancel_scheduled(key="event:5:reminder:2") == 1
    db.session.commit()
    # The runner was down past the reminder's useful life: event 6's is expired, not sent.
    result = jobs.run_once(app, now + timedelta(hours=5))
    assert result["reminders"] == 1
    db.session.expire_all()
    statuses = dict(
        db.session.execute(sa.select(ScheduledNotification.key, ScheduledNotification.status)).all()
    )
    assert statuses == {
        "event:5:reminder:1": "done",
        "event:5:reminder:2": "cancelled",
        "event:6:reminder:1": "expired",
    }
    assert [n.user_id for n in db.session.execute(sa.select(Notification)).scalars()] == [member.id]
    assert len(smtp_server.messages) == 1  # event reminders: email by default


def test_cancel_by_prefix(app, world):
    now = utcnow()
    for i, user in enumerate((world["member"], world["lead"])):
        services.schedule(
            user,
            "action_item",
            at=now + timedelta(days=2),
            key=f"action_item:9:due:{i}",
            subject_type="action_item",
            subject_id=9,
            url="/coaching/items/9",
            text="Due Friday",
        )
    db.session.commit()
    assert services.cancel_scheduled(prefix="action_item:9:") == 2
    with pytest.raises(ValueError):
        services.cancel_scheduled()


def test_scheduled_reminders_respect_mutes_at_release(app, world):
    member = world["member"]
    now = utcnow()
    services.schedule(
        member,
        "event_reminder",
        at=now,
        key="event:7:r",
        subject_type="event",
        subject_id=7,
        url="/events/7",
        text="Soon",
        context=[("event", 7)],
    )
    db.session.commit()
    services.set_subscription(member, "event", 7, services.MUTE)
    assert jobs.run_once(app, now + timedelta(seconds=1))["reminders"] == 0
    assert _count(Notification) == 0
