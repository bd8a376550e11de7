"""Grant reporting: measures, targets, quarterly reports with their figures, published
comparisons, reminders sent, and the measures coaching sessions aim at.

Only aggregates: a figure is a number for a coalition, a measure and a quarter. No table of
cop holds participant-level data.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.extensions import db


class MeasureKind(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a percentage, 0 to 100
    MONEY = "money"  # US dollars

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    MeasureKind.COUNT: "Count (people)",
    MeasureKind.RATE: "Rate (percent)",
    MeasureKind.MONEY: "Money (US dollars)",
}


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # reviewed: returned with comments, editable again
    ACCEPTED = "accepted"  # reviewed: accepted

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ReportStatus.DRAFT: "Draft",
    ReportStatus.SUBMITTED: "Submitted, awaiting review",
    ReportStatus.RETURNED: "Returned with comments",
    ReportStatus.ACCEPTED: "Accepted",
}
# The coalition's staff may change the report (figures and narrative) in these states.
EDITABLE = (ReportStatus.DRAFT.value, ReportStatus.RETURNED.value)
# The report has been handed in (it counts as submitted for due dates).
HANDED_IN = (ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value)

SLUG_MAX = 60
NAME_MAX = 120
DEFINITION_MAX = 4000
NARRATIVE_MAX = 20_000
COMMENTS_MAX = 10_000
# Sanity bounds: a figure beyond these is a typo, not a coalition's quarter.
COUNT_MAX = Decimal(1_000_000)
MONEY_MAX = Decimal(10_000_000)

# The usual measures of such grants: slug, name, kind, cumulative, definition.
DEFAULT_MEASURES: list[tuple[str, str, str, bool, str]] = [
    (
        "participants-served",
        "Participants served",
        "count",
        True,
        "Unduplicated individuals who have received grant-funded services since the grant "
        "began. Report the running total at the end of the quarter: it never goes down.",
    ),
    (
        "new-participants-served",
        "New participants served",
        "count",
        False,
        "Individuals who received grant-funded services for the first time during the quarter.",
    ),
    (
        "exiters",
        "Exiters",
        "count",
        False,
        "Participants who exited (received no grant-funded service for 90 days, with no future "
        "service planned) during the quarter.",
    ),
    (
        "began-training",
        "Began training",
        "count",
        False,
        "Participants who began an education or training program during the quarter.",
    ),
    (
        "completed-training",
        "Completed training",
        "count",
        False,
        "Participants who completed an education or training program during the quarter.",
    ),
    (
        "credentials-attained",
        "Credentials attained",
        "count",
        False,
        "Industry-recognized credentials, certificates or licenses earned by participants during "
        "the quarter.",
    ),
    (
        "entered-registered-apprenticeship",
        "Entered registered apprenticeship",
        "count",
        False,
        "Participants who entered a Registered Apprenticeship program during the quarter.",
    ),
    (
        "completed-ojt",
        "Completed on-the-job training",
        "count",
        False,
        "Participants who completed on-the-job training during the quarter.",
    ),
    (
        "entered-employment",
        "Entered employment",
        "count",
        False,
        "Participants who entered unsubsidized employment during the quarter.",
    ),
    (
        "entered-training-related-employment",
        "Entered training-related employment",
        "count",
        False,
        "Participants who entered unsubsidized employment related to the training they "
        "received, during the quarter.",
    ),
    (
        "incumbent-workers-retained",
        "Incumbent workers who retained their position",
        "count",
        False,
        "Incumbent workers who completed training and kept their position (or advanced) "
        "during the quarter.",
    ),
    (
        "employment-rate-q2",
        "Employment rate, 2nd quarter after exit",
        "rate",
        False,
        "Percent of participants who exited that were in unsubsidized employment during the "
        "second quarter after the quarter of exit (the exit cohort reported this quarter).",
    ),
    (
        "employment-rate-q4",
        "Employment rate, 4th quarter after exit",
        "rate",
        False,
        "Percent of participants who exited that were in unsubsidized employment during the "
        "fourth quarter after the quarter of exit (the exit cohort reported this quarter).",
    ),
    (
        "median-earnings-q2",
        "Median earnings, 2nd quarter after exit",
        "money",
        False,
        "Median quarterly earnings, in US dollars, of participants in unsubsidized employment "
        "during the second quarter after exit (the exit cohort reported this quarter).",
    ),
]


class Measure(TimestampMixin, db.Model):
    """A performance measure. Retired measures (active=False) keep their figures."""

    __tablename__ = "reporting_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), unique=True, nullable=False)
    definition: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # True: the quarter's figure is the running total since the grant began (it is the
    # grant-to-date value). False: counts are the quarter's own and add up over the grant;
    # rates and money are the quarter's level. See docs/reporting.md.
    cumulative: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('count', 'rate', 'money')", name="kind_valid"),
        sa.CheckConstraint("kind = 'count' OR NOT cumulative", name="cumulative_counts_only"),
    )

    @property
    def kind_enum(self) -> MeasureKind:
        return MeasureKind(self.kind)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind_enum]

    @property
    def sums(self) -> bool:
        """Quarterly figures add up over the grant (counts that are not running totals)."""
        return self.kind == MeasureKind.COUNT and not self.cumulative

    @property
    def title(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Measure {self.slug}>"


class Target(TimestampMixin, db.Model):
    """A coalition's target for a measure: for the whole grant (period 0) or a grant year
    (period 1, 2, ...). See docs/reporting.md for what a target means for each kind."""

    __tablename__ = "reporting_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False
    )
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reporting_measures.id", ondelete="CASCADE"), nullable=False, index=True
    )
    period: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)

    coalition: Mapped[Coalition] = relationship()
    measure: Mapped[Measure] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("coalition_id", "measure_id", "period"),
        sa.CheckConstraint("period >= 0 AND period <= 20", name="period_valid"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )


class QuarterlyReport(TimestampMixin, db.Model):
    """A coalition's report for one calendar quarter: figures and a narrative."""

    __tablename__ = "reporting_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=ReportStatus.DRAFT.value
    )
    progress: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    progress_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    challenges: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    challenges_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    ta_wanted: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    ta_wanted_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    review_comments: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    review_comments_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    coalition: Mapped[Coalition] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    figures: Mapped[list[Figure]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("coalition_id", "year", "quarter"),
        sa.Index("ix_reporting_reports_year_quarter_status", "year", "quarter", "status"),
        sa.CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_valid"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'accepted')", name="status_valid"
        ),
    )

    @property
    def quarter_key(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def quarter_label(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def status_enum(self) -> ReportStatus:
        return ReportStatus(self.status)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_enum]

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def handed_in(self) -> bool:
        return self.status in HANDED_IN

    @property
    def title(self) -> str:
        """A label for the audit log and notifications."""
        return f"{self.coalition.slug} {self.quarter_key}"

    def __repr__(self) -> str:
        return f"<QuarterlyReport {self.coalition_id} {self.quarter_key} {self.status}>"


class Figure(db.Model):
    """One aggregate number of a report."""

    __tablename__ = "reporting_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reporting_reports.id", ondelete="CASCADE"), nullable=False
    )
    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reporting_measures.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )

    report: Mapped[QuarterlyReport] = relationship(back_populates="figures")
    measure: Mapped[Measure] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("report_id", "measure_id"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
    )


class ReportReminder(db.Model):
    """A due-date reminder that went out: (coalition, quarter, stage) once, ever. Inserting
    the row is the claim, in the transaction that creates the notifications."""

    __tablename__ = "reporting_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False
    )
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    stage: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # due_soon, overdue
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("coalition_id", "year", "quarter", "stage"),
        sa.CheckConstraint("stage IN ('due_soon', 'overdue')", name="stage_valid"),
    )


class Comparison(db.Model):
    """A comparison of the coalitions an admin published for everyone in the program: the
    table of each coalition's progress as of a quarter, frozen when published."""

    __tablename__ = "reporting_comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    quarter: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    note_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    # {"measures": [{slug, name, kind}], "rows": [{slug, name, cells: {slug: {...}}}]}
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    published_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter_valid"),)

    @property
    def quarter_key(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def quarter_label(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def is_published(self) -> bool:
        return self.withdrawn_at is None


# The measures a coaching session aims at (coaching to outcomes). Lives here, not in
# cop.coaching: reporting depends on coaching, never the other way round.
session_measures = sa.Table(
    "reporting_session_measures",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "measure_id",
        sa.ForeignKey("reporting_measures.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
