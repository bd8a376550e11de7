"""One error format (HTML pages, JSON under /api/), security headers, the health check."""

from __future__ import annotations

import logging
from html.parser import HTMLParser

import pytest

from config import Config, TestConfig
from cop.core.errors import Conflict, NotFound, ServiceError
from tests.conftest import login, post_form
from tests.core.test_config import build_separate_app


@pytest.fixture
def separate_app(app):
    return build_separate_app


def csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no CSP on {response.request.path}"
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_security_headers(response) -> None:
    policy = csp(response)
    script_src = policy.get("script-src", policy.get("default-src"))
    assert script_src is not None
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in script_src and "data:" not in script_src
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in policy.get("style-src", [])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


class InlineCode(HTMLParser):
    """Whatever a strict CSP would block: inline scripts, event handlers, style attributes."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {k for k, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:>")


def assert_no_inline_code(response) -> None:
    parser = InlineCode()
    parser.feed(response.get_data(as_text=True))
    assert parser.problems == [], (response.request.path, parser.problems)


def assert_api_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------- headers on every page


ANONYMOUS_PAGES = [
    "/login",
    "/password/forgot",
    "/invitations/accept/not-a-token",
    "/password/reset/not-a-token",
    "/no/such/page",
    "/",
]
ADMIN_PAGES = [
    "/",
    "/accessibility",
    "/coalitions/",
    "/coalitions/?state=OH",
    "/coalitions/alpha",
    "/coalitions/nope",
    "/admin/users",
    "/admin/audit",
    "/invitations",
    "/invitations/new",
    "/profile",
    "/logout",
]


def test_every_html_page_has_security_headers_and_no_inline_code(app, world):
    anonymous = app.test_client()
    admin = app.test_client()
    login(admin, world["admin"])
    admin_pages = [
        *ADMIN_PAGES,
        f"/people/{world['member'].id}",
        f"/admin/users/{world['member'].id}",
    ]
    seen = set()
    for client, paths in ((anonymous, ANONYMOUS_PAGES), (admin, admin_pages)):
        for path in paths:
            response = client.get(path)
            seen.add(response.status_code)
            assert_security_headers(response)
            if response.mimetype == "text/html":
                assert_no_inline_code(response)
    # The walk covered pages, redirects and error pages alike.
    assert {200, 302, 404, 405} <= seen


def test_error_pages_and_post_responses_have_security_headers(app, world):
    client = app.test_client()
    for response in (
        client.post("/login", data={"email": "x@example.org", "password": "nope"}),  # CSRF
        post_form(client, "/login", {"email": "x@example.org", "password": "wrong"}),
        client.get("/healthz"),
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/nope"),
        client.get("/static/css/cop.css"),
    ):
        response.close()
        assert_security_headers(response)


def test_json_and_static_responses_are_not_sniffed(app, world):
    client = app.test_client()
    for path in ("/healthz", "/api/v1/openapi.json", "/static/css/cop.css"):
        response = client.get(path)
        response.close()
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# ---------------------------------------------------------------- 404, 405, 400


def test_404_is_an_html_page_outside_the_api(app, world):
    client = app.test_client()
    login(client, world["member"])
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page
    assert '<main id="main-content"' in page  # the normal layout, navigation included
    assert 'href="/coalitions/"' in page


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/coalitions/alpha/members", "/api/v2/coalitions", "/api/"]
)
def test_404_is_json_under_the_api(app, world, path):
    response = app.test_client().get(path)
    error = assert_api_error(response, 404, "not_found")
    assert "<" not in error["message"]


def test_405_is_html_for_pages_and_json_under_the_api(app, world):
    client = app.test_client()
    response = client.get("/logout")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "Method Not Allowed" in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]
    response = client.put("/api/v1/me", json={})
    assert_api_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_csrf_failure_is_a_friendly_page(app, world):
    response = app.test_client().post("/login", data={"email": "a@b.org", "password": "x"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Your form expired or was sent from another site" in response.get_data(as_text=True)


def test_csrf_failure_under_the_api_is_json(app, world):
    client = app.test_client()
    login(client, world["member"])
    error = assert_api_error(client.delete("/api/v1/tokens/current"), 400, "bad_request")
    assert "CSRF" in error["message"]


def test_api_refuses_non_json_bodies(app, world):
    response = app.test_client().post(
        "/api/v1/tokens",
        data="email=a&password=b",
        content_type="application/x-www-form-urlencoded",
    )
    assert_api_error(response, 415, "unsupported_media_type")


def test_api_422_has_details(app, world):
    response = app.test_client().post("/api/v1/tokens", json={"email": "a@b.org"})
    error = assert_api_error(response, 422, "invalid")
    assert "password" in str(error["details"])


def test_nul_bytes_are_refused_everywhere(app, world):
    client = app.test_client()
    assert client.get("/login?next=/%00").status_code == 400
    assert post_form(client, "/password/forgot", {"email": "a\x00@b.org"}).status_code == 400
    assert_api_error(
        client.post("/api/v1/tokens", json={"email": "a\x00@b.org", "password": "x"}),
        400,
        "bad_request",
    )
    assert_api_error(client.get("/api/v1/coalitions?state=O%00"), 400, "bad_request")


def test_too_many_login_attempts_show_the_429_page(app, world):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    statuses = [
        post_form(
            client, "/login", {"email": "nobody@example.org", "password": "wrong"}
        ).status_code
        for _ in range(7)
    ]
    assert 429 in statuses
    response = post_form(client, "/login", {"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "<h1>Too many attempts</h1>" in page
    assert_security_headers(response)


# ---------------------------------------------------------------- 500 and service errors


@pytest.fixture
def noisy_app(separate_app, monkeypatch, tmp_path):
    """A non-testing app with routes that fail, to see what users get."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("COP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cop.db'}")

    def boom():
        raise RuntimeError("secret internal detail")

    def refused():
        raise ServiceError("You cannot do that now.", field="when")

    def conflict():
        raise Conflict("It exists already.")

    def missing():
        raise NotFound("No such thing.")

    with separate_app(Config) as other:
        assert other.testing is False
        for rule, view in (
            ("/boom", boom),
            ("/refused", refused),
            ("/conflict", conflict),
            ("/missing", missing),
        ):
            other.add_url_rule(rule, f"page_{view.__name__}", view)
            other.add_url_rule(f"/api/v1/test{rule}", f"api_{view.__name__}", view)
        yield other


def test_unexpected_errors_are_a_500_page_without_details(noisy_app, caplog):
    client = noisy_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Internal Server Error" in page
    assert "secret internal detail" not in page and "Traceback" not in page
    assert_security_headers(response)
    assert any("Unhandled error" in r.getMessage() for r in caplog.records)


def test_unexpected_errors_under_the_api_are_json_without_details(noisy_app):
    response = noisy_app.test_client().get("/api/v1/test/boom")
    error = assert_api_error(response, 500, "server_error")
    assert "secret internal detail" not in error["message"]


def test_service_errors_are_pages_with_their_status(noisy_app):
    client = noisy_app.test_client()
    for path, status, message in (
        ("/refused", 400, "You cannot do that now."),
        ("/conflict", 409, "It exists already."),
        ("/missing", 404, "No such thing."),
    ):
        response = client.get(path)
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert message in response.get_data(as_text=True)


def test_service_errors_under_the_api_are_json(noisy_app):
    client = noisy_app.test_client()
    error = assert_api_error(client.get("/api/v1/test/refused"), 400, "bad_request")
    assert error["message"] == "You cannot do that now."
    assert error["details"] == {"when": ["You cannot do that now."]}
    assert_api_error(client.get("/api/v1/test/conflict"), 409, "conflict")
    assert_api_error(client.get("/api/v1/test/missing"), 404, "not_found")


# ---------------------------------------------------------------- security helpers


@pytest.mark.parametrize(
    "target", ["/", "/coalitions/alpha", "/coalitions/?state=OH", "/people/3#bio"]
)
def test_safe_next_accepts_local_paths(target):
    from cop.core.security import is_safe_next

    assert is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\evil.example",
        "javascript:alert(1)",
        "/\x00x",
        "/a\nb",
        "evil.example/path",
        " /x",
        "///evil.example",
    ],
)
def test_safe_next_refuses_everything_else(target):
    from cop.core.security import is_safe_next

    assert not is_safe_next(target)


def test_tokens_are_random_and_stored_as_digests():
    from cop.core.security import hash_token, new_token

    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) >= 40 for t in tokens)
    token = tokens.pop()
    assert hash_token(token) == hash_token(token)
    assert len(hash_token(token)) == 64 and token not in hash_token(token)


# ---------------------------------------------------------------- health check


def test_healthz_answers_200_with_the_database(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert "Set-Cookie" not in response.headers  # no session for a probe


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-directory-for-cop-tests/sub/cop.db",
        "postgresql+psycopg://cop@127.0.0.1:1/cop_unreachable?connect_timeout=2",
    ],
    ids=["sqlite", "postgresql"],
)
def test_healthz_answers_503_when_the_database_is_unreachable(separate_app, monkeypatch, url):
    monkeypatch.setenv("TEST_DATABASE_URL", url)
    with separate_app(TestConfig) as other:
        client = other.test_client()
        for _ in range(2):  # and keeps answering: the failed session is rolled back
            response = client.get("/healthz")
            assert response.status_code == 503
            assert response.get_json() == {"status": "error", "database": "unreachable"}
            assert_security_headers(response)
