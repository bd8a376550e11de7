"""Forum use cases: counters, revisions, soft delete, reactions, answers, notifications,
moderation with its audit trail, and refusals that leave nothing half saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.core.audit import AuditEvent
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.forums import services
from cop.forums.models import (
    Category,
    Flag,
    Post,
    PostRevision,
    Reaction,
    ReadState,
    Thread,
    ThreadTag,
)
from cop.notifications.models import Notification
from cop.notifications.services import set_subscription
from tests import factories
from tests.forums.helpers import category, fresh, mention, post_number, start


def count(model, *where) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def notifications_of(user) -> list[Notification]:
    fresh()
    return list(
        db.session.execute(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )


def audit(action: str) -> list[AuditEvent]:
    fresh()
    return list(
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars()
    )


# ---------------------------------------------------------------- writing


def test_a_thread_and_its_replies_keep_the_counters(world, forums):
    member, other = world["member"], world["other_member"]
    thread = start(
        member,
        "apprenticeship",
        title="Sponsors for line workers",
        tags="Utilities, pre apprenticeship, utilities",
    )
    replies = [services.reply(other, thread, body=f"Reply {i}") for i in range(3)]
    fresh()
    thread = db.session.get(Thread, thread.id)
    assert [p.number for p in replies] == [2, 3, 4]
    assert (thread.reply_count, thread.last_post_number, thread.last_poster_id) == (3, 4, other.id)
    assert thread.tags == ["pre-apprenticeship", "utilities"]
    cat = category("apprenticeship")
    assert (cat.thread_count, cat.post_count, cat.last_poster_id) == (1, 4, other.id)
    assert db.session.get(ReadState, (member.id, thread.id)).last_read_number == 1
    assert db.session.get(ReadState, (other.id, thread.id)).last_read_number == 4


@pytest.mark.parametrize(
    "body, message",
    [
        ("", "Write something"),
        ("   \n\t ", "Write something"),
        ("x" * 100_000, "too long"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_saved(world, forums, body, message):
    member = world["member"]
    with pytest.raises(ServiceError, match=message) as info:
        start(member, "general", body=body)
    assert info.value.field == "body"
    thread = start(member, "general")
    with pytest.raises(ServiceError, match=message):
        services.reply(member, thread, body=body)
    fresh()
    assert count(Thread) == 1 and count(Post) == 1
    assert category("general").post_count == 1
    assert db.session.get(Thread, thread.id).last_post_number == 1


@pytest.mark.parametrize("title", ["", "abc", "x" * 201])
def test_bad_titles_are_refused(world, forums, title):
    with pytest.raises(ServiceError) as info:
        start(world["member"], "general", title=title)
    assert info.value.field == "title"
    assert count(Thread) == 0


def test_too_many_tags_are_refused(world, forums):
    with pytest.raises(ServiceError, match="at most 5 tags"):
        start(world["member"], "general", tags=["a", "b", "c", "d", "e", "f"])
    assert count(Thread) == 0 and count(ThreadTag) == 0


@pytest.mark.parametrize(
    "who, slug",
    [
        ("other_member", "coalition-alpha"),
        ("expert", "coalition-alpha"),
        ("other_coach", "coalition-alpha"),
        ("member", "staff-room"),
        ("expert", "staff-room"),
        ("guest", "general"),
        ("deactivated", "general"),
    ],
)
def test_posting_where_one_may_not_read_is_not_found(world, forums, who, slug):
    with pytest.raises(NotFound):
        start(world[who], slug)
    assert count(Thread) == 0 and count(Post) == 0


@pytest.mark.parametrize(
    "who, slug",
    [
        ("member", "coalition-alpha"),
        ("lead", "coalition-alpha"),
        ("coach", "coalition-alpha"),
        ("admin", "coalition-alpha"),
        ("coach", "staff-room"),
        ("expert", "broadband"),
        ("other_member", "coalition-beta"),
    ],
)
def test_posting_where_one_may(world, forums, who, slug):
    assert start(world[who], slug).id


def test_a_locked_thread_takes_replies_from_moderators_only(world, forums):
    thread = start(world["member"], "general")
    services.set_locked(world["coach"], thread, True)
    with pytest.raises(PermissionDenied, match="locked"):
        services.reply(world["other_member"], thread, body="Hello")
    assert services.reply(world["coach"], thread, body="Closing note").number == 2
    with pytest.raises(PermissionDenied):
        services.edit_post(world["member"], post_number(thread, 1), body="Edit when locked")
    fresh()
    assert count(Post) == 2


def test_an_archived_category_is_read_only(world, forums):
    thread = start(world["member"], "broadband")
    services.set_category_archived(world["admin"], category("broadband"), True)
    with pytest.raises(PermissionDenied, match="archived"):
        start(world["member"], "broadband")
    with pytest.raises(PermissionDenied, match="archived"):
        services.reply(world["other_member"], thread, body="Hello")
    services.set_category_archived(world["admin"], category("broadband"), False)
    assert services.reply(world["other_member"], thread, body="Hello").number == 2


# ---------------------------------------------------------------- editing and deleting


def test_editing_keeps_every_version(world, forums):
    member = world["member"]
    thread = start(member, "general", title="First title", body="First body", tags="a")
    opening = post_number(thread, 1)
    services.edit_post(member, opening, body="Second body", title="Second title", tags="a, b")
    services.edit_post(member, opening, body="Third **body**")
    fresh()
    opening = post_number(thread, 1)
    assert opening.version == 3 and opening.is_edited and opening.edited_by_id == member.id
    assert "<strong>body</strong>" in opening.body_html
    revisions = (
        db.session.execute(
            sa.select(PostRevision)
            .where(PostRevision.post_id == opening.id)
            .order_by(PostRevision.version)
        )
        .scalars()
        .all()
    )
    assert [(r.version, r.title, r.body) for r in revisions] == [
        (1, "First title", "First body"),
        (2, "Second title", "Second body"),
    ]
    assert opening.thread.title == "Second title" and opening.thread.tags == ["a", "b"]


def test_an_unchanged_edit_is_no_revision(world, forums):
    thread = start(world["member"], "general", body="Same", tags="b, a")
    services.edit_post(world["member"], post_number(thread, 1), body="Same")
    services.edit_post(
        world["member"], post_number(thread, 1), body="Same", tags=["A", "b"], title=thread.title
    )
    assert count(PostRevision) == 0 and post_number(thread, 1).version == 1


def test_editing_someone_elses_post_is_refused(world, forums):
    thread = start(world["member"], "general", body="Mine")
    for who in ("lead", "other_member", "expert", "other_coach_in_private"):
        user = world.get(who)
        if user is None:
            continue
        with pytest.raises(PermissionDenied):
            services.edit_post(user, post_number(thread, 1), body="Not yours")
    fresh()
    assert post_number(thread, 1).body == "Mine" and count(PostRevision) == 0


def test_a_moderator_edit_is_audited(world, forums):
    thread = start(world["member"], "coalition-alpha", body="Participant SSN 123-45-6789")
    services.edit_post(world["coach"], post_number(thread, 1), body="[personal data removed]")
    assert [e.actor_id for e in audit("forum.post_edit_by_moderator")] == [world["coach"].id]
    with pytest.raises(NotFound):
        services.edit_post(world["other_coach"], post_number(thread, 1), body="x")


def test_deleting_a_reply_is_soft_and_recounts(world, forums):
    member, other = world["member"], world["other_member"]
    thread = start(member, "general")
    first = services.reply(other, thread, body="One")
    services.reply(member, thread, body="Two")
    with pytest.raises(PermissionDenied):
        services.delete_post(member, first)
    services.delete_post(other, post_number(thread, 2))
    fresh()
    thread = db.session.get(Thread, thread.id)
    deleted = post_number(thread, 2)
    assert deleted.deleted_at is not None and deleted.deleted_by_id == other.id
    assert deleted.body == "One"  # soft: kept for the audit trail
    assert (thread.reply_count, thread.last_post_number) == (1, 3)
    assert category("general").post_count == 2
    assert audit("forum.post_delete")[0].details["number"] == 2
    with pytest.raises(PermissionDenied):
        services.delete_post(other, deleted)


def test_deleting_the_opening_post_deletes_the_thread(world, forums):
    thread = start(world["member"], "general")
    services.reply(world["other_member"], thread, body="One")
    services.delete_post(world["member"], post_number(thread, 1))
    fresh()
    assert db.session.get(Thread, thread.id).deleted_at is not None
    cat = category("general")
    assert (cat.thread_count, cat.post_count) == (0, 0)


# ---------------------------------------------------------------- reactions, answers, reading


def test_reactions_toggle_and_refuse_bad_input(world, forums):
    thread = start(world["member"], "general")
    reply = services.reply(world["other_member"], thread, body="Answer")
    services.react(world["member"], reply, "helpful")
    services.react(world["member"], reply, "helpful")  # idempotent
    services.react(world["expert"], reply, "thanks")
    assert count(Reaction) == 2
    services.react(world["member"], reply, "helpful", on=False)
    assert count(Reaction) == 1
    with pytest.raises(ServiceError):
        services.react(world["member"], reply, "angry")
    with pytest.raises(PermissionDenied):
        services.react(world["other_member"], reply, "helpful")  # one's own post
    assert count(Reaction) == 1


def test_the_asker_or_a_moderator_accepts_an_answer(world, forums):
    member, other = world["member"], world["other_member"]
    thread = start(member, "recruitment-and-outreach", kind="question")
    answer = services.reply(other, thread, body="Evening info sessions")
    services.reply(world["expert"], thread, body="Agreed")
    with pytest.raises(PermissionDenied):
        services.accept_answer(world["expert"], thread, answer)
    with pytest.raises(ServiceError):
        services.accept_answer(member, thread, post_number(thread, 1))
    services.accept_answer(member, thread, answer)
    assert thread_by(thread).accepted_post_id == answer.id
    accepted = [n for n in notifications_of(other) if n.kind == "answer_accepted"]
    assert len(accepted) == 1 and accepted[0].subject_id == answer.id
    services.accept_answer(world["coach"], thread, None)
    assert thread_by(thread).accepted_post_id is None
    services.accept_answer(world["coach"], thread, answer)
    services.delete_post(other, post_number(thread, 2))
    assert thread_by(thread).accepted_post_id is None


def test_only_questions_have_accepted_answers(world, forums):
    thread = start(world["member"], "general")
    answer = services.reply(world["other_member"], thread, body="x")
    with pytest.raises(PermissionDenied):
        services.accept_answer(world["member"], thread, answer)


def thread_by(thread: Thread) -> Thread:
    fresh()
    return db.session.get(Thread, thread.id)


def test_read_state_never_goes_backwards(world, forums):
    thread = start(world["other_member"], "general")
    services.mark_read(world["member"], thread, 7)
    services.mark_read(world["member"], thread, 3)
    fresh()
    assert db.session.get(ReadState, (world["member"].id, thread.id)).last_read_number == 7


# ---------------------------------------------------------------- notifications


def test_mentions_notify_those_who_may_read_the_thread(world, forums):
    member, lead, other = world["member"], world["lead"], world["other_member"]
    thread = start(member, "coalition-alpha", body=f"Asking {mention(lead)} and {mention(other)}")
    assert [n.kind for n in notifications_of(lead)] == ["mention"]
    assert notifications_of(other) == []  # cannot read alpha's private category
    opening = post_number(thread, 1)
    assert opening.body_html.count('href="/people/') == 2


def test_a_reply_notifies_the_asker_once_and_followers(world, forums):
    member, other, expert, coach = (
        world["member"],
        world["other_member"],
        world["expert"],
        world["coach"],
    )
    thread = start(member, "broadband", kind="question")
    set_subscription(expert, "thread", thread.id, "follow")
    set_subscription(coach, "category", category("broadband").id, "follow")
    services.reply(other, thread, body=f"See above, {mention(member)}")
    assert [n.kind for n in notifications_of(member)] == ["mention"]  # not also "reply"
    assert [n.kind for n in notifications_of(expert)] == ["followed_post"]
    assert [n.kind for n in notifications_of(coach)] == ["followed_post"]
    assert notifications_of(other) == []
    services.reply(expert, thread, body="More")
    assert [n.kind for n in notifications_of(member)] == ["mention", "reply"]


def test_muting_silences_a_thread(world, forums):
    member, other = world["member"], world["other_member"]
    thread = start(member, "general")
    set_subscription(member, "thread", thread.id, "mute")
    services.reply(other, thread, body="Hello")
    assert notifications_of(member) == []


def test_followers_of_a_private_category_who_lost_access_are_not_notified(world, forums):
    coach, member = world["coach"], world["member"]
    alpha = category("coalition-alpha")
    set_subscription(coach, "category", alpha.id, "follow")
    from cop.coalitions import services as coalition_services

    coalition_services.unassign_coach(world["admin"], world["alpha"], coach)
    coach = db.session.get(type(coach), coach.id)
    from cop.coalitions.permissions import forget_cached_memberships

    forget_cached_memberships(coach)
    start(member, "coalition-alpha", title="Private matter")
    assert notifications_of(coach) == []


def test_an_edit_notifies_only_new_mentions(world, forums):
    member, lead, expert = world["member"], world["lead"], world["expert"]
    thread = start(member, "general", body=f"Hi {mention(lead)}")
    services.edit_post(
        member, post_number(thread, 1), body=f"Hi {mention(lead)} and {mention(expert)}"
    )
    assert len(notifications_of(lead)) == 1
    assert [n.kind for n in notifications_of(expert)] == ["mention"]


# ---------------------------------------------------------------- moderation


def test_pin_and_lock_need_a_moderator(world, forums):
    thread = start(world["member"], "coalition-alpha")
    for who in ("member", "lead"):
        with pytest.raises(PermissionDenied):
            services.set_pinned(world[who], thread, True)
    with pytest.raises(NotFound):
        services.set_locked(world["other_coach"], thread, True)
    services.set_pinned(world["coach"], thread, True)
    services.set_locked(world["admin"], thread, True)
    assert thread_by(thread).pinned and thread_by(thread).locked
    assert len(audit("forum.thread_pin")) == 1 and len(audit("forum.thread_lock")) == 1


def test_moving_a_thread_moves_its_counters(world, forums):
    thread = start(world["member"], "general")
    services.reply(world["other_member"], thread, body="x")
    with pytest.raises(PermissionDenied):
        services.move_thread(world["other_coach"], thread, category("coalition-alpha"))
    services.move_thread(world["coach"], thread, category("broadband"))
    fresh()
    assert (category("general").thread_count, category("general").post_count) == (0, 0)
    assert (category("broadband").thread_count, category("broadband").post_count) == (1, 2)
    assert audit("forum.thread_move")[0].details == {
        "from_category": "general",
        "to_category": "broadband",
    }


def test_merging_appends_posts_in_order(world, forums):
    member, other = world["member"], world["other_member"]
    target = start(member, "general", title="Main thread on stipends")
    services.reply(other, target, body="Target reply")
    source = start(other, "supportive-services", title="Duplicate about stipends")
    services.reply(member, source, body="Source reply")
    services.merge_threads(world["admin"], source, target)
    fresh()
    posts = (
        db.session.execute(sa.select(Post).where(Post.thread_id == target.id).order_by(Post.number))
        .scalars()
        .all()
    )
    assert [(p.number, p.body) for p in posts] == [
        (1, "Tell us."),
        (2, "Target reply"),
        (3, "Tell us."),
        (4, "Source reply"),
    ]
    target, source = db.session.get(Thread, target.id), db.session.get(Thread, source.id)
    assert (target.reply_count, target.last_post_number) == (3, 4)
    assert source.merged_into_id == target.id and source.deleted_at is not None
    assert category("supportive-services").thread_count == 0
    assert category("general").post_count == 4


def test_flags_hide_and_the_audit_log(world, forums):
    member, other, coach = world["member"], world["other_member"], world["coach"]
    thread = start(member, "general")
    reply = services.reply(other, thread, body="Buy cheap boots at spam.example")
    with pytest.raises(PermissionDenied):
        services.flag_post(other, reply, reason="spam")  # one's own post
    with pytest.raises(ServiceError):
        services.flag_post(member, reply, reason="other")  # "other" needs details
    services.flag_post(member, reply, reason="spam")
    with pytest.raises(Conflict):
        services.flag_post(member, reply, reason="spam")
    services.flag_post(world["expert"], reply, reason="off_topic")
    with pytest.raises(PermissionDenied):
        services.hide_post(member, reply, reason="spam")
    with pytest.raises(ServiceError):
        services.hide_post(coach, reply, reason="  ")
    services.hide_post(coach, reply, reason="Advertising")
    fresh()
    hidden = post_number(thread, 2)
    assert hidden.hidden_by_id == coach.id and hidden.hidden_reason == "Advertising"
    assert thread_by(thread).reply_count == 0
    event = audit("forum.post_hide")[0]
    assert event.actor_id == coach.id and event.target_id == hidden.id
    assert event.details["reason"] == "Advertising" and event.details["flags"] == 2
    assert "spam.example" in event.details["excerpt"]
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    services.unhide_post(coach, hidden)
    assert thread_by(thread).reply_count == 1 and len(audit("forum.post_unhide")) == 1


def test_dismissing_flags(world, forums):
    thread = start(world["member"], "general")
    services.flag_post(world["other_member"], post_number(thread, 1), reason="off_topic")
    services.dismiss_flags(world["admin"], post_number(thread, 1))
    assert count(Flag, Flag.resolution == "dismissed") == 1
    assert len(audit("forum.flags_dismiss")) == 1


# ---------------------------------------------------------------- categories


def test_admins_create_order_and_archive_categories(world, forums):
    admin = world["admin"]
    with pytest.raises(PermissionDenied):
        services.create_category(world["coach"], name="Data tools", section="topic")
    made = services.create_category(
        admin, name="Data tools", section="topic", description="Dashboards"
    )
    assert made.slug == "data-tools" and made.kind == "community"
    with pytest.raises(Conflict):
        services.create_category(admin, name="Data tools", section="topic")

    def topics():
        return [
            c.slug
            for c in db.session.execute(
                sa.select(Category)
                .where(Category.section == "topic")
                .order_by(Category.position, Category.name)
            ).scalars()
        ]

    assert topics()[-1] == "data-tools"
    services.move_category(admin, made, -1)
    assert topics()[-2] == "data-tools"
    services.set_category_archived(admin, made, True)
    assert category("data-tools").is_archived
    assert len(audit("forum.category_create")) == 1


def test_a_new_coalition_gets_its_private_category(world, forums):
    coalition = factories.make_coalition("gamma", name="Gamma Coalition (demo)")
    cat = category("coalition-gamma")
    assert cat.coalition_id == coalition.id and cat.kind == "coalition"
    assert cat.name == "Gamma Coalition (demo)"
