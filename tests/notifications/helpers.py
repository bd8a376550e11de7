"""What features do: notify inside their own transaction, then commit."""

from __future__ import annotations

from cop.extensions import db
from cop.notifications.services import notify

THREAD_URL = "/forums/threads/7#post-42"


def mention(
    recipient, actor, *, text=None, thread_id=7, category_id=2, excerpt=None, kind="mention"
):
    """As the forums would: a mention in post 42 of thread 7, category 2; commits."""
    notification = notify(
        recipient,
        kind,
        actor=actor,
        subject_type="post",
        subject_id=42,
        url=THREAD_URL,
        text=text or f"{actor.name} mentioned you in “Apprenticeship ratios”",
        context=[("thread", thread_id), ("category", category_id)],
        excerpt=excerpt,
    )
    db.session.commit()
    return notification
