"""Partner commitments: what an organization pledges, its review, and its progress reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coalitions.models import SECTOR_LABELS, STATES, Sector
from cop.core.models import TimestampMixin, UTCDateTime
from cop.extensions import db


class OrgType(StrEnum):
    EMPLOYER = "employer"
    UNION = "union"
    COLLEGE = "college"
    TRAINING_PROVIDER = "training_provider"
    COMMUNITY_ORGANIZATION = "community_organization"
    PHILANTHROPY = "philanthropy"
    GOVERNMENT = "government"


ORG_TYPE_LABELS = {
    OrgType.EMPLOYER: "Employer",
    OrgType.UNION: "Union",
    OrgType.COLLEGE: "College",
    OrgType.TRAINING_PROVIDER: "Training provider",
    OrgType.COMMUNITY_ORGANIZATION: "Community organization",
    OrgType.PHILANTHROPY: "Philanthropy",
    OrgType.GOVERNMENT: "State or local government",
}


class Status(StrEnum):
    UNCONFIRMED = "unconfirmed"  # sent without an account; the email address is not confirmed
    SUBMITTED = "submitted"  # in the review queue
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


STATUS_LABELS = {
    Status.UNCONFIRMED: "Waiting for email confirmation",
    Status.SUBMITTED: "Waiting for review",
    Status.CHANGES_REQUESTED: "Changes asked for",
    Status.ACCEPTED: "Accepted",
    Status.DECLINED: "Declined",
}

# The numbers a commitment may pledge: key -> (label, the progress label, upper limit).
# Limits refuse absurd values (a typo, a script) while leaving room for the largest real
# pledges: a national employer hiring 100,000 people, a foundation giving $1 billion.
NUMBERS = {
    "people_to_train": ("People to train", "People trained so far", 1_000_000),
    "people_to_hire": ("People to hire", "People hired so far", 1_000_000),
    "apprenticeship_slots": (
        "Apprenticeship slots",
        "Apprenticeship slots filled so far",
        1_000_000,
    ),
    "dollars": ("Dollars", "Dollars spent so far", 10_000_000_000),
}
# The progress column of each number on a report and on the commitment (latest report).
PROGRESS = {
    "people_to_train": "trained",
    "people_to_hire": "hired",
    "apprenticeship_slots": "slots_filled",
    "dollars": "dollars_spent",
}

ORG_NAME_MAX = 200
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
MESSAGE_MAX = 4_000
NOTE_MAX = 4_000
MAX_YEARS = 10  # a time frame longer than this is refused


def sector_label(code: str) -> str:
    try:
        return SECTOR_LABELS[Sector(code)]
    except ValueError:
        return code


class Commitment(TimestampMixin, db.Model):
    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_name: Mapped[str] = mapped_column(sa.String(ORG_NAME_MAX), nullable=False)
    org_type: Mapped[str] = mapped_column(sa.String(30), nullable=False, index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    description_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    people_to_train: Mapped[int | None] = mapped_column(sa.Integer)
    people_to_hire: Mapped[int | None] = mapped_column(sa.Integer)
    apprenticeship_slots: Mapped[int | None] = mapped_column(sa.Integer)
    dollars: Mapped[int | None] = mapped_column(sa.BigInteger)
    starts_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    contact_name: Mapped[str] = mapped_column(sa.String(NAME_MAX), nullable=False)
    contact_email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), nullable=False)
    contact_phone: Mapped[str] = mapped_column(sa.String(PHONE_MAX), nullable=False, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    review_message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Progress: the figures of the latest report (cumulative, "to date"), kept on the row so
    # lists and totals read no reports.
    trained: Mapped[int | None] = mapped_column(sa.Integer)
    hired: Mapped[int | None] = mapped_column(sa.Integer)
    slots_filled: Mapped[int | None] = mapped_column(sa.Integer)
    dollars_spent: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # Progress reminders: how many were sent, and when the next one is due (None: no more).
    reminders_sent: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    sector_rows: Mapped[list[CommitmentSector]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CommitmentSector.sector",
    )
    state_rows: Mapped[list[CommitmentState]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="CommitmentState.state",
    )
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        order_by="ProgressReport.reported_at.desc(), ProgressReport.id.desc()",
    )

    __table_args__ = (
        sa.CheckConstraint("people_to_train IS NULL OR people_to_train >= 0", name="train_ge0"),
        sa.CheckConstraint("people_to_hire IS NULL OR people_to_hire >= 0", name="hire_ge0"),
        sa.CheckConstraint(
            "apprenticeship_slots IS NULL OR apprenticeship_slots >= 0", name="slots_ge0"
        ),
        sa.CheckConstraint("dollars IS NULL OR dollars >= 0", name="dollars_ge0"),
        sa.CheckConstraint("ends_on >= starts_on", name="time_frame"),
    )

    @property
    def sectors(self) -> list[str]:
        return [r.sector for r in self.sector_rows]

    @property
    def states(self) -> list[str]:
        return [r.state for r in self.state_rows]

    @property
    def sector_labels(self) -> list[str]:
        return [sector_label(s) for s in self.sectors]

    @property
    def state_names(self) -> list[str]:
        return [STATES.get(s, s) for s in self.states]

    @property
    def org_type_label(self) -> str:
        try:
            return ORG_TYPE_LABELS[OrgType(self.org_type)]
        except ValueError:
            return self.org_type

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(Status(self.status), self.status)

    @property
    def is_accepted(self) -> bool:
        return self.status == Status.ACCEPTED

    def pledged(self) -> list[tuple[str, str, int, int | None, str]]:
        """(key, label, committed, so far, progress label) of each number it pledges."""
        return [
            (key, label, getattr(self, key), getattr(self, PROGRESS[key]), progress)
            for key, (label, progress, _) in NUMBERS.items()
            if getattr(self, key) is not None
        ]


class CommitmentSector(db.Model):
    __tablename__ = "commitment_sectors"

    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)
    commitment: Mapped[Commitment] = relationship(back_populates="sector_rows")


class CommitmentState(db.Model):
    __tablename__ = "commitment_states"

    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(sa.String(2), primary_key=True, index=True)
    commitment: Mapped[Commitment] = relationship(back_populates="state_rows")


class ProgressReport(db.Model):
    """One progress report: cumulative figures to date. History: every report is kept."""

    __tablename__ = "commitment_progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    trained: Mapped[int | None] = mapped_column(sa.Integer)
    hired: Mapped[int | None] = mapped_column(sa.Integer)
    slots_filled: Mapped[int | None] = mapped_column(sa.Integer)
    dollars_spent: Mapped[int | None] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    via: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="link")

    commitment: Mapped[Commitment] = relationship(back_populates="reports")
    reported_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("trained IS NULL OR trained >= 0", name="trained_ge0"),
        sa.CheckConstraint("hired IS NULL OR hired >= 0", name="hired_ge0"),
        sa.CheckConstraint("slots_filled IS NULL OR slots_filled >= 0", name="slots_ge0"),
        sa.CheckConstraint("dollars_spent IS NULL OR dollars_spent >= 0", name="dollars_ge0"),
    )
