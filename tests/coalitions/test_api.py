"""The coalition API: /api/v1/coalitions and /api/v1/coalitions/<slug>."""

from __future__ import annotations

import pytest

from cop.accounts.services import create_api_token
from tests import factories
from tests.conftest import login


@pytest.fixture
def api(app, world):
    """api("member") -> a client whose requests carry that user's bearer token."""

    def _client(role: str):
        client = app.test_client()
        if role != "anonymous":
            _, raw = create_api_token(world[role])
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        return client

    return _client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------- list


def test_list_returns_every_coalition_with_its_fields(api, world):
    response = api("member").get("/api/v1/coalitions")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["slug"] for c in body] == ["alpha", "beta"]
    alpha = body[0]
    assert alpha == {
        "slug": "alpha",
        "name": "Alpha Coalition (demo)",
        "lead_organization": world["alpha"].lead_organization,
        "track": "development",
        "states": ["MI", "OH"],
        "sectors": ["broadband"],
        "partners": [],
        "member_count": 2,  # lead and member; the deactivated account does not count
        "url": "/coalitions/alpha",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["alpha", "beta"]),
        ("?q=beta", ["beta"]),
        ("?q=BETA", ["beta"]),
        ("?q=%25", []),
        ("?state=OH", ["alpha"]),
        ("?state=TX", ["beta"]),
        ("?state=AK", []),
        ("?sector=renewable-energy", ["beta"]),
        ("?track=development", ["alpha"]),
        ("?track=scaling&state=TX&sector=renewable-energy&q=Beta", ["beta"]),
        ("?state=", ["alpha", "beta"]),
        ("?unknown=ignored", ["alpha", "beta"]),
    ],
)
def test_list_filters(api, world, query, expected):
    response = api("expert").get(f"/api/v1/coalitions{query}")
    assert response.status_code == 200
    assert [c["slug"] for c in response.get_json()] == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?state=ZZ", "state"),
        ("?state=oh", "state"),
        ("?sector=fishing", "sector"),
        ("?track=sideways", "track"),
        ("?q=" + "x" * 101, "q"),
    ],
)
def test_list_rejects_bad_filter_values_with_422(api, world, query, field):
    error = assert_error(api("member").get(f"/api/v1/coalitions{query}"), 422, "invalid")
    assert field in str(error.get("details"))


def test_list_refuses_nul_bytes_with_a_json_400(api, world):
    assert_error(api("member").get("/api/v1/coalitions?q=%00"), 400, "bad_request")


def test_list_is_404_for_guests_and_401_without_a_valid_token(api, app, world):
    assert_error(api("guest").get("/api/v1/coalitions"), 404, "not_found")
    # Not even the filters' validation answers a guest: the endpoint does not exist for them.
    assert_error(api("guest").get("/api/v1/coalitions?state=ZZ"), 404, "not_found")
    response = api("anonymous").get("/api/v1/coalitions")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A token of a deactivated account, a made-up token, or the wrong scheme: 401.
    for header in (
        f"Bearer {create_api_token(world['deactivated'])[1]}",
        "Bearer cop_nope",
        "Basic YTpi",
        "Bearer ",
    ):
        client = app.test_client()
        response = client.get("/api/v1/coalitions", headers={"Authorization": header})
        assert_error(response, 401, "unauthorized")


def test_401_comes_before_argument_validation(api, world):
    # An anonymous caller learns nothing about the filters: 401, not 422.
    assert_error(api("anonymous").get("/api/v1/coalitions?state=ZZ"), 401, "unauthorized")


def test_list_works_with_a_session_cookie_too(app, world):
    client = app.test_client()
    login(client, world["member"])
    response = client.get("/api/v1/coalitions")
    assert response.status_code == 200
    assert len(response.get_json()) == 2


def test_a_session_cookie_does_not_authenticate_state_changes_without_csrf(app, world):
    client = app.test_client()
    login(client, world["member"])
    response = client.delete("/api/v1/tokens/current")
    assert_error(response, 400, "bad_request")


def test_list_query_count_does_not_grow_with_coalitions(api, world, count_queries):
    client = api("member")
    client.get("/api/v1/coalitions")
    with count_queries() as small:
        assert client.get("/api/v1/coalitions").status_code == 200
    for i in range(25):
        c = factories.make_coalition(states=["OH", "TX"][: 1 + i % 2])
        factories.make_user("member", coalition=c)
    with count_queries() as large:
        response = client.get("/api/v1/coalitions")
    assert len(response.get_json()) == 27
    assert small.count == large.count
    assert large.count <= 6


def test_list_wrong_method_is_a_json_405(api, world):
    client = api("admin")
    for method in (client.post, client.put, client.delete):
        assert_error(method("/api/v1/coalitions", json={}), 405, "method_not_allowed")


# ---------------------------------------------------------------- detail


def test_detail_lists_members_leads_and_coaches(api, world):
    response = api("other_member").get("/api/v1/coalitions/alpha")
    assert response.status_code == 200
    body = response.get_json()
    assert body["slug"] == "alpha" and body["url"] == "/coalitions/alpha"
    assert {m["id"] for m in body["members"]} == {world["lead"].id, world["member"].id}
    assert body["members"][0]["id"] == world["lead"].id  # leads first
    assert body["leads"] == [world["lead"].id]
    assert [c["id"] for c in body["coaches"]] == [world["coach"].id]
    assert body["description_html"] == ""
    # Only what a directory shows about people: no email, role or account state.
    for person in body["members"] + body["coaches"]:
        assert set(person) == {"id", "name", "organization", "title"}


def test_detail_unknown_slug_is_a_json_404(api, world):
    for slug in ("nope", "ALPHA", "a" * 200):
        assert_error(api("admin").get(f"/api/v1/coalitions/{slug}"), 404, "not_found")


def test_detail_is_404_for_guests_and_401_for_anonymous(api, world):
    assert_error(api("guest").get("/api/v1/coalitions/alpha"), 404, "not_found")
    assert_error(api("anonymous").get("/api/v1/coalitions/alpha"), 401, "unauthorized")


def test_detail_query_count_does_not_grow_with_members(api, world, count_queries):
    client = api("member")
    client.get("/api/v1/coalitions/alpha")
    with count_queries() as small:
        client.get("/api/v1/coalitions/alpha")
    for _ in range(20):
        factories.make_user("member", coalition=world["alpha"])
    for _ in range(4):
        factories.assign_coach(factories.make_user("coach"), world["alpha"])
    with count_queries() as large:
        body = client.get("/api/v1/coalitions/alpha").get_json()
    assert len(body["members"]) == 22 and len(body["coaches"]) == 5
    assert small.count == large.count
    assert large.count <= 8


# ---------------------------------------------------------------- tokens and the document


def test_token_from_password_then_use_it(app, world):
    client = app.test_client()
    response = client.post(
        "/api/v1/tokens", json={"email": "member@test.example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    token = response.get_json()["token"]
    assert token.startswith("cop_")
    other = app.test_client()
    response = other.get("/api/v1/coalitions/beta", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["slug"] == "beta"


def test_openapi_document_describes_the_coalition_endpoints(app, world):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/coalitions" in spec["paths"]
    assert "/api/v1/coalitions/{slug}" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/v1/coalitions"]["get"]["parameters"]}
    assert {"q", "state", "sector", "track"} <= params
    assert "bearerAuth" in spec["components"]["securitySchemes"]
