"""Forum tables: categories, threads, posts (numbered per thread), revisions, reactions,
tags, per-user read state, flags.

Counters live on the parent rows (Discourse's topic and category stats), so a list page
never counts; posts are paged by their per-thread number, never by OFFSET.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.core.models import UTCDateTime, utcnow
from cop.extensions import db


class CategoryKind(StrEnum):
    COMMUNITY = "community"  # every signed-in member of the community (not guests)
    COALITION = "coalition"  # one coalition's private space: members, its coaches, admins
    STAFF = "staff"  # coaches and admins


class Section(StrEnum):
    """Where a category is listed on the forum index."""

    SECTOR = "sector"
    TOPIC = "topic"
    COALITION = "coalition"
    STAFF = "staff"


SECTION_LABELS = {
    Section.SECTOR: "Sectors",
    Section.TOPIC: "Topics",
    Section.COALITION: "Coalition spaces",
    Section.STAFF: "Staff",
}


class ThreadKind(StrEnum):
    DISCUSSION = "discussion"
    QUESTION = "question"


# A small fixed set: (key, emoji, accessible label).
REACTIONS = (
    ("helpful", "\N{THUMBS UP SIGN}", "Helpful"),
    ("thanks", "\N{HEAVY BLACK HEART}", "Thanks"),
    ("insightful", "\N{ELECTRIC LIGHT BULB}", "Insightful"),
    ("celebrate", "\N{PARTY POPPER}", "Celebrate"),
)
REACTION_KEYS = tuple(key for key, _, _ in REACTIONS)

FLAG_REASONS = (
    ("off_topic", "Off topic"),
    ("inappropriate", "Inappropriate or disrespectful"),
    ("private_data", "Shares personal data about participants"),
    ("spam", "Spam or advertising"),
    ("other", "Something else"),
)
FLAG_REASON_KEYS = tuple(key for key, _ in FLAG_REASONS)

TITLE_MIN = 5
TITLE_MAX = 200
BODY_MAX = 30_000
TAG_MAX = 30
TAGS_PER_THREAD = 5
REASON_MAX = 500


class Category(db.Model):
    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    description_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    section: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # Set for the private category of a coalition; kept (as NULL: admins only) if it goes.
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="SET NULL"), unique=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # Counters, kept by the services.
    thread_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    post_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_poster_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])

    __table_args__ = (
        sa.CheckConstraint("kind IN ('community', 'coalition', 'staff')", name="kind_valid"),
        sa.CheckConstraint(
            "section IN ('sector', 'topic', 'coalition', 'staff')", name="section_valid"
        ),
        sa.Index("ix_forum_categories_position", "position", "id"),
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Thread(db.Model):
    __tablename__ = "forum_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_categories.id"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), nullable=False)
    kind: Mapped[str] = mapped_column(
        sa.String(16), default=ThreadKind.DISCUSSION.value, nullable=False
    )
    pinned: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_threads.id", ondelete="SET NULL")
    )
    accepted_post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "forum_posts.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_forum_threads_accepted_post_id_forum_posts",
        )
    )
    # Counters, kept by the services. last_post_number is the highest number handed out
    # (deleted posts keep theirs); reply_count counts visible replies only.
    last_post_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    reply_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_poster_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    category: Mapped[Category] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])
    # Loaded on purpose: lists and the thread page aggregate tags in their own query.
    tag_rows: Mapped[list[ThreadTag]] = relationship(
        cascade="all, delete-orphan", order_by="ThreadTag.tag"
    )

    __table_args__ = (
        sa.CheckConstraint("kind IN ('discussion', 'question')", name="kind_valid"),
        # The "latest" page and the category pages, by last activity.
        sa.Index("ix_forum_threads_last_post_at_id", "last_post_at", "id"),
        sa.Index(
            "ix_forum_threads_category_listing", "category_id", "pinned", "last_post_at", "id"
        ),
        sa.Index("ix_forum_threads_author_id", "author_id"),
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def is_question(self) -> bool:
        return self.kind == ThreadKind.QUESTION

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<Thread {self.id} {self.title[:30]!r}>"


class ThreadTag(db.Model):
    __tablename__ = "forum_thread_tags"

    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(TAG_MAX), primary_key=True, index=True)


class Post(db.Model):
    __tablename__ = "forum_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), nullable=False
    )
    # 1 is the opening post; numbers are handed out in order and never reused.
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Rendered and sanitised once, at write time (Discourse's "cooked").
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Plain text for the full-text index (maintained by triggers, see search.py).
    search_text: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(REASON_MAX))

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    __table_args__ = (
        sa.UniqueConstraint("thread_id", "number"),
        sa.Index("ix_forum_posts_author_id_created_at", "author_id", "created_at"),
        sa.Index("ix_forum_posts_created_at", "created_at"),
    )

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None

    @property
    def is_edited(self) -> bool:
        return self.version > 1

    def __repr__(self) -> str:
        return f"<Post {self.id} #{self.number} of thread {self.thread_id}>"


class PostRevision(db.Model):
    """An earlier version of a post, kept when it is edited (readers can open the history)."""

    __tablename__ = "forum_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str | None] = mapped_column(sa.String(TITLE_MAX))  # the opening post's
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # Who wrote this version, and when.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    author: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("post_id", "version"),)


class Reaction(db.Model):
    __tablename__ = "forum_reactions"

    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('helpful', 'thanks', 'insightful', 'celebrate')", name="kind_valid"
        ),
    )


class ReadState(db.Model):
    """How far a user has read a thread: the highest post number they were shown."""

    __tablename__ = "forum_read_states"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class Flag(db.Model):
    """A member's report that a post needs a moderator's look."""

    __tablename__ = "forum_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), nullable=False
    )
    flagger_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    details: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution: Mapped[str | None] = mapped_column(sa.String(16))

    post: Mapped[Post] = relationship()
    flagger: Mapped[User | None] = relationship(foreign_keys=[flagger_id])

    __table_args__ = (
        sa.CheckConstraint(
            "reason IN ('off_topic', 'inappropriate', 'private_data', 'spam', 'other')",
            name="reason_valid",
        ),
        sa.Index("ix_forum_flags_open", "resolved_at", "post_id"),
        sa.Index("ix_forum_flags_post_id_flagger_id", "post_id", "flagger_id"),
    )

    @property
    def reason_label(self) -> str:
        return dict(FLAG_REASONS).get(self.reason, self.reason)
