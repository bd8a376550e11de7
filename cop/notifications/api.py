"""Notification endpoints: the list, marking read, and per-kind preferences."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.notifications import queries, services
from cop.notifications.kinds import KINDS, Delivery
from cop.notifications.schemas import (
    NotificationMarkReadResultSchema,
    NotificationMarkReadSchema,
    NotificationPageSchema,
    NotificationPreferencesSchema,
    NotificationPreferencesUpdateSchema,
    NotificationQuerySchema,
    NotificationUnreadCountSchema,
)

blp = Blueprint(
    "notifications_api",
    __name__,
    url_prefix="/api/v1",
    description="Notifications and notification preferences",
)
exempt_from_form_csrf(blp)


@blp.route("/notifications")
class Notifications(MethodView):
    @login_required
    @blp.arguments(NotificationQuerySchema, location="query")
    @blp.response(200, NotificationPageSchema)
    @blp.alt_response(401, description="Not authenticated")
    def get(self, args):
        """Your notifications, newest first; pass `next_cursor` back as `cursor` for more."""
        page = queries.notifications_page(
            current_user, cursor=args["cursor"], limit=args["limit"], unread_only=args["unread"]
        )
        return {
            "items": page.items,
            "next_cursor": page.next_cursor,
            "unread_count": queries.unread_count(current_user),
        }


@blp.route("/notifications/unread-count")
class UnreadCount(MethodView):
    @login_required
    @blp.response(200, NotificationUnreadCountSchema)
    def get(self):
        """How many of your notifications are unread (the bell's number)."""
        return {"unread_count": queries.unread_count(current_user)}


@blp.route("/notifications/read")
class MarkRead(MethodView):
    @login_required
    @blp.arguments(NotificationMarkReadSchema)
    @blp.response(200, NotificationMarkReadResultSchema)
    def post(self, data):
        """Mark some (`ids`) or all (`all: true`) of your notifications read."""
        if data["all"]:
            marked = services.mark_all_read(current_user)
        else:
            marked = services.mark_read(current_user, data["ids"])
        return {"marked": marked, "unread_count": queries.unread_count(current_user)}


def _preferences(user) -> dict:
    prefs = services.preferences_of(user)
    settings = services.digest_settings(user)
    return {
        "kinds": [
            {
                "key": k.key,
                "label": k.label,
                "group": k.group,
                "default": k.default.value,
                "delivery": prefs[k.key].value,
            }
            for k in KINDS.values()
        ],
        "digest_hour": settings.digest_hour,
        "weekly_day": settings.weekly_day,
        "timezone": user.timezone,
        "deliveries": [d.value for d in Delivery],
    }


@blp.route("/me/preferences")
class Preferences(MethodView):
    @login_required
    @blp.response(200, NotificationPreferencesSchema)
    def get(self):
        """How you hear about each kind of notification, and when digests arrive."""
        return _preferences(current_user)

    @login_required
    @blp.arguments(NotificationPreferencesUpdateSchema)
    @blp.response(200, NotificationPreferencesSchema)
    @blp.alt_response(422, description="An unknown kind or delivery")
    def put(self, data):
        """Change some kinds (`{"kinds": {"mention": "daily"}}`) and/or the digest time."""
        services.update_preferences(
            current_user,
            current_user,
            deliveries=data["kinds"],
            digest_hour=data["digest_hour"],
            weekly_day=data["weekly_day"],
        )
        return _preferences(current_user)
