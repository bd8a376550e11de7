"""Who may see and do what in the forums. Used by views, API, services and templates.

Visibility of a category:
- community: every active, signed-in user but guests;
- coalition: that coalition's members, its assigned coaches and admins (the coalition's
  private spaces, `can_view_coalition_private`);
- staff: coaches and admins.
Moderators: admins everywhere; coaches in community and staff categories and in the
private categories of the coalitions they coach (`can_moderate_coalition`).
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.permissions import (
    can_moderate_coalition,
    can_view_coalition_private,
    unproxied,
)
from cop.coalitions.permissions import is_active_user as _active
from cop.extensions import db
from cop.forums.models import Category, CategoryKind, Post, Thread, ThreadKind


def _coalition_ref(category: Category):
    # The coalition predicates read only `.id`: a reference spares loading the coalition
    # (and its eagerly loaded states and sectors) on every page.
    return SimpleNamespace(id=category.coalition_id)


def can_use_forums(user: User | None) -> bool:
    """The forums are for the community: everyone signed in but guests."""
    return _active(user) and user.role != Role.GUEST


def can_view_category(user: User | None, category: Category) -> bool:
    if not can_use_forums(user):
        return False
    if category.kind == CategoryKind.COMMUNITY:
        return True
    if category.kind == CategoryKind.STAFF:
        return user.is_staff
    if category.coalition_id is None:
        return user.is_admin
    return can_view_coalition_private(user, _coalition_ref(category))


def can_moderate(user: User | None, category: Category) -> bool:
    """Pin, lock, move, merge, hide, and work the flag queue of this category."""
    if not can_view_category(user, category):
        return False
    if user.is_admin:
        return True
    if not user.is_coach:
        return False
    if category.kind == CategoryKind.COALITION:
        return category.coalition_id is not None and can_moderate_coalition(
            user, _coalition_ref(category)
        )
    return True


def can_moderate_anything(user: User | None) -> bool:
    """Sees the moderation queue."""
    return _active(user) and user.is_staff


def can_manage_categories(user: User | None) -> bool:
    return _active(user) and user.is_admin


def can_post_in(user: User | None, category: Category) -> bool:
    """Start a thread here."""
    return can_view_category(user, category) and not category.is_archived


def can_view_thread(user: User | None, thread: Thread) -> bool:
    if thread.deleted_at is not None and thread.merged_into_id is None:
        return can_moderate(user, thread.category)
    return can_view_category(user, thread.category)


def can_reply(user: User | None, thread: Thread) -> bool:
    if thread.is_deleted or not can_post_in(user, thread.category):
        return False
    return not thread.locked or can_moderate(user, thread.category)


def can_view_post(user: User | None, post: Post) -> bool:
    return can_view_thread(user, post.thread)


def _is_author(user: User | None, post: Post) -> bool:
    return _active(user) and post.author_id is not None and post.author_id == user.id


def can_edit_post(user: User | None, post: Post) -> bool:
    """Authors edit their own posts (not in locked or archived places); moderators any."""
    thread = post.thread
    if post.deleted_at is not None or thread.is_deleted or not can_view_thread(user, thread):
        return False
    if can_moderate(user, thread.category):
        return True
    return (
        _is_author(user, post)
        and post.hidden_at is None
        and not thread.locked
        and not thread.category.is_archived
    )


def can_delete_post(user: User | None, post: Post) -> bool:
    if post.deleted_at is not None or post.thread.is_deleted:
        return False
    if not can_view_thread(user, post.thread):
        return False
    return _is_author(user, post) or can_moderate(user, post.thread.category)


def can_react(user: User | None, post: Post) -> bool:
    """Reactions to others' visible posts, wherever one may read (not archived places)."""
    thread = post.thread
    return (
        can_view_thread(user, thread)
        and post.is_visible
        and not thread.is_deleted
        and not thread.category.is_archived
        and not _is_author(user, post)
    )


def can_flag_post(user: User | None, post: Post) -> bool:
    return can_view_thread(user, post.thread) and post.is_visible and not _is_author(user, post)


def can_accept_answer(user: User | None, thread: Thread) -> bool:
    """On questions: the asker or a moderator chooses the accepted answer."""
    if thread.kind != ThreadKind.QUESTION or thread.is_deleted:
        return False
    if not can_view_thread(user, thread):
        return False
    return (_active(user) and thread.author_id == user.id) or can_moderate(user, thread.category)


def can_view_history(user: User | None, post: Post) -> bool:
    if not can_view_thread(user, post.thread):
        return False
    return post.is_visible or can_moderate(user, post.thread.category)


def can_view_hidden_post(user: User | None, post: Post) -> bool:
    """The text of a hidden post stays readable to its author and moderators."""
    return _is_author(user, post) or can_moderate(user, post.thread.category)


def visible_categories(user: User | None) -> list[Category]:
    """Every category the user may read, in display order (one query)."""
    user = unproxied(user)
    if not can_use_forums(user):
        return []
    rows = db.session.execute(
        sa.select(Category).order_by(Category.position, Category.name)
    ).scalars()
    return [c for c in rows if can_view_category(user, c)]


def visible_category_ids(user: User | None) -> list[int]:
    return [c.id for c in visible_categories(user)]


# ---------------------------------------------------------------- loaders: 404 if unseen


def get_forum_user_or_404(user: User | None) -> User:
    if not can_use_forums(user):
        abort(404)
    return user


def get_visible_category_or_404(user: User | None, slug: str) -> Category:
    category = db.session.execute(
        sa.select(Category).where(Category.slug == slug)
    ).scalar_one_or_none()
    if category is None or not can_view_category(user, category):
        abort(404)
    return category


def get_visible_thread_or_404(user: User | None, thread_id: int) -> Thread:
    row = db.session.execute(
        sa.select(Thread, Category)
        .join(Category, Category.id == Thread.category_id)
        .where(Thread.id == thread_id)
    ).first()
    if row is None or not can_view_thread(user, row[0]):
        abort(404)
    return row[0]


def get_visible_post_or_404(user: User | None, post_id: int) -> Post:
    row = db.session.execute(
        sa.select(Post, Thread, Category)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(Post.id == post_id)
    ).first()
    if row is None or not can_view_thread(user, row[1]):
        abort(404)
    return row[0]


TEMPLATE_PREDICATES = {
    "can_use_forums": can_use_forums,
    "can_view_category": can_view_category,
    "can_moderate": can_moderate,
    "can_moderate_anything": can_moderate_anything,
    "can_manage_categories": can_manage_categories,
    "can_post_in": can_post_in,
    "can_reply": can_reply,
    "can_edit_post": can_edit_post,
    "can_delete_post": can_delete_post,
    "can_react": can_react,
    "can_flag_post": can_flag_post,
    "can_accept_answer": can_accept_answer,
    "can_view_history": can_view_history,
    "can_view_hidden_post": can_view_hidden_post,
}
