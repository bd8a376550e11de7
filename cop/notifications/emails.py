"""The emails notifications send: a plain-text and an HTML part from templates
(templates/notifications/email/), absolute links from BASE_URL, and a one-click
unsubscribe link (and List-Unsubscribe headers, RFC 8058) in every one.

Rendered at queue time, without a request: the job runner, a CLI command and a request
produce the same email. Jinja autoescapes the .html templates only: a name or a subject
with HTML in it is escaped in the HTML part and shown as the literal text it is in the
plain-text part.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app

from cop.accounts.models import User
from cop.core.timezones import localtime, zone
from cop.notifications.kinds import DELIVERY_LABELS, Delivery, get_kind
from cop.notifications.mail import queue_email
from cop.notifications.models import Notification, OutboundEmail

# Files a feature attaches to the immediate emails of one of its kinds (events: the .ics of
# the event): kind key -> provider(notification, recipient) -> [{"filename", "content_type",
# "content"}] or None. Called while the email is queued, in the caller's transaction.
AttachmentProvider = Callable[[Notification, User], list[dict] | None]
ATTACHMENT_PROVIDERS: dict[str, AttachmentProvider] = {}


def register_attachments(kind_key: str, provider: AttachmentProvider) -> None:
    ATTACHMENT_PROVIDERS[kind_key] = provider


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL, built without a request (jobs, CLI)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def absolute(path: str) -> str:
    """BASE_URL + a local path (a notification's url)."""
    return current_app.config["BASE_URL"].rstrip("/") + "/" + path.lstrip("/")


def _render(name: str, **context) -> str:
    return current_app.jinja_env.get_template(name).render(**context)


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _footer_context(user: User, topic: str) -> dict:
    from cop.notifications.services import unsubscribe_token

    unsubscribe_url = external_url(
        "notifications.unsubscribe", token=unsubscribe_token(user.id, topic)
    )
    return {
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": external_url("notifications.preferences"),
    }


def queue_notification_email(
    notification: Notification, recipient: User, actor: User | None
) -> OutboundEmail | None:
    """The immediate email of one notification, into the outbox. Does not commit."""
    kind = get_kind(notification.kind)
    context = {
        "notification": notification,
        "recipient": recipient,
        "actor_name": actor.name if actor else None,
        "kind_label": kind.label,
        "delivery_label": DELIVERY_LABELS[Delivery.EMAIL],
        "open_url": external_url("notifications.open", notification_id=notification.id),
        "when": localtime(notification.created_at, recipient.timezone),
        **_footer_context(recipient, kind.key),
    }
    provider = ATTACHMENT_PROVIDERS.get(kind.key)
    return queue_email(
        recipient.email,
        _subject(notification.text),
        _render("notifications/email/notification.txt", **context),
        _render("notifications/email/notification.html", **context),
        kind=kind.key,
        user_id=recipient.id,
        headers=unsubscribe_headers(context["unsubscribe_url"]),
        attachments=provider(notification, recipient) if provider else None,
    )


def _subject(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 150 else text[:149].rstrip() + "…"


def queue_digest_email(
    user: User, period: Delivery, items: list[Notification], unread_total: int, now: datetime
) -> OutboundEmail | None:
    """One digest email (daily or weekly) into the outbox. Does not commit."""
    groups: dict[str, list[Notification]] = {}
    for item in items:
        groups.setdefault(get_kind(item.kind).label, []).append(item)
    local_day = now.astimezone(zone(user.timezone)).strftime("%A, %B %-d")
    title = (
        f"Your cop digest for {local_day}"
        if period == Delivery.DAILY
        else f"Your weekly cop digest, week of {local_day}"
    )
    count = len(items)
    context = {
        "title": title,
        "recipient": user,
        "period": period.value,
        "groups": groups,
        "count": count,
        "unread_total": unread_total,
        "open_url": lambda n: external_url("notifications.open", notification_id=n.id),
        "when": lambda n: localtime(n.created_at, user.timezone),
        "center_url": external_url("notifications.index"),
        **_footer_context(user, f"digest:{period.value}"),
    }
    return queue_email(
        user.email,
        f"{title}: {count} new {'item' if count == 1 else 'items'}",
        _render("notifications/email/digest.txt", **context),
        _render("notifications/email/digest.html", **context),
        kind=f"digest:{period.value}",
        user_id=user.id,
        headers=unsubscribe_headers(context["unsubscribe_url"]),
        not_before=now,
    )


def queue_test_email(user: User) -> OutboundEmail | None:
    """A test message the user asks for on the settings page. Does not commit."""
    context = {"recipient": user, "preferences_url": external_url("notifications.preferences")}
    return queue_email(
        user.email,
        "Test email from cop",
        _render("notifications/email/test.txt", **context),
        _render("notifications/email/test.html", **context),
        kind="test",
        user_id=user.id,
    )
