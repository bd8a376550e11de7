"""Forum use cases. Each takes the acting user, checks, changes, notifies, commits once.

`notify` adds notifications to our transaction, so a refused or failed use case leaves
nothing behind: no half-saved post, no notification about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cop.accounts.models import Role, User
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core import audit, ratelimit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db
from cop.forums import kinds
from cop.forums.links import post_path
from cop.forums.markdown import Rendered, clean_text, mentioned_ids, render_post
from cop.forums.models import (
    BODY_MAX,
    FLAG_REASON_KEYS,
    REACTION_KEYS,
    REASON_MAX,
    TAG_MAX,
    TAGS_PER_THREAD,
    TITLE_MAX,
    TITLE_MIN,
    Category,
    CategoryKind,
    Flag,
    Post,
    PostRevision,
    Reaction,
    ReadState,
    Section,
    Thread,
    ThreadKind,
    ThreadTag,
)
from cop.forums.permissions import (
    can_accept_answer,
    can_delete_post,
    can_edit_post,
    can_flag_post,
    can_manage_categories,
    can_moderate,
    can_post_in,
    can_react,
    can_reply,
    can_view_category,
    can_view_thread,
)
from cop.notifications import kinds as notification_kinds
from cop.notifications import services as notifications

# slug, name, section, description: the community-wide categories every install starts with.
DEFAULT_CATEGORIES = [
    (
        "renewable-energy",
        "Renewable energy",
        Section.SECTOR,
        "Solar, wind, storage and grid work: training line workers, installers and technicians.",
    ),
    (
        "broadband",
        "Broadband",
        Section.SECTOR,
        "Fiber, wireless and digital-infrastructure crews and the programs that train them.",
    ),
    (
        "transportation",
        "Transportation",
        Section.SECTOR,
        "Transit, rail, ports, EV charging and the maintenance trades behind them.",
    ),
    (
        "advanced-manufacturing",
        "Advanced manufacturing",
        Section.SECTOR,
        "Semiconductors, batteries, fabrication and the IT and technical occupations around them.",
    ),
    (
        "recruitment-and-outreach",
        "Recruitment and outreach",
        Section.TOPIC,
        "Reaching women, veterans, rural residents and others new to the trades.",
    ),
    (
        "employer-engagement",
        "Employer engagement",
        Section.TOPIC,
        "Getting employers to the table, to hire, and to sign on to apprenticeships.",
    ),
    (
        "supportive-services",
        "Supportive services",
        Section.TOPIC,
        "Child care, transportation, tools, stipends: what keeps participants in training.",
    ),
    (
        "apprenticeship",
        "Apprenticeship",
        Section.TOPIC,
        "Registered apprenticeship and pre-apprenticeship: standards, sponsors, on-the-job learning.",
    ),
    (
        "performance-reporting",
        "Performance reporting",
        Section.TOPIC,
        "Quarterly reports, measures and credentials: how to count and report them correctly.",
    ),
    ("general", "General", Section.TOPIC, "Everything else the coalitions want to ask each other."),
]
STAFF_CATEGORY = ("staff-room", "Staff room", Section.STAFF, "For coaches and program staff only.")
SECTION_BASE = {
    Section.SECTOR: 100,
    Section.TOPIC: 200,
    Section.COALITION: 1000,
    Section.STAFF: 2000,
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# ---------------------------------------------------------------- checks


def check_title(title: str | None) -> str:
    title = " ".join(clean_text(title).split())
    if len(title) < TITLE_MIN:
        raise ServiceError(
            f"Give the thread a title of at least {TITLE_MIN} characters.", field="title"
        )
    if len(title) > TITLE_MAX:
        raise ServiceError(
            f"The title is too long (at most {TITLE_MAX} characters).", field="title"
        )
    return title


def check_body(body: str | None) -> str:
    body = clean_text((body or "").replace("\r\n", "\n"), keep_newlines=True)
    if not body.strip():
        raise ServiceError("Write something before posting.", field="body")
    if len(body) > BODY_MAX:
        raise ServiceError(
            f"The post is too long: {len(body):,} characters, at most "
            f"{BODY_MAX:,}. Split it in two, or link to a document.",
            field="body",
        )
    return body.rstrip()


def normalise_tag(tag: str) -> str:
    tag = re.sub(r"[^a-z0-9]+", "-", (tag or "").strip().lower()).strip("-")
    return tag[:TAG_MAX].strip("-")


def check_tags(tags: Iterable[str] | str | None) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    result: list[str] = []
    for raw in tags or []:
        tag = normalise_tag(raw)
        if tag and tag not in result:
            result.append(tag)
    if len(result) > TAGS_PER_THREAD:
        raise ServiceError(f"Use at most {TAGS_PER_THREAD} tags.", field="tags")
    return result


def check_kind(kind: str | None) -> str:
    kind = kind or ThreadKind.DISCUSSION.value
    if kind not in {k.value for k in ThreadKind}:
        raise ServiceError("A thread is a discussion or a question.", field="kind")
    return kind


def check_reason(reason: str | None, *, required: bool = True, field: str = "reason") -> str:
    reason = " ".join(clean_text(reason).split())
    if required and not reason:
        raise ServiceError("Say why, in a few words.", field=field)
    if len(reason) > REASON_MAX:
        raise ServiceError(f"At most {REASON_MAX} characters.", field=field)
    return reason


# ---------------------------------------------------------------- cooking


def cook(body: str) -> Rendered:
    """Render a post's markdown with its mentions of active people (one query)."""
    ids = mentioned_ids(body)
    people = {}
    if ids:
        people = {
            u.id: u
            for u in db.session.execute(
                sa.select(User).where(
                    User.id.in_(ids), User.active.is_(True), User.role != Role.GUEST.value
                )
            ).scalars()
        }
    return render_post(body, people)


# ---------------------------------------------------------------- categories


def _next_position(section: str) -> int:
    current = db.session.execute(
        sa.select(sa.func.max(Category.position)).where(Category.section == section)
    ).scalar_one_or_none()
    return (current or SECTION_BASE[Section(section)]) + 10


def ensure_default_categories(commit: bool = True) -> int:
    """Create the community-wide, staff and coalition categories that are missing."""
    existing = set(db.session.execute(sa.select(Category.slug)).scalars())
    created = 0
    for i, (slug, name, section, description) in enumerate([*DEFAULT_CATEGORIES, STAFF_CATEGORY]):
        if slug in existing:
            continue
        kind = CategoryKind.STAFF if section == Section.STAFF else CategoryKind.COMMUNITY
        db.session.add(
            Category(
                slug=slug,
                name=name,
                description=description,
                description_html=render_markdown(description),
                kind=kind.value,
                section=section.value,
                position=SECTION_BASE[section] + 10 * (i + 1),
            )
        )
        created += 1
    created += ensure_coalition_categories(commit=False)
    if commit:
        db.session.commit()
    return created


def coalition_category_values(coalition) -> dict:
    description = "Private to this coalition's members, its coaches and program staff."
    return dict(
        slug=f"coalition-{coalition.slug}"[:100],
        name=coalition.name,
        description=description,
        description_html=render_markdown(description),
        kind=CategoryKind.COALITION.value,
        section=Section.COALITION.value,
        coalition_id=coalition.id,
        position=SECTION_BASE[Section.COALITION],
        created_at=utcnow(),
        thread_count=0,
        post_count=0,
    )


def ensure_coalition_categories(commit: bool = True) -> int:
    have = set(
        db.session.execute(
            sa.select(Category.coalition_id).where(Category.coalition_id.is_not(None))
        ).scalars()
    )
    missing = db.session.execute(
        sa.select(Coalition.id, Coalition.slug, Coalition.name).where(Coalition.id.not_in(have))
    ).all()
    for row in missing:
        db.session.add(Category(**coalition_category_values(row)))
    if commit:
        db.session.commit()
    return len(missing)


def create_category(
    actor: User, *, name: str, description: str = "", section: str, slug: str | None = None
) -> Category:
    if not can_manage_categories(actor):
        raise PermissionDenied("Only admins create categories.")
    name = " ".join(clean_text(name).split())
    if not name or len(name) > 200:
        raise ServiceError("Give a name of at most 200 characters.", field="name")
    if section not in (Section.SECTOR, Section.TOPIC, Section.STAFF):
        raise ServiceError("Choose where the category is listed.", field="section")
    slug = slug or normalise_tag(name)
    if not SLUG_RE.match(slug or "") or len(slug) > 80:
        raise ServiceError("The address uses lowercase letters, digits and dashes.", field="slug")
    if db.session.execute(sa.select(Category.id).where(Category.slug == slug)).first():
        raise Conflict(f"A category with the address {slug!r} exists.", field="slug")
    description = clean_text(description, keep_newlines=True).strip()[:2000]
    kind = CategoryKind.STAFF if section == Section.STAFF else CategoryKind.COMMUNITY
    category = Category(
        slug=slug,
        name=name,
        description=description,
        description_html=render_markdown(description),
        kind=kind.value,
        section=section,
        position=_next_position(section),
    )
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "forum.category_create", category, section=section)
    db.session.commit()
    return category


def update_category(actor: User, category: Category, *, name: str, description: str) -> None:
    if not can_manage_categories(actor):
        raise PermissionDenied("Only admins change categories.")
    name = " ".join(clean_text(name).split())
    if not name or len(name) > 200:
        raise ServiceError("Give a name of at most 200 characters.", field="name")
    category.name = name
    category.description = clean_text(description, keep_newlines=True).strip()[:2000]
    category.description_html = render_markdown(category.description)
    audit.record(actor, "forum.category_update", category)
    db.session.commit()


def move_category(actor: User, category: Category, direction: int) -> None:
    """Move a category up (-1) or down (+1) among those of its section."""
    if not can_manage_categories(actor):
        raise PermissionDenied("Only admins order categories.")
    siblings = list(
        db.session.execute(
            sa.select(Category)
            .where(Category.section == category.section)
            .order_by(Category.position, Category.name)
        ).scalars()
    )
    index = siblings.index(category)
    other = index + (1 if direction > 0 else -1)
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    base = SECTION_BASE[Section(category.section)]
    for i, item in enumerate(siblings):
        item.position = base + 10 * (i + 1)
    audit.record(actor, "forum.category_move", category, direction=direction)
    db.session.commit()


def set_category_archived(actor: User, category: Category, archived: bool) -> None:
    """Archived categories stay readable and searchable; nobody posts in them."""
    if not can_manage_categories(actor):
        raise PermissionDenied("Only admins archive categories.")
    if archived == category.is_archived:
        return
    category.archived_at = utcnow() if archived else None
    audit.record(
        actor, "forum.category_archive" if archived else "forum.category_unarchive", category
    )
    db.session.commit()


# ---------------------------------------------------------------- writing


class PostingTooFast(ServiceError):
    status = 429
    code = "rate_limited"


def check_post_rate(actor: User) -> None:
    """Flood control: new threads and replies per user (FORUM_POST_RATE). Called by the HTTP
    entry points (views, API); seeds and other features' services post without it."""
    from flask import current_app

    rate = current_app.config.get("FORUM_POST_RATE", "10 per minute")
    if not ratelimit.hit("forum-post", actor.id, rate):
        raise PostingTooFast(
            f"You are posting too quickly (limit: {rate}). Wait a minute and post again."
        )


def create_thread(
    actor: User,
    category: Category,
    *,
    title: str,
    body: str,
    kind: str = ThreadKind.DISCUSSION.value,
    tags: Iterable[str] | str | None = None,
) -> Thread:
    if not can_view_category(actor, category):
        raise NotFound("No such category.")
    if not can_post_in(actor, category):
        raise PermissionDenied("This category is archived: nobody posts in it.")
    title, body, kind, tags = (
        check_title(title),
        check_body(body),
        check_kind(kind),
        check_tags(tags),
    )
    rendered = cook(body)
    now = utcnow()
    thread = Thread(
        category_id=category.id,
        author_id=actor.id,
        title=title,
        kind=kind,
        created_at=now,
        last_post_at=now,
        last_poster_id=actor.id,
        last_post_number=1,
        reply_count=0,
        tag_rows=[ThreadTag(tag=t) for t in tags],
    )
    db.session.add(thread)
    db.session.flush()
    post = Post(
        thread_id=thread.id,
        number=1,
        author_id=actor.id,
        body=body,
        body_html=rendered.html,
        search_text=rendered.text,
        created_at=now,
    )
    db.session.add(post)
    category.thread_count = Category.thread_count + 1
    category.post_count = Category.post_count + 1
    category.last_post_at = now
    category.last_poster_id = actor.id
    db.session.flush()
    _upsert_read_state(actor, thread.id, 1)
    _notify_new_post(actor, thread, category, post, rendered.mentioned, is_new_thread=True)
    db.session.commit()
    return thread


def check_can_reply(actor: User, thread: Thread) -> None:
    if not can_view_thread(actor, thread):
        raise NotFound("No such thread.")
    if not can_reply(actor, thread):
        if thread.locked:
            raise PermissionDenied("This thread is locked: it takes no more replies.")
        if thread.category.is_archived:
            raise PermissionDenied("This category is archived: nobody posts in it.")
        raise PermissionDenied("You cannot reply here.")


def reply(actor: User, thread: Thread, *, body: str) -> Post:
    check_can_reply(actor, thread)
    body = check_body(body)
    rendered = cook(body)
    now = utcnow()
    number = db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id)
        .values(
            last_post_number=Thread.last_post_number + 1,
            reply_count=Thread.reply_count + 1,
            last_post_at=now,
            last_poster_id=actor.id,
        )
        .returning(Thread.last_post_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    post = Post(
        thread_id=thread.id,
        number=number,
        author_id=actor.id,
        body=body,
        body_html=rendered.html,
        search_text=rendered.text,
        created_at=now,
    )
    db.session.add(post)
    db.session.execute(
        sa.update(Category)
        .where(Category.id == thread.category_id)
        .values(post_count=Category.post_count + 1, last_post_at=now, last_poster_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    _upsert_read_state(actor, thread.id, number)
    _notify_new_post(actor, thread, thread.category, post, rendered.mentioned)
    db.session.commit()
    return post


def edit_post(
    actor: User,
    post: Post,
    *,
    body: str,
    title: str | None = None,
    tags: Iterable[str] | str | None = None,
) -> Post:
    """Edit a post (and, on the opening post, the thread's title and tags), keeping the
    version it replaces in the revision history."""
    thread = post.thread
    if not can_view_thread(actor, thread):
        raise NotFound("No such post.")
    if not can_edit_post(actor, post):
        raise PermissionDenied("You cannot edit this post.")
    body = check_body(body)
    opening = post.number == 1
    new_title = check_title(title) if opening and title is not None else thread.title
    new_tags = sorted(check_tags(tags)) if opening and tags is not None else thread.tags
    if body == post.body and new_title == thread.title and new_tags == sorted(thread.tags):
        return post
    now = utcnow()
    db.session.add(
        PostRevision(
            post_id=post.id,
            version=post.version,
            title=thread.title if opening else None,
            body=post.body,
            body_html=post.body_html,
            author_id=post.edited_by_id or post.author_id,
            created_at=post.edited_at or post.created_at,
        )
    )
    before = set(mentioned_ids(post.body))
    rendered = cook(body)
    post.body, post.body_html, post.search_text = body, rendered.html, rendered.text
    post.version = post.version + 1
    post.edited_at, post.edited_by_id = now, actor.id
    if opening:
        thread.title = new_title
        if new_tags != sorted(thread.tags):
            thread.tag_rows = [ThreadTag(tag=t) for t in new_tags]
    if actor.id != post.author_id:
        audit.record(
            actor, "forum.post_edit_by_moderator", post, thread=thread.id, number=post.number
        )
    fresh = [uid for uid in rendered.mentioned if uid not in before]
    _notify_mentions(actor, thread, thread.category, post, fresh)
    db.session.commit()
    return post


def delete_post(actor: User, post: Post) -> None:
    """Soft delete: the post keeps its number and shows as deleted; deleting the opening
    post deletes the thread."""
    thread = post.thread
    if not can_view_thread(actor, thread):
        raise NotFound("No such post.")
    if not can_delete_post(actor, post):
        raise PermissionDenied("You cannot delete this post.")
    now = utcnow()
    by_moderator = actor.id != post.author_id
    if post.number == 1:
        thread.deleted_at, thread.deleted_by_id = now, actor.id
        audit.record(
            actor,
            "forum.thread_delete",
            thread,
            by_moderator=by_moderator,
            category=thread.category.slug,
        )
    else:
        post.deleted_at, post.deleted_by_id = now, actor.id
        if thread.accepted_post_id == post.id:
            thread.accepted_post_id = None
        audit.record(
            actor,
            "forum.post_delete",
            post,
            thread=thread.id,
            number=post.number,
            by_moderator=by_moderator,
            excerpt=post.search_text[:300],
        )
    db.session.flush()
    refresh_thread_stats(thread)
    refresh_category_stats(thread.category)
    db.session.commit()


def react(actor: User, post: Post, kind: str, on: bool = True) -> None:
    """Add (on) or take back (not on) one's reaction of a kind to a post."""
    if not can_view_thread(actor, post.thread):
        raise NotFound("No such post.")
    if not can_react(actor, post):
        raise PermissionDenied("You cannot react to this post.")
    if kind not in REACTION_KEYS:
        raise ServiceError("Unknown reaction.", field="kind")
    existing = db.session.get(Reaction, (post.id, actor.id, kind))
    if on and existing is None:
        db.session.add(Reaction(post_id=post.id, user_id=actor.id, kind=kind))
    elif not on and existing is not None:
        db.session.delete(existing)
    db.session.commit()


def accept_answer(actor: User, thread: Thread, post: Post | None) -> None:
    """Mark a reply as the accepted answer of a question (None: no accepted answer)."""
    if not can_view_thread(actor, thread):
        raise NotFound("No such thread.")
    if not can_accept_answer(actor, thread):
        raise PermissionDenied("Only the asker or a moderator accepts an answer.")
    if post is not None:
        if post.thread_id != thread.id or post.number == 1:
            raise ServiceError("Accept a reply in this thread.")
        if not post.is_visible:
            raise ServiceError("This reply is deleted or hidden.")
    new_id = post.id if post is not None else None
    if thread.accepted_post_id == new_id:
        return
    thread.accepted_post_id = new_id
    if post is not None and post.author is not None:
        notifications.notify(
            post.author,
            kinds.ANSWER_ACCEPTED.key,
            actor=actor,
            subject_type="post",
            subject_id=post.id,
            url=post_path(post.id),
            excerpt=_excerpt(post),
            text=f"{actor.name} accepted your answer in “{thread.title}”",
            context=[("thread", thread.id), ("category", thread.category_id)],
        )
    db.session.commit()


def mark_read(user: User, thread: Thread, number: int) -> None:
    """Remember that the user was shown the thread up to post `number` (never backwards)."""
    _upsert_read_state(user, thread.id, number)
    db.session.commit()


def _upsert_read_state(user: User, thread_id: int, number: int) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    greatest = sa.func.greatest if dialect == "postgresql" else sa.func.max
    stmt = insert(ReadState).values(
        user_id=user.id, thread_id=thread_id, last_read_number=number, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReadState.user_id, ReadState.thread_id],
        set_={
            "last_read_number": greatest(
                ReadState.last_read_number, stmt.excluded.last_read_number
            ),
            "updated_at": stmt.excluded.updated_at,
        },
    )
    db.session.execute(stmt)


def set_subscription(actor: User, target: Thread | Category, level: str | None) -> None:
    """Follow, mute, or go back to the default for a thread or category (commits)."""
    if level not in (notifications.FOLLOW, notifications.MUTE, None):
        raise ServiceError("Follow, mute, or neither.", field="level")
    if isinstance(target, Thread):
        if not can_view_thread(actor, target):
            raise NotFound("No such thread.")
        notifications.set_subscription(actor, "thread", target.id, level)
    else:
        if not can_view_category(actor, target):
            raise NotFound("No such category.")
        notifications.set_subscription(actor, "category", target.id, level)


# ---------------------------------------------------------------- moderation


def _check_moderator(actor: User, category: Category) -> None:
    if not can_view_category(actor, category):
        raise NotFound("No such thread.")
    if not can_moderate(actor, category):
        raise PermissionDenied("Only moderators do this.")


def set_pinned(actor: User, thread: Thread, pinned: bool) -> None:
    _check_moderator(actor, thread.category)
    if thread.pinned != pinned:
        thread.pinned = pinned
        audit.record(actor, "forum.thread_pin" if pinned else "forum.thread_unpin", thread)
        db.session.commit()


def set_locked(actor: User, thread: Thread, locked: bool) -> None:
    _check_moderator(actor, thread.category)
    if thread.locked != locked:
        thread.locked = locked
        audit.record(actor, "forum.thread_lock" if locked else "forum.thread_unlock", thread)
        db.session.commit()


def move_thread(actor: User, thread: Thread, category: Category) -> None:
    _check_moderator(actor, thread.category)
    if not can_moderate(actor, category) or category.is_archived:
        raise PermissionDenied("You cannot move threads into that category.")
    if thread.is_deleted:
        raise ServiceError("This thread is deleted.")
    source = thread.category
    if source.id == category.id:
        return
    thread.category_id = category.id
    thread.category = category
    audit.record(
        actor, "forum.thread_move", thread, from_category=source.slug, to_category=category.slug
    )
    db.session.flush()
    refresh_category_stats(source)
    refresh_category_stats(category)
    db.session.commit()


def merge_threads(actor: User, source: Thread, target: Thread) -> None:
    """Append the posts of `source` to `target`, in order; `source` then redirects."""
    _check_moderator(actor, source.category)
    _check_moderator(actor, target.category)
    if source.id == target.id:
        raise ServiceError("Choose another thread to merge into.", field="target")
    if source.is_deleted or target.is_deleted:
        raise ServiceError("Deleted threads cannot be merged.", field="target")
    offset = target.last_post_number
    db.session.execute(
        sa.update(Post)
        .where(Post.thread_id == source.id)
        .values(thread_id=target.id, number=Post.number + offset)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.delete(ReadState).where(ReadState.thread_id == source.id))
    target.last_post_number = offset + source.last_post_number
    now = utcnow()
    source.deleted_at, source.deleted_by_id = now, actor.id
    source.merged_into_id = target.id
    source.accepted_post_id = None
    audit.record(
        actor, "forum.thread_merge", source, into_thread=target.id, into_title=target.title
    )
    db.session.flush()
    db.session.expire_all()
    refresh_thread_stats(target)
    refresh_category_stats(source.category)
    refresh_category_stats(target.category)
    db.session.commit()


def flag_post(actor: User, post: Post, *, reason: str, details: str = "") -> Flag:
    if not can_view_thread(actor, post.thread):
        raise NotFound("No such post.")
    if not can_flag_post(actor, post):
        raise PermissionDenied("You cannot flag this post.")
    if reason not in FLAG_REASON_KEYS:
        raise ServiceError("Choose a reason.", field="reason")
    details = check_reason(details, required=reason == "other", field="details")
    already = db.session.execute(
        sa.select(Flag.id).where(
            Flag.post_id == post.id, Flag.flagger_id == actor.id, Flag.resolved_at.is_(None)
        )
    ).first()
    if already:
        raise Conflict("You have flagged this post already; a moderator will look at it.")
    flag = Flag(post_id=post.id, flagger_id=actor.id, reason=reason, details=details)
    db.session.add(flag)
    db.session.commit()
    return flag


def hide_post(actor: User, post: Post, *, reason: str) -> None:
    """Hide a post from readers; the audit log keeps who, why, and what it said."""
    thread = post.thread
    _check_moderator(actor, thread.category)
    reason = check_reason(reason)
    if post.deleted_at is not None:
        raise ServiceError("This post is deleted.")
    if post.hidden_at is not None:
        return
    now = utcnow()
    post.hidden_at, post.hidden_by_id, post.hidden_reason = now, actor.id, reason
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    flags = _resolve_open_flags(actor, post, "hidden", now)
    audit.record(
        actor,
        "forum.post_hide",
        post,
        reason=reason,
        thread=thread.id,
        number=post.number,
        author_id=post.author_id,
        flags=flags or None,
        excerpt=post.search_text[:300],
    )
    db.session.flush()
    refresh_thread_stats(thread)
    refresh_category_stats(thread.category)
    db.session.commit()


def unhide_post(actor: User, post: Post) -> None:
    thread = post.thread
    _check_moderator(actor, thread.category)
    if post.hidden_at is None:
        return
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, None
    audit.record(actor, "forum.post_unhide", post, thread=thread.id, number=post.number)
    db.session.flush()
    refresh_thread_stats(thread)
    refresh_category_stats(thread.category)
    db.session.commit()


def dismiss_flags(actor: User, post: Post) -> None:
    """The flags on a post were looked at and need nothing done."""
    _check_moderator(actor, post.thread.category)
    count = _resolve_open_flags(actor, post, "dismissed", utcnow())
    if count:
        audit.record(actor, "forum.flags_dismiss", post, thread=post.thread_id, flags=count)
    db.session.commit()


def _resolve_open_flags(actor: User, post: Post, resolution: str, now) -> int:
    return db.session.execute(
        sa.update(Flag)
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=actor.id, resolution=resolution)
        .execution_options(synchronize_session=False)
    ).rowcount


# ---------------------------------------------------------------- counters


def refresh_thread_stats(thread: Thread) -> None:
    """Recount a thread's replies and last post (after a delete, hide, merge)."""
    visible = sa.and_(
        Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.hidden_at.is_(None)
    )
    replies = db.session.execute(
        sa.select(sa.func.count()).select_from(Post).where(visible, Post.number > 1)
    ).scalar_one()
    last = db.session.execute(
        sa.select(Post.created_at, Post.author_id)
        .where(visible)
        .order_by(Post.number.desc())
        .limit(1)
    ).first()
    thread.reply_count = replies
    if last is not None:
        thread.last_post_at, thread.last_poster_id = last
    else:
        thread.last_post_at, thread.last_poster_id = thread.created_at, thread.author_id


def refresh_category_stats(category: Category) -> None:
    live = sa.and_(Thread.category_id == category.id, Thread.deleted_at.is_(None))
    threads, posts = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Thread.reply_count + 1), 0)).where(
            live
        )
    ).one()
    last = db.session.execute(
        sa.select(Thread.last_post_at, Thread.last_poster_id)
        .where(live)
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .limit(1)
    ).first()
    category.thread_count, category.post_count = threads, posts
    category.last_post_at, category.last_poster_id = last if last is not None else (None, None)


# ---------------------------------------------------------------- notifications


def who_may_read(users: Iterable[User], category: Category) -> list[User]:
    """Those of `users` who may read the category (one query for a coalition's category)."""
    users = [u for u in users if u.active and u.role != Role.GUEST.value]
    if category.kind == CategoryKind.COMMUNITY:
        return users
    if category.kind == CategoryKind.STAFF:
        return [u for u in users if u.is_staff]
    ids = [u.id for u in users if not u.is_admin]
    allowed: set[int] = set()
    if ids and category.coalition_id is not None:
        allowed = set(
            db.session.execute(
                sa.select(Membership.user_id)
                .where(
                    Membership.coalition_id == category.coalition_id, Membership.user_id.in_(ids)
                )
                .union(
                    sa.select(CoachAssignment.coach_id).where(
                        CoachAssignment.coalition_id == category.coalition_id,
                        CoachAssignment.coach_id.in_(ids),
                    )
                )
            ).scalars()
        )
    return [u for u in users if u.is_admin or u.id in allowed]


def _users(ids: Iterable[int]) -> list[User]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars())


def _excerpt(post: Post) -> str:
    return post.search_text[:300]


def _notify_mentions(
    actor: User, thread: Thread, category: Category, post: Post, mentioned: list[int]
) -> set[int]:
    told = notifications.notify_many(
        who_may_read(_users(mentioned), category),
        notification_kinds.MENTION.key,
        actor=actor,
        subject_type="post",
        subject_id=post.id,
        url=post_path(post.id),
        text=f"{actor.name} mentioned you in “{thread.title}”",
        excerpt=_excerpt(post),
        context=[("thread", thread.id), ("category", category.id)],
    )
    return {n.user_id for n in told}


def _notify_new_post(
    actor: User,
    thread: Thread,
    category: Category,
    post: Post,
    mentioned: list[int],
    *,
    is_new_thread: bool = False,
) -> None:
    """Mentions first, then the asker (a reply), then followers: one notice per person."""
    # Skip everyone mentioned, told or not: a muted thread silences its replies too.
    done = _notify_mentions(actor, thread, category, post, mentioned) | set(mentioned)
    done.add(actor.id)
    common = dict(
        actor=actor,
        subject_type="post",
        subject_id=post.id,
        url=post_path(post.id),
        excerpt=_excerpt(post),
        context=[("thread", thread.id), ("category", category.id)],
    )
    if not is_new_thread and thread.author_id and thread.author_id not in done:
        notifications.notify_many(
            who_may_read(_users([thread.author_id]), category),
            notification_kinds.REPLY.key,
            text=f"{actor.name} replied to “{thread.title}”",
            **common,
        )
        done.add(thread.author_id)
    candidates = {u.id: u for u in notifications.followers("category", category.id)}
    if not is_new_thread:
        candidates.update({u.id: u for u in notifications.followers("thread", thread.id)})
    text = (
        f"New thread “{thread.title}” in {category.name}"
        if is_new_thread
        else f"{actor.name} posted in “{thread.title}”"
    )
    notifications.notify_many(
        who_may_read(candidates.values(), category),
        notification_kinds.FOLLOWED_POST.key,
        text=text,
        skip_user_ids=done,
        **common,
    )
