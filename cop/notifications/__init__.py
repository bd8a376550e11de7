"""Notifications: one service every feature calls; in-app center, email, digests.

Features use `cop.notifications.services` (notify, notify_many, schedule, followers,
set_subscription, is_muted), register kinds in `cop.notifications.kinds` and describe
followable things in `cop.notifications.targets`. See docs/notifications.md.
"""

from __future__ import annotations

from flask import Flask, g
from flask_login import current_user


def unread_count_for_page() -> int:
    """The bell's number: one cheap query per page, none for anonymous visitors."""
    if not current_user.is_authenticated:
        return 0
    if "cop_unread_count" not in g:
        from cop.notifications.queries import unread_count

        g.cop_unread_count = unread_count(current_user)
    return g.cop_unread_count


def init_app(app: Flask) -> None:
    from cop import add_background_task
    from cop.cli import cop_group
    from cop.extensions import api
    from cop.notifications import jobs, models, realtime  # noqa: F401 - models: the tables
    from cop.notifications.api import blp as api_blp
    from cop.notifications.cli import outbox, worker
    from cop.notifications.permissions import TEMPLATE_PREDICATES
    from cop.notifications.views import bp

    realtime.register()
    app.register_blueprint(bp)
    api.register_blueprint(api_blp)
    cop_group.add_command(worker)
    cop_group.add_command(outbox)
    add_background_task(app, jobs.embedded)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals["notifications_unread_count"] = unread_count_for_page
