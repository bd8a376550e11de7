"""Expert profiles, their expertise, and introduction requests with their history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coaching.models import CoachingTopic
from cop.coalitions.models import SECTOR_LABELS, STATES, Coalition, Sector
from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.extensions import db

NAME_MAX = 120
ORG_MAX = 200
TITLE_MAX = 200
BIO_MAX = 10_000
TAG_MAX = 40
TAGS_MAX = 12
LANGUAGES_MAX = 10
LANGUAGE_MAX = 40
CAPACITY_MAX = 20
NEED_MAX = 4_000
NOTE_MAX = 1_000
CHANGED_MAX = 4_000


class Availability(StrEnum):
    OPEN = "open"
    LIMITED = "limited"
    NOT_NOW = "not_now"


AVAILABILITY_LABELS = {
    Availability.OPEN: "Open to requests",
    Availability.LIMITED: "Limited availability",
    Availability.NOT_NOW: "Not taking requests now",
}


class HelpMode(StrEnum):
    CALL = "call"
    DOCUMENT = "document"
    SPEAKING = "speaking"
    FORUM = "forum"


HELP_MODE_LABELS = {
    HelpMode.CALL: "A call",
    HelpMode.DOCUMENT: "Reviewing a document",
    HelpMode.SPEAKING: "Speaking at an event",
    HelpMode.FORUM: "Answering in the forum",
}


class RequestState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CLOSED = "closed_without_meeting"


STATE_LABELS = {
    RequestState.REQUESTED: "Requested",
    RequestState.ACCEPTED: "Accepted",
    RequestState.DECLINED: "Declined",
    RequestState.SCHEDULED: "Scheduled",
    RequestState.COMPLETED: "Completed",
    RequestState.CLOSED: "Closed without a meeting",
}
OPEN_STATES = (RequestState.REQUESTED, RequestState.ACCEPTED, RequestState.SCHEDULED)


class Helped(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


HELPED_LABELS = {Helped.YES: "Yes", Helped.PARTLY: "Partly", Helped.NO: "No"}


def _in(enum) -> str:
    return "(" + ", ".join(f"'{m.value}'" for m in enum) + ")"


profile_topics = sa.Table(
    "expert_profile_topics",
    db.metadata,
    sa.Column(
        "profile_id", sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "topic_id",
        sa.ForeignKey("coaching_topics.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class ExpertProfile(TimestampMixin, db.Model):
    """An expert in the directory: a user with the expert role (`user_id`) or someone outside
    the platform whose profile a coach or admin maintains (`maintainer_id`, no user)."""

    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    maintainer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), nullable=False)
    organization: Mapped[str] = mapped_column(sa.String(ORG_MAX), default="", nullable=False)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), default="", nullable=False)
    bio: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    bio_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    help_modes: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    availability: Mapped[str] = mapped_column(
        sa.String(16), default=Availability.OPEN.value, nullable=False
    )
    monthly_capacity: Mapped[int] = mapped_column(sa.Integer, default=2, nullable=False)
    # Lower-case text of every searchable field, kept by the services (LIKE search).
    search_text: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")
    maintainer: Mapped[User | None] = relationship(foreign_keys=[maintainer_id])
    topics: Mapped[list[CoachingTopic]] = relationship(
        secondary=profile_topics, order_by=CoachingTopic.position, lazy="selectin"
    )
    sector_rows: Mapped[list[ExpertSector]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ExpertSector.sector"
    )
    state_rows: Mapped[list[ExpertState]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ExpertState.state"
    )

    __table_args__ = (
        sa.CheckConstraint(f"availability IN {_in(Availability)}", name="availability_valid"),
        sa.CheckConstraint(
            f"monthly_capacity >= 0 AND monthly_capacity <= {CAPACITY_MAX}", name="capacity_valid"
        ),
    )

    @property
    def is_outside(self) -> bool:
        """Someone outside the platform: never a login."""
        return self.user_id is None

    @property
    def initials(self) -> str:
        words = [w for w in self.name.replace(".", " ").split() if w[:1].isalpha()]
        words = [w for w in words if w.lower() not in {"dr", "mr", "ms", "mrs", "prof"}] or words
        if not words:
            return "?"
        return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()

    @property
    def sectors(self) -> list[str]:
        return [r.sector for r in self.sector_rows]

    @property
    def sector_labels(self) -> list[str]:
        return [SECTOR_LABELS.get(Sector(s), s) for s in self.sectors]

    @property
    def states(self) -> list[str]:
        return [r.state for r in self.state_rows]

    @property
    def state_names(self) -> list[str]:
        return [STATES.get(s, s) for s in self.states]

    @property
    def availability_label(self) -> str:
        return AVAILABILITY_LABELS.get(Availability(self.availability), self.availability)

    @property
    def help_mode_labels(self) -> list[str]:
        known = {m.value: label for m, label in HELP_MODE_LABELS.items()}
        return [known[m] for m in self.help_modes if m in known]

    @property
    def title_line(self) -> str:
        return ", ".join(p for p in (self.title, self.organization) if p)

    def __repr__(self) -> str:
        return f"<ExpertProfile {self.id} {self.name!r}>"


class ExpertSector(db.Model):
    __tablename__ = "expert_profile_sectors"

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)


class ExpertState(db.Model):
    __tablename__ = "expert_profile_states"

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(sa.String(2), primary_key=True, index=True)


class ExpertRequest(TimestampMixin, db.Model):
    """A request for an introduction, from a coalition (a member, or a coach on its behalf)
    to an expert, tracked to its outcome."""

    __tablename__ = "expert_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), nullable=False, index=True
    )
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    requester_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The coach (or admin) who asked on the coalition's behalf, when it was not a member.
    on_behalf: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    need: Mapped[str] = mapped_column(sa.Text, nullable=False)
    needed_by: Mapped[date | None] = mapped_column(sa.Date)
    state: Mapped[str] = mapped_column(
        sa.String(24), default=RequestState.REQUESTED.value, nullable=False
    )
    decline_note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="", nullable=False)
    meeting_on: Mapped[date | None] = mapped_column(sa.Date)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followup_helped: Mapped[str | None] = mapped_column(sa.String(8))
    followup_changed: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profile: Mapped[ExpertProfile] = relationship(lazy="joined")
    coalition: Mapped[Coalition] = relationship(lazy="joined")
    requester: Mapped[User | None] = relationship(foreign_keys=[requester_id], lazy="joined")
    changes: Mapped[list[RequestChange]] = relationship(
        cascade="all, delete-orphan", order_by="RequestChange.id", back_populates="request"
    )

    __table_args__ = (
        sa.CheckConstraint(f"state IN {_in(RequestState)}", name="state_valid"),
        sa.CheckConstraint(
            f"followup_helped IS NULL OR followup_helped IN {_in(Helped)}", name="followup_valid"
        ),
        sa.Index("ix_expert_requests_profile_accepted", "profile_id", "accepted_at"),
        sa.Index("ix_expert_requests_created_at", "created_at", "id"),
    )

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(RequestState(self.state), self.state)

    @property
    def helped_label(self) -> str:
        if not self.followup_helped:
            return ""
        return HELPED_LABELS.get(Helped(self.followup_helped), self.followup_helped)

    @property
    def title(self) -> str:
        return f"Request {self.id} to {self.profile.name}"

    def __repr__(self) -> str:
        return f"<ExpertRequest {self.id} {self.state}>"


class RequestChange(db.Model):
    """One step of a request's history (who moved it, from what, to what, with what note)."""

    __tablename__ = "expert_request_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_state: Mapped[str | None] = mapped_column(sa.String(24))
    to_state: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    request: Mapped[ExpertRequest] = relationship(back_populates="changes")
    actor: Mapped[User | None] = relationship(lazy="joined")

    @property
    def to_label(self) -> str:
        return STATE_LABELS.get(RequestState(self.to_state), self.to_state)
