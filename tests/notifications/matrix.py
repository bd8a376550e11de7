"""The notifications rows of the route x role permission matrix.

tests/test_permission_matrix.py (the lead's) adds them with one line after TABLE:

    from tests.notifications.matrix import notification_rows
    TABLE.update(notification_rows(Case, Redirect, roles, signed_in, api, admin_only))
"""

from __future__ import annotations

import itertools

from cop.extensions import db

_n = itertools.count(1)


def _owner(ctx, role):
    """The role's user; strangers' requests get the member's objects."""
    return ctx.world["member"] if role in ("anonymous", "deactivated") else ctx.user(role)


def notification_for(ctx, role: str) -> int:
    """A new notification of the role's user, pointing at /coalitions/."""
    from cop.notifications.models import Notification

    notification = Notification(
        user_id=_owner(ctx, role).id,
        kind="mention",
        subject_type="post",
        subject_id=1,
        url="/coalitions/",
        text="Matrix mention",
    )
    db.session.add(notification)
    db.session.commit()
    return notification.id


def subscription_for(ctx, role: str) -> int:
    from cop.notifications.models import Subscription

    subscription = Subscription(
        user_id=_owner(ctx, role).id, target_type="thread", target_id=next(_n), level="follow"
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription.id


def unsubscribe_for(ctx) -> str:
    from cop.notifications.services import unsubscribe_token

    return unsubscribe_token(ctx.world["member"].id, "mention")


def default_preferences(ctx, role: str) -> dict:
    from cop.notifications.kinds import KINDS

    return {
        **{f"kind__{k}": kind.default.value for k, kind in KINDS.items()},
        "digest_hour": "8",
        "weekly_day": "0",
    }


def notification_rows(Case, Redirect, roles, signed_in, api, admin_only) -> dict:  # noqa: N803
    return {
        # ------------------------------------------------------------ notifications
        "notifications.index": [
            Case("GET", "/notifications", signed_in(200)),
            Case("GET", "/notifications?show=unread&cursor=not-a-cursor", signed_in(200)),
        ],
        "notifications.open": [
            Case(
                "GET",
                lambda ctx, role: f"/notifications/{notification_for(ctx, role)}/open",
                signed_in(Redirect("/coalitions/")),
            ),
            # Someone else's (the admin's): 404 for everyone but its owner.
            Case(
                "GET",
                lambda ctx, role: f"/notifications/{notification_for(ctx, 'admin')}/open",
                signed_in(404, admin=Redirect("/coalitions/")),
            ),
        ],
        "notifications.mark_read": [
            # Others' ids are ignored: back to the list either way, nothing changes.
            Case(
                "POST",
                lambda ctx, role: f"/notifications/{notification_for(ctx, role)}/read",
                signed_in(Redirect("/notifications")),
            ),
            Case("GET", "/notifications/1/read", roles(405), wrong_method=True),
        ],
        "notifications.mark_all_read": [
            Case("POST", "/notifications/read-all", signed_in(Redirect("/notifications"))),
        ],
        "notifications.preferences": [
            Case("GET", "/notifications/preferences", signed_in(200)),
            Case(
                "POST",
                "/notifications/preferences",
                signed_in(Redirect("/notifications/preferences")),
                data=default_preferences,
            ),
        ],
        "notifications.test_email": [
            Case(
                "POST",
                "/notifications/preferences/test-email",
                signed_in(Redirect("/notifications/preferences")),
            ),
        ],
        "notifications.remove_subscription": [
            Case(
                "POST",
                lambda ctx, role: (
                    f"/notifications/subscriptions/{subscription_for(ctx, role)}/delete"
                ),
                signed_in(Redirect("/notifications/preferences")),
            ),
            Case(
                "POST",
                lambda ctx, role: (
                    f"/notifications/subscriptions/{subscription_for(ctx, 'admin')}/delete"
                ),
                signed_in(404, admin=Redirect("/notifications/preferences")),
            ),
        ],
        "notifications.unsubscribe": [
            # The signed token is the credential (mail apps, no session): the same for everyone.
            Case(
                "GET",
                lambda ctx, role: f"/notifications/unsubscribe/{unsubscribe_for(ctx)}",
                roles(200),
            ),
            Case(
                "POST",
                lambda ctx, role: f"/notifications/unsubscribe/{unsubscribe_for(ctx)}",
                roles(200),
            ),
            Case("GET", "/notifications/unsubscribe/forged-token", roles(400)),
            Case("POST", "/notifications/unsubscribe/forged-token", roles(400)),
        ],
        "notifications.outbox": [Case("GET", "/notifications/outbox", admin_only())],
        "notifications.outbox_retry": [
            Case(
                "POST", "/notifications/outbox/retry", admin_only(Redirect("/notifications/outbox"))
            ),
        ],
        "notifications_api.Notifications": [
            Case("GET", "/api/v1/notifications", api(200), bearer=True),
            Case("GET", "/api/v1/notifications?limit=0", api(422), bearer=True),
        ],
        "notifications_api.UnreadCount": [
            Case("GET", "/api/v1/notifications/unread-count", api(200), bearer=True),
        ],
        "notifications_api.MarkRead": [
            Case("POST", "/api/v1/notifications/read", api(200), bearer=True, data={"all": True}),
            Case(
                "GET",
                "/api/v1/notifications/read",
                roles(405, deactivated=401),
                bearer=True,
                wrong_method=True,
            ),
        ],
        "notifications_api.Preferences": [
            Case("GET", "/api/v1/me/preferences", api(200), bearer=True),
            Case(
                "PUT",
                "/api/v1/me/preferences",
                api(200),
                bearer=True,
                data={"kinds": {"followed_post": "daily"}, "digest_hour": 7},
            ),
            Case(
                "PUT",
                "/api/v1/me/preferences",
                api(422),
                bearer=True,
                data={"kinds": {"no_such_kind": "email"}},
            ),
        ],
    }
