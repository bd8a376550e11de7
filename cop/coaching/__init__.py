"""Coaching session logs: what the TA coaches did, for which coalition, and what changed.

`init_app(app)` registers the pages, the API, the "Coaching" navigation entry, the template
predicates, the CLI commands and the action-item reminder hook.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def due_action_item_reminders(now: datetime | None = None) -> int:
    """Notify the owners of open action items due within COACHING_REMINDER_DAYS (default 2)
    that were not reminded yet. Idempotent; commits; returns the number of notifications.
    The notifications job runner calls it periodically (see docs/coaching.md)."""
    from cop.coaching.services import due_action_item_reminders as run

    return run(now)


def seed_demo_coaching() -> dict:
    """Demo sessions over the past quarters (idempotent); `cop seed-demo` may call it."""
    from cop.coaching.seed import seed_demo_coaching as run

    return run()


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.cli import cop_group
    from cop.coaching import models  # noqa: F401 - the tables, for metadata and migrations
    from cop.coaching.api import blp as coaching_api
    from cop.coaching.cli import COMMANDS
    from cop.coaching.models import INITIATOR_LABELS, ITEM_STATUS_LABELS, MODALITY_LABELS
    from cop.coaching.permissions import TEMPLATE_PREDICATES, can_use_coaching
    from cop.coaching.views import bp as coaching_bp
    from cop.extensions import api

    app.register_blueprint(coaching_bp)
    api.register_blueprint(coaching_api)
    add_nav_item(app, "coaching.index", "Coaching", can_use_coaching)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        MODALITY_LABELS={m.value: label for m, label in MODALITY_LABELS.items()},
        INITIATOR_LABELS={i.value: label for i, label in INITIATOR_LABELS.items()},
        ITEM_STATUS_LABELS={s.value: label for s, label in ITEM_STATUS_LABELS.items()},
    )
    # Periodic jobs other features run (the notifications job runner): name -> callable(now).
    app.extensions.setdefault("cop_periodic_jobs", {})["coaching.action_item_reminders"] = (
        due_action_item_reminders
    )

    @app.template_filter("localdate")
    def _localdate(value, fmt: str = "%b %-d, %Y") -> str:
        """The calendar day of a UTC datetime in the viewer's zone (no zone suffix)."""
        from flask_login import current_user

        from cop.core.timezones import zone

        if value is None:
            return ""
        tz = current_user.timezone if current_user.is_authenticated else None
        return value.astimezone(zone(tz)).strftime(fmt)

    for command in COMMANDS:
        if command.name not in cop_group.commands:
            cop_group.add_command(command)
