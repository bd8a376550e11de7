"""User management by admins, and the append-only audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from cop.accounts.models import ApiToken, User, UserSession
from cop.core.audit import AuditEvent, AuditLogIsAppendOnly
from tests.conftest import login, post_form
from tests.factories import PASSWORD, make_user

ADMIN_PAGES = ["/admin/users", "/admin/users?q=member", "/admin/audit", "/admin/users/{member}"]


def audit_events(db, action: str | None = None) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.execute(stmt).scalars())


def update_user(client, user_id: int, role: str, active: bool):
    data = {"role": role}
    if active:
        data["active"] = "y"
    return post_form(client, f"/admin/users/{user_id}", data, token_from="/profile")


def api_token_for(client, email: str) -> str:
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return response.json["token"]


# ---------------------------------------------------------------- who may see the pages


def test_admin_pages_are_404_to_everyone_but_admins(login_as, world):
    """A table over roles and pages: every admin page is 404 to every other role."""
    wrong = []
    for key in ("coach", "lead", "member", "expert", "guest"):
        client = login_as(key)
        for page in ADMIN_PAGES:
            status = client.get(page.format(member=world["member"].id)).status_code
            if status != 404:
                wrong.append((key, page, status))
    assert wrong == []


@pytest.mark.parametrize("key", ["coach", "lead", "member"])
def test_non_admins_cannot_change_users(login_as, world, db, key):
    client = login_as(key)
    response = update_user(client, world["expert"].id, "admin", True)
    assert response.status_code == 404
    assert db.session.get(User, world["expert"].id).role == "expert"
    assert audit_events(db, "user.role_change") == []


def test_anonymous_is_sent_to_login_and_admin_sees_the_pages(client, login_as, world):
    admin = login_as("admin")
    for page in ADMIN_PAGES:
        url = page.format(member=world["member"].id)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
        assert admin.get(url).status_code == 200, url


def test_unknown_user_is_404(login_as):
    assert login_as("admin").get("/admin/users/999999").status_code == 404


# ---------------------------------------------------------------- listing and searching


def listed_emails(page: str) -> set[str]:
    return set(re.findall(r'<td data-label="Email">([^<]+)</td>', page))


def test_user_list_shows_everyone(login_as, world):
    page = login_as("admin").get("/admin/users").get_data(as_text=True)
    expected = {u.email for k, u in world.items() if isinstance(u, User)}
    assert listed_emails(page) == expected
    assert "Deactivated" in page


def test_user_search_by_name_email_and_organization(login_as, world, app):
    make_user(
        "expert",
        email="ada@test.example.org",
        name="Ada Lovelace",
        organization="Analytical Engines Inc",
    )
    client = login_as("admin")
    for q in ("lovelace", "ADA@", "analytical"):
        page = client.get("/admin/users", query_string={"q": q}).get_data(as_text=True)
        assert listed_emails(page) == {"ada@test.example.org"}, q
    page = client.get("/admin/users", query_string={"q": "no such person"}).get_data(as_text=True)
    assert listed_emails(page) == set()
    assert "No account matches." in page


def test_user_search_treats_wildcards_literally(login_as, world):
    client = login_as("admin")
    for q in ("%", "_"):
        page = client.get("/admin/users", query_string={"q": q}).get_data(as_text=True)
        assert listed_emails(page) == set(), q


def test_user_filter_by_role(login_as, world):
    client = login_as("admin")
    page = client.get("/admin/users", query_string={"role": "coach"}).get_data(as_text=True)
    assert listed_emails(page) == {world["coach"].email, world["other_coach"].email}
    page = client.get("/admin/users", query_string={"role": "bogus"}).get_data(as_text=True)
    assert len(listed_emails(page)) == 9  # an unknown role filters nothing


def test_user_list_pages_by_keyset_with_constant_queries(login_as, world, count_queries):
    for n in range(55):
        make_user("expert", email=f"bulk{n:02d}@test.example.org", name=f"Bulk {n:02d}")
    client = login_as("admin")
    with count_queries() as first_page:
        page = client.get("/admin/users").get_data(as_text=True)
    first = listed_emails(page)
    assert len(first) == 50
    match = re.search(r'href="(/admin/users\?[^"]*after=[^"]+)"', page)
    assert match, "a next-page link"
    with count_queries() as second_page:
        page2 = client.get(match.group(1).replace("&amp;", "&")).get_data(as_text=True)
    second = listed_emails(page2)
    assert len(first) + len(second) == 55 + 9
    assert not first & second
    assert "Next page" not in page2
    # The list page costs the same few queries whatever the number of users on it.
    with count_queries() as one_user_page:
        page3 = client.get("/admin/users", query_string={"q": "bulk00@"}).get_data(as_text=True)
    assert len(listed_emails(page3)) == 1
    assert first_page.count == one_user_page.count, first_page.statements
    assert second_page.count == one_user_page.count, second_page.statements
    assert first_page.count <= 6, first_page.statements


# ---------------------------------------------------------------- changing roles, deactivating


def assert_recent_utc(when: datetime) -> None:
    assert when.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=1)


def test_role_change_is_saved_and_audited(login_as, world, db, fresh):
    client = login_as("admin")
    expert = world["expert"]
    response = update_user(client, expert.id, "coach", True)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{expert.id}"
    fresh()
    assert db.session.get(User, expert.id).role == "coach"
    (event,) = audit_events(db, "user.role_change")
    assert event.actor_id == world["admin"].id
    assert event.actor_label == world["admin"].email
    assert (event.target_type, event.target_id) == ("user", expert.id)
    assert event.details == {"role": ["expert", "coach"]}
    assert_recent_utc(event.created_at)
    # The change shows in the user's history and in the audit log.
    history = client.get(f"/admin/users/{expert.id}").get_data(as_text=True)
    assert "user.role_change by admin@test.example.org" in history
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "user.role_change" in log and expert.email in log


def test_saving_without_changes_records_nothing(login_as, world, db):
    client = login_as("admin")
    assert update_user(client, world["expert"].id, "expert", True).status_code == 303
    assert audit_events(db, "user.role_change") == []
    assert audit_events(db, "user.update") == []


def test_promoted_user_gains_admin_pages(login_as, world):
    expert = login_as("expert")
    assert expert.get("/admin/users").status_code == 404
    update_user(login_as("admin"), world["expert"].id, "admin", True)
    assert expert.get("/admin/users").status_code == 200


def test_deactivation_ends_sessions_revokes_tokens_and_is_audited(app, login_as, world, db, fresh):
    member = world["member"]
    browser = login_as("member")
    token = api_token_for(app.test_client(), member.email)
    other_token = api_token_for(app.test_client(), world["expert"].email)
    assert browser.get("/profile").status_code == 200
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 200
    )

    response = update_user(login_as("admin"), member.id, "member", False)
    assert response.status_code == 303
    fresh()
    assert db.session.get(User, member.id).active is False
    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == member.id)
        ).scalar()
        == 0
    )
    tokens = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == member.id)).scalars()
    assert all(t.revoked_at is not None for t in tokens)
    assert browser.get("/profile").status_code == 302
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 401
    )
    # Nobody else is touched.
    assert (
        app.test_client()
        .get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"})
        .status_code
        == 200
    )
    (event,) = audit_events(db, "user.deactivate")
    assert event.actor_id == world["admin"].id and event.target_id == member.id
    assert event.details == {"active": [True, False]}
    assert_recent_utc(event.created_at)
    # And they cannot log back in.
    response = post_form(app.test_client(), "/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 200


def test_reactivation_lets_the_user_back_in(app, login_as, world, db, fresh):
    gone = world["deactivated"]
    response = update_user(login_as("admin"), gone.id, "member", True)
    assert response.status_code == 303
    fresh()
    assert db.session.get(User, gone.id).active is True
    assert len(audit_events(db, "user.reactivate")) == 1
    login(app.test_client(), gone)


def test_role_change_and_deactivation_at_once(login_as, world, db, fresh):
    update_user(login_as("admin"), world["coach"].id, "guest", False)
    fresh()
    coach = db.session.get(User, world["coach"].id)
    assert (coach.role, coach.active) == ("guest", False)
    (event,) = audit_events(db, "user.deactivate")
    assert event.details == {"role": ["coach", "guest"], "active": [True, False]}


@pytest.mark.parametrize("role, active", [("coach", True), ("admin", False), ("member", False)])
def test_admin_cannot_demote_or_deactivate_themselves(login_as, world, db, fresh, role, active):
    client = login_as("admin")
    admin = world["admin"]
    response = update_user(client, admin.id, role, active)
    assert response.status_code == 400
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    fresh()
    saved = db.session.get(User, admin.id)
    assert (saved.role, saved.active) == ("admin", True)
    assert audit_events(db, "user.role_change") == []
    assert audit_events(db, "user.deactivate") == []
    assert client.get("/admin/users").status_code == 200


def test_one_admin_may_demote_another(login_as, world, db, fresh):
    second = make_user("admin", email="admin2@test.example.org")
    assert update_user(login_as("admin"), second.id, "coach", True).status_code == 303
    fresh()
    assert db.session.get(User, second.id).role == "coach"


def test_unknown_role_is_refused(login_as, world, db):
    response = update_user(login_as("admin"), world["expert"].id, "overlord", True)
    assert response.status_code == 400
    assert db.session.get(User, world["expert"].id).role == "expert"


def test_admin_change_needs_csrf(login_as, world, db):
    client = login_as("admin")
    response = client.post(
        f"/admin/users/{world['expert'].id}", data={"role": "admin", "active": "y"}
    )
    assert response.status_code == 400
    assert db.session.get(User, world["expert"].id).role == "expert"


# ---------------------------------------------------------------- the audit log itself


def test_audit_log_is_append_only_for_updates(login_as, world, db):
    update_user(login_as("admin"), world["expert"].id, "coach", True)
    db.session.rollback()
    (event,) = audit_events(db, "user.role_change")
    event.action = "user.nothing_happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert audit_events(db, "user.role_change")[0].action == "user.role_change"


def test_audit_log_is_append_only_for_deletes(login_as, world, db):
    update_user(login_as("admin"), world["expert"].id, "coach", True)
    db.session.rollback()
    (event,) = audit_events(db, "user.role_change")
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert len(audit_events(db, "user.role_change")) == 1


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(AuditEvent).values(action="user.nothing_happened"),
        sa.delete(AuditEvent),
    ],
)
def test_audit_log_refuses_bulk_orm_statements(login_as, world, db, statement):
    update_user(login_as("admin"), world["expert"].id, "coach", True)
    try:
        db.session.execute(statement)
        db.session.commit()
    except AuditLogIsAppendOnly:
        db.session.rollback()
    finally:
        actions = [e.action for e in audit_events(db)]
    assert "user.role_change" in actions
    assert "user.nothing_happened" not in actions


def test_audit_log_filters_by_action(login_as, world):
    client = login_as("admin")
    update_user(client, world["expert"].id, "coach", True)
    page = client.get("/admin/audit", query_string={"action": "user.role_change"}).get_data(
        as_text=True
    )
    assert "user.role_change" in page
    assert "user.create" not in page
