"""Logging in and out, sessions, cookies, throttling and CSRF, through HTTP."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.accounts.models import User, UserSession
from tests.conftest import csrf_token, login, post_form
from tests.factories import PASSWORD, make_user

LOGIN_ERROR = "Wrong email or password"


def session_rows(db, user) -> list[UserSession]:
    return list(
        db.session.execute(sa.select(UserSession).where(UserSession.user_id == user.id)).scalars()
    )


def cookie_value(client, name: str = "cop_session") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def is_logged_in(client) -> bool:
    """The profile page answers 200 to a logged-in client and redirects anyone else."""
    return client.get("/profile").status_code == 200


# ---------------------------------------------------------------- logging in


def test_login_with_right_password_opens_a_session(client, world, db, fresh):
    member = world["member"]
    assert session_rows(db, member) == []
    response = post_form(client, "/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    fresh()
    rows = session_rows(db, member)
    assert len(rows) == 1
    assert rows[0].expires_at > rows[0].created_at
    assert db.session.get(User, member.id).last_login_at is not None
    assert is_logged_in(client)


def test_login_email_is_case_and_space_insensitive(client, world):
    response = post_form(
        client, "/login", {"email": "  Member@Test.Example.ORG ", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert is_logged_in(client)


def test_wrong_password_gives_a_clear_message_and_no_session(client, world, db):
    member = world["member"]
    response = post_form(client, "/login", {"email": member.email, "password": "not the password"})
    assert response.status_code == 200
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert session_rows(db, member) == []
    assert not is_logged_in(client)


def test_unknown_email_gives_the_same_message(client, world, db):
    response = post_form(
        client, "/login", {"email": "nobody@test.example.org", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(UserSession)).scalar() == 0


def test_empty_form_is_refused_with_field_errors(client, world, db):
    response = post_form(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(UserSession)).scalar() == 0


def test_deactivated_user_cannot_log_in(client, world, db):
    gone = world["deactivated"]
    response = post_form(client, "/login", {"email": gone.email, "password": PASSWORD})
    assert response.status_code == 200
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert session_rows(db, gone) == []
    assert not is_logged_in(client)


def test_user_without_password_cannot_log_in(client, app, db):
    from cop.accounts import services

    user = services.create_user(
        None, email="nopw@test.example.org", name="No Password", role="expert"
    )
    response = post_form(client, "/login", {"email": user.email, "password": ""})
    assert response.status_code == 400  # a password is required
    response = post_form(client, "/login", {"email": user.email, "password": "anything at all"})
    assert response.status_code == 200
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert session_rows(db, user) == []


def test_logged_in_user_visiting_login_goes_home(login_as):
    client = login_as("member")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# ---------------------------------------------------------------- next=


def test_next_to_a_local_path_is_followed(client, world):
    member = world["member"]
    response = post_form(
        client,
        "/login",
        {"email": member.email, "password": PASSWORD, "next": f"/people/{member.id}?tab=about"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/people/{member.id}?tab=about"


def test_login_required_page_round_trips_through_login(client, world):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    # The login page carries the target in its hidden field.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/profile"' in page
    response = post_form(
        client, "/login", {"email": world["member"].email, "password": PASSWORD, "next": "/profile"}
    )
    assert response.headers["Location"] == "/profile"


UNSAFE_NEXT = [
    "//evil.com",
    "//evil.com/profile",
    "https://evil.com",
    "http://evil.com/",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "/\t/evil.com",
    "/\r\nLocation: https://evil.com",
    " //evil.com",
    "///evil.com",
    "evil.com",
    "",
]


def test_unsafe_next_falls_back_to_home(app, world):
    followed = []
    for target in UNSAFE_NEXT:
        response = post_form(
            app.test_client(),
            "/login",
            {"email": world["member"].email, "password": PASSWORD, "next": target},
        )
        assert response.status_code == 303, target
        if response.headers["Location"] != "/":
            followed.append((target, response.headers["Location"]))
    assert followed == []


# ---------------------------------------------------------------- sessions and cookies


def test_login_issues_a_new_session_cookie(client, world):
    client.get("/login")
    before = cookie_value(client)
    assert before, "the login page sets a session cookie (for its CSRF token)"
    login(client, world["member"])
    after = cookie_value(client)
    assert after and after != before


def test_csrf_token_from_before_login_is_void_after_login(client, world, db):
    """Nothing of the anonymous session carries over, not even its CSRF token."""
    old_token = csrf_token(client)
    login(client, world["member"])
    response = client.post(
        "/profile", data={"csrf_token": old_token, "name": "Changed", "timezone": "UTC"}
    )
    assert response.status_code == 400
    assert db.session.get(User, world["member"].id).name != "Changed"


def test_logging_in_again_replaces_the_browser_session(app, client, world, db, fresh):
    login(client, world["member"])
    first_cookie = cookie_value(client)
    response = post_form(
        client,
        "/login",
        {"email": world["member"].email, "password": PASSWORD},
        token_from="/profile",
    )
    assert response.status_code == 303
    fresh()
    assert len(session_rows(db, world["member"])) == 1
    thief = app.test_client()
    thief.set_cookie("cop_session", first_cookie)
    assert not is_logged_in(thief)
    assert is_logged_in(client)


def test_cookie_from_before_login_is_not_logged_in(app, world):
    """Session fixation: the cookie an attacker planted before login gains nothing."""
    victim = app.test_client()
    victim.get("/login")
    planted = cookie_value(victim)
    login(victim, world["member"])
    attacker = app.test_client()
    attacker.set_cookie("cop_session", planted)
    assert not is_logged_in(attacker)
    assert is_logged_in(victim)


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = login(client, world["member"])
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("cop_session=")]
    assert cookies, response.headers
    attributes = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes


def test_cookie_holds_no_user_id_and_is_useless_without_its_session_row(app, client, world, db):
    login(client, world["member"])
    with client.session_transaction() as sess:
        stored = sess["_user_id"]
    assert stored != str(world["member"].id)
    # Deleting the server-side row (as logout elsewhere would) ends the session at once.
    db.session.execute(sa.delete(UserSession))
    db.session.commit()
    assert not is_logged_in(client)


def test_expired_session_row_is_not_accepted(client, world, db):
    from datetime import timedelta

    from cop.core.models import utcnow

    login(client, world["member"])
    db.session.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not is_logged_in(client)


def test_each_login_is_a_separate_session(app, world, db, fresh):
    first, second = app.test_client(), app.test_client()
    login(first, world["member"])
    login(second, world["member"])
    assert len(session_rows(db, world["member"])) == 2
    post_form(first, "/logout", token_from="/profile")
    fresh()
    assert len(session_rows(db, world["member"])) == 1
    assert not is_logged_in(first)
    assert is_logged_in(second)


def test_deactivating_a_user_ends_their_open_session(client, world, db):
    login(client, world["member"])
    assert is_logged_in(client)
    user = db.session.get(User, world["member"].id)
    user.active = False
    db.session.commit()
    assert not is_logged_in(client)


# ---------------------------------------------------------------- logging out


def test_logout_is_post_only(client, world, db):
    login(client, world["member"])
    response = client.get("/logout")
    assert response.status_code == 405
    assert is_logged_in(client)
    assert len(session_rows(db, world["member"])) == 1


def test_logout_without_csrf_token_is_refused(client, world, db):
    login(client, world["member"])
    response = client.post("/logout")
    assert response.status_code == 400
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert is_logged_in(client)
    assert len(session_rows(db, world["member"])) == 1


def test_logout_ends_the_session_and_a_copied_cookie_stops_working(app, client, world, db, fresh):
    login(client, world["member"])
    copied = cookie_value(client)
    thief = app.test_client()
    thief.set_cookie("cop_session", copied)
    assert is_logged_in(thief), "a copied cookie works while the session is open"

    response = post_form(client, "/logout", token_from="/profile")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    fresh()
    assert session_rows(db, world["member"]) == []
    assert not is_logged_in(client)
    assert not is_logged_in(thief)


def test_logout_when_not_logged_in_redirects_to_login(client, world):
    response = post_form(client, "/logout")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# ---------------------------------------------------------------- throttling


def fail_login(client, email: str, ip: str = "127.0.0.1"):
    return post_form(
        client,
        "/login",
        {"email": email, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_failed_logins_for_an_email_are_throttled(client, world, db):
    email = world["member"].email
    for n in range(5):
        response = fail_login(client, email)
        assert response.status_code == 200, f"attempt {n + 1}"
    response = fail_login(client, email)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many attempts" in response.get_data(as_text=True)
    # Even the right password is refused while the limit holds.
    response = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert session_rows(db, world["member"]) == []


def test_throttle_is_per_email_across_addresses(client, world):
    email = world["member"].email
    for n in range(5):
        assert fail_login(client, email, ip=f"10.0.0.{n + 1}").status_code == 200
    assert fail_login(client, email, ip="10.0.0.99").status_code == 429
    # Another account, from another address, is not affected.
    assert fail_login(client, world["lead"].email, ip="10.0.1.1").status_code == 200
    response = post_form(
        client,
        "/login",
        {"email": world["lead"].email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.1.2"},
    )
    assert response.status_code == 303


def test_throttle_key_ignores_email_case(client, world):
    email = world["member"].email
    for n in range(5):
        variant = email.upper() if n % 2 else email
        assert fail_login(client, variant, ip=f"10.0.2.{n + 1}").status_code == 200
    assert fail_login(client, email.title(), ip="10.0.2.99").status_code == 429


def test_successful_logins_are_not_counted(app, world):
    email = world["member"].email
    client = app.test_client()
    for _ in range(4):
        assert fail_login(client, email).status_code == 200
    for _ in range(3):
        other = app.test_client()
        assert login(other, world["member"]).status_code == 303
    assert fail_login(client, email).status_code == 200  # the 5th failure
    assert fail_login(client, email).status_code == 429


def test_login_failure_limit_comes_from_config(client, world, monkeypatch, app):
    monkeypatch.setitem(app.config, "LOGIN_FAILURE_LIMIT", "2 per 15 minutes")
    email = world["member"].email
    assert fail_login(client, email).status_code == 200
    assert fail_login(client, email).status_code == 200
    assert fail_login(client, email).status_code == 429


# ---------------------------------------------------------------- CSRF


@pytest.mark.parametrize("token", [None, "forged-token", "IjAwMDAi.ZZZZ.abc"])
def test_login_without_a_valid_csrf_token_is_refused(client, world, db, token):
    client.get("/login")
    data = {"email": world["member"].email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "expired or was sent from another site" in response.get_data(as_text=True)
    assert session_rows(db, world["member"]) == []
    assert not is_logged_in(client)


def test_csrf_token_of_another_session_is_refused(app, world, db):
    other = app.test_client()
    foreign_token = csrf_token(other)
    client = app.test_client()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": world["member"].email, "password": PASSWORD, "csrf_token": foreign_token},
    )
    assert response.status_code == 400
    assert session_rows(db, world["member"]) == []


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_profile_post_without_a_valid_csrf_token_changes_nothing(login_as, world, db, fresh, token):
    client = login_as("member")
    data = {
        "name": "Changed Name",
        "organization": "Changed",
        "title": "",
        "timezone": "America/Chicago",
        "bio": "",
    }
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/profile", data=data)
    assert response.status_code == 400
    fresh()
    user = db.session.get(User, world["member"].id)
    assert user.name != "Changed Name"
    assert user.timezone == "America/New_York"


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_invitation_post_without_a_valid_csrf_token_saves_nothing(login_as, db, token):
    from cop.accounts.models import Invitation

    client = login_as("admin")
    data = {"email": "new.person@test.example.org", "role": "expert", "coalition": ""}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/invitations/new", data=data)
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar() == 0


# ---------------------------------------------------------------- passwords at rest


def test_passwords_are_stored_with_argon2id(app, db):
    user = make_user("expert", email="hash@test.example.org")
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_no_password_or_hash_in_pages(login_as, world):
    client = login_as("admin")
    page = client.get(f"/admin/users/{world['member'].id}").get_data(as_text=True)
    assert "$argon2" not in page and PASSWORD not in page
