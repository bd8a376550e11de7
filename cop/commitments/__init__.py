"""Partner commitments: organizations pledge what they will do, staff review, progress is
reported against the numbers and totalled by sector and state (docs/commitments.md).

`init_app(app)` registers the pages, the API, the "Commitments" navigation entry, the
notification kind of the review queue, the template helpers and the periodic job that
emails progress reminders.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def send_progress_reminders(now: datetime | None = None) -> int:
    """Email the contacts whose progress report is due (each reminder once); commits."""
    from cop.commitments.services import send_progress_reminders as run

    return run(now)


def seed_demo_commitments() -> dict:
    """Demo commitments in every state of review (idempotent); `cop seed-demo` calls it."""
    from cop.commitments.seed import seed_demo_commitments as run

    return run()


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.commitments import kinds, models  # noqa: F401 - the tables and the kind
    from cop.commitments.api import blp as commitments_api
    from cop.commitments.models import NUMBERS, ORG_TYPE_LABELS, PROGRESS, STATUS_LABELS
    from cop.commitments.permissions import TEMPLATE_PREDICATES
    from cop.commitments.views import bp
    from cop.extensions import api
    from cop.notifications.jobs import register_periodic_job

    app.register_blueprint(bp)
    api.register_blueprint(commitments_api)
    # Public pages: everyone sees the entry (the navigation is shown to signed-in people).
    add_nav_item(app, "commitments.index", "Commitments")
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        COMMITMENT_NUMBERS=NUMBERS,
        COMMITMENT_PROGRESS=PROGRESS,
        ORG_TYPE_LABELS={t.value: label for t, label in ORG_TYPE_LABELS.items()},
        COMMITMENT_STATUS_LABELS={s.value: label for s, label in STATUS_LABELS.items()},
    )
    register_periodic_job(app, "commitments.progress_reminders", send_progress_reminders)

    @app.template_filter("figure")
    def _figure(value) -> str:
        """1234567 -> 1,234,567; None -> an em dash."""
        return "—" if value is None else f"{int(value):,}"
