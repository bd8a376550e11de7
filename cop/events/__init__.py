"""Events (issue #6): webinars, peer-learning sessions, office hours, convenings and coaching
groups; recurring series (RFC 5545); registration with a waitlist and approval; calendars,
.ics files and personal feeds; reminders; the live page with the event's chat room; what
remains after the event. See docs/events.md.

`init_app(app)` registers the pages, the feed URL, the API, the "Events" navigation entry,
the template predicates and filters, the notification kinds and .ics attachments, the
periodic jobs (closing the chat of ended events, extending open-ended series) and the
access rule of the chat's event rooms.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask


def seed_demo_events() -> dict:
    """Demo events, past and upcoming, across time zones, with registrations (idempotent);
    `cop seed-demo` calls it once "events" is in cop.seed.SEEDED_FEATURES."""
    from cop.events.seed import seed_demo_events as run

    return run()


def close_ended_events(now: datetime | None = None) -> int:
    from cop.events.live import close_ended_events as run

    return run(now)


def extend_series(now: datetime | None = None) -> int:
    from cop.events.services import extend_series as run

    run(now)
    return 0  # sessions, not notifications


def init_app(app: Flask) -> None:
    from cop import add_nav_item
    from cop.events import chat_bridge, kinds, models, reminders  # noqa: F401 - tables, kinds
    from cop.events.api import blp as events_api
    from cop.events.display import time_of_day, when
    from cop.events.models import (
        AUDIENCE_LABELS,
        EVENT_TYPE_LABELS,
        REGISTRATION_LABELS,
        RESOURCE_LABELS,
    )
    from cop.events.permissions import TEMPLATE_PREDICATES, can_use_events
    from cop.events.views import bp, feeds
    from cop.extensions import api
    from cop.notifications.jobs import register_periodic_job

    app.config.setdefault("EVENTS_REMINDER_MINUTES", reminders.DEFAULT_REMINDER_MINUTES)
    app.config.setdefault("EVENTS_FEED_REFRESH_MINUTES", 60)
    app.register_blueprint(bp)
    app.register_blueprint(feeds)
    api.register_blueprint(events_api)
    add_nav_item(app, "events.index", "Events", can_use_events)
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals.update(
        EVENT_TYPE_LABELS={t.value: label for t, label in EVENT_TYPE_LABELS.items()},
        AUDIENCE_LABELS={a.value: label for a, label in AUDIENCE_LABELS.items()},
        REGISTRATION_LABELS={s.value: label for s, label in REGISTRATION_LABELS.items()},
        RESOURCE_LABELS={k.value: label for k, label in RESOURCE_LABELS.items()},
    )

    @app.template_filter("event_when")
    def _event_when(event) -> str:
        """The event's time in the viewer's zone, the zone named."""
        from flask_login import current_user

        tz = current_user.timezone if current_user.is_authenticated else event.timezone
        return when(event.starts_at, event.ends_at, tz)

    @app.template_filter("organizer_when")
    def _organizer_when(event) -> str:
        return when(event.starts_at, event.ends_at, event.timezone)

    @app.template_filter("time_of_day")
    def _time_of_day(value) -> str:
        from flask_login import current_user

        return time_of_day(value, current_user.timezone if current_user.is_authenticated else None)

    @app.template_filter("event_iso_time")
    def _event_iso_time(value: str) -> str:
        """A stored ISO time (a transcript entry) in the viewer's zone."""
        from datetime import datetime as dt

        from flask_login import current_user

        from cop.core.timezones import localtime

        tz = current_user.timezone if current_user.is_authenticated else None
        return localtime(dt.fromisoformat(value), tz, "%-I:%M %p")

    register_periodic_job(app, "events.close_ended", close_ended_events)
    register_periodic_job(app, "events.extend_series", extend_series)
    reminders.register_attachments()
    chat_bridge.register_room_rules()
