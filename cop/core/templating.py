"""Template helpers: permission predicates, time formatting, labels."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from cop import __version__
from cop.core.models import utcnow
from cop.core.timezones import US_TIMEZONES, localtime


def init_app(app: Flask) -> None:
    from cop.accounts.models import ROLE_LABELS, Role
    from cop.accounts.permissions import TEMPLATE_PREDICATES as account_predicates
    from cop.coalitions.models import SECTOR_LABELS, STATES, TRACK_LABELS
    from cop.coalitions.permissions import TEMPLATE_PREDICATES as coalition_predicates

    app.jinja_env.globals.update(account_predicates)
    app.jinja_env.globals.update(coalition_predicates)
    app.jinja_env.globals.update(
        app_version=__version__,
        ROLE_LABELS={r.value: label for r, label in ROLE_LABELS.items()},
        Role=Role,
        SECTOR_LABELS={s.value: label for s, label in SECTOR_LABELS.items()},
        TRACK_LABELS={t.value: label for t, label in TRACK_LABELS.items()},
        STATES=STATES,
        US_TIMEZONES=US_TIMEZONES,
        now_utc=utcnow,
    )

    @app.template_global("feature_nav")
    def _feature_nav():
        """The primary-navigation entries features registered, as (endpoint, label)."""
        user = current_user
        return [
            (endpoint, label)
            for endpoint, label, visible in app.extensions.get("cop_nav", [])
            if visible is None or visible(user)
        ]

    @app.template_filter("localtime")
    def _localtime(value, fmt: str = "%b %-d, %Y %-I:%M %p"):
        tz = current_user.timezone if current_user.is_authenticated else None
        return localtime(value, tz, fmt)
