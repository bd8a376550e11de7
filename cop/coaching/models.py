"""Coaching session logs, their topics, attendees and action items."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.core.models import TimestampMixin, UTCDateTime
from cop.extensions import db


class Modality(StrEnum):
    VIDEO = "video"
    PHONE = "phone"
    IN_PERSON = "in_person"
    EMAIL = "email"
    SITE_VISIT = "site_visit"

    @property
    def label(self) -> str:
        return MODALITY_LABELS[self]


MODALITY_LABELS = {
    Modality.VIDEO: "Video call",
    Modality.PHONE: "Phone",
    Modality.IN_PERSON: "In person",
    Modality.EMAIL: "Email",
    Modality.SITE_VISIT: "Site visit",
}


class Initiator(StrEnum):
    COACH = "coach"
    COALITION = "coalition"


INITIATOR_LABELS = {Initiator.COACH: "The coach", Initiator.COALITION: "The coalition"}


class ItemStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


ITEM_STATUS_LABELS = {
    ItemStatus.OPEN: "Open",
    ItemStatus.DONE: "Done",
    ItemStatus.DROPPED: "Dropped",
}

# The start list of the topic taxonomy (admins edit it later): slug, label.
DEFAULT_TOPICS = [
    ("recruitment-outreach", "Recruitment and outreach"),
    ("employer-engagement", "Employer engagement"),
    ("supportive-services", "Supportive services"),
    ("training-design", "Training design"),
    ("apprenticeship", "Apprenticeship"),
    ("partnerships", "Partnerships"),
    ("data-performance-reporting", "Data and performance reporting"),
    ("grant-management-compliance", "Grant management and compliance"),
    ("sustainability", "Sustainability"),
    ("equity-inclusion", "Equity and inclusion"),
]

MAX_DURATION_MINUTES = 24 * 60
TEXT_MAX = 20_000
DESCRIPTION_MAX = 500
OTHER_ATTENDEES_MAX = 500
TOPIC_LABEL_MAX = 80

session_topics = sa.Table(
    "coaching_session_topics",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "topic_id",
        sa.ForeignKey("coaching_topics.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)

session_coaches = sa.Table(
    "coaching_session_coaches",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

session_attendees = sa.Table(
    "coaching_session_attendees",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class CoachingTopic(db.Model):
    """One entry of the topic taxonomy. Retired topics stay on the sessions that used them."""

    __tablename__ = "coaching_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(TOPIC_LABEL_MAX), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"<CoachingTopic {self.slug}>"


class CoachingSession(TimestampMixin, db.Model):
    """One technical-assistance contact with a coalition (a session log)."""

    __tablename__ = "coaching_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    modality: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    initiated_by: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    other_attendees: Mapped[str] = mapped_column(
        sa.String(OTHER_ATTENDEES_MAX), default="", nullable=False
    )
    need: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    summary_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    outcome: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    outcome_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    next_session_on: Mapped[date | None] = mapped_column(sa.Date)
    # Only coaches and admins ever see these: never in member pages, API, search or mail.
    private_notes: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    coalition: Mapped[Coalition] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    coaches: Mapped[list[User]] = relationship(secondary=session_coaches, order_by=User.name)
    attendees: Mapped[list[User]] = relationship(secondary=session_attendees, order_by=User.name)
    topics: Mapped[list[CoachingTopic]] = relationship(
        secondary=session_topics, order_by=CoachingTopic.position
    )
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="ActionItem.id"
    )

    __table_args__ = (
        sa.Index("ix_coaching_sessions_coalition_started", "coalition_id", "started_at", "id"),
        sa.Index("ix_coaching_sessions_started_at", "started_at"),
        sa.CheckConstraint(
            f"duration_minutes > 0 AND duration_minutes <= {MAX_DURATION_MINUTES}",
            name="duration_valid",
        ),
        sa.CheckConstraint(
            "modality IN ('video', 'phone', 'in_person', 'email', 'site_visit')",
            name="modality_valid",
        ),
        sa.CheckConstraint("initiated_by IN ('coach', 'coalition')", name="initiated_by_valid"),
    )

    @property
    def modality_label(self) -> str:
        return MODALITY_LABELS.get(Modality(self.modality), self.modality)

    @property
    def initiated_by_label(self) -> str:
        return INITIATOR_LABELS.get(Initiator(self.initiated_by), self.initiated_by)

    @property
    def hours(self) -> float:
        return self.duration_minutes / 60

    @property
    def title(self) -> str:
        """A label for the audit log and page titles (no private content)."""
        return f"{self.coalition.slug} session {self.started_at:%Y-%m-%d}"

    def __repr__(self) -> str:
        return f"<CoachingSession {self.id} coalition={self.coalition_id}>"


class ActionItem(TimestampMixin, db.Model):
    __tablename__ = "coaching_action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # Denormalised from the session, so the per-coalition lists need no join.
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False
    )
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), nullable=False)
    owner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(
        sa.String(16), default=ItemStatus.OPEN.value, nullable=False
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Who marked it done (or dropped) and when; cleared when it is reopened.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The "due soon" reminder went out; cleared when the due date moves.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[CoachingSession] = relationship(back_populates="action_items")
    coalition: Mapped[Coalition] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        sa.Index("ix_coaching_action_items_coalition_status", "coalition_id", "status"),
        sa.Index("ix_coaching_action_items_owner_status", "owner_id", "status"),
        sa.Index("ix_coaching_action_items_status_due", "status", "due_on"),
        sa.CheckConstraint("status IN ('open', 'done', 'dropped')", name="status_valid"),
    )

    @property
    def status_label(self) -> str:
        return ITEM_STATUS_LABELS.get(ItemStatus(self.status), self.status)

    @property
    def is_open(self) -> bool:
        return self.status == ItemStatus.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < today

    @property
    def title(self) -> str:
        return self.description[:80]

    def __repr__(self) -> str:
        return f"<ActionItem {self.id} {self.status}>"
