"""Events tables: events (single or occurrences of a series), series with their RFC 5545
rule, registrations with the waitlist and attendance, invitations, speakers, resources,
the host's chat marks (pins and questions) and personal calendar-feed tokens.

Times are stored in UTC (`UTCDateTime`); `Event.timezone` is the organizer's zone, used to
expand recurrence rules on the organizer's wall clock and to write the .ics files.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coalitions.models import SECTOR_LABELS, Coalition, Sector
from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.extensions import db

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
LOCATION_MAX = 300
URL_MAX = 500
REASON_MAX = 500
SPEAKER_NAME_MAX = 120
SPEAKER_ORG_MAX = 200
RULE_MAX = 500
RESOURCE_TITLE_MAX = 200
MAX_CAPACITY = 100_000
MAX_JOIN_OPENS_MINUTES = 24 * 60
DEFAULT_JOIN_OPENS_MINUTES = 15


class EventType(StrEnum):
    WEBINAR = "webinar"
    PEER_LEARNING = "peer_learning"
    OFFICE_HOURS = "office_hours"
    CONVENING = "convening"
    COACHING_GROUP = "coaching_group"

    @property
    def label(self) -> str:
        return EVENT_TYPE_LABELS[self]


EVENT_TYPE_LABELS = {
    EventType.WEBINAR: "Webinar",
    EventType.PEER_LEARNING: "Peer-learning session",
    EventType.OFFICE_HOURS: "Office hours",
    EventType.CONVENING: "Convening",
    EventType.COACHING_GROUP: "Coaching group",
}


class Audience(StrEnum):
    EVERYONE = "everyone"
    COALITIONS = "coalitions"
    STAFF = "staff"


AUDIENCE_LABELS = {
    Audience.EVERYONE: "Everyone in the community",
    Audience.COALITIONS: "Chosen coalitions",
    Audience.STAFF: "Program staff only (admins and coaches)",
}


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"  # has a seat
    WAITLISTED = "waitlisted"  # in the queue for a seat
    PENDING = "pending"  # waiting for the host's approval
    CANCELLED = "cancelled"  # by the registrant
    DECLINED = "declined"  # by the host


REGISTRATION_LABELS = {
    RegistrationStatus.REGISTERED: "Registered",
    RegistrationStatus.WAITLISTED: "On the waitlist",
    RegistrationStatus.PENDING: "Waiting for the host's approval",
    RegistrationStatus.CANCELLED: "Cancelled",
    RegistrationStatus.DECLINED: "Declined by the host",
}
ACTIVE_STATUSES = (
    RegistrationStatus.REGISTERED.value,
    RegistrationStatus.WAITLISTED.value,
    RegistrationStatus.PENDING.value,
)


class ResourceKind(StrEnum):
    RECORDING = "recording"
    SLIDES = "slides"
    RESOURCE = "resource"


RESOURCE_LABELS = {
    ResourceKind.RECORDING: "Recording",
    ResourceKind.SLIDES: "Slides",
    ResourceKind.RESOURCE: "Resource",
}


class MarkKind(StrEnum):
    PIN = "pin"
    QUESTION = "question"


class TranscriptTarget(StrEnum):
    EVENT_PAGE = "event_page"
    FORUM_THREAD = "forum_thread"


def _in(values) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


event_coalitions = sa.Table(
    "event_coalitions",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "coalition_id",
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class EventSeries(TimestampMixin, db.Model):
    """A recurring event: its RFC 5545 rule, expanded on the organizer's wall clock into
    occurrences (`Event` rows) up to `materialized_until`; a periodic job extends open-ended
    rules as time passes."""

    __tablename__ = "event_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    rrule: Mapped[str] = mapped_column(sa.String(RULE_MAX), nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # The first occurrence's start: the rule's DTSTART.
    first_start_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    materialized_until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # True once every occurrence of a finite rule (COUNT or UNTIL) exists.
    complete: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    occurrences: Mapped[list[Event]] = relationship(
        back_populates="series", order_by="Event.starts_at", lazy="select"
    )

    __table_args__ = (sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),)


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The iCalendar UID: stable for the life of the event, whatever BASE_URL becomes.
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_series.id", ondelete="CASCADE"), index=True
    )
    # The start the series' rule gives this occurrence (unchanged when one is moved).
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Edited on its own ("this session only"): later whole-series edits still apply, but new
    # occurrences of an open-ended rule are not copied from it.
    detached: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)

    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    description_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(12), default=EventStatus.SCHEDULED.value, nullable=False
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    location: Mapped[str] = mapped_column(sa.String(LOCATION_MAX), default="", nullable=False)
    join_url: Mapped[str] = mapped_column(sa.String(URL_MAX), default="", nullable=False)
    join_opens_minutes: Mapped[int] = mapped_column(
        sa.Integer, default=DEFAULT_JOIN_OPENS_MINUTES, nullable=False
    )
    host_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    audience: Mapped[str] = mapped_column(
        sa.String(12), default=Audience.EVERYONE.value, nullable=False
    )
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    registration_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    requires_approval: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    # iCalendar SEQUENCE: bumped by every change calendar clients should pick up.
    sequence: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    # Counters kept by the services (conditional UPDATEs: the seat check and the count are
    # one statement, so concurrent registrations never overfill an event).
    registered_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    waitlist_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    pending_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="", nullable=False)
    # After the event: the chat archived (read-only), its transcript kept here or posted
    # to the forums (a plain id: events does not depend on the forum tables).
    chat_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transcript: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)
    transcript_target: Mapped[str] = mapped_column(
        sa.String(16), default=TranscriptTarget.EVENT_PAGE.value, nullable=False
    )
    forum_thread_id: Mapped[int | None] = mapped_column(sa.Integer)

    host: Mapped[User | None] = relationship(foreign_keys=[host_id], lazy="joined")
    series: Mapped[EventSeries | None] = relationship(back_populates="occurrences")
    coalitions: Mapped[list[Coalition]] = relationship(
        secondary=event_coalitions, lazy="selectin", order_by=Coalition.name
    )
    sector_rows: Mapped[list[EventSector]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="EventSector.sector"
    )
    speakers: Mapped[list[EventSpeaker]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="EventSpeaker.position"
    )
    resources: Mapped[list[EventResource]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="EventResource.id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"type IN {_in(EventType)}", name="type_valid"),
        sa.CheckConstraint(f"status IN {_in(EventStatus)}", name="status_valid"),
        sa.CheckConstraint(f"audience IN {_in(Audience)}", name="audience_valid"),
        sa.CheckConstraint(
            f"transcript_target IN {_in(TranscriptTarget)}", name="transcript_target_valid"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint(
            "registered_count >= 0 AND waitlist_count >= 0 AND pending_count >= 0",
            name="counters_valid",
        ),
        sa.CheckConstraint("join_opens_minutes >= 0", name="join_opens_valid"),
        sa.UniqueConstraint("series_id", "recurrence_id"),
        sa.Index("ix_events_starts_at_id", "starts_at", "id"),
        sa.Index("ix_events_ends_at", "ends_at"),
    )

    # ------------------------------------------------------------ derived values

    @property
    def type_label(self) -> str:
        return EVENT_TYPE_LABELS.get(EventType(self.type), self.type)

    @property
    def audience_label(self) -> str:
        return AUDIENCE_LABELS.get(Audience(self.audience), self.audience)

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED.value

    @property
    def sectors(self) -> list[str]:
        return [row.sector for row in self.sector_rows]

    @property
    def sector_labels(self) -> list[str]:
        return [SECTOR_LABELS.get(Sector(s), s) for s in self.sectors]

    @property
    def opens_at(self) -> datetime:
        """When registrants see the join link and may enter the live page."""
        return self.starts_at - timedelta(minutes=self.join_opens_minutes)

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.registered_count)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered_count >= self.capacity

    def registration_closes_at(self) -> datetime:
        return self.registration_deadline or self.ends_at

    def has_ended(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at

    def has_started(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.starts_at

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return not self.is_cancelled and self.opens_at <= now < self.ends_at

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r} {self.starts_at:%Y-%m-%d %H:%M}Z>"


class EventSector(db.Model):
    __tablename__ = "event_sectors"

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)


class EventSpeaker(db.Model):
    """A speaker: a cop user (an expert, staff, a coalition member presenting) or, with no
    account, a name and an organization."""

    __tablename__ = "event_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(SPEAKER_NAME_MAX), nullable=False)
    organization: Mapped[str] = mapped_column(
        sa.String(SPEAKER_ORG_MAX), default="", nullable=False
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    user: Mapped[User | None] = relationship()


class Registration(db.Model):
    """One person's place at one event: a seat, the waitlist, or waiting for approval.
    One row per person and event; registering again after cancelling reuses it."""

    __tablename__ = "event_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )
    # The waitlist is first come, first served by this time.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Attendance: recorded when they opened the live page or wrote in the event's chat
    # during the event; `attended` is the host's correction (None: as recorded).
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    join_source: Mapped[str | None] = mapped_column(sa.String(12))
    attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    attendance_set_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id"),
        sa.Index(
            "ix_event_registrations_event_id_status_queued_at", "event_id", "status", "queued_at"
        ),
        sa.CheckConstraint(f"status IN {_in(RegistrationStatus)}", name="status_valid"),
    )

    @property
    def status_label(self) -> str:
        return REGISTRATION_LABELS.get(RegistrationStatus(self.status), self.status)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_seat(self) -> bool:
        return self.status == RegistrationStatus.REGISTERED.value

    @property
    def did_attend(self) -> bool:
        if self.attended is not None:
            return self.attended
        return self.joined_at is not None

    @property
    def attendance_source(self) -> str:
        if self.attended is not None:
            return "host"
        return self.join_source or ""


class EventInvite(db.Model):
    """A person invited to one event: how guests (and anyone outside the audience) see it."""

    __tablename__ = "event_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)


class EventResource(db.Model):
    """After the event: the recording, the slides, other resources (links)."""

    __tablename__ = "event_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(RESOURCE_TITLE_MAX), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(URL_MAX), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (sa.CheckConstraint(f"kind IN {_in(ResourceKind)}", name="kind_valid"),)

    @property
    def kind_label(self) -> str:
        return RESOURCE_LABELS.get(ResourceKind(self.kind), self.kind)


class ChatMark(db.Model):
    """The host's pin or "question for the speakers" on a message of the event's chat room.
    Keyed by the chat message id (a plain id: the chat tables belong to chat)."""

    __tablename__ = "event_chat_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    )
    message_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "message_id", "kind"),
        sa.CheckConstraint(f"kind IN {_in(MarkKind)}", name="kind_valid"),
    )


class FeedToken(db.Model):
    """A personal calendar feed (/calendar/<token>.ics). Only the SHA-256 of the token is
    kept; resetting replaces it, revoking deletes it."""

    __tablename__ = "event_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
