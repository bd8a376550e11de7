"""One-click, token-signed, per-kind unsubscribe links. A forged or expired token changes
nothing and says so."""

from __future__ import annotations

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from cop.core.audit import AuditEvent
from cop.extensions import db
from cop.notifications import services
from cop.notifications.kinds import Delivery
from cop.notifications.models import NotificationPreference


def _prefs_rows():
    return db.session.execute(
        sa.select(
            NotificationPreference.user_id,
            NotificationPreference.kind,
            NotificationPreference.delivery,
        ).order_by(NotificationPreference.id)
    ).all()


def test_get_asks_then_post_unsubscribes_one_kind(app, world, fresh):
    member = world["member"]
    token = services.unsubscribe_token(member.id, "direct_message")
    client = app.test_client()  # not logged in: it works from any mail app
    page = client.get(f"/notifications/unsubscribe/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stop the emails for “A direct message”?" in html
    fresh()
    assert services.delivery_for(member, "direct_message") == Delivery.EMAIL  # GET changes nothing

    done = client.post(f"/notifications/unsubscribe/{token}")
    assert done.status_code == 200
    assert "no more emails for “A direct message”" in done.get_data(as_text=True)
    fresh()
    assert services.delivery_for(member, "direct_message") == Delivery.IN_APP
    assert services.delivery_for(member, "mention") == Delivery.EMAIL  # other kinds untouched
    assert db.session.execute(
        sa.select(AuditEvent.action).where(AuditEvent.action == "notifications.unsubscribe")
    ).scalar_one()

    # Again: idempotent.
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 200


def test_rfc8058_one_click_post(app, world, fresh):
    token = services.unsubscribe_token(world["member"].id, "mention")
    response = app.test_client().post(
        f"/notifications/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    fresh()
    assert services.delivery_for(world["member"], "mention") == Delivery.IN_APP


def test_a_forged_token_changes_nothing_and_says_so(app, world, fresh):
    member = world["member"]
    forged = URLSafeTimedSerializer("not-the-secret", salt="cop-unsubscribe").dumps(
        [member.id, "mention"]
    )
    tampered = services.unsubscribe_token(member.id, "mention")[:-3] + "abc"
    for token in (forged, tampered, "garbage"):
        for method in ("get", "post"):
            response = getattr(app.test_client(), method)(f"/notifications/unsubscribe/{token}")
            assert response.status_code == 400
            assert "not valid, so nothing was changed" in response.get_data(as_text=True)
    one_click = app.test_client().post(
        f"/notifications/unsubscribe/{forged}", data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 400 and "nothing was changed" in one_click.get_data(
        as_text=True
    )
    fresh()
    assert _prefs_rows() == []


def test_an_expired_token_changes_nothing_and_says_so(app, world, mail_config, fresh):
    token = services.unsubscribe_token(world["member"].id, "mention")
    mail_config(UNSUBSCRIBE_TOKEN_DAYS=-1)
    response = app.test_client().post(f"/notifications/unsubscribe/{token}")
    assert response.status_code == 410
    assert "expired, so nothing was changed" in response.get_data(as_text=True)
    fresh()
    assert _prefs_rows() == []


def test_a_token_for_an_unknown_kind_or_user_changes_nothing(app, world, fresh):
    for token in (
        services.unsubscribe_token(world["member"].id, "no-such-kind"),
        services.unsubscribe_token(999999, "mention"),
    ):
        assert app.test_client().post(f"/notifications/unsubscribe/{token}").status_code == 400
    fresh()
    assert _prefs_rows() == []
