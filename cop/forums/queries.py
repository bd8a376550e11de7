"""Read-side selects for forum pages and the API: counters from the rows, keyset pages,
a bounded number of queries per page whatever the size of the forum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased, joinedload

from cop.accounts.models import Role, User
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.extensions import db
from cop.forums.links import POSTS_PER_PAGE
from cop.forums.markdown import handle_for
from cop.forums.models import (
    REACTIONS,
    SECTION_LABELS,
    Category,
    Flag,
    Post,
    PostRevision,
    Reaction,
    ReadState,
    Section,
    Thread,
    ThreadTag,
)
from cop.forums.permissions import (
    can_moderate,
    can_view_category,
    can_view_thread,
    visible_categories,
)
from cop.forums.services import who_may_read
from cop.notifications.models import Subscription

THREADS_PER_PAGE = 30


def _tags_of_thread():
    """The thread's tags as one comma-separated string (a correlated subquery)."""
    return (
        sa.select(sa.func.aggregate_strings(ThreadTag.tag, ","))
        .where(ThreadTag.thread_id == Thread.id)
        .scalar_subquery()
    )


def _split_tags(value: str | None) -> list[str]:
    return sorted(t for t in (value or "").split(",") if t)


# ---------------------------------------------------------------- the forum index


@dataclass
class CategoryRow:
    category: Category
    last_poster_name: str | None


def category_index(user: User) -> list[tuple[str, list[CategoryRow]]]:
    """Visible categories by section, with their counters (one query)."""
    rows = db.session.execute(
        sa.select(Category, User.name)
        .outerjoin(User, User.id == Category.last_poster_id)
        .order_by(Category.position, Category.name)
    ).all()
    sections: dict[str, list[CategoryRow]] = {s.value: [] for s in Section}
    archived: list[CategoryRow] = []
    for category, poster in rows:
        if not can_view_category(user, category):
            continue
        row = CategoryRow(category, poster)
        (archived if category.is_archived else sections[category.section]).append(row)
    result = [(SECTION_LABELS[Section(key)], items) for key, items in sections.items() if items]
    if archived:
        result.append(("Archived", archived))
    return result


# ---------------------------------------------------------------- thread lists


@dataclass
class ThreadRow:
    thread: Thread
    category: Category
    author_name: str | None
    last_poster_name: str | None
    last_read: int | None
    tags: list[str]
    is_new: bool

    @property
    def unread(self) -> int:
        if self.last_read is None:
            return 0
        return max(self.thread.last_post_number - self.last_read, 0)

    @property
    def first_unread(self) -> int:
        return (self.last_read or 0) + 1


def thread_list(
    user: User,
    category_ids: list[int],
    *,
    cursor: str | None = None,
    pinned_first: bool = False,
    tag: str = "",
    author_id: int | None = None,
    kind: str = "",
    limit: int = THREADS_PER_PAGE,
) -> Page:
    """Threads by last activity (pinned first on a category page), keyset-paged."""
    if not category_ids:
        return Page(items=[])
    author, poster = aliased(User), aliased(User)
    stmt = (
        sa.select(
            Thread,
            Category,
            author.name,
            poster.name,
            ReadState.last_read_number,
            _tags_of_thread(),
        )
        .join(Category, Category.id == Thread.category_id)
        .outerjoin(author, author.id == Thread.author_id)
        .outerjoin(poster, poster.id == Thread.last_poster_id)
        .outerjoin(
            ReadState, sa.and_(ReadState.thread_id == Thread.id, ReadState.user_id == user.id)
        )
        .where(Thread.category_id.in_(category_ids), Thread.deleted_at.is_(None))
    )
    if tag:
        stmt = stmt.where(Thread.id.in_(sa.select(ThreadTag.thread_id).where(ThreadTag.tag == tag)))
    if author_id is not None:
        stmt = stmt.where(Thread.author_id == author_id)
    if kind:
        stmt = stmt.where(Thread.kind == kind)
    key = _list_cursor(cursor, pinned_first)
    if key is not None:
        stmt = stmt.where(_after_key(key, pinned_first))
    order = [Thread.last_post_at.desc(), Thread.id.desc()]
    if pinned_first:
        order.insert(0, Thread.pinned.desc())
    rows = db.session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    items = [
        ThreadRow(
            thread=t,
            category=c,
            author_name=a,
            last_poster_name=p,
            last_read=r,
            tags=_split_tags(tags),
            is_new=_is_new(user, t, r),
        )
        for t, c, a, p, r, tags in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1].thread
        values = [last.last_post_at.isoformat(), last.id]
        next_cursor = encode_cursor([int(last.pinned), *values] if pinned_first else values)
    return Page(items=items, next_cursor=next_cursor)


def _is_new(user: User, thread: Thread, last_read: int | None) -> bool:
    """Started since the user joined, and never opened (their own threads are not new)."""
    return (
        last_read is None and thread.author_id != user.id and thread.created_at >= user.created_at
    )


def _list_cursor(cursor: str | None, pinned_first: bool):
    values = decode_cursor(cursor)
    expected = 3 if pinned_first else 2
    if not values or len(values) != expected:
        return None
    try:
        *pinned, when, thread_id = values
        return ([bool(pinned[0])] if pinned else []) + [
            datetime.fromisoformat(when),
            int(thread_id),
        ]
    except (TypeError, ValueError):
        return None


def _after_key(key: list, pinned_first: bool):
    *pinned, when, thread_id = key
    later = sa.or_(
        Thread.last_post_at < when, sa.and_(Thread.last_post_at == when, Thread.id < thread_id)
    )
    if not pinned_first:
        return later
    # Pinned threads come first: after a pinned one, the rest of the pinned and every
    # unpinned one; after an unpinned one, only unpinned ones. (A bool cannot be compared
    # with `<` in SQLAlchemy.)
    if pinned[0]:
        return sa.or_(sa.not_(Thread.pinned), sa.and_(Thread.pinned, later))
    return sa.and_(sa.not_(Thread.pinned), later)


def latest(user: User, *, cursor: str | None = None, tag: str = "") -> Page:
    return thread_list(user, [c.id for c in visible_categories(user)], cursor=cursor, tag=tag)


# ---------------------------------------------------------------- the thread page


@dataclass
class ReactionSummary:
    key: str
    emoji: str
    label: str
    count: int = 0
    mine: bool = False


@dataclass
class ThreadPage:
    thread: Thread
    category: Category
    tags: list[str]
    posts: list[Post]
    accepted: Post | None
    reactions: dict[int, list[ReactionSummary]]
    after: int
    last_read: int | None
    subscription: str | None
    category_subscription: str | None
    next_after: int | None = None
    prev_after: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def first_unread(self) -> int | None:
        """The first post the reader has not been shown, if any."""
        start = (self.last_read or 0) + 1
        if self.last_read is None or start > self.thread.last_post_number:
            return None
        return start

    @property
    def last_number_shown(self) -> int:
        shown = [
            p.number
            for p in self.posts
            if p.thread_id == self.thread.id
            and self.after < p.number <= self.after + POSTS_PER_PAGE
        ]
        return max(shown, default=self.after)


def thread_for_reader(
    user: User, thread_id: int
) -> tuple[Thread, list[str], int | None, str | None, str | None]:
    """The thread with the reader's state in one query; 404 if the user may not see it."""

    def level(target_type, target_id):
        return (
            sa.select(Subscription.level)
            .where(
                Subscription.user_id == user.id,
                Subscription.target_type == target_type,
                Subscription.target_id == target_id,
            )
            .scalar_subquery()
        )

    row = db.session.execute(
        sa.select(
            Thread,
            Category,
            _tags_of_thread(),
            ReadState.last_read_number,
            level("thread", Thread.id),
            level("category", Thread.category_id),
        )
        .join(Category, Category.id == Thread.category_id)
        .outerjoin(
            ReadState, sa.and_(ReadState.thread_id == Thread.id, ReadState.user_id == user.id)
        )
        .where(Thread.id == thread_id)
    ).first()
    if row is None or not can_view_thread(user, row[0]):
        abort(404)
    thread, _category, tags, last_read, sub, category_sub = row
    return thread, _split_tags(tags), last_read, sub, category_sub


def thread_page(user: User, thread_id: int, *, after: int = 0) -> ThreadPage:
    """One page of POSTS_PER_PAGE post numbers after `after`, plus the accepted answer on
    the first page, with reactions: two queries whatever the thread's length (the post
    number window is an index range scan, never an OFFSET)."""
    thread, tags, last_read, sub, category_sub = thread_for_reader(user, thread_id)
    after = max(0, min(after, max(thread.last_post_number - 1, 0)))
    window = sa.and_(Post.number > after, Post.number <= after + POSTS_PER_PAGE)
    accepted_id = thread.accepted_post_id if after == 0 else None
    where = sa.or_(window, Post.id == accepted_id) if accepted_id else window
    rows = db.session.execute(
        sa.select(Post, _reactions_of_post(user))
        .options(joinedload(Post.author))
        .where(Post.thread_id == thread.id, where)
        .order_by(Post.number)
    ).all()
    accepted = next((p for p, _ in rows if p.id == accepted_id), None)
    rows = [(p, r) for p, r in rows if after < p.number <= after + POSTS_PER_PAGE]
    page = ThreadPage(
        thread=thread,
        category=thread.category,
        tags=tags,
        posts=[p for p, _ in rows],
        accepted=accepted,
        reactions={p.id: _summaries(r) for p, r in rows},
        after=after,
        last_read=last_read,
        subscription=sub,
        category_subscription=category_sub,
    )
    if after + POSTS_PER_PAGE < thread.last_post_number:
        page.next_after = after + POSTS_PER_PAGE
    if after > 0:
        page.prev_after = max(after - POSTS_PER_PAGE, 0)
    return page


def _reactions_of_post(user: User):
    """The post's reactions as "kind:1,kind:0,..." (1: the reader's own), in the same query
    as the posts: one string per post, parsed by _summaries."""
    mine = sa.case((Reaction.user_id == user.id, "1"), else_="0")
    return (
        sa.select(sa.func.aggregate_strings(Reaction.kind + ":" + mine, ","))
        .where(Reaction.post_id == Post.id)
        .scalar_subquery()
    )


def _summaries(value: str | None) -> list[ReactionSummary]:
    summaries = {k: ReactionSummary(k, e, label) for k, e, label in REACTIONS}
    for item in (value or "").split(","):
        kind, _, is_mine = item.partition(":")
        if kind in summaries:
            summaries[kind].count += 1
            summaries[kind].mine = summaries[kind].mine or is_mine == "1"
    return list(summaries.values())


def reaction_summaries(user: User, post_ids: list[int]) -> dict[int, list[ReactionSummary]]:
    """Per post, every reaction kind with its count and whether the user chose it."""
    result = {pid: [ReactionSummary(k, e, label) for k, e, label in REACTIONS] for pid in post_ids}
    if not post_ids:
        return result
    mine = sa.func.max(sa.case((Reaction.user_id == user.id, 1), else_=0))
    rows = db.session.execute(
        sa.select(Reaction.post_id, Reaction.kind, sa.func.count(), mine)
        .where(Reaction.post_id.in_(post_ids))
        .group_by(Reaction.post_id, Reaction.kind)
    ).all()
    for post_id, kind, count, is_mine in rows:
        for summary in result[post_id]:
            if summary.key == kind:
                summary.count, summary.mine = count, bool(is_mine)
    return result


# ---------------------------------------------------------------- revisions, moderation


@dataclass
class Version:
    version: int
    title: str | None
    body_html: str
    author_name: str | None
    created_at: datetime
    current: bool = False


def versions(post: Post) -> list[Version]:
    """Every version of a post, newest first."""
    editor = db.session.get(User, post.edited_by_id) if post.edited_by_id else post.author
    current = Version(
        post.version,
        post.thread.title if post.number == 1 else None,
        post.body_html,
        editor.name if editor else None,
        post.edited_at or post.created_at,
        current=True,
    )
    rows = db.session.execute(
        sa.select(PostRevision, User.name)
        .outerjoin(User, User.id == PostRevision.author_id)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.version.desc())
    ).all()
    return [current] + [
        Version(r.version, r.title, r.body_html, name, r.created_at) for r, name in rows
    ]


@dataclass
class FlaggedPost:
    post: Post
    thread: Thread
    category: Category
    flags: list[tuple[Flag, str | None]]


def moderation_queue(user: User, limit: int = 200) -> list[FlaggedPost]:
    """Posts with open flags in the categories the user moderates, oldest flag first."""
    flagger = aliased(User)
    rows = db.session.execute(
        sa.select(Flag, flagger.name, Post, Thread, Category)
        .join(Post, Post.id == Flag.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .outerjoin(flagger, flagger.id == Flag.flagger_id)
        .options(joinedload(Post.author))
        .where(Flag.resolved_at.is_(None))
        .order_by(Flag.created_at, Flag.id)
        .limit(limit)
    ).all()
    queue: dict[int, FlaggedPost] = {}
    for flag, name, post, thread, category in rows:
        if not can_moderate(user, category):
            continue
        item = queue.setdefault(post.id, FlaggedPost(post, thread, category, []))
        item.flags.append((flag, name))
    return list(queue.values())


def open_flag_count(user: User) -> int:
    return sum(len(item.flags) for item in moderation_queue(user))


# ---------------------------------------------------------------- mentions


@dataclass
class Mentionable:
    user: User
    handle: str
    can_see: bool


def mention_candidates(
    user: User, q: str, *, category: Category | None = None, limit: int = 8
) -> list[Mentionable]:
    """People whose name matches, for @mention autocomplete; can_see tells whether they
    would be notified (they may read the category)."""
    q = " ".join((q or "").split())[:60]
    if not q:
        return []
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    prefix = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    users = list(
        db.session.execute(
            sa.select(User)
            .where(
                User.active.is_(True),
                User.role != Role.GUEST.value,
                User.name.ilike(like, escape="\\"),
            )
            .order_by(sa.case((User.name.ilike(prefix, escape="\\"), 0), else_=1), User.name)
            .limit(limit)
        ).scalars()
    )
    seeing = {u.id for u in who_may_read(users, category)} if category is not None else set()
    return [Mentionable(u, handle_for(u), category is None or u.id in seeing) for u in users]


# ---------------------------------------------------------------- notification targets


def describe_threads(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """For the notification settings: followed or muted threads, by title (one query).
    A thread the reader can no longer see is not named."""
    from flask_login import current_user

    from cop.forums.links import path

    rows = db.session.execute(
        sa.select(Thread, Category)
        .join(Category, Category.id == Thread.category_id)
        .where(Thread.id.in_(ids))
    ).all()
    return {
        t.id: (t.title, path("forums.thread", thread_id=t.id))
        if can_view_thread(current_user, t)
        else ("a thread you cannot open", None)
        for t, _ in rows
    }


def describe_categories(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    from flask_login import current_user

    from cop.forums.links import path

    rows = db.session.execute(sa.select(Category).where(Category.id.in_(ids))).scalars()
    return {
        c.id: (c.name, path("forums.category", slug=c.slug))
        if can_view_category(current_user, c)
        else ("a category you cannot open", None)
        for c in rows
    }
