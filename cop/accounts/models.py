from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.core.models import TimestampMixin, UTCDateTime, utcnow
from cop.core.timezones import DEFAULT_TZ
from cop.extensions import db


class Role(StrEnum):
    ADMIN = "admin"
    COACH = "coach"
    MEMBER = "member"
    EXPERT = "expert"
    GUEST = "guest"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Admin (program staff)",
    Role.COACH: "Coach",
    Role.MEMBER: "Coalition member",
    Role.EXPERT: "Subject-matter expert",
    Role.GUEST: "Guest",
}

NAME_MAX = 120
EMAIL_MAX = 254
TEXT_MAX = 200
BIO_MAX = 5000


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(NAME_MAX), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False, default=Role.MEMBER.value)
    organization: Mapped[str] = mapped_column(sa.String(TEXT_MAX), default="", nullable=False)
    title: Mapped[str] = mapped_column(sa.String(TEXT_MAX), default="", nullable=False)
    bio: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    bio_html: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TZ, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'coach', 'member', 'expert', 'guest')", name="role_valid"
        ),
    )

    # Set by the session loader: the id of the server-side session (or API token) this
    # request runs in, and when that credential expires.
    current_session_id = None
    current_token_id = None
    current_credential_expires_at = None

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the session token, never the user id."""
        token = getattr(self, "_login_token", None)
        if token is None:
            raise RuntimeError("log users in through accounts.auth.start_session")
        return token

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace("-", " ").split() if p[:1].isalpha()]
        if not parts:
            return (self.email[:1] or "?").upper()
        if len(parts) == 1:
            return parts[0][:2].upper()
        return (parts[0][0] + parts[-1][0]).upper()

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_coach(self) -> bool:
        return self.role == Role.COACH

    @property
    def is_staff(self) -> bool:
        """Program staff: admins and coaches."""
        return self.role in (Role.ADMIN, Role.COACH)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(db.Model):
    """A server-side login session: logging out deletes it, so a copied cookie stops working."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    ip: Mapped[str] = mapped_column(sa.String(64), default="", nullable=False)

    user: Mapped[User] = relationship(back_populates="sessions")


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80), default="", nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.active


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), nullable=False, index=True)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    coalition_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("coalitions.id", ondelete="CASCADE")
    )
    as_lead: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    coalition = relationship("Coalition")

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'coach', 'member', 'expert', 'guest')", name="role_valid"
        ),
    )

    def status(self, now: datetime) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"
