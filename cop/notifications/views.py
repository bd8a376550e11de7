"""The notification center, the settings page, unsubscribe links and the outbox (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.core.errors import ServiceError
from cop.core.models import utcnow
from cop.core.security import is_safe_next
from cop.extensions import csrf, db, limiter
from cop.notifications import mail, queries, services
from cop.notifications.forms import chosen_deliveries, hour_label, preferences_form
from cop.notifications.kinds import DELIVERY_LABELS, KINDS, kinds_by_group
from cop.notifications.permissions import can_manage_outbox

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _back(default_endpoint: str = "notifications.index"):
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for(default_endpoint), 303)


@bp.get("")
@login_required
def index():
    unread_only = request.args.get("show") == "unread"
    page = queries.notifications_page(
        current_user, cursor=request.args.get("cursor"), unread_only=unread_only
    )
    groups = queries.group_by_day(page.items, current_user.timezone, utcnow())
    return render_template(
        "notifications/index.html",
        groups=groups,
        page=page,
        unread_only=unread_only,
        kind_labels={key: kind.label for key, kind in KINDS.items()},
    )


@bp.get("/<int:notification_id>/open", endpoint="open")
@login_required
def open_(notification_id: int):
    """Follow a notification: mark it read, go to the thing (local paths only)."""
    url = services.open_notification(current_user, notification_id)
    return redirect(url if is_safe_next(url) else url_for("notifications.index"), 303)


@bp.post("/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    services.mark_read(current_user, [notification_id])
    return _back()


@bp.post("/read-all")
@login_required
def mark_all_read():
    count = services.mark_all_read(current_user)
    flash("All notifications are marked as read." if count else "Nothing was unread.", "success")
    return _back()


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    settings = services.digest_settings(current_user)
    form = preferences_form(
        services.preferences_of(current_user), settings.digest_hour, settings.weekly_day
    )
    if form.validate_on_submit():
        services.update_preferences(
            current_user,
            current_user,
            deliveries=chosen_deliveries(form),
            digest_hour=form.digest_hour.data,
            weekly_day=form.weekly_day.data,
        )
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("notifications.preferences"), 303)
    return render_template(
        "notifications/preferences.html",
        form=form,
        groups=kinds_by_group(),
        delivery_labels={d.value: label for d, label in DELIVERY_LABELS.items()},
        follows=queries.subscriptions_of(current_user),
        hour_label=hour_label,
    ), 400 if form.errors else 200


def _user_key() -> str:
    return f"user:{current_user.get_id() if current_user.is_authenticated else 'anonymous'}"


@bp.post("/preferences/test-email")
@login_required
@limiter.limit("5 per hour", key_func=_user_key)
def test_email():
    """Queue a test email: the user checks it reaches them (and not their spam folder)."""
    from cop.notifications.emails import queue_test_email

    queue_test_email(current_user)
    db.session.commit()
    flash(f"A test email is on its way to {current_user.email}.", "success")
    return redirect(url_for("notifications.preferences"), 303)


@bp.post("/subscriptions/<int:subscription_id>/delete")
@login_required
def remove_subscription(subscription_id: int):
    services.remove_subscription(current_user, subscription_id)
    flash("Done: you will hear about it as usual again.", "success")
    return redirect(url_for("notifications.preferences"), 303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the credential; mail providers post without a form
def unsubscribe(token: str):
    """GET: confirm. POST: stop those emails (also RFC 8058 one-click from the mail app)."""
    one_click = request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
    try:
        if request.method == "GET":
            _, topic = services.read_unsubscribe_token(token)
        else:
            _, topic = services.unsubscribe(token)
    except ServiceError as exc:
        if one_click:
            return exc.message, exc.status, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("notifications/unsubscribe.html", error=exc.message), exc.status
    if one_click:
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template(
        "notifications/unsubscribe.html",
        token=token,
        label=services.topic_label(topic),
        done=request.method == "POST",
    )


@bp.get("/outbox")
@login_required
def outbox():
    if not can_manage_outbox(current_user):
        abort(404)
    status = request.args.get("status")
    status = status if status in {"pending", "sending", "sent", "failed"} else None
    return render_template(
        "notifications/outbox.html",
        counts=mail.outbox_counts(),
        emails=queries.outbox_rows(status),
        status=status,
    )


@bp.post("/outbox/retry")
@login_required
def outbox_retry():
    if not can_manage_outbox(current_user):
        abort(404)
    count = mail.retry_failed()
    flash(f"{count} failed email(s) are queued again." if count else "No failed emails.", "success")
    return redirect(url_for("notifications.outbox"), 303)
