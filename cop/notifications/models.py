"""Tables of the notifications feature: in-app entries, follows and mutes, per-kind
preferences, digest settings and runs, scheduled notifications and the email outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.core.models import UTCDateTime, utcnow
from cop.extensions import db

DELIVERY_VALUES = "('off', 'in_app', 'email', 'daily', 'weekly')"


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # What it is about, e.g. ("post", 42): a generic reference, so any feature can notify.
    subject_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    # Optional plain-text extract (the first lines of a post, a message): shown in the list
    # and in the email.
    excerpt: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
    )


class Subscription(db.Model):
    """Follow or mute something (a thread, a category, a chat room...)."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    target_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    target_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "target_type", "target_id"),
        sa.Index("ix_subscriptions_target", "target_type", "target_id", "level"),
        sa.CheckConstraint("level IN ('follow', 'mute')", name="level_valid"),
    )


class NotificationPreference(db.Model):
    """A user's choice for one kind; no row means the kind's default."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    delivery: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind"),
        sa.Index("ix_notification_preferences_delivery", "delivery"),
        sa.CheckConstraint(f"delivery IN {DELIVERY_VALUES}", name="delivery_valid"),
    )


DEFAULT_DIGEST_HOUR = 8  # local time, the recipient's morning
DEFAULT_WEEKLY_DAY = 0  # Monday


class NotificationSettings(db.Model):
    """When a user's digests go out, in their own time zone (`User.timezone`)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest_hour: Mapped[int] = mapped_column(
        sa.Integer, default=DEFAULT_DIGEST_HOUR, nullable=False
    )
    weekly_day: Mapped[int] = mapped_column(sa.Integer, default=DEFAULT_WEEKLY_DAY, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    __table_args__ = (
        sa.CheckConstraint("digest_hour >= 0 AND digest_hour <= 23", name="digest_hour_valid"),
        sa.CheckConstraint("weekly_day >= 0 AND weekly_day <= 6", name="weekly_day_valid"),
    )


class OutboundEmail(db.Model):
    """The outbox: every email cop sends is a row here first, added in the transaction of
    the change that caused it, and sent by a job runner that claims it (exactly once)."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    text_body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    # Text files to attach (an event's .ics): [{"filename", "content_type", "content"}].
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_outbound_emails_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_outbound_emails_claimed_by", "claimed_by"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="status_valid"
        ),
    )


class DigestRun(db.Model):
    """One digest period of one user, recorded once (the unique key is the claim), whether
    an email went out or there was nothing new."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    period: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # daily | weekly
    # The recipient's local date (daily) or ISO week (weekly): "2026-03-02", "2026-W10".
    period_key: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    item_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    email_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbound_emails.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "period", "period_key"),
        sa.CheckConstraint("period IN ('daily', 'weekly')", name="period_valid"),
    )


class ScheduledNotification(db.Model):
    """A notification to create later (an event reminder, an action item due): the job
    runner turns it into a `notify` call once it is due, exactly once."""

    __tablename__ = "scheduled_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The caller's idempotency key, e.g. "event:12:reminder:user:7": scheduling the same key
    # again moves it; cancelling by key (or key prefix) withdraws it.
    key: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Past this, it is no longer worth sending ("starts in an hour" after the event).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    subject_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    text: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    excerpt: Mapped[str | None] = mapped_column(sa.String(1000))
    context: Mapped[list[Any]] = mapped_column(sa.JSON, default=list, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_scheduled_notifications_status_due_at", "status", "due_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'cancelled', 'expired')", name="status_valid"
        ),
    )


class JobLease(db.Model):
    """Periodic jobs other features register (e.g. coaching's action-item reminders): the
    runner that takes a job's lease runs it; the others skip it until the lease ends and
    the job's interval has passed, so several runners never run it at the same time."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
