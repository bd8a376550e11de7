"""Fixtures: app, db, client, login_as(role), factories; SQLite or PostgreSQL.

The backend comes from COP_TEST_DB (sqlite, the default, or postgresql); `make test`
runs the suite once on each. Outside CI a missing PostgreSQL skips with a reason;
in CI (CI=true) it is an error.
"""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKEND = os.environ.get("COP_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "COP_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def pytest_report_header(config):
    return f"cop test database backend: {BACKEND}"


def pg_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@contextmanager
def postgres_database(prefix: str = "cop_test"):
    """A new, empty PostgreSQL database, dropped afterwards. Yields its URL."""
    reason = pg_available()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a power cut: commits do not wait for the WAL to
        # reach the disk (most tests commit many small transactions).
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database_url(tmp_path_factory, backend: str = BACKEND):
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        path = tmp_path_factory.mktemp("db") / f"cop-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database_url(tmp_path_factory) as url:
        yield url


class IsolatedClient(FlaskClient):
    """A test client whose every request gets a fresh app context (fresh `g`, fresh DB
    session), as in production. Without it, requests would share the app context the
    autouse fixture pushes, and Flask-Login's cached user would leak between clients."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from config import TestConfig
    from cop import create_app
    from cop.extensions import db

    os.environ["COP_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    os.environ["TEST_DATABASE_URL"] = database_url
    application = create_app(TestConfig)
    application.test_client_class = IsolatedClient
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        # The database itself is dropped (PostgreSQL) or lives in a temp dir (SQLite).
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(request):
    """Every test that uses the app runs in an app context and leaves empty tables behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from cop.extensions import db, limiter

    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    if "chat" in app.extensions:  # one app for the session, a fresh database per test
        app.extensions["chat"].forget_history()
    try:
        yield
    finally:
        db.session.remove()
        _empty_tables(db)
        ctx.pop()


def _empty_tables(db) -> None:
    # DELETE, children first: on PostgreSQL it is ~100x faster than TRUNCATE for the
    # small tables tests leave behind (TRUNCATE pays a fixed cost per table).
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def db(app):
    from cop.extensions import db as _db

    return _db


@pytest.fixture
def fresh(db):
    """fresh() -> forget what the test's own session holds, so the next read sees the database."""

    def _fresh():
        db.session.rollback()
        db.session.expire_all()

    return _fresh


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_client(app):
    return app.test_client


CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as a browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, kwargs.pop("token_from", "/login")))
    return client.post(url, data=data, **kwargs)


def login(client, user_or_email, password: str = factories.PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def world(app):
    """One of every kind of user around two coalitions, for permission tests."""
    return build_world()


def build_world() -> dict:
    """The users and coalitions of the `world` fixture (in an app context, empty tables);
    the route walker (tests/route_walker.py) builds a fresh one after a write."""
    a = factories.make_coalition("alpha", name="Alpha Coalition (demo)", states=["OH", "MI"])
    b = factories.make_coalition(
        "beta",
        name="Beta Coalition (demo)",
        states=["TX"],
        sectors=["renewable-energy"],
        track="scaling",
    )
    coach = factories.make_user("coach", email="coach@test.example.org")
    factories.assign_coach(coach, a)
    return {
        "alpha": a,
        "beta": b,
        "admin": factories.make_user("admin", email="admin@test.example.org"),
        "coach": coach,
        "other_coach": factories.make_user("coach", email="coach2@test.example.org"),
        "lead": factories.make_user(
            "member", email="lead@test.example.org", coalition=a, lead=True
        ),
        "member": factories.make_user("member", email="member@test.example.org", coalition=a),
        "other_member": factories.make_user(
            "member", email="member.b@test.example.org", coalition=b
        ),
        "expert": factories.make_user("expert", email="expert@test.example.org"),
        "guest": factories.make_user("guest", email="guest@test.example.org"),
        "deactivated": factories.make_user(
            "member", email="gone@test.example.org", coalition=a, active=False
        ),
    }


@pytest.fixture
def login_as(app, world):
    """login_as("coach") -> a test client logged in as that user of `world`."""

    def _login(key: str):
        client = app.test_client()
        if key != "anonymous":
            login(client, world[key])
        return client

    return _login


@pytest.fixture
def count_queries(app):
    """with count_queries() as q: ...; q.count is the number of SQL statements run."""
    from cop.extensions import db

    @contextmanager
    def _count():
        class Counter:
            count = 0
            statements: list[str] = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return _count


class _Inbox:
    """Messages a real SMTP server on loopback received, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        import email
        from email import policy

        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        msg.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def deliver(self) -> dict:
        """Run the job runner once, as `cop serve` does in the background: the outbox is sent."""
        from cop.notifications.jobs import run_once

        return run_once(self.app)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]

    @staticmethod
    def text(msg) -> str:
        part = msg.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @staticmethod
    def html(msg) -> str:
        part = msg.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on loopback; the app sends its mail there for this test."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    inbox.port = port
    inbox.app = app
    try:
        yield inbox
    finally:
        app.config.update(saved)
        controller.stop()
