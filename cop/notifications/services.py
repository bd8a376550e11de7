"""The one notifications service. Features call `notify`; they never write notifications
themselves. `notify` adds to the caller's transaction; the calling service commits."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from cop.accounts.models import User
from cop.extensions import db
from cop.notifications.kinds import Delivery, get_kind
from cop.notifications.models import Notification, Subscription

FOLLOW = "follow"
MUTE = "mute"


def delivery_for(user: User, kind_key: str) -> Delivery:
    """The user's chosen delivery for a kind, else the kind's default."""
    return get_kind(kind_key).default


def is_muted(user: User, targets: Iterable[tuple[str, int]]) -> bool:
    targets = [(t, i) for t, i in targets if i is not None]
    if not targets:
        return False
    conditions = [sa.and_(Subscription.target_type == t, Subscription.target_id == i)
                  for t, i in targets]
    return db.session.execute(
        sa.select(Subscription.id).where(
            Subscription.user_id == user.id, Subscription.level == MUTE, sa.or_(*conditions)
        ).limit(1)
    ).first() is not None


def notify(recipient: User, kind: str, *, actor: User | None, subject_type: str,
           subject_id: int | None, url: str, text: str,
           context: Iterable[tuple[str, int]] = ()) -> Notification | None:
    """Notify one person of something, unless it is their own act, they turned the kind off,
    or they muted one of the `context` targets (e.g. [("thread", 7), ("category", 2)]).

    Does not commit. Permission to see the subject is the caller's check."""
    if actor is not None and actor.id == recipient.id:
        return None
    if not recipient.active:
        return None
    if delivery_for(recipient, kind) == Delivery.OFF:
        return None
    if is_muted(recipient, context):
        return None
    notification = Notification(
        user_id=recipient.id, kind=kind, actor_id=actor.id if actor else None,
        subject_type=subject_type, subject_id=subject_id, url=url[:500], text=text[:500],
    )
    db.session.add(notification)
    return notification


def set_subscription(user: User, target_type: str, target_id: int, level: str | None) -> None:
    """Follow, mute, or (level None) go back to the default. Commits."""
    if level not in (FOLLOW, MUTE, None):
        raise ValueError(level)
    existing = db.session.execute(
        sa.select(Subscription).where(Subscription.user_id == user.id,
                                      Subscription.target_type == target_type,
                                      Subscription.target_id == target_id)
    ).scalar_one_or_none()
    if level is None:
        if existing is not None:
            db.session.delete(existing)
    elif existing is None:
        db.session.add(Subscription(user_id=user.id, target_type=target_type,
                                    target_id=target_id, level=level))
    else:
        existing.level = level
    db.session.commit()


def subscription_level(user: User, target_type: str, target_id: int) -> str | None:
    return db.session.execute(
        sa.select(Subscription.level).where(Subscription.user_id == user.id,
                                            Subscription.target_type == target_type,
                                            Subscription.target_id == target_id)
    ).scalar_one_or_none()


def followers(target_type: str, target_id: int) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(Subscription, Subscription.user_id == User.id)
            .where(Subscription.target_type == target_type, Subscription.target_id == target_id,
                   Subscription.level == FOLLOW, User.active.is_(True))
        ).scalars()
    )
