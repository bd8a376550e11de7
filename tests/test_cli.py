"""`flask cop ...`: create-user, invite, seed-demo, seed-if-empty, and a real `cop serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from cop.accounts.models import Invitation, Role, User
from cop.coalitions.models import STATES, CoachAssignment, Coalition, CoalitionState, Membership
from cop.core.audit import AuditEvent
from tests.conftest import _free_port, login, post_form

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).with_name("flask"))
PASSWORD = "a perfectly long password 42"  # noqa: S105


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def _invoke(*args: str, input: str | None = None):
        return runner.invoke(args=["cop", *args], input=input)

    return _invoke


def fresh(db) -> None:
    db.session.rollback()
    db.session.expire_all()


def count(db, model, *where) -> int:
    fresh(db)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def user_by_email(db, email: str) -> User | None:
    fresh(db)
    return db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()


# ---------------------------------------------------------------- create-user


def test_create_user_with_password_from_stdin(cli, db, app):
    result = cli(
        "create-user",
        "Ada@Example.org",
        "--name",
        "Ada Admin",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = user_by_email(db, "ada@example.org")
    assert user is not None and user.role == Role.ADMIN.value and user.name == "Ada Admin"
    assert result.output.strip() == f"Created admin ada@example.org (id {user.id})."
    assert PASSWORD not in result.output
    assert user.password_hash and PASSWORD not in user.password_hash
    # The password works on the login page.
    client = app.test_client()
    login(client, "ada@example.org", PASSWORD)
    assert client.get("/admin/users").status_code == 200
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "user.create")
    ).scalar_one()
    assert event.actor_id is None and event.target_id == user.id


def test_create_member_of_a_coalition_as_lead(cli, db, world):
    result = cli(
        "create-user",
        "newlead@example.org",
        "--name",
        "New Lead",
        "--role",
        "member",
        "--coalition",
        "beta",
        "--lead",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = user_by_email(db, "newlead@example.org")
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
    ).scalar_one()
    assert membership.coalition_id == world["beta"].id and membership.is_lead is True
    assert db.session.get(Coalition, world["beta"].id).member_count == 2


def test_create_user_without_password_cannot_log_in_yet(cli, db, app):
    result = cli("create-user", "later@example.org", "--name", "Later", "--role", "expert")
    assert result.exit_code == 0, result.output
    assert user_by_email(db, "later@example.org").password_hash is None
    client = app.test_client()
    response = post_form(client, "/login", {"email": "later@example.org", "password": ""})
    assert response.status_code != 303


def _nothing_created(db, before_users: int, before_memberships: int) -> None:
    assert count(db, User) == before_users
    assert count(db, Membership) == before_memberships


def test_create_user_with_a_taken_email_fails_clearly(cli, db, world):
    before = (count(db, User), count(db, Membership))
    result = cli(
        "create-user",
        "MEMBER@test.example.org",
        "--name",
        "Again",
        "--role",
        "member",
        "--coalition",
        "alpha",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert "Traceback" not in result.output
    _nothing_created(db, *before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "member"], "a member needs --coalition"),
        (["--role", "member", "--coalition", "nope"], "no coalition with the slug 'nope'"),
        (["--role", "member", "--coalition", "NOPE--x"], "no coalition with the slug"),
        (["--role", "coach", "--coalition", "alpha"], "--coalition and --lead are for members"),
        (["--role", "expert", "--lead"], "--coalition and --lead are for members"),
        (["--role", "superuser"], "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_options_and_creates_nothing(cli, db, world, args, message):
    before = (count(db, User), count(db, Membership))
    result = cli(
        "create-user",
        "someone@example.org",
        "--name",
        "Someone",
        *args,
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    _nothing_created(db, *before)
    assert user_by_email(db, "someone@example.org") is None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", PASSWORD, "email: that email address is not valid"),
        ("weak@example.org", "short", "password: use at least"),
        ("empty@example.org", "", "password: use at least"),
    ],
)
def test_create_user_refuses_bad_values_and_creates_nothing(
    cli, db, world, email, password, message
):
    before = (count(db, User), count(db, Membership))
    result = cli(
        "create-user",
        email,
        "--name",
        "Someone",
        "--role",
        "expert",
        "--password-stdin",
        input=password + "\n",
    )
    assert result.exit_code == 1, result.output
    assert message in result.output.lower()
    assert "Traceback" not in result.output
    _nothing_created(db, *before)


# ---------------------------------------------------------------- invite


def test_invite_prints_a_link_that_works(cli, db, app, world):
    result = cli("invite", "newbie@example.org", "--role", "member", "--coalition", "alpha")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Invitation for newbie@example.org (member), expires ")
    link = lines[-1]
    assert link.startswith(app.config["BASE_URL"].rstrip("/") + "/invitations/accept/")
    path = urlsplit(link).path
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    assert invitation.email == "newbie@example.org" and invitation.invited_by_id is None
    assert path.rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored

    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200
    assert "newbie@example.org" in page.get_data(as_text=True)
    response = post_form(
        client,
        path,
        {"name": "New Bie", "password": PASSWORD, "confirm": PASSWORD},
        token_from=path,
    )
    assert response.status_code == 303
    user = user_by_email(db, "newbie@example.org")
    assert user.role == "member" and user.name == "New Bie"
    assert (
        count(
            db,
            Membership,
            Membership.user_id == user.id,
            Membership.coalition_id == world["alpha"].id,
        )
        == 1
    )
    # The link works once.
    assert app.test_client().get(path).status_code == 410


def test_invite_an_admin_without_coalition(cli, db, world):
    result = cli("invite", "boss@example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    assert invitation.role == "admin" and invitation.coalition_id is None


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["member@test.example.org", "--role", "expert"], "already has an account", 1),
        (["x@example.org", "--role", "member"], "a member needs --coalition", 2),
        (["x@example.org", "--role", "member", "--coalition", "nope"], "no coalition", 2),
        (["x@example.org", "--role", "guest", "--coalition", "alpha"], "for members", 2),
        (["not-an-email", "--role", "expert"], "not valid", 1),
    ],
)
def test_invite_refuses_bad_input_and_creates_nothing(cli, db, world, args, message, code):
    result = cli("invite", *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert count(db, Invitation) == 0


# ---------------------------------------------------------------- seed-demo


def _program_snapshot(db) -> tuple:
    fresh(db)
    return (
        count(db, Coalition),
        count(db, User),
        count(db, Membership),
        count(db, CoachAssignment),
        count(db, AuditEvent),
    )


def test_seed_demo_builds_the_program_and_is_idempotent(cli, db, app):
    from cop.seed import COALITIONS, DEMO_PASSWORD

    result = cli("seed-demo")
    assert result.exit_code == 0, result.output
    assert f"password for all: {DEMO_PASSWORD}" in result.output
    assert count(db, Coalition) == 34 == len(COALITIONS)
    states = set(db.session.execute(sa.select(CoalitionState.state)).scalars())
    assert "DC" in states
    assert len(states - {"DC"}) == 25
    assert states <= set(STATES)
    tracks = set(db.session.execute(sa.select(Coalition.track)).scalars())
    assert tracks == {"development", "scaling"}
    roles = dict(
        db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all()
    )
    assert set(roles) == {r.value for r in Role}
    assert roles["expert"] >= 12  # "a dozen experts"
    assert roles["coach"] >= 4
    # Every coalition has a coach, a lead and a member; counters agree with the rows.
    for coalition in db.session.execute(sa.select(Coalition)).scalars():
        assert coalition.name.endswith("(demo)")
        assert (
            coalition.member_count
            == count(db, Membership, Membership.coalition_id == coalition.id)
            >= 2
        )
        assert (
            count(
                db,
                Membership,
                Membership.coalition_id == coalition.id,
                Membership.is_lead.is_(True),
            )
            >= 1
        )
        assert count(db, CoachAssignment, CoachAssignment.coalition_id == coalition.id) >= 1
    per_coach = (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(CoachAssignment)
            .group_by(CoachAssignment.coach_id)
        )
        .scalars()
        .all()
    )
    assert all(4 <= n <= 7 for n in per_coach)

    before = _program_snapshot(db)
    again = cli("seed-demo")
    assert again.exit_code == 0, again.output
    assert "(0 created now)" in again.output
    assert _program_snapshot(db) == before

    # The printed logins work, for every role.
    for line in result.output.splitlines()[2:]:
        role, email = line.split()[:2]
        client = app.test_client()
        login(client, email, DEMO_PASSWORD)
        assert client.get("/").status_code == 200, role


def test_seed_if_empty_seeds_only_an_empty_database(cli, db, world):
    before = count(db, User)
    result = cli("seed-if-empty")
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert count(db, User) == before
    assert count(db, Coalition) == 2


def test_seed_if_empty_on_an_empty_database(cli, db):
    result = cli("seed-if-empty")
    assert result.exit_code == 0, result.output
    assert count(db, Coalition) == 34


# ---------------------------------------------------------------- a real `cop serve`


def _run(env: dict, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [FLASK, "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def _http(url: str, data: dict | None = None) -> tuple[int, dict, bytes]:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


@pytest.fixture
def served(tmp_path):
    """`flask --app wsgi cop serve` on a free port, a migrated SQLite file, one admin."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "TEST_DATABASE_URL",
            "FLASK_RUN_FROM_CLI",
            "REDIS_URL",
            "SECRET_KEY",
            "SOCKETIO_ASYNC_MODE",
            "COP_ENV",
        }
    }
    tag = uuid.uuid4().hex[:8]
    env.update(
        COP_ENV="development",
        COP_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'cop.db'}",
        BASE_URL=f"http://127.0.0.1:{port}",
        SOCKETIO_CHANNEL=f"cop-serve-test-{tag}",
        RATELIMIT_KEY_PREFIX=f"cop-serve-test-{tag}",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="1024",
        JOBS_EMBEDDED="false",  # this test is about serving; background jobs have their own
    )
    _run(env, "db", "upgrade")
    _run(
        env,
        "cop",
        "create-user",
        "admin@serve.example.org",
        "--name",
        "Serve Admin",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [FLASK, "--app", "wsgi", "cop", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"cop serve exited:\n{log_path.read_text()[-3000:]}"
            try:
                if _http(url + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no answer:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.2)
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.xdist_group("serve")
def test_cop_serve_really_serves_http_and_websockets(served):
    import socketio

    url, log_path = served
    status, headers, body = _http(url + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
    assert "werkzeug" not in headers.get("Server", "").lower()
    assert headers["X-Frame-Options"] == "DENY"
    status, headers, body = _http(url + "/login")
    assert status == 200 and b'<meta name="csrf-token"' in body
    assert _http(url + "/static/css/cop.css")[0] == 200
    assert f" * cop serving on {url}" in log_path.read_text()

    status, _, body = _http(
        url + "/api/v1/tokens", {"email": "admin@serve.example.org", "password": PASSWORD}
    )
    assert status == 201
    token = json.loads(body)["token"]

    with socketio.SimpleClient() as client:
        client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        assert client.connected
        assert client.call("ping", {}, timeout=10) == {"ok": True}

    for auth in (None, {"token": "cop_not-a-real-token"}, {"token": 42}):
        refused = socketio.SimpleClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
        assert not refused.connected
        refused.disconnect()
