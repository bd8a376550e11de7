from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.extensions import db


class Track(StrEnum):
    DEVELOPMENT = "development"
    SCALING = "scaling"


class Sector(StrEnum):
    RENEWABLE_ENERGY = "renewable-energy"
    BROADBAND = "broadband"
    TRANSPORTATION = "transportation"
    ADVANCED_MANUFACTURING = "advanced-manufacturing"


SECTOR_LABELS = {
    Sector.RENEWABLE_ENERGY: "Renewable energy",
    Sector.BROADBAND: "Broadband",
    Sector.TRANSPORTATION: "Transportation",
    Sector.ADVANCED_MANUFACTURING: "Advanced manufacturing",
}
TRACK_LABELS = {Track.DEVELOPMENT: "Development", Track.SCALING: "Scaling"}

# The 50 states, DC and the territories, by USPS code.
STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}


SLUG_MAX = 80
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_slug(slug: str | None) -> bool:
    return bool(slug) and len(slug) <= SLUG_MAX and SLUG_RE.match(slug) is not None


class Coalition(TimestampMixin, db.Model):
    __tablename__ = "coalitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    lead_organization: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    track: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    description_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    partners: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    award_amount: Mapped[int | None] = mapped_column(sa.Integer)
    # Counters kept on the row so list pages never count.
    member_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    states: Mapped[list[CoalitionState]] = relationship(
        cascade="all, delete-orphan", order_by="CoalitionState.state", lazy="selectin"
    )
    sectors: Mapped[list[CoalitionSector]] = relationship(
        cascade="all, delete-orphan", order_by="CoalitionSector.sector", lazy="selectin"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="coalition", cascade="all, delete-orphan"
    )
    coach_assignments: Mapped[list[CoachAssignment]] = relationship(
        back_populates="coalition", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("track IN ('development', 'scaling')", name="track_valid"),
    )

    @property
    def state_codes(self) -> list[str]:
        return [s.state for s in self.states]

    @property
    def sector_codes(self) -> list[str]:
        return [s.sector for s in self.sectors]

    @property
    def track_label(self) -> str:
        return TRACK_LABELS[Track(self.track)]

    def __repr__(self) -> str:
        return f"<Coalition {self.slug}>"


class CoalitionState(db.Model):
    __tablename__ = "coalition_states"

    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(sa.String(2), primary_key=True, index=True)

    @property
    def name(self) -> str:
        return STATES.get(self.state, self.state)


class CoalitionSector(db.Model):
    __tablename__ = "coalition_sectors"

    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)

    @property
    def label(self) -> str:
        return SECTOR_LABELS.get(Sector(self.sector), self.sector)


class Membership(db.Model):
    """A user on a coalition's staff; `is_lead` marks the coalition's leads."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    is_lead: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    user: Mapped[User] = relationship()
    coalition: Mapped[Coalition] = relationship(back_populates="memberships")

    __table_args__ = (sa.UniqueConstraint("user_id", "coalition_id"),)


class CoachAssignment(db.Model):
    __tablename__ = "coach_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    coalition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    coach: Mapped[User] = relationship()
    coalition: Mapped[Coalition] = relationship(back_populates="coach_assignments")

    __table_args__ = (sa.UniqueConstraint("coach_id", "coalition_id"),)
