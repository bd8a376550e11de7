"""The forum permission rules as a table over roles and kinds of category."""

from __future__ import annotations

import pytest

from cop.forums import permissions as p
from tests.forums.helpers import category, post_number, start

ROLES = [
    "admin",
    "coach",
    "other_coach",
    "lead",
    "member",
    "other_member",
    "expert",
    "guest",
    "deactivated",
]

# category slug -> roles that may read it
READERS = {
    "general": {"admin", "coach", "other_coach", "lead", "member", "other_member", "expert"},
    "coalition-alpha": {"admin", "coach", "lead", "member"},
    "coalition-beta": {"admin", "other_member"},
    "staff-room": {"admin", "coach", "other_coach"},
}
# category slug -> roles that moderate it
MODERATORS = {
    "general": {"admin", "coach", "other_coach"},
    "coalition-alpha": {"admin", "coach"},
    "coalition-beta": {"admin"},
    "staff-room": {"admin", "coach", "other_coach"},
}


@pytest.mark.parametrize("slug", list(READERS))
@pytest.mark.parametrize("role", ROLES)
def test_who_reads_and_moderates_a_category(world, forums, slug, role):
    user, cat = world[role], category(slug)
    assert p.can_view_category(user, cat) is (role in READERS[slug])
    assert p.can_post_in(user, cat) is (role in READERS[slug])
    assert p.can_moderate(user, cat) is (role in MODERATORS[slug])
    assert (cat.id in p.visible_category_ids(user)) is (role in READERS[slug])


@pytest.mark.parametrize("role", ROLES)
def test_what_one_may_do_with_a_post(world, forums, role):
    thread = start(world["member"], "general", kind="question")
    opening = post_number(thread, 1)
    user = world[role]
    reader = role in READERS["general"]
    moderator = role in MODERATORS["general"]
    assert p.can_reply(user, thread) is reader
    assert p.can_edit_post(user, opening) is (role == "member" or moderator)
    assert p.can_delete_post(user, opening) is (role == "member" or moderator)
    assert p.can_react(user, opening) is (reader and role != "member")
    assert p.can_flag_post(user, opening) is (reader and role != "member")
    assert p.can_accept_answer(user, thread) is (role == "member" or moderator)
    assert p.can_use_forums(user) is (role not in ("guest", "deactivated"))


def test_anonymous_visitors_may_do_nothing(forums):
    from flask_login import AnonymousUserMixin

    anonymous = AnonymousUserMixin()
    assert not p.can_use_forums(anonymous)
    assert not p.can_view_category(anonymous, category("general"))
    assert p.visible_categories(anonymous) == []
    assert not p.can_moderate_anything(None)
