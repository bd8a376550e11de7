"""The subject-matter-expert directory: profiles (experts with an account, or people outside
cop maintained by a coach), search ranked by relevance with activity computed from the
platform, introduction requests tracked to their outcome, and reports. See docs/experts.md.
"""

from __future__ import annotations

from flask import Flask


def seed_demo_experts() -> dict:
    """Demo profiles and requests (idempotent); `cop seed-demo` calls it."""
    from cop.experts.seed import seed_demo_experts as run

    return run()


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.experts import kinds, models  # noqa: F401 - the tables and notification kinds
    from cop.experts.api import blp as experts_api
    from cop.experts.models import (
        AVAILABILITY_LABELS,
        HELP_MODE_LABELS,
        HELPED_LABELS,
        STATE_LABELS,
    )
    from cop.experts.permissions import TEMPLATE_PREDICATES, can_browse_experts
    from cop.experts.views import bp
    from cop.extensions import api
    from cop.notifications.targets import register_target

    app.register_blueprint(bp)
    api.register_blueprint(experts_api)
    add_nav_item(app, "experts.directory", "Experts", visible=can_browse_experts)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        EXPERT_STATE_LABELS={s.value: label for s, label in STATE_LABELS.items()},
        EXPERT_AVAILABILITY_LABELS={a.value: label for a, label in AVAILABILITY_LABELS.items()},
        EXPERT_HELP_MODE_LABELS={m.value: label for m, label in HELP_MODE_LABELS.items()},
        EXPERT_HELPED_LABELS={h.value: label for h, label in HELPED_LABELS.items()},
    )
    register_target("expert_request", _describe_requests, "Expert request")


def _describe_requests(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    import sqlalchemy as sa

    from cop.experts.models import ExpertRequest
    from cop.extensions import db

    rows = db.session.execute(sa.select(ExpertRequest).where(ExpertRequest.id.in_(ids)))
    return {r.id: (r.title, f"/experts/requests/{r.id}") for r in rows.scalars()}
