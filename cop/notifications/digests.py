"""Daily and weekly digest emails, each in the recipient's time zone at the hour they chose.

A digest gathers the unread notifications of the kinds the user set to that digest (the
new posts in the threads and categories they follow arrive as `followed_post`), since the
previous digest of the same period. Each (user, period, local date or ISO week) is claimed
once by inserting its DigestRun row under a unique key, in the same transaction as the
email it queues: two job runners never send the same digest. Nothing new: the run is
recorded with no email, and nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cop.accounts.models import User
from cop.core.timezones import zone
from cop.extensions import db
from cop.notifications.kinds import DIGESTS, KINDS, Delivery
from cop.notifications.models import (
    DEFAULT_DIGEST_HOUR,
    DEFAULT_WEEKLY_DAY,
    DigestRun,
    Notification,
    NotificationPreference,
    NotificationSettings,
)

log = logging.getLogger("cop.notifications")

PERIOD_LENGTH = {Delivery.DAILY: timedelta(days=1), Delivery.WEEKLY: timedelta(days=7)}


def due_periods(
    timezone: str, digest_hour: int, weekly_day: int, now: datetime
) -> list[tuple[Delivery, str]]:
    """The digest periods due for someone at `now`: the daily one from their hour on, each
    local day; the weekly one from their hour on their weekday (catching up later in the
    same ISO week if no runner was up then)."""
    local = now.astimezone(zone(timezone))
    due = []
    if local.hour >= digest_hour:
        due.append((Delivery.DAILY, local.date().isoformat()))
    weekday = local.weekday()
    if weekday > weekly_day or (weekday == weekly_day and local.hour >= digest_hour):
        year, week, _ = local.isocalendar()
        due.append((Delivery.WEEKLY, f"{year}-W{week:02d}"))
    return due


def _candidates() -> dict[int, dict[str, Delivery]]:
    """user id -> their digest kinds, for everyone who may get a digest."""
    digest_values = [d.value for d in DIGESTS]
    default_digest = {k: kind.default for k, kind in KINDS.items() if kind.default in DIGESTS}
    query = sa.select(
        NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery
    )
    if not default_digest:
        # Only people who chose a digest for some kind.
        query = query.where(
            NotificationPreference.user_id.in_(
                sa.select(NotificationPreference.user_id).where(
                    NotificationPreference.delivery.in_(digest_values)
                )
            )
        )
    rows = db.session.execute(query).all()
    chosen: dict[int, dict[str, Delivery]] = {}
    for uid, kind, delivery in rows:
        if kind in KINDS:
            chosen.setdefault(uid, {})[kind] = Delivery(delivery)
    if default_digest:
        # A kind is a digest by default: everyone is a candidate.
        for uid in db.session.execute(sa.select(User.id).where(User.active.is_(True))).scalars():
            chosen.setdefault(uid, {})
    result = {}
    for uid, prefs in chosen.items():
        merged = {**default_digest, **prefs}
        digest_kinds = {k: d for k, d in merged.items() if d in DIGESTS}
        if digest_kinds:
            result[uid] = digest_kinds
    return result


def queue_due_digests(now: datetime) -> int:
    """Queue every digest due at `now` (one commit per digest). Returns how many emails."""
    candidates = _candidates()
    if not candidates:
        db.session.rollback()
        return 0
    ids = list(candidates)
    users = {
        u.id: u
        for u in db.session.execute(
            sa.select(User).where(User.id.in_(ids), User.active.is_(True))
        ).scalars()
    }
    settings = {
        s.user_id: s
        for s in db.session.execute(
            sa.select(NotificationSettings).where(NotificationSettings.user_id.in_(ids))
        ).scalars()
    }
    done = set(
        db.session.execute(
            sa.select(DigestRun.user_id, DigestRun.period, DigestRun.period_key).where(
                DigestRun.user_id.in_(ids), DigestRun.created_at >= now - timedelta(days=8)
            )
        )
    )
    db.session.rollback()
    sent = 0
    for uid, kinds in candidates.items():
        user = users.get(uid)
        if user is None:
            continue
        s = settings.get(uid)
        hour = s.digest_hour if s else DEFAULT_DIGEST_HOUR
        day = s.weekly_day if s else DEFAULT_WEEKLY_DAY
        for period, key in due_periods(user.timezone, hour, day, now):
            period_kinds = [k for k, d in kinds.items() if d == period]
            if period_kinds and (uid, period.value, key) not in done:
                sent += _run_digest(uid, period, key, period_kinds, now)
    return sent


def _run_digest(user_id: int, period: Delivery, key: str, kinds: list[str], now: datetime) -> int:
    from cop.notifications.emails import queue_digest_email

    user = db.session.get(User, user_id)
    last_end = db.session.execute(
        sa.select(sa.func.max(DigestRun.window_end)).where(
            DigestRun.user_id == user_id, DigestRun.period == period.value
        )
    ).scalar_one_or_none()
    start = last_end or now - PERIOD_LENGTH[period]
    items = list(
        db.session.execute(
            sa.select(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
                Notification.kind.in_(kinds),
                Notification.created_at > start,
                Notification.created_at <= now,
            )
            .order_by(Notification.created_at)
        ).scalars()
    )
    run = DigestRun(
        user_id=user_id,
        period=period.value,
        period_key=key,
        window_start=start,
        window_end=now,
        item_count=len(items),
    )
    db.session.add(run)
    try:
        db.session.flush()  # the claim: (user, period, key) is unique
    except IntegrityError:
        db.session.rollback()
        return 0
    email = None
    if items:
        unread_total = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).scalar_one()
        email = queue_digest_email(user, period, items, unread_total, now)
        if email is not None:
            db.session.flush()
            run.email_id = email.id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    log.info(
        "digest %s %s for user %s: %s item(s)%s",
        period.value,
        key,
        user_id,
        len(items),
        "" if email else ", nothing sent",
    )
    return 1 if email is not None else 0
