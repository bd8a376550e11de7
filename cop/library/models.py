"""Library tables: resources (with file versions), their facets, likes, downloads,
comments, and curated collections.

Counters (downloads, likes, comments, versions) live on the resource row, so list pages
never count. Origins (a forum post, an event's material) are plain ids plus a path: the
library does not depend on the other features' tables.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.accounts.models import User
from cop.coalitions.models import SECTOR_LABELS, STATES, Coalition, Sector
from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.extensions import db


class ResourceType(StrEnum):
    GUIDE = "guide"
    TEMPLATE = "template"
    CURRICULUM = "curriculum"
    RECORDING = "recording"
    SLIDES = "slides"
    DATASET = "dataset"
    POLICY = "policy"
    TOOL = "tool"
    LINK = "link"


TYPE_LABELS = {
    ResourceType.GUIDE: "Guide",
    ResourceType.TEMPLATE: "Template",
    ResourceType.CURRICULUM: "Curriculum",
    ResourceType.RECORDING: "Recording",
    ResourceType.SLIDES: "Slides",
    ResourceType.DATASET: "Dataset",
    ResourceType.POLICY: "Policy",
    ResourceType.TOOL: "Tool",
    ResourceType.LINK: "Link",
}


class Visibility(StrEnum):
    PUBLIC = "public"  # anyone, without an account: the wider field
    COMMUNITY = "community"  # everyone signed in but guests
    COALITION = "coalition"  # one coalition: its members, its coaches, admins
    STAFF = "staff"  # coaches and admins


VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Public: anyone, without an account",
    Visibility.COMMUNITY: "The community: everyone signed in",
    Visibility.COALITION: "One coalition: its members and coaches",
    Visibility.STAFF: "Staff only: coaches and program staff",
}

POPULATIONS = {
    "women": "Women",
    "veterans": "Veterans",
    "youth": "Youth and young adults",
    "disabilities": "People with disabilities",
    "justice-involved": "People with records of justice involvement",
    "rural": "Rural residents",
    "incumbent-workers": "Incumbent workers",
    "limited-english": "People with limited English",
}

PROGRAM_AREAS = {
    "recruitment": "Recruitment and outreach",
    "employer-engagement": "Employer engagement",
    "supportive-services": "Supportive services",
    "training-design": "Training design",
    "apprenticeship": "Apprenticeship",
    "partnerships": "Partnerships",
    "data-reporting": "Data and performance reporting",
    "grant-management": "Grant management and compliance",
    "sustainability": "Sustainability",
    "equity": "Equity and inclusion",
}

SECTORS = {s.value: label for s, label in SECTOR_LABELS.items()}


class OriginKind(StrEnum):
    FORUM_POST = "forum_post"
    EVENT_RESOURCE = "event_resource"


TITLE_MIN = 3
TITLE_MAX = 200
SUMMARY_MAX = 20_000
URL_MAX = 2000
NAME_MAX = 255
NOTE_MAX = 500
COMMENT_MAX = 5000
SEARCH_TEXT_MAX = 200_000


def _in(values) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


class Resource(TimestampMixin, db.Model):
    __tablename__ = "library_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    summary_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    type: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    external_url: Mapped[str] = mapped_column(sa.String(URL_MAX), default="", nullable=False)
    program_area: Mapped[str] = mapped_column(sa.String(32), default="", nullable=False)
    visibility: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    # The coalition that shares it (and, for visibility "coalition", the one that sees it).
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Plain text for the full-text index: the summary and the current file's extracted text.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    origin_kind: Mapped[str | None] = mapped_column(sa.String(16))
    origin_id: Mapped[int | None] = mapped_column(sa.Integer)
    origin_path: Mapped[str] = mapped_column(sa.String(URL_MAX), default="", nullable=False)
    origin_label: Mapped[str] = mapped_column(sa.String(TITLE_MAX), default="", nullable=False)
    # Counters kept by the services.
    version_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    download_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    like_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    comment_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)

    coalition: Mapped[Coalition | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")
    sector_rows: Mapped[list[ResourceSector]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourceSector.sector"
    )
    state_rows: Mapped[list[ResourceState]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourceState.state"
    )
    population_rows: Mapped[list[ResourcePopulation]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ResourcePopulation.population"
    )
    versions: Mapped[list[ResourceVersion]] = relationship(
        cascade="all, delete-orphan",
        lazy="select",
        order_by="ResourceVersion.number.desc()",
        back_populates="resource",
    )

    __table_args__ = (
        sa.CheckConstraint(f"type IN {_in(ResourceType)}", name="type_valid"),
        sa.CheckConstraint(f"visibility IN {_in(Visibility)}", name="visibility_valid"),
        sa.CheckConstraint(
            "visibility != 'coalition' OR coalition_id IS NOT NULL",
            name="coalition_for_coalition_visibility",
        ),
        sa.CheckConstraint(
            "download_count >= 0 AND like_count >= 0 AND comment_count >= 0 AND version_count >= 0",
            name="counters_valid",
        ),
        sa.Index("ix_library_resources_created", "created_at", "id"),
        sa.Index("ix_library_resources_downloads", "download_count", "id"),
        sa.Index("ix_library_resources_likes", "like_count", "id"),
    )

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(ResourceType(self.type), self.type)

    @property
    def visibility_label(self) -> str:
        return VISIBILITY_LABELS.get(Visibility(self.visibility), self.visibility)

    @property
    def sectors(self) -> list[str]:
        return [r.sector for r in self.sector_rows]

    @property
    def states(self) -> list[str]:
        return [r.state for r in self.state_rows]

    @property
    def populations(self) -> list[str]:
        return [r.population for r in self.population_rows]

    @property
    def sector_labels(self) -> list[str]:
        return [SECTORS.get(s, s) for s in self.sectors]

    @property
    def state_names(self) -> list[str]:
        return [STATES.get(s, s) for s in self.states]

    @property
    def population_labels(self) -> list[str]:
        return [POPULATIONS.get(p, p) for p in self.populations]

    @property
    def program_area_label(self) -> str:
        return PROGRAM_AREAS.get(self.program_area, "")

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC.value

    @property
    def has_file(self) -> bool:
        return self.version_count > 0

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.title!r}>"


class ResourceSector(db.Model):
    __tablename__ = "library_resource_sectors"

    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    sector: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)


class ResourceState(db.Model):
    __tablename__ = "library_resource_states"

    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(sa.String(2), primary_key=True, index=True)


class ResourcePopulation(db.Model):
    __tablename__ = "library_resource_populations"

    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    population: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)


class ResourceVersion(db.Model):
    """One uploaded file; a new upload adds a version and keeps the old ones."""

    __tablename__ = "library_resource_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), nullable=False
    )
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # A random name on disk; the original name only for Content-Disposition.
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(NAME_MAX), nullable=False)
    extension: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="", nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    resource: Mapped[Resource] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("resource_id", "number"),
        sa.CheckConstraint("size_bytes >= 0", name="size_valid"),
    )


class ResourceLike(db.Model):
    __tablename__ = "library_resource_likes"

    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ResourceDownload(db.Model):
    """One download: who (if signed in) and for which coalition, for "used by" counts."""

    __tablename__ = "library_resource_downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ResourceComment(db.Model):
    __tablename__ = "library_resource_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    author: Mapped[User | None] = relationship(lazy="joined")


class Collection(TimestampMixin, db.Model):
    """An ordered list of resources curated by coaches and admins."""

    __tablename__ = "library_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    description_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    items: Mapped[list[CollectionItem]] = relationship(
        cascade="all, delete-orphan",
        order_by="CollectionItem.position",
        back_populates="collection",
    )


class CollectionItem(db.Model):
    __tablename__ = "library_collection_items"

    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_collections.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    note: Mapped[str] = mapped_column(sa.String(NOTE_MAX), default="", nullable=False)

    collection: Mapped[Collection] = relationship(back_populates="items")
    resource: Mapped[Resource] = relationship(lazy="joined")


SECTOR_VALUES = frozenset(s.value for s in Sector)
