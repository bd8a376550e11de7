"""Posting an event's chat transcript as a forum thread, when the forums feature is there.

Uses the forums' own service (`cop.forums.services.create_thread`, which checks that the
host may post in the category and commits) behind a guard: without the forums package, its
blueprint or its tables, the option is simply not offered.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for

from cop.extensions import db

log = logging.getLogger(__name__)


def available() -> bool:
    if importlib.util.find_spec("cop.forums") is None or "forums" not in current_app.blueprints:
        return False
    try:
        return sa.inspect(db.engine).has_table("forum_categories")
    except sa.exc.SQLAlchemyError:
        return False


def categories_for(user) -> list[tuple[int, str]]:
    """(id, name) of the categories the user may start a thread in."""
    if not available():
        return []
    from cop.forums.permissions import can_post_in, visible_categories

    return [(c.id, c.name) for c in visible_categories(user) if can_post_in(user, c)]


def post_thread(actor, category_id: int, *, title: str, body: str) -> tuple[int, str] | None:
    """Create the thread (forums' service commits); (thread id, its URL) or None."""
    if not available():
        return None
    from cop.forums.models import Category
    from cop.forums.services import create_thread

    category = db.session.get(Category, category_id)
    if category is None:
        return None
    thread = create_thread(actor, category, title=title, body=body)
    return thread.id, thread_url(thread.id)


def thread_url(thread_id: int) -> str:
    try:
        return url_for("forums.thread", thread_id=thread_id)
    except Exception:  # noqa: BLE001 - forums changed its routes: fall back to the index
        return url_for("forums.index")


def describe(thread_id: int | None) -> dict[str, Any] | None:
    if thread_id is None or not available():
        return None
    return {"id": thread_id, "url": thread_url(thread_id)}
