"""The JSON API: tokens, /me, the error format, CSRF for cookie callers, the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from cop.accounts.models import ApiToken, User
from cop.core.audit import AuditEvent
from cop.core.models import utcnow
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD


def get_token(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/api/v1/tokens", json={"email": email, "password": password, **extra})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_count(db) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def member_token(client, world) -> str:
    response = get_token(client, world["member"].email)
    assert response.status_code == 201
    return response.json["token"]


# ---------------------------------------------------------------- getting a token


def test_token_for_email_and_password(client, world, db):
    response = get_token(client, world["member"].email.upper(), name="my laptop")
    assert response.status_code == 201
    body = response.json
    assert body["token"].startswith("cop_") and len(body["token"]) > 40
    assert body["prefix"] == body["token"][:12]
    assert body["name"] == "my laptop"
    assert "password" not in body
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == timedelta(0)
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    stored = db.session.get(ApiToken, body["id"])
    assert stored.user_id == world["member"].id
    assert body["token"] not in stored.token_hash  # only a digest is kept
    assert stored.revoked_at is None
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "token.create")
    ).scalar_one()
    assert event.actor_id == world["member"].id


@pytest.mark.parametrize(
    "email, password",
    [
        ("member@test.example.org", "wrong password"),
        ("nobody@test.example.org", PASSWORD),
        ("gone@test.example.org", PASSWORD),  # deactivated
        ("not an email", PASSWORD),
    ],
)
def test_token_refused_for_bad_credentials(client, world, db, email, password):
    response = get_token(client, email, password)
    error = assert_error(response, 401, "unauthorized")
    assert error["message"] == "Wrong email or password."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert token_count(db) == 0


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"email": "member@test.example.org"},
        {"password": PASSWORD},
        {"email": 42, "password": PASSWORD},
        {"email": "member@test.example.org", "password": PASSWORD, "name": "n" * 81},
    ],
)
def test_token_request_with_missing_or_bad_fields_is_422(client, world, db, payload):
    response = client.post("/api/v1/tokens", json=payload)
    error = assert_error(response, 422, "invalid")
    assert error["details"]["json"]
    assert token_count(db) == 0


def test_missing_field_is_named_in_details(client, world):
    response = client.post("/api/v1/tokens", json={"email": "member@test.example.org"})
    error = assert_error(response, 422, "invalid")
    assert "password" in error["details"]["json"]


def test_token_request_must_be_json(client, world, db):
    response = client.post(
        "/api/v1/tokens", data={"email": world["member"].email, "password": PASSWORD}
    )
    assert_error(response, 415, "unsupported_media_type")
    response = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("bad_request", "invalid")
    assert token_count(db) == 0


def test_failed_token_requests_are_throttled(client, world, db):
    for _ in range(5):
        assert get_token(client, world["member"].email, "wrong password").status_code == 401
    response = get_token(client, world["member"].email)
    assert_error(response, 429, "too_many_requests")
    assert token_count(db) == 0


def test_failed_token_requests_are_throttled_per_email_across_addresses(client, world, db):
    email = world["member"].email
    for n in range(5):
        response = client.post(
            "/api/v1/tokens",
            json={"email": email, "password": "wrong!"},
            environ_base={"REMOTE_ADDR": f"10.1.0.{n + 1}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/api/v1/tokens",
        json={"email": email.upper(), "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.0.99"},
    )
    assert_error(response, 429, "too_many_requests")
    assert token_count(db) == 0
    # Another account from another address is not held back.
    response = client.post(
        "/api/v1/tokens",
        json={"email": world["lead"].email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert response.status_code == 201


def test_login_page_and_api_share_the_email_throttle(client, world, db):
    """Guessing through the API is no way around the login page's throttle, and back."""
    from tests.conftest import post_form

    email = world["member"].email
    for n in range(3):
        response = post_form(
            client,
            "/login",
            {"email": email, "password": "wrong!"},
            environ_base={"REMOTE_ADDR": f"10.2.0.{n + 1}"},
        )
        assert response.status_code == 200
    for n in range(2):
        response = client.post(
            "/api/v1/tokens",
            json={"email": email, "password": "wrong!"},
            environ_base={"REMOTE_ADDR": f"10.2.1.{n + 1}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/api/v1/tokens",
        json={"email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.2.1"},
    )
    assert_error(response, 429, "too_many_requests")
    response = post_form(
        client,
        "/login",
        {"email": email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.2.2"},
    )
    assert response.status_code == 429
    assert token_count(db) == 0


def test_successful_token_requests_are_not_counted(client, world):
    for _ in range(4):
        assert get_token(client, world["member"].email, "wrong password").status_code == 401
    for _ in range(3):
        assert get_token(client, world["member"].email).status_code == 201
    assert get_token(client, world["member"].email, "wrong password").status_code == 401
    assert get_token(client, world["member"].email, "wrong password").status_code == 429


# ---------------------------------------------------------------- using a token


def test_me_with_a_bearer_token(app, world):
    client = app.test_client()
    token = get_token(client, world["lead"].email).json["token"]
    response = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    body = response.json
    assert body["email"] == world["lead"].email
    assert body["role"] == "member"
    assert body["coalitions"] == [
        {"slug": "alpha", "name": "Alpha Coalition (demo)", "is_lead": True}
    ]
    assert body["coached_coalitions"] == []
    assert "password_hash" not in body and "password" not in body


def test_me_for_a_coach_lists_coached_coalitions(client, world):
    token = get_token(client, world["coach"].email).json["token"]
    body = client.get("/api/v1/me", headers=bearer(token)).json
    assert body["role"] == "coach"
    assert body["coached_coalitions"] == ["alpha"]
    assert body["coalitions"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer cop_not-a-real-token"},
        {"Authorization": "Basic bWVtYmVyOnBhc3N3b3Jk"},
        {"Authorization": "Token cop_x"},
    ],
)
def test_me_without_a_valid_token_is_401_json(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(client, member_token):
    response = client.get("/api/v1/me", headers={"Authorization": f"bearer {member_token}"})
    assert response.status_code == 200


def test_token_use_is_recorded(client, world, db, member_token, fresh):
    assert client.get("/api/v1/me", headers=bearer(member_token)).status_code == 200
    fresh()
    stored = db.session.execute(sa.select(ApiToken)).scalar_one()
    assert stored.last_used_at is not None
    assert abs(utcnow() - stored.last_used_at) < timedelta(minutes=1)


def test_revoking_the_current_token(app, world, db, member_token, fresh):
    client = app.test_client()
    response = client.delete("/api/v1/tokens/current", headers=bearer(member_token))
    assert response.status_code == 204
    fresh()
    assert db.session.execute(sa.select(ApiToken)).scalar_one().revoked_at is not None
    assert_error(client.get("/api/v1/me", headers=bearer(member_token)), 401, "unauthorized")
    assert_error(
        client.delete("/api/v1/tokens/current", headers=bearer(member_token)), 401, "unauthorized"
    )
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "token.revoke")
        ).scalar()
        == 1
    )


def test_revoking_one_token_leaves_the_others(client, world, db):
    first = get_token(client, world["member"].email).json["token"]
    second = get_token(client, world["member"].email).json["token"]
    assert client.delete("/api/v1/tokens/current", headers=bearer(first)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_listing_and_revoking_tokens_by_id(client, world, db):
    mine = get_token(client, world["member"].email, name="one").json
    other = get_token(client, world["member"].email, name="two").json
    theirs = get_token(client, world["expert"].email).json
    listed = client.get("/api/v1/tokens", headers=bearer(mine["token"])).json
    assert sorted(t["name"] for t in listed) == ["one", "two"]
    assert all("token" not in t for t in listed)
    # Someone else's token id is not found, and stays usable.
    response = client.delete(f"/api/v1/tokens/{theirs['id']}", headers=bearer(mine["token"]))
    assert_error(response, 404, "not_found")
    assert client.get("/api/v1/me", headers=bearer(theirs["token"])).status_code == 200
    response = client.delete(f"/api/v1/tokens/{other['id']}", headers=bearer(mine["token"]))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(other["token"])).status_code == 401
    listed = client.get("/api/v1/tokens", headers=bearer(mine["token"])).json
    assert [t["name"] for t in listed] == ["one"]


def test_token_list_leaves_out_expired_tokens(client, world, db):
    current = get_token(client, world["member"].email, name="current").json
    old = get_token(client, world["member"].email, name="old").json
    db.session.get(ApiToken, old["id"]).expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    listed = client.get("/api/v1/tokens", headers=bearer(current["token"])).json
    assert [t["name"] for t in listed] == ["current"]


def test_deactivated_users_token_stops_working(client, world, db, member_token):
    assert client.get("/api/v1/me", headers=bearer(member_token)).status_code == 200
    db.session.get(User, world["member"].id).active = False
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=bearer(member_token)), 401, "unauthorized")


def test_expired_token_stops_working(client, world, db, member_token):
    db.session.execute(sa.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=bearer(member_token)), 401, "unauthorized")


def test_bearer_token_does_not_log_in_to_html_pages(client, member_token):
    response = client.get("/profile", headers=bearer(member_token))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_current_token_delete_needs_a_token(app, world):
    browser = app.test_client()
    login(browser, world["member"])
    response = browser.delete(
        "/api/v1/tokens/current", headers={"X-CSRFToken": csrf_token(browser, "/profile")}
    )
    assert_error(response, 400, "bad_request")


def test_a_bad_bearer_token_is_not_rescued_by_a_session_cookie(app, world, db, member_token):
    browser = app.test_client()
    login(browser, world["member"])
    assert browser.get("/api/v1/me").status_code == 200  # cookie alone: fine for reads
    response = browser.get("/api/v1/me", headers=bearer("cop_bogus"))
    assert_error(response, 401, "unauthorized")
    response = browser.delete("/api/v1/tokens/current", headers=bearer("cop_bogus"))
    assert_error(response, 401, "unauthorized")
    assert db.session.execute(sa.select(ApiToken)).scalar_one().revoked_at is None


# ---------------------------------------------------------------- CSRF for cookie callers


def test_cookie_authenticated_state_change_needs_the_csrf_header(app, world, db, fresh):
    browser = app.test_client()
    login(browser, world["member"])
    token = get_token(app.test_client(), world["member"].email).json

    response = browser.delete(f"/api/v1/tokens/{token['id']}")
    error = assert_error(response, 400, "bad_request")
    assert "CSRF" in error["message"]
    response = browser.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRFToken": "forged"})
    assert_error(response, 400, "bad_request")
    fresh()
    assert db.session.get(ApiToken, token["id"]).revoked_at is None

    response = browser.delete(
        f"/api/v1/tokens/{token['id']}", headers={"X-CSRFToken": csrf_token(browser, "/profile")}
    )
    assert response.status_code == 204
    fresh()
    assert db.session.get(ApiToken, token["id"]).revoked_at is not None


def test_cookie_authenticated_token_request_needs_the_csrf_header(app, world, db):
    browser = app.test_client()
    login(browser, world["member"])
    response = get_token(browser, world["member"].email)
    assert_error(response, 400, "bad_request")
    assert token_count(db) == 0
    response = browser.post(
        "/api/v1/tokens",
        json={"email": world["member"].email, "password": PASSWORD},
        headers={"X-CSRFToken": csrf_token(browser, "/profile")},
    )
    assert response.status_code == 201


def test_bearer_callers_need_no_csrf_header(client, world, db, member_token):
    token = get_token(client, world["member"].email).json
    response = client.delete(f"/api/v1/tokens/{token['id']}", headers=bearer(member_token))
    assert response.status_code == 204


# ---------------------------------------------------------------- errors and the document


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/nothing-here"),
        ("get", "/api/v2/me"),
        ("post", "/api/v1/nothing-here"),
        ("get", "/api/v1/tokens/999999/extra"),
    ],
)
def test_unknown_api_path_is_404_json(client, world, member_token, method, path):
    response = getattr(client, method)(path, headers=bearer(member_token))
    assert_error(response, 404, "not_found")


def test_wrong_method_is_405_json(client, member_token):
    response = client.put("/api/v1/me", headers=bearer(member_token), json={})
    assert_error(response, 405, "method_not_allowed")


def test_html_404_stays_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "cop API"
    for path in (
        "/api/v1/tokens",
        "/api/v1/me",
        "/api/v1/coalitions",
        "/api/v1/coalitions/{slug}",
        "/api/v1/tokens/current",
    ):
        assert path in doc["paths"], path
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "POST /api/v1/tokens",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    # Getting a token needs no token.
    assert doc["paths"]["/api/v1/tokens"]["post"]["security"] == []
    assert "401" in doc["paths"]["/api/v1/tokens"]["post"]["responses"]


def test_openapi_documents_the_real_error_format(client, world):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    error = schemas["Error"]
    assert error["required"] == ["error"]
    body_ref = error["properties"]["error"]["$ref"].rsplit("/", 1)[1]
    body = schemas[body_ref]
    assert {"code", "message"} <= set(body["required"])
    assert body["properties"]["code"]["type"] == "string"
    # And a real error has exactly that shape.
    real = client.get("/api/v1/me").json
    assert set(real) == set(error["properties"])
    assert set(real["error"]) <= set(body["properties"])
