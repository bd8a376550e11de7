"""Invitations: who may invite whom, accepting, and the ways a link stops working."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from cop.accounts.models import Invitation, User, UserSession
from cop.coalitions.models import Coalition, Membership
from cop.core.audit import AuditEvent
from cop.core.models import utcnow
from tests.conftest import post_form

NEW_PASSWORD = "a brand new passphrase"  # noqa: S105
LINK_RE = re.compile(r'id="invitation-link" readonly value="([^"]+)"')


def count(db, model, *where) -> int:
    stmt = sa.select(sa.func.count()).select_from(model)
    if where:
        stmt = stmt.where(*where)
    return db.session.execute(stmt).scalar_one()


def invitations(db, email: str) -> list[Invitation]:
    return list(
        db.session.execute(
            sa.select(Invitation).where(Invitation.email == email).order_by(Invitation.id)
        ).scalars()
    )


def send_invitation(client, **fields):
    data = {"email": "", "role": "member", "coalition": ""}
    data.update(fields)
    if data.get("as_lead") is False:
        data.pop("as_lead")
    return post_form(client, "/invitations/new", data, token_from="/invitations/new")


def link_path(response) -> str:
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return urlsplit(html.unescape(match.group(1))).path


def accept(
    client,
    path: str,
    name: str = "New Person",
    password: str = NEW_PASSWORD,
    confirm: str | None = None,
):
    return post_form(
        client,
        path,
        {"name": name, "password": password, "confirm": password if confirm is None else confirm},
        token_from="/login",
    )


@pytest.fixture
def invite_link(login_as, world):
    """invite_link(**fields) -> the path of a new invitation sent by the admin through the page."""
    admin = login_as("admin")

    def _invite(**fields):
        response = send_invitation(admin, **fields)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return link_path(response)

    return _invite


# ---------------------------------------------------------------- who may invite


@pytest.mark.parametrize("role", ["admin", "coach", "expert", "guest"])
def test_admin_invites_any_role(login_as, world, db, role):
    client = login_as("admin")
    email = f"new.{role}@test.example.org"
    response = send_invitation(client, email=email, role=role)
    assert response.status_code == 200
    assert "Invitation sent" in response.get_data(as_text=True)
    (invitation,) = invitations(db, email)
    assert invitation.role == role
    assert invitation.invited_by_id == world["admin"].id
    assert invitation.coalition_id is None
    assert invitation.status(utcnow()) == "pending"
    assert invitation.expires_at > utcnow() + timedelta(days=6)
    # Only the hash of the one-time token is stored.
    token = link_path(response).rsplit("/", 1)[1]
    assert token not in invitation.token_hash


def test_admin_invites_a_coalition_lead(login_as, world, db):
    client = login_as("admin")
    response = send_invitation(
        client, email="new.lead@test.example.org", role="member", coalition="beta", as_lead="y"
    )
    assert response.status_code == 200
    (invitation,) = invitations(db, "new.lead@test.example.org")
    assert invitation.coalition_id == world["beta"].id
    assert invitation.as_lead is True


def test_invitation_is_audited(login_as, world, db):
    client = login_as("admin")
    send_invitation(client, email="audited@test.example.org", role="expert")
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "invitation.create")
    ).scalar_one()
    assert event.actor_id == world["admin"].id
    assert event.details["email"] == "audited@test.example.org"


def test_member_invitation_needs_a_coalition(login_as, db):
    client = login_as("admin")
    response = send_invitation(client, email="lonely@test.example.org", role="member")
    assert response.status_code == 400
    assert "Choose the coalition" in response.get_data(as_text=True)
    assert count(db, Invitation) == 0


def test_invalid_email_is_refused(login_as, db):
    client = login_as("admin")
    response = send_invitation(client, email="not-an-email", role="expert")
    assert response.status_code == 400
    assert count(db, Invitation) == 0


def test_lead_invites_a_member_to_their_own_coalition(login_as, world, db):
    client = login_as("lead")
    page = client.get("/invitations/new").get_data(as_text=True)
    assert "Beta Coalition" not in page  # only their own coalition is offered
    response = send_invitation(
        client, email="teammate@test.example.org", role="member", coalition="alpha"
    )
    assert response.status_code == 200
    (invitation,) = invitations(db, "teammate@test.example.org")
    assert invitation.role == "member"
    assert invitation.coalition_id == world["alpha"].id
    assert invitation.as_lead is False
    assert invitation.invited_by_id == world["lead"].id


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "member", "coalition": "beta"},  # another coalition
        {"role": "admin", "coalition": ""},  # a role leads may not give
        {"role": "admin", "coalition": "alpha"},
        {"role": "coach", "coalition": "alpha"},
        {"role": "member", "coalition": "alpha", "as_lead": "y"},  # leads make no leads
        {"role": "member", "coalition": "no-such-coalition"},
    ],
)
def test_lead_cannot_invite_beyond_their_coalition(login_as, db, fields):
    client = login_as("lead")
    response = send_invitation(client, email="sneaky@test.example.org", **fields)
    assert response.status_code in (403, 404), response.status_code
    assert count(db, Invitation) == 0


def test_non_leads_cannot_invite(login_as, db):
    for key in ("member", "coach", "expert", "guest", "other_member"):
        client = login_as(key)
        assert client.get("/invitations/new").status_code == 404, key
        assert client.get("/invitations").status_code == 404, key
        response = post_form(
            client,
            "/invitations/new",
            {"email": "x@test.example.org", "role": "member", "coalition": "alpha"},
            token_from="/profile",
        )
        assert response.status_code == 404, key
    assert count(db, Invitation) == 0


def test_anonymous_cannot_invite(client, world, db):
    response = post_form(
        client,
        "/invitations/new",
        {"email": "x@test.example.org", "role": "expert", "coalition": ""},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert count(db, Invitation) == 0


def test_inviting_an_existing_account_is_refused(login_as, world, db):
    client = login_as("admin")
    response = send_invitation(client, email=world["expert"].email.upper(), role="expert")
    assert response.status_code == 400
    assert "already has an account" in response.get_data(as_text=True)
    assert count(db, Invitation) == 0


def test_a_second_invitation_revokes_the_first(login_as, world, db, fresh):
    client = login_as("admin")
    first = link_path(send_invitation(client, email="twice@test.example.org", role="expert"))
    second = link_path(send_invitation(client, email="twice@test.example.org", role="coach"))
    fresh()
    old, new = invitations(db, "twice@test.example.org")
    assert old.revoked_at is not None and old.status(utcnow()) == "revoked"
    assert new.status(utcnow()) == "pending"

    visitor = client.application.test_client()
    response = visitor.get(first)
    assert response.status_code == 410
    assert "withdrawn or replaced" in response.get_data(as_text=True)
    assert visitor.get(second).status_code == 200
    assert accept(visitor, second).status_code == 303
    fresh()
    user = db.session.execute(
        sa.select(User).where(User.email == "twice@test.example.org")
    ).scalar_one()
    assert user.role == "coach"


def test_invitations_list_shows_sent_invitations(login_as, world):
    admin = login_as("admin")
    send_invitation(admin, email="listed@test.example.org", role="expert")
    page = admin.get("/invitations").get_data(as_text=True)
    assert "listed@test.example.org" in page and "Pending" in page


def test_lead_sees_only_their_coalition_invitations(login_as, world):
    admin = login_as("admin")
    send_invitation(admin, email="for.beta@test.example.org", role="member", coalition="beta")
    send_invitation(admin, email="for.alpha@test.example.org", role="member", coalition="alpha")
    page = login_as("lead").get("/invitations").get_data(as_text=True)
    assert "for.alpha@test.example.org" in page
    assert "for.beta@test.example.org" not in page


# ---------------------------------------------------------------- accepting


def test_accept_page_shows_the_invitation(invite_link, app):
    path = invite_link(email="shown@test.example.org", role="member", coalition="alpha")
    page = app.test_client().get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "shown@test.example.org" in text and "Alpha Coalition (demo)" in text


def test_accepting_creates_the_member_and_logs_them_in(invite_link, app, world, db, fresh):
    path = invite_link(email="Joiner@Test.Example.org", role="member", coalition="alpha")
    client = app.test_client()
    response = accept(client, path, name="  Jo Joiner  ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile"
    fresh()
    user = db.session.execute(
        sa.select(User).where(User.email == "joiner@test.example.org")
    ).scalar_one()
    assert user.name == "Jo Joiner"
    assert user.role == "member"
    assert user.password_hash.startswith("$argon2id$")
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
    ).scalar_one()
    assert membership.coalition_id == world["alpha"].id
    assert membership.is_lead is False
    # lead, member, deactivated member, and now the joiner
    assert (
        db.session.get(Coalition, world["alpha"].id).member_count == 3
    )  # lead, member, newcomer (not the deactivated)
    (invitation,) = invitations(db, "joiner@test.example.org")
    assert invitation.accepted_at is not None
    assert count(db, UserSession, UserSession.user_id == user.id) == 1
    assert client.get("/profile").status_code == 200
    assert count(db, AuditEvent, AuditEvent.action == "invitation.accept") == 1


def test_accepting_a_lead_invitation_makes_a_lead(invite_link, app, world, db, fresh):
    path = invite_link(email="boss@test.example.org", role="member", coalition="beta", as_lead="y")
    assert accept(app.test_client(), path).status_code == 303
    fresh()
    user = db.session.execute(
        sa.select(User).where(User.email == "boss@test.example.org")
    ).scalar_one()
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
    ).scalar_one()
    assert (membership.coalition_id, membership.is_lead) == (world["beta"].id, True)


@pytest.mark.parametrize("role", ["admin", "coach", "expert", "guest"])
def test_accepting_gives_the_invited_role_and_no_membership(invite_link, app, db, fresh, role):
    path = invite_link(email=f"as.{role}@test.example.org", role=role, coalition="alpha")
    client = app.test_client()
    assert accept(client, path).status_code == 303
    fresh()
    user = db.session.execute(
        sa.select(User).where(User.email == f"as.{role}@test.example.org")
    ).scalar_one()
    assert user.role == role
    assert count(db, Membership, Membership.user_id == user.id) == 0
    # The new account can log in with the chosen password.
    other = app.test_client()
    response = post_form(other, "/login", {"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 303


def test_over_long_name_is_refused_and_nothing_is_half_saved(invite_link, app, db, fresh):
    path = invite_link(email="longname@test.example.org", role="expert")
    client = app.test_client()
    response = accept(client, path, name="N" * 121)
    assert response.status_code == 400
    assert "120 characters" in response.get_data(as_text=True)
    fresh()
    assert count(db, User, User.email == "longname@test.example.org") == 0
    (invitation,) = invitations(db, "longname@test.example.org")
    assert invitation.accepted_at is None
    assert count(db, UserSession) == 1  # only the admin's
    # The invitation still works with an acceptable name.
    assert accept(client, path, name="N" * 120).status_code == 303


@pytest.mark.parametrize(
    "name, password, confirm, message",
    [
        ("", NEW_PASSWORD, NEW_PASSWORD, "This field is required"),
        ("   ", NEW_PASSWORD, NEW_PASSWORD, "This field is required"),
        ("Someone", "short", "short", "between 10 and 256 characters"),
        ("Someone", NEW_PASSWORD, NEW_PASSWORD + "x", "The passwords differ"),
        ("Someone", "aaaaaaaaaaaa", "aaaaaaaaaaaa", "less repetitive"),
        ("Someone", "weak.pw@test.example.org", "weak.pw@test.example.org", "email address"),
    ],
)
def test_bad_name_or_password_is_refused(
    invite_link, app, db, fresh, name, password, confirm, message
):
    path = invite_link(email="weak.pw@test.example.org", role="expert")
    response = accept(app.test_client(), path, name=name, password=password, confirm=confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    fresh()
    assert count(db, User, User.email == "weak.pw@test.example.org") == 0
    (invitation,) = invitations(db, "weak.pw@test.example.org")
    assert invitation.accepted_at is None


def test_accept_without_csrf_token_saves_nothing(invite_link, app, db, fresh):
    path = invite_link(email="nocsrf@test.example.org", role="expert")
    client = app.test_client()
    client.get(path)
    response = client.post(
        path, data={"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 400
    fresh()
    assert count(db, User, User.email == "nocsrf@test.example.org") == 0


# ---------------------------------------------------------------- links that no longer work


def test_unknown_token_is_404(client, world):
    response = client.get("/invitations/accept/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)
    assert (
        post_form(
            client,
            "/invitations/accept/not-a-real-token",
            {"name": "X", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ).status_code
        == 404
    )


def test_expired_invitation_is_gone(invite_link, app, db):
    path = invite_link(email="late@test.example.org", role="expert")
    db.session.execute(sa.update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 410
    assert "has expired" in response.get_data(as_text=True)
    response = accept(client, path)
    assert response.status_code == 410
    assert count(db, User, User.email == "late@test.example.org") == 0


def test_used_invitation_is_gone(invite_link, app, db, fresh):
    path = invite_link(email="once@test.example.org", role="expert")
    assert accept(app.test_client(), path).status_code == 303
    fresh()
    users_before = count(db, User)
    second = app.test_client()
    response = second.get(path)
    assert response.status_code == 410
    assert "already used" in response.get_data(as_text=True)
    response = accept(second, path, name="Someone Else", password="another passphrase")
    assert response.status_code == 410
    fresh()
    assert count(db, User) == users_before
    user = db.session.execute(
        sa.select(User).where(User.email == "once@test.example.org")
    ).scalar_one()
    assert user.name == "New Person"
    assert second.get("/profile").status_code == 302  # not logged in


def test_withdrawn_invitation_is_gone(login_as, app, db):
    admin = login_as("admin")
    path = link_path(send_invitation(admin, email="withdrawn@test.example.org", role="expert"))
    (invitation,) = invitations(db, "withdrawn@test.example.org")
    response = post_form(admin, f"/invitations/{invitation.id}/revoke", token_from="/invitations")
    assert response.status_code == 303
    client = app.test_client()
    response = client.get(path)
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)
    assert accept(client, path).status_code == 410
    assert count(db, User, User.email == "withdrawn@test.example.org") == 0


def test_revoking_needs_csrf_and_permission(login_as, world, db, fresh):
    admin = login_as("admin")
    send_invitation(admin, email="keep@test.example.org", role="member", coalition="beta")
    (invitation,) = invitations(db, "keep@test.example.org")
    assert admin.post(f"/invitations/{invitation.id}/revoke").status_code == 400
    lead = login_as("lead")  # leads alpha, not beta
    response = post_form(lead, f"/invitations/{invitation.id}/revoke", token_from="/invitations")
    assert response.status_code == 404
    fresh()
    assert invitations(db, "keep@test.example.org")[0].revoked_at is None


def test_lead_withdraws_their_own_invitation(login_as, db, fresh):
    lead = login_as("lead")
    send_invitation(lead, email="mine@test.example.org", role="member", coalition="alpha")
    (invitation,) = invitations(db, "mine@test.example.org")
    response = post_form(lead, f"/invitations/{invitation.id}/revoke", token_from="/invitations")
    assert response.status_code == 303
    fresh()
    assert invitations(db, "mine@test.example.org")[0].revoked_at is not None


def test_account_created_meanwhile_makes_accept_fail_cleanly(invite_link, app, db, fresh):
    from tests.factories import make_user

    path = invite_link(email="raced@test.example.org", role="expert")
    make_user("expert", email="raced@test.example.org")
    client = app.test_client()
    response = accept(client, path)
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    fresh()
    (invitation,) = invitations(db, "raced@test.example.org")
    assert invitation.accepted_at is None
    assert count(db, User, User.email == "raced@test.example.org") == 1


# ---------------------------------------------------------------- email and CLI


def test_invitation_email_arrives_with_a_working_link(login_as, world, smtp_server, app, db, fresh):
    admin = login_as("admin")
    response = send_invitation(
        admin, email="mailed@test.example.org", role="member", coalition="alpha"
    )
    assert response.status_code == 200
    smtp_server.deliver()
    (message,) = smtp_server.to("mailed@test.example.org")
    assert message["Subject"] == "Your invitation to cop"
    body = smtp_server.text(message)
    assert world["admin"].name in body
    links = re.findall(r"https?://\S+/invitations/accept/\S+", body)
    assert len(links) == 1
    path = urlsplit(links[0]).path
    assert path == link_path(response)
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert accept(client, path).status_code == 303
    fresh()
    assert count(db, User, User.email == "mailed@test.example.org") == 1


def test_refused_invitation_sends_no_email(login_as, world, smtp_server):
    lead = login_as("lead")
    send_invitation(lead, email="nomail@test.example.org", role="member", coalition="beta")
    admin = login_as("admin")
    send_invitation(admin, email=world["expert"].email, role="expert")
    smtp_server.deliver()
    assert smtp_server.messages == []


def test_cli_invite_prints_a_working_link(app, world, db, fresh):
    result = app.test_cli_runner().invoke(
        args=[
            "cop",
            "invite",
            "cli.person@test.example.org",
            "--role",
            "member",
            "--coalition",
            "beta",
            "--lead",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "cli.person@test.example.org (member)" in result.output
    links = re.findall(r"https?://\S+/invitations/accept/\S+", result.output)
    assert len(links) == 1
    client = app.test_client()
    path = urlsplit(links[0]).path
    assert client.get(path).status_code == 200
    assert accept(client, path, name="Cli Person").status_code == 303
    fresh()
    user = db.session.execute(
        sa.select(User).where(User.email == "cli.person@test.example.org")
    ).scalar_one()
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
    ).scalar_one()
    assert (membership.coalition_id, membership.is_lead) == (world["beta"].id, True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["taken@test.example.org", "--role", "expert"], "already has an account"),
        (["new@test.example.org", "--role", "member"], "coalition"),
        (["new@test.example.org", "--role", "member", "--coalition", "nope"], "no coalition"),
        (["not-an-email", "--role", "expert"], "not valid"),
    ],
)
def test_cli_invite_errors(app, world, db, args, message):
    from tests.factories import make_user

    make_user("expert", email="taken@test.example.org")
    result = app.test_cli_runner().invoke(args=["cop", "invite", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert count(db, Invitation) == 0
