"""Grant reporting and performance management: measures, targets, quarterly reports with
figures and a narrative, review, due-date reminders, dashboards, CSV import and export,
published comparisons, and coaching to outcomes. See docs/reporting.md.

`init_app(app)` registers the pages, the API, the "Reporting" navigation entry, the template
predicates and helpers, the notification kinds, the due-date reminder job and the CLI.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask

# Settings (docs/reporting.md), read from the environment when the app is built.
SETTINGS: dict[str, object] = {
    "REPORTING_GRANT_START": "2023Q4",  # the first quarter of the grant period
    "REPORTING_GRANT_END": "2028Q3",  # the last one
    "REPORTING_DUE_DAYS": 45,  # a report is due this many days after its quarter ends
    "REPORTING_REMINDER_DAYS": 7,  # "due soon" reminders this many days before
    "REPORTING_OVERDUE_DAYS": 30,  # "overdue" reminders for this long after the due date
    "REPORTING_ON_TRACK_PERCENT": 90,  # at or above: on track; below: behind
    "REPORTING_AHEAD_PERCENT": 110,  # at or above: ahead
    "REPORTING_IMPORT_MAX_BYTES": 2 * 1024 * 1024,
    "REPORTING_IMPORT_MAX_ROWS": 5000,
}


def due_report_reminders(now: datetime | None = None) -> int:
    """Remind leads and coaches of reports due soon or overdue (idempotent; commits). The
    notifications job runner calls it periodically."""
    from cop.reporting.services import due_report_reminders as run

    return run(now)


def seed_demo_reporting() -> dict:
    """Demo measures, targets, figures and reports for the demo coalitions (idempotent)."""
    from cop.reporting.seed import seed_demo_reporting as run

    return run()


def session_measure_tags(session) -> dict:
    """For the coaching session page: the measures the session aims at and the choices."""
    from cop.reporting import queries

    tagged = queries.session_measures_of(session.id)
    ids = {m.id for m in tagged}
    choices = [m for m in queries.measures(active_only=False) if m.active or m.id in ids]
    return {"tagged": tagged, "ids": ids, "choices": choices}


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.cli import cop_group
    from cop.extensions import api
    from cop.notifications.jobs import register_periodic_job
    from cop.reporting import kinds, models  # noqa: F401 - tables and notification kinds
    from cop.reporting.api import blp as reporting_api
    from cop.reporting.cli import COMMANDS
    from cop.reporting.dashboards import STATUS_ICONS, STATUS_LABELS, fmt_pct, fmt_value
    from cop.reporting.models import STATUS_LABELS as REPORT_STATUS_LABELS
    from cop.reporting.permissions import TEMPLATE_PREDICATES, can_use_reporting
    from cop.reporting.views import bp

    for key, default in SETTINGS.items():  # from the environment, unless the config has it
        app.config.setdefault(key, type(default)(os.environ.get(key, default)))
    app.register_blueprint(bp)
    api.register_blueprint(reporting_api)
    add_nav_item(app, "reporting.index", "Reporting", can_use_reporting)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        fmt_value=fmt_value,
        fmt_pct=fmt_pct,
        PROGRESS_LABELS=STATUS_LABELS,
        PROGRESS_ICONS=STATUS_ICONS,
        REPORT_STATUS_LABELS={s.value: label for s, label in REPORT_STATUS_LABELS.items()},
        reporting_session_tags=session_measure_tags,
    )
    register_periodic_job(app, "reporting.due_reminders", due_report_reminders)
    for command in COMMANDS:
        if command.name not in cop_group.commands:
            cop_group.add_command(command)
