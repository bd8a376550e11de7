"""Password reset by email, password change and the profile page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from cop.accounts.models import User, UserSession
from cop.core.audit import AuditEvent
from tests.conftest import login, post_form
from tests.factories import PASSWORD

NEW_PASSWORD = "a different passphrase"  # noqa: S105
FORGOT_MESSAGE = "If an account uses that address, a reset link is on its way."
RESET_LINK_RE = re.compile(r"https?://\S+/password/reset/\S+")


def user(db, user_id: int) -> User:
    return db.session.get(User, user_id)


def sessions_of(db, u) -> list[int]:
    return list(
        db.session.execute(sa.select(UserSession.id).where(UserSession.user_id == u.id)).scalars()
    )


def is_logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def can_log_in(app, email: str, password: str) -> bool:
    response = post_form(app.test_client(), "/login", {"email": email, "password": password})
    return response.status_code == 303


def ask_for_reset(client, email: str):
    return post_form(client, "/password/forgot", {"email": email}, token_from="/password/forgot")


def reset_path(smtp_server, email: str) -> str:
    smtp_server.deliver()
    (message,) = smtp_server.to(email)
    links = RESET_LINK_RE.findall(smtp_server.text(message))
    assert len(links) == 1, smtp_server.text(message)
    return urlsplit(links[0]).path


def set_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return post_form(
        client, path, {"password": password, "confirm": password if confirm is None else confirm}
    )


# ---------------------------------------------------------------- forgotten password


def test_forgot_password_mails_a_reset_link(client, world, smtp_server):
    member = world["member"]
    response = ask_for_reset(client, member.email.upper())
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert FORGOT_MESSAGE + " It works for 60 minutes." in client.get("/login").get_data(
        as_text=True
    )
    smtp_server.deliver()
    (message,) = smtp_server.to(member.email)
    assert "within 60 minutes" in smtp_server.text(message)
    assert message["Subject"] == "Reset your cop password"
    assert member.name in smtp_server.text(message)
    assert reset_path(smtp_server, member.email).startswith("/password/reset/")


def test_forgot_password_for_unknown_email_says_the_same_and_sends_nothing(
    client, world, smtp_server
):
    response = ask_for_reset(client, "nobody@test.example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert FORGOT_MESSAGE in client.get("/login").get_data(as_text=True)
    smtp_server.deliver()
    assert smtp_server.messages == []


def test_forgot_password_for_deactivated_account_sends_nothing(client, world, smtp_server):
    response = ask_for_reset(client, world["deactivated"].email)
    assert response.status_code == 303
    smtp_server.deliver()
    assert smtp_server.messages == []


def test_forgot_password_with_invalid_email_is_a_form_error(client, world, smtp_server):
    response = ask_for_reset(client, "not an email")
    assert response.status_code == 400
    assert "Invalid email address" in response.get_data(as_text=True)
    smtp_server.deliver()
    assert smtp_server.messages == []


def test_forgot_password_is_rate_limited(client, world, smtp_server):
    for _ in range(10):
        assert ask_for_reset(client, "nobody@test.example.org").status_code == 303
    response = ask_for_reset(client, world["member"].email)
    assert response.status_code == 429
    smtp_server.deliver()
    assert smtp_server.messages == []


def test_reset_link_sets_a_new_password_once(app, client, world, db, smtp_server, fresh):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    old_hash = user(db, member.id).password_hash

    page = client.get(path)
    assert page.status_code == 200
    assert member.email in page.get_data(as_text=True)
    response = set_password(client, path)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    fresh()
    stored = user(db, member.id).password_hash
    assert stored != old_hash and stored.startswith("$argon2id$")
    assert can_log_in(app, member.email, NEW_PASSWORD)
    assert not can_log_in(app, member.email, PASSWORD)
    assert (
        db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
        .scalar_one()
        .target_id
        == member.id
    )

    # The link worked once: now it is gone, for reading and for writing.
    again = app.test_client()
    response = again.get(path)
    assert response.status_code == 410
    assert "already used" in response.get_data(as_text=True)
    assert set_password(again, path, "yet another passphrase").status_code == 410
    fresh()
    assert user(db, member.id).password_hash == stored


def test_reset_ends_every_open_session(app, world, db, smtp_server, fresh):
    member = world["member"]
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, member)
    login(phone, member)
    assert len(sessions_of(db, member)) == 2

    stranger = app.test_client()
    ask_for_reset(stranger, member.email)
    assert set_password(stranger, reset_path(smtp_server, member.email)).status_code == 303
    fresh()
    assert sessions_of(db, member) == []
    assert not is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert not is_logged_in(stranger)  # a reset does not log anyone in


def test_expired_reset_link_is_gone(client, world, db, smtp_server, monkeypatch, fresh):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    ttl = client.application.config["PASSWORD_RESET_TTL_SECONDS"]
    real = TimestampSigner.get_timestamp
    # The clock moves on past the link's lifetime.
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + ttl + 5)
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    before = user(db, member.id).password_hash
    assert set_password(client, path).status_code == 410
    fresh()
    assert user(db, member.id).password_hash == before


def test_reset_link_lifetime_comes_from_config(client, world, smtp_server, monkeypatch):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 120)
    assert client.get(path).status_code == 200  # 2 minutes old, lifetime one hour
    monkeypatch.setitem(client.application.config, "PASSWORD_RESET_TTL_SECONDS", 60)
    assert client.get(path).status_code == 410


def _flip(text: str) -> str:
    """Change the first character: it carries six real bits (the last one may be padding)."""
    return ("B" if text[0] == "A" else "A") + text[1:]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.rsplit(".", 1)[0] + "." + _flip(t.rsplit(".", 1)[1]),  # signature changed
        _flip,  # payload changed
        lambda t: "not-a-token",
    ],
)
def test_tampered_reset_link_is_404(client, world, db, smtp_server, tamper):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    prefix, token = path.rsplit("/", 1)
    bad = f"{prefix}/{tamper(token)}"
    assert client.get(bad).status_code == 404
    before = user(db, member.id).password_hash
    assert set_password(client, bad).status_code == 404
    assert user(db, member.id).password_hash == before


def test_reset_token_signed_for_another_purpose_is_refused(client, world, app):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else").dumps(
        {"uid": world["member"].id, "ph": ""}
    )
    assert client.get(f"/password/reset/{forged}").status_code == 404


def test_weak_new_password_is_refused(client, world, db, smtp_server, fresh):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    before = user(db, member.id).password_hash
    response = set_password(client, path, "short")
    assert response.status_code == 400
    response = set_password(client, path, NEW_PASSWORD, "mismatch of the two")
    assert response.status_code == 400
    assert "The passwords differ" in response.get_data(as_text=True)
    response = set_password(client, path, member.email)
    assert response.status_code == 400
    assert "email address" in response.get_data(as_text=True)
    fresh()
    assert user(db, member.id).password_hash == before
    assert set_password(client, path).status_code == 303  # the link is still good


def test_reset_link_stops_working_when_account_is_deactivated(client, world, db, smtp_server):
    member = world["member"]
    ask_for_reset(client, member.email)
    path = reset_path(smtp_server, member.email)
    user(db, member.id).active = False
    db.session.commit()
    assert client.get(path).status_code == 410


# ---------------------------------------------------------------- changing the password


def change_password(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    return post_form(
        client,
        "/profile/password",
        {
            "pw-current_password": current,
            "pw-password": new,
            "pw-confirm": new if confirm is None else confirm,
        },
        token_from="/profile",
    )


def test_password_change_keeps_this_session_and_ends_the_others(app, world, db, fresh):
    member = world["member"]
    here, elsewhere = app.test_client(), app.test_client()
    login(here, member)
    login(elsewhere, member)
    response = change_password(here, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    fresh()
    assert len(sessions_of(db, member)) == 1
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    assert can_log_in(app, member.email, NEW_PASSWORD)
    assert not can_log_in(app, member.email, PASSWORD)
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "user.password_change")
        ).scalar()
        == 1
    )


def test_password_change_with_wrong_current_password_changes_nothing(app, world, db, fresh):
    member = world["member"]
    here, elsewhere = app.test_client(), app.test_client()
    login(here, member)
    login(elsewhere, member)
    before = user(db, member.id).password_hash
    response = change_password(here, "not my password")
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)
    fresh()
    assert user(db, member.id).password_hash == before
    assert len(sessions_of(db, member)) == 2
    assert is_logged_in(elsewhere)


@pytest.mark.parametrize(
    "new, confirm, message",
    [
        ("short", "short", "between 10 and 256"),
        (NEW_PASSWORD, "something else entirely", "The passwords differ"),
        ("1111111111111", "1111111111111", "less repetitive"),
    ],
)
def test_password_change_refuses_weak_passwords(login_as, world, db, fresh, new, confirm, message):
    client = login_as("member")
    before = user(db, world["member"].id).password_hash
    response = change_password(client, PASSWORD, new, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    fresh()
    assert user(db, world["member"].id).password_hash == before


def test_password_change_needs_login_and_csrf(app, client, world, db):
    response = post_form(
        client,
        "/profile/password",
        {"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    logged_in = app.test_client()
    login(logged_in, world["member"])
    before = user(db, world["member"].id).password_hash
    response = logged_in.post(
        "/profile/password",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert user(db, world["member"].id).password_hash == before


# ---------------------------------------------------------------- the profile


def profile_data(**overrides) -> dict:
    data = {
        "name": "Mo Member",
        "organization": "Lakeshore College",
        "title": "Program Director",
        "timezone": "America/Chicago",
        "bio": "",
    }
    data.update(overrides)
    return data


def save_profile(client, **overrides):
    return post_form(client, "/profile", profile_data(**overrides), token_from="/profile")


def test_profile_edit_saves_every_field(login_as, world, db, fresh):
    client = login_as("member")
    response = save_profile(client, bio="I run **apprenticeships**.\n\n- one\n- two")
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    fresh()
    saved = user(db, world["member"].id)
    assert (saved.name, saved.organization, saved.title, saved.timezone) == (
        "Mo Member",
        "Lakeshore College",
        "Program Director",
        "America/Chicago",
    )
    assert saved.bio.startswith("I run **apprenticeships**.")
    assert "<strong>apprenticeships</strong>" in saved.bio_html
    assert "<li>one</li>" in saved.bio_html
    page = client.get(f"/people/{saved.id}").get_data(as_text=True)
    assert "Mo Member" in page and "Program Director" in page and "Lakeshore College" in page
    assert "<strong>apprenticeships</strong>" in page
    assert "America/Chicago" in page


def test_profile_bio_is_sanitised(login_as, world, db, fresh):
    client = login_as("member")
    bio = (
        "<script>alert('x')</script>\n\n"
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)> "
        '<a href="https://example.org" onclick="steal()">site</a>'
    )
    assert save_profile(client, bio=bio).status_code == 303
    fresh()
    stored = user(db, world["member"].id).bio_html
    page = client.get(f"/people/{world['member'].id}").get_data(as_text=True)
    for html in (stored, page):
        assert "<script>alert" not in html
        assert "javascript:" not in html
        assert not re.search(r"<img[^>]*onerror", html)
        assert not re.search(r"<a[^>]*onclick", html)
    assert "&lt;script&gt;" in page  # shown as text


def test_invalid_timezone_is_refused(login_as, world, db, fresh):
    client = login_as("member")
    response = save_profile(client, timezone="Mars/Olympus_Mons", name="Should Not Save")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    fresh()
    saved = user(db, world["member"].id)
    assert saved.timezone == "America/New_York"
    assert saved.name != "Should Not Save"


@pytest.mark.parametrize(
    "field, limit",
    [
        ("name", 120),
        ("organization", 200),
        ("title", 200),
        ("bio", 5000),
    ],
)
def test_over_long_profile_fields_are_refused(login_as, world, db, fresh, field, limit):
    client = login_as("member")
    before = user(db, world["member"].id).name
    response = save_profile(client, **{field: "x" * (limit + 1)})
    assert response.status_code == 400
    assert f"cannot be longer than {limit} characters" in response.get_data(as_text=True)
    fresh()
    saved = user(db, world["member"].id)
    assert saved.name == before and saved.organization == "" and saved.bio == ""
    # Exactly at the limit is fine.
    assert save_profile(client, **{field: "x" * limit}).status_code == 303


def test_profile_needs_a_name(login_as, world, db):
    client = login_as("member")
    assert save_profile(client, name="   ").status_code == 400
    assert user(db, world["member"].id).name != ""


def test_profile_page_shows_the_timezone_picker_with_current_value(login_as):
    page = login_as("member").get("/profile").get_data(as_text=True)
    assert '<option selected value="America/New_York">' in page


PROFILE_VISIBILITY = [  # viewer, whose profile, status
    ("member", "other_member", 200),
    ("expert", "member", 200),
    ("guest", "member", 404),
    ("guest", "guest", 200),
    ("member", "deactivated", 404),
    ("admin", "deactivated", 200),
]


def test_profile_visibility(login_as, world):
    clients = {}
    wrong = []
    for viewer, target, status in PROFILE_VISIBILITY:
        client = clients.setdefault(viewer, login_as(viewer))
        got = client.get(f"/people/{world[target].id}").status_code
        if got != status:
            wrong.append((viewer, target, got))
    assert wrong == []


def test_profiles_need_login(client, world):
    response = client.get(f"/people/{world['member'].id}")
    assert response.status_code == 302
    assert client.get("/people/999999").status_code == 302


def test_unknown_profile_is_404(login_as):
    assert login_as("member").get("/people/999999").status_code == 404
