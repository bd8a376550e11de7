"""Read-side queries: the bell count, the notification list (keyset pages), follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from cop.accounts.models import User
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.core.timezones import zone
from cop.extensions import db
from cop.notifications.models import Notification, OutboundEmail, Subscription
from cop.notifications.targets import describe_targets

PAGE_SIZE = 50


def unread_count(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def notifications_page(
    user: User, *, cursor: str | None = None, limit: int = PAGE_SIZE, unread_only: bool = False
) -> Page:
    """Newest first, `limit` at a time; the cursor is the last id seen."""
    query = (
        sa.select(Notification)
        .options(joinedload(Notification.actor))
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(limit + 1)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    values = decode_cursor(cursor)
    if values and isinstance(values[0], int):
        query = query.where(Notification.id < values[0])
    items = list(db.session.execute(query).scalars())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_cursor([items[-1].id])
    return Page(items=items, next_cursor=next_cursor)


@dataclass
class DayGroup:
    day: date
    label: str
    items: list[Notification]


def group_by_day(items: list[Notification], timezone: str, now: datetime) -> list[DayGroup]:
    """Consecutive notifications under headings "Today", "Yesterday", "Monday, March 2"."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    groups: list[DayGroup] = []
    for item in items:
        day = item.created_at.astimezone(tz).date()
        if not groups or groups[-1].day != day:
            if day == today:
                label = "Today"
            elif day == today - timedelta(days=1):
                label = "Yesterday"
            else:
                label = day.strftime("%A, %B %-d, %Y")
            groups.append(DayGroup(day, label, []))
        groups[-1].items.append(item)
    return groups


@dataclass
class FollowRow:
    id: int
    level: str
    target_type: str
    label: str
    url: str | None


def subscriptions_of(user: User) -> list[FollowRow]:
    """The user's follows and mutes, described by the features that own the targets."""
    subs = list(
        db.session.execute(
            sa.select(Subscription)
            .where(Subscription.user_id == user.id)
            .order_by(Subscription.target_type, Subscription.created_at)
        ).scalars()
    )
    described = describe_targets([(s.target_type, s.target_id) for s in subs])
    rows = []
    for s in subs:
        label, url = described.get(
            (s.target_type, s.target_id),
            (f"{s.target_type.replace('_', ' ').capitalize()} #{s.target_id}", None),
        )
        rows.append(FollowRow(s.id, s.level, s.target_type, label, url))
    return rows


def outbox_rows(status: str | None = None, limit: int = 100) -> list[OutboundEmail]:
    query = sa.select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)
    if status:
        query = query.where(OutboundEmail.status == status)
    else:
        query = query.where(OutboundEmail.status.in_(("pending", "sending", "failed")))
    return list(db.session.execute(query).scalars())
