"""The one notifications service. Features call `notify`; they never write notifications
themselves. `notify` adds to the caller's transaction; the calling service commits.

Emails are never sent here: `notify` adds a row to the outbox in the same transaction, and
a job runner sends it after the commit (cop.notifications.jobs). The bell count is pushed
over Socket.IO after the commit (cop.notifications.realtime)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cop.accounts.models import User
from cop.core.errors import NotFound, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications import realtime
from cop.notifications.kinds import DIGESTS, KINDS, Delivery, get_kind
from cop.notifications.models import (
    DEFAULT_DIGEST_HOUR,
    DEFAULT_WEEKLY_DAY,
    Notification,
    NotificationPreference,
    NotificationSettings,
    ScheduledNotification,
    Subscription,
)

log = logging.getLogger("cop.notifications")

FOLLOW = "follow"
MUTE = "mute"

# ---------------------------------------------------------------- preferences


def delivery_for(user: User, kind_key: str) -> Delivery:
    """The user's chosen delivery for a kind, else the kind's default."""
    kind = get_kind(kind_key)
    chosen = db.session.execute(
        sa.select(NotificationPreference.delivery).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind.key
        )
    ).scalar_one_or_none()
    return Delivery(chosen) if chosen else kind.default


def preferences_of(user: User) -> dict[str, Delivery]:
    """Every registered kind with the user's delivery for it (one query)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {
        key: Delivery(chosen[key]) if key in chosen else kind.default for key, kind in KINDS.items()
    }


def _deliveries(user_ids: list[int], kind_key: str) -> dict[int, Delivery]:
    kind = get_kind(kind_key)
    if not user_ids:
        return {}
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.user_id, NotificationPreference.delivery).where(
                NotificationPreference.kind == kind.key,
                NotificationPreference.user_id.in_(user_ids),
            )
        ).all()
    )
    return {uid: Delivery(chosen[uid]) if uid in chosen else kind.default for uid in user_ids}


def digest_settings(user: User) -> NotificationSettings:
    """The user's digest hour and weekday (defaults, unsaved, when never changed)."""
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(
            user_id=user.id, digest_hour=DEFAULT_DIGEST_HOUR, weekly_day=DEFAULT_WEEKLY_DAY
        )
    return settings


def _check_delivery(kind_key: str, value: str) -> Delivery:
    if kind_key not in KINDS:
        raise ServiceError(
            f"Unknown notification kind {kind_key!r}.", status=422, code="invalid", field="kinds"
        )
    try:
        return Delivery(value)
    except ValueError:
        choices = ", ".join(d.value for d in Delivery)
        raise ServiceError(
            f"Choose one of {choices} for {kind_key!r}.", status=422, code="invalid", field="kinds"
        ) from None


def update_preferences(
    actor: User,
    user: User,
    *,
    deliveries: Mapping[str, str] | None = None,
    digest_hour: int | None = None,
    weekly_day: int | None = None,
) -> None:
    """Change how the user hears about each kind, and when digests go out. Commits."""
    if actor.id != user.id:
        raise PermissionDenied("You can only change your own notification settings.")
    checked = {key: _check_delivery(key, value) for key, value in (deliveries or {}).items()}
    if digest_hour is not None and not (isinstance(digest_hour, int) and 0 <= digest_hour <= 23):
        raise ServiceError(
            "Choose an hour from 0 to 23.", status=422, code="invalid", field="digest_hour"
        )
    if weekly_day is not None and not (isinstance(weekly_day, int) and 0 <= weekly_day <= 6):
        raise ServiceError(
            "Choose a day from 0 (Monday) to 6 (Sunday).",
            status=422,
            code="invalid",
            field="weekly_day",
        )
    if checked:
        _set_deliveries(user, checked)
    if digest_hour is not None or weekly_day is not None:
        settings = db.session.get(NotificationSettings, user.id)
        if settings is None:
            settings = digest_settings(user)
            db.session.add(settings)
        if digest_hour is not None:
            settings.digest_hour = digest_hour
        if weekly_day is not None:
            settings.weekly_day = weekly_day
    db.session.commit()


def _set_deliveries(user: User, deliveries: Mapping[str, Delivery]) -> None:
    existing = {
        p.kind: p
        for p in db.session.execute(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        ).scalars()
    }
    for key, delivery in deliveries.items():
        row = existing.get(key)
        if delivery == get_kind(key).default:
            # Back to the default: no row, so a later change of the default reaches them.
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                NotificationPreference(user_id=user.id, kind=key, delivery=delivery.value)
            )
        elif row.delivery != delivery.value:
            row.delivery = delivery.value


# ---------------------------------------------------------------- follow and mute


def is_muted(user: User, targets: Iterable[tuple[str, int]]) -> bool:
    return user.id in _muted([user.id], targets)


def _muted(user_ids: list[int], targets: Iterable[tuple[str, int]]) -> set[int]:
    targets = [(t, i) for t, i in targets if i is not None]
    if not targets or not user_ids:
        return set()
    conditions = [
        sa.and_(Subscription.target_type == t, Subscription.target_id == i) for t, i in targets
    ]
    return set(
        db.session.execute(
            sa.select(Subscription.user_id).where(
                Subscription.user_id.in_(user_ids), Subscription.level == MUTE, sa.or_(*conditions)
            )
        ).scalars()
    )


def set_subscription(user: User, target_type: str, target_id: int, level: str | None) -> None:
    """Follow, mute, or (level None) go back to the default. Commits."""
    if level not in (FOLLOW, MUTE, None):
        raise ValueError(level)
    existing = db.session.execute(
        sa.select(Subscription).where(
            Subscription.user_id == user.id,
            Subscription.target_type == target_type,
            Subscription.target_id == target_id,
        )
    ).scalar_one_or_none()
    if level is None:
        if existing is not None:
            db.session.delete(existing)
    elif existing is None:
        db.session.add(
            Subscription(user_id=user.id, target_type=target_type, target_id=target_id, level=level)
        )
    else:
        existing.level = level
    db.session.commit()


def subscription_level(user: User, target_type: str, target_id: int) -> str | None:
    return db.session.execute(
        sa.select(Subscription.level).where(
            Subscription.user_id == user.id,
            Subscription.target_type == target_type,
            Subscription.target_id == target_id,
        )
    ).scalar_one_or_none()


def followers(target_type: str, target_id: int) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(Subscription, Subscription.user_id == User.id)
            .where(
                Subscription.target_type == target_type,
                Subscription.target_id == target_id,
                Subscription.level == FOLLOW,
                User.active.is_(True),
            )
        ).scalars()
    )


def remove_subscription(actor: User, subscription_id: int) -> None:
    """Stop following or unmute, from the settings page. Commits."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.user_id != actor.id:
        raise NotFound("No such follow or mute.")
    db.session.delete(subscription)
    db.session.commit()


# ---------------------------------------------------------------- notify


def notify(
    recipient: User,
    kind: str,
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int | None,
    url: str,
    text: str,
    context: Iterable[tuple[str, int]] = (),
    excerpt: str | None = None,
) -> Notification | None:
    """Notify one person of something, unless it is their own act, they turned the kind off,
    or they muted one of the `context` targets (e.g. [("thread", 7), ("category", 2)]).

    Does not commit. Permission to see the subject is the caller's check."""
    created = notify_many(
        [recipient],
        kind,
        actor=actor,
        subject_type=subject_type,
        subject_id=subject_id,
        url=url,
        text=text,
        context=context,
        excerpt=excerpt,
    )
    return created[0] if created else None


def notify_many(
    recipients: Iterable[User],
    kind: str,
    *,
    actor: User | None,
    subject_type: str,
    subject_id: int | None,
    url: str,
    text: str,
    context: Iterable[tuple[str, int]] = (),
    excerpt: str | None = None,
    skip_user_ids: Iterable[int] = (),
) -> list[Notification]:
    """`notify` for many recipients with a constant number of queries (e.g. the followers of
    a thread). `skip_user_ids`: people already notified of the same act under another kind
    (a mention, a reply), so nobody hears twice. Does not commit."""
    get_kind(kind)
    skip = set(skip_user_ids)
    if actor is not None:
        skip.add(actor.id)
    people: dict[int, User] = {}
    for user in recipients:
        if user.id not in skip and user.active and user.id not in people:
            people[user.id] = user
    if not people:
        return []
    deliveries = _deliveries(list(people), kind)
    muted = _muted(list(people), list(context))
    created: list[tuple[Notification, Delivery]] = []
    for uid in people:
        delivery = deliveries[uid]
        if delivery == Delivery.OFF or uid in muted:
            continue
        notification = Notification(
            user_id=uid,
            kind=kind,
            actor_id=actor.id if actor else None,
            subject_type=subject_type,
            subject_id=subject_id,
            url=url[:500],
            text=_one_line(text)[:500],
            excerpt=(excerpt or None) and excerpt[:1000],
        )
        db.session.add(notification)
        created.append((notification, delivery))
    if not created:
        return []
    db.session.flush()  # ids, for the links in the emails
    emailed = [n for n, delivery in created if delivery == Delivery.EMAIL]
    if emailed:
        from cop.notifications.emails import queue_notification_email

        for notification in emailed:
            queue_notification_email(notification, people[notification.user_id], actor)
    return [n for n, _ in created]


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


# ---------------------------------------------------------------- reading


def mark_read(user: User, ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Mark some of the user's notifications read (others' ids are ignored). Commits."""
    ids = [i for i in ids if isinstance(i, int)][:500]
    if not ids:
        return 0
    changed = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.id.in_(ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    realtime.touch(db.session, user.id)
    db.session.commit()
    return changed


def mark_all_read(user: User, *, now: datetime | None = None) -> int:
    changed = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    realtime.touch(db.session, user.id)
    db.session.commit()
    return changed


def get_own_notification_or_404(user: User, notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    return notification


def open_notification(user: User, notification_id: int) -> str:
    """Mark the notification read and return where it points (a local path). Commits."""
    notification = get_own_notification_or_404(user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification.url


# ---------------------------------------------------------------- scheduled notifications


def schedule(
    recipient: User,
    kind: str,
    *,
    at: datetime,
    key: str,
    actor: User | None = None,
    subject_type: str,
    subject_id: int | None,
    url: str,
    text: str,
    context: Iterable[tuple[str, int]] = (),
    excerpt: str | None = None,
    expires_at: datetime | None = None,
) -> ScheduledNotification:
    """Notify later, once: at `at`, the job runner calls `notify` with these values (the
    recipient's preferences and mutes are checked then). Scheduling an existing `key` again
    replaces it (the event moved). Does not commit."""
    get_kind(kind)
    if at.tzinfo is None:
        raise ValueError("schedule() needs an aware datetime")
    values = {
        "user_id": recipient.id,
        "kind": kind,
        "due_at": at,
        "expires_at": expires_at,
        "actor_id": actor.id if actor else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "url": url[:500],
        "text": _one_line(text)[:500],
        "excerpt": excerpt[:1000] if excerpt else None,
        "context": [[t, i] for t, i in context],
        "status": "pending",
        "processed_at": None,
    }
    row = db.session.execute(
        sa.select(ScheduledNotification).where(ScheduledNotification.key == key[:200])
    ).scalar_one_or_none()
    if row is None:
        row = ScheduledNotification(key=key[:200], **values)
        db.session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def cancel_scheduled(key: str | None = None, *, prefix: str | None = None) -> int:
    """Withdraw pending scheduled notifications by key or key prefix (the event was
    cancelled: prefix "event:12:"). Does not commit."""
    if (key is None) == (prefix is None):
        raise ValueError("give key or prefix")
    condition = (
        ScheduledNotification.key == key
        if key is not None
        else ScheduledNotification.key.startswith(prefix, autoescape=True)
    )
    return db.session.execute(
        sa.update(ScheduledNotification)
        .where(condition, ScheduledNotification.status == "pending")
        .values(status="cancelled", processed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# ---------------------------------------------------------------- unsubscribe

DIGEST_TOKENS = {f"digest:{d.value}": d for d in DIGESTS}


def _unsubscribe_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="cop-unsubscribe")


def unsubscribe_token(user_id: int, topic: str) -> str:
    """A signed token that stops one kind of email (a kind key, or "digest:daily"/"weekly")."""
    return _unsubscribe_serializer().dumps([user_id, topic])


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The user and topic of a token; a clear ServiceError for a forged or expired one."""
    max_age = timedelta(days=current_app.config.get("UNSUBSCRIBE_TOKEN_DAYS", 90))
    try:
        data = _unsubscribe_serializer().loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise ServiceError(
            "This unsubscribe link has expired, so nothing was changed. Log in "
            "and change your notification settings instead.",
            status=410,
            code="gone",
        ) from None
    except BadSignature:
        raise ServiceError(
            "This unsubscribe link is not valid, so nothing was changed. Log "
            "in and change your notification settings instead.",
            status=400,
        ) from None
    valid = (
        isinstance(data, list)
        and len(data) == 2
        and isinstance(data[0], int)
        and (data[1] in KINDS or data[1] in DIGEST_TOKENS)
    )
    user = db.session.get(User, data[0]) if valid else None
    if user is None:
        raise ServiceError(
            "This unsubscribe link is not valid, so nothing was changed.", status=400
        )
    return user, data[1]


def topic_label(topic: str) -> str:
    if topic in DIGEST_TOKENS:
        return f"The {DIGEST_TOKENS[topic].value} digest"
    return get_kind(topic).label


def unsubscribe(token: str) -> tuple[User, str]:
    """Stop the emails a token names; in-app notifications stay. Commits. Idempotent."""
    user, topic = read_unsubscribe_token(token)
    prefs = preferences_of(user)
    if topic in DIGEST_TOKENS:
        changes = {k: Delivery.IN_APP for k, d in prefs.items() if d == DIGEST_TOKENS[topic]}
    elif prefs[topic] in (Delivery.EMAIL, *DIGESTS):
        changes = {topic: Delivery.IN_APP}
    else:
        changes = {}
    if changes:
        _set_deliveries(user, changes)
        from cop.core import audit

        audit.record(user, "notifications.unsubscribe", user, topic=topic)
        db.session.commit()
    return user, topic
