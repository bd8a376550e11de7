"""Coalition pages through HTTP: directory, filters, state grid, detail, admin actions."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core.audit import AuditEvent
from tests import factories
from tests.conftest import post_form

DETAIL_LINK = re.compile(r'href="/coalitions/([a-z0-9-]+)"')


def listed(page: str) -> list[str]:
    """Slugs of the coalitions linked from a page, in order, once each."""
    seen: list[str] = []
    for slug in DETAIL_LINK.findall(page):
        if slug not in seen:
            seen.append(slug)
    return seen


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(db) -> None:
    """End the test's own transaction so the next read sees what requests committed."""
    db.session.rollback()
    db.session.expire_all()


def scalar(db, stmt):
    fresh(db)
    return db.session.execute(stmt).scalar_one_or_none()


def count(db, model, *where) -> int:
    fresh(db)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def audit_actions(db, action: str) -> list[AuditEvent]:
    """The audit events of an action taken by someone (not the system's set-up)."""
    fresh(db)
    return list(
        db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.actor_id.is_not(None))
            .order_by(AuditEvent.id)
        ).scalars()
    )


# ---------------------------------------------------------------- directory


def test_directory_lists_every_coalition_sorted_by_name(login_as, world):
    factories.make_coalition("gamma", name="Gamma Coalition (demo)", states=["CA"])
    response = login_as("member").get("/coalitions/")
    assert response.status_code == 200
    assert listed(text(response)) == ["alpha", "beta", "gamma"]
    assert "3 coalitions in the program" in text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=alpha", ["alpha"]),
        ("q=ALPHA", ["alpha"]),  # case-insensitive
        ("q=Test+College", ["alpha", "beta"]),  # lead organization
        ("q=bet", ["beta"]),
        ("state=TX", ["beta"]),
        ("state=MI", ["alpha"]),
        ("sector=renewable-energy", ["beta"]),
        ("sector=broadband", ["alpha"]),
        ("track=scaling", ["beta"]),
        ("track=development", ["alpha"]),
        ("state=OH&track=scaling", []),
        ("state=OH&sector=broadband&track=development&q=alpha", ["alpha"]),
        ("q=nothing-matches-this", []),
    ],
)
def test_directory_filters(login_as, world, query, expected):
    response = login_as("expert").get(f"/coalitions/?{query}")
    assert response.status_code == 200
    assert listed(text(response)) == expected
    if not expected:
        assert "No coalition matches the filter." in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "state=ZZ",
        "state=oh",
        "state=%27%20OR%201%3D1--",
        "sector=underwater-basket-weaving",
        "track=sideways",
        "track=",
        "state[]=OH",
        "q=" + "x" * 5000,
        "q=%25",  # a LIKE wildcard is text, not "match everything"
        "q=_",
        "q=%5C",
        "q=%01%1F",
    ],
)
def test_directory_ignores_bad_filter_values_safely(login_as, world, query):
    response = login_as("member").get(f"/coalitions/?{query}")
    assert response.status_code == 200
    slugs = listed(text(response))
    if query.startswith("q="):
        # Text that no coalition contains matches nothing; it is not a wildcard.
        assert slugs == []
    else:
        # An unknown value is dropped: the whole directory is shown.
        assert slugs == ["alpha", "beta"]


def test_directory_q_is_truncated_to_100_characters(login_as, world):
    response = login_as("member").get("/coalitions/?q=" + "alpha" + "z" * 200)
    page = text(response)
    assert response.status_code == 200
    match = re.search(r'id="f-q" name="q" value="([^"]*)"', page)
    assert match and len(match.group(1)) == 100


ACTIVE_STATE = re.compile(
    r'href="/coalitions/\?state=(\w\w)"><span class="cop-state__code">\1</span>'
    r'<span class="usa-sr-only"> \(([^)]+)\):</span> <span class="cop-state__count">(\d+)</span>'
    r'<span class="usa-sr-only"> coalitions?</span>'
)
EMPTY_STATE = re.compile(
    r'<span class="cop-state__code">(\w\w)</span><span class="usa-sr-only"> \(([^)]+)\): '
    r"no coalition</span>"
)


def test_directory_state_grid_counts_coalitions_per_state(login_as, world):
    factories.make_coalition("gamma", states=["OH", "DC"])
    page = text(login_as("member").get("/coalitions/"))
    active = {code: (name, int(n)) for code, name, n in ACTIVE_STATE.findall(page)}
    assert active == {
        "OH": ("Ohio", 2),
        "MI": ("Michigan", 1),
        "TX": ("Texas", 1),
        "DC": ("District of Columbia", 1),
    }
    empty = {code: name for code, name in EMPTY_STATE.findall(page)}
    assert empty["AK"] == "Alaska" and empty["PR"] == "Puerto Rico"
    # Every state, DC and territory has exactly one cell.
    assert len(active) + len(empty) == 56
    assert page.count('class="cop-state__code"') == 56
    assert '2</span><span class="usa-sr-only"> coalitions</span>' in page


def test_directory_state_filter_marks_current_state(login_as, world):
    page = text(login_as("member").get("/coalitions/?state=TX"))
    assert "cop-state--current" in page
    assert re.search(r'cop-state--current"[^>]*href="/coalitions/\?state=TX"', page)
    assert '<option value="TX" selected>' in page


def test_directory_escapes_the_query_in_the_page(login_as, world):
    page = text(login_as("member").get("/coalitions/?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"))
    assert "<script>alert(1)</script>" not in page
    assert "&#34;&gt;&lt;script&gt;" in page or "&quot;&gt;&lt;script&gt;" in page


@pytest.mark.parametrize(
    "role", ["admin", "coach", "other_coach", "lead", "member", "other_member", "expert"]
)
def test_directory_is_open_to_the_community(login_as, role):
    response = login_as(role).get("/coalitions/")
    assert response.status_code == 200
    assert listed(text(response)) == ["alpha", "beta"]


def test_directory_is_hidden_from_guests(login_as):
    client = login_as("guest")
    assert client.get("/coalitions/").status_code == 404
    assert client.get("/coalitions/alpha").status_code == 404
    # The navigation does not offer it either.
    assert 'href="/coalitions/"' not in text(client.get("/"))


def test_directory_needs_login(client, world):
    response = client.get("/coalitions/?state=OH")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "state%3DOH" in response.headers["Location"]


# ---------------------------------------------------------------- detail


def test_detail_shows_facts_members_leads_and_coaches(login_as, world):
    response = login_as("other_member").get("/coalitions/alpha")
    page = text(response)
    assert response.status_code == 200
    assert "<h1>Alpha Coalition (demo)</h1>" in page
    assert "Ohio, Michigan" in page or "Michigan, Ohio" in page
    assert "Broadband" in page and "Development" in page
    lead, member, coach = world["lead"], world["member"], world["coach"]
    assert f'href="/people/{lead.id}">{lead.name}</a> <span class="usa-tag">Lead</span>' in page
    assert f'href="/people/{member.id}">{member.name}</a>' in page
    assert f'href="/people/{member.id}">{member.name}</a> <span class="usa-tag">Lead' not in page
    assert "Members (2)" in page
    coaches_section = page.split('id="coaches-heading"', 1)[1]
    assert f'href="/people/{coach.id}">{coach.name}</a>' in coaches_section
    assert world["other_coach"].name not in page
    # Deactivated accounts and people outside the coalition are not listed.
    assert world["deactivated"].name not in page
    assert world["expert"].name not in page
    # Only admins get the management buttons.
    assert "/coaches/" not in page and "/members/" not in page
    assert "Assign a coach" not in page


def test_detail_lead_is_listed_first(login_as, world):
    factories.make_user("member", name="Aaron Early", coalition=world["alpha"])
    page = text(login_as("member").get("/coalitions/alpha"))
    members_section = page.split('id="members-heading"', 1)[1].split('id="coaches-heading"')[0]
    names = re.findall(r'href="/people/\d+">([^<]+)</a>', members_section)
    assert names[0] == world["lead"].name
    assert names[1:] == sorted(names[1:])


def test_detail_renders_stored_description_html_only(login_as, world):
    factories.make_coalition(
        "gamma", description="**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    page = text(login_as("member").get("/coalitions/gamma"))
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "javascript:" not in page


def test_detail_shows_management_controls_to_admins(login_as, world):
    page = text(login_as("admin").get("/coalitions/alpha"))
    alpha_members = [world["lead"], world["member"]]
    for user in alpha_members:
        assert f'action="/coalitions/alpha/members/{user.id}/lead"' in page
        assert f'action="/coalitions/alpha/members/{user.id}/remove"' in page
    assert f'action="/coalitions/alpha/coaches/{world["coach"].id}/remove"' in page
    assert 'action="/coalitions/alpha/coaches"' in page
    # The assign list offers unassigned, active coaches only.
    select = page.split('name="coach_id"', 1)[1].split("</select>")[0]
    assert f'value="{world["other_coach"].id}"' in select
    assert f'value="{world["coach"].id}"' not in select
    assert f'value="{world["member"].id}"' not in select
    # "Remove lead role" for the lead, "Make lead" for a member.
    assert f"Remove lead role for {world['lead'].name}" in page
    assert f"Make lead for {world['member'].name}" in page


def test_detail_offers_invitation_to_leads_only(login_as, world):
    assert "Invite a member" in text(login_as("lead").get("/coalitions/alpha"))
    assert "Invite a member" not in text(login_as("lead").get("/coalitions/beta"))
    assert "Invite a member" not in text(login_as("member").get("/coalitions/alpha"))


@pytest.mark.parametrize("query", ["q=%00", "q=al%00pha", "state=OH%00", "x%00=1"])
def test_directory_refuses_nul_bytes_cleanly(login_as, world, query):
    # PostgreSQL refuses NUL in text: the request is refused before any query, not a 500.
    response = login_as("member").get(f"/coalitions/?{query}")
    assert response.status_code == 400
    assert "<h1>Bad Request</h1>" in text(response)


@pytest.mark.parametrize(
    "slug", ["nope", "ALPHA", "alpha-", "-alpha", "al%20pha", "a" * 81, "a" * 300, "%C3%A9"]
)
def test_detail_unknown_slug_is_404(login_as, world, slug):
    response = login_as("admin").get(f"/coalitions/{slug}")
    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_detail_with_nul_byte_is_refused(login_as, world):
    assert login_as("admin").get("/coalitions/alpha%00").status_code == 400


# ---------------------------------------------------------------- admin actions


def test_admin_assigns_a_coach(login_as, world, db):
    admin, other_coach, alpha = world["admin"], world["other_coach"], world["alpha"]
    client = login_as("admin")
    response = post_form(
        client,
        "/coalitions/alpha/coaches",
        {"coach_id": other_coach.id},
        token_from="/coalitions/alpha",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/coalitions/alpha"
    assert (
        count(
            db,
            CoachAssignment,
            CoachAssignment.coalition_id == alpha.id,
            CoachAssignment.coach_id == other_coach.id,
        )
        == 1
    )
    events = audit_actions(db, "coalition.coach_assign")
    assert [(e.actor_id, e.target_id, e.details["coalition"]) for e in events] == [
        (admin.id, other_coach.id, "alpha")
    ]
    page = text(client.get("/coalitions/alpha"))
    assert f"{other_coach.name} now coaches {alpha.name}." in page


@pytest.mark.parametrize("bad", ["member", "admin", "coach", "deactivated_coach", "missing"])
def test_admin_cannot_assign_a_non_coach_or_assigned_or_inactive_coach(login_as, world, db, bad):
    if bad == "deactivated_coach":
        target_id = factories.make_user("coach", active=False).id
    elif bad == "missing":
        target_id = 987654
    else:
        target_id = world[bad].id
    before = count(db, CoachAssignment)
    client = login_as("admin")
    response = post_form(
        client, "/coalitions/alpha/coaches", {"coach_id": target_id}, token_from="/coalitions/alpha"
    )
    assert response.status_code == 303
    assert count(db, CoachAssignment) == before
    assert audit_actions(db, "coalition.coach_assign") == []
    assert "Choose a coach from the list." in text(client.get("/coalitions/alpha"))


def test_admin_unassigns_a_coach(login_as, world, db):
    coach, alpha = world["coach"], world["alpha"]
    client = login_as("admin")
    response = post_form(
        client, f"/coalitions/alpha/coaches/{coach.id}/remove", token_from="/coalitions/alpha"
    )
    assert response.status_code == 303
    assert count(db, CoachAssignment, CoachAssignment.coalition_id == alpha.id) == 0
    events = audit_actions(db, "coalition.coach_unassign")
    assert [(e.actor_id, e.target_id) for e in events] == [(world["admin"].id, coach.id)]
    # Unassigning someone who is not assigned changes nothing and records nothing.
    response = post_form(
        client, f"/coalitions/alpha/coaches/{coach.id}/remove", token_from="/coalitions/alpha"
    )
    assert response.status_code == 303
    assert len(audit_actions(db, "coalition.coach_unassign")) == 1


def test_unassigned_coach_loses_private_access_at_once(login_as, world, db):
    from cop.coalitions import services
    from cop.coalitions.permissions import can_view_coalition_private

    coach, alpha = world["coach"], world["alpha"]
    assert can_view_coalition_private(coach, alpha)
    services.unassign_coach(world["admin"], alpha, coach)
    assert not can_view_coalition_private(coach, alpha)


def test_admin_toggles_a_lead(login_as, world, db):
    member, alpha = world["member"], world["alpha"]
    client = login_as("admin")
    url = f"/coalitions/alpha/members/{member.id}/lead"

    def is_lead():
        return scalar(
            db,
            sa.select(Membership.is_lead).where(
                Membership.user_id == member.id, Membership.coalition_id == alpha.id
            ),
        )

    assert post_form(client, url, token_from="/coalitions/alpha").status_code == 303
    assert is_lead() is True
    assert post_form(client, url, token_from="/coalitions/alpha").status_code == 303
    assert is_lead() is False
    fresh(db)
    actions = [
        e.action
        for e in db.session.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.action.like("coalition.lead_%"))
            .order_by(AuditEvent.id)
        ).scalars()
    ]
    assert actions == ["coalition.lead_set", "coalition.lead_unset"]


def test_admin_removes_a_member(login_as, world, db):
    member, alpha = world["member"], world["alpha"]
    before = scalar(db, sa.select(Coalition.member_count).where(Coalition.id == alpha.id))
    client = login_as("admin")
    response = post_form(
        client, f"/coalitions/alpha/members/{member.id}/remove", token_from="/coalitions/alpha"
    )
    assert response.status_code == 303
    assert count(db, Membership, Membership.user_id == member.id) == 0
    assert scalar(db, sa.select(Coalition.member_count).where(Coalition.id == alpha.id)) == (
        before - 1
    )
    events = audit_actions(db, "coalition.member_remove")
    assert [(e.actor_id, e.target_id, e.details["coalition"]) for e in events] == [
        (world["admin"].id, member.id, "alpha")
    ]
    page = text(client.get("/coalitions/alpha"))
    assert f"{member.name} is no longer a member." in page
    assert f'href="/people/{member.id}"' not in page
    # The removed member loses the coalition's private spaces on the next request.
    assert "alpha" not in listed(text(login_as("member").get("/")))


def test_admin_cannot_remove_someone_who_is_not_a_member(login_as, world, db):
    before = count(db, Membership)
    client = login_as("admin")
    for user_id in (world["other_member"].id, world["expert"].id, 999999):
        response = post_form(
            client, f"/coalitions/alpha/members/{user_id}/remove", token_from="/coalitions/alpha"
        )
        assert response.status_code == 404
    assert count(db, Membership) == before


ADMIN_POSTS = [
    ("/coalitions/alpha/coaches", lambda w: {"coach_id": w["other_coach"].id}),
    ("/coalitions/alpha/coaches/{coach}/remove", lambda w: {}),
    ("/coalitions/alpha/members/{member}/lead", lambda w: {}),
    ("/coalitions/alpha/members/{member}/remove", lambda w: {}),
    ("/coalitions/alpha/members/{lead}/remove", lambda w: {}),
]


def _db_state(db):
    fresh(db)
    return (
        sorted(
            db.session.execute(
                sa.select(Membership.user_id, Membership.coalition_id, Membership.is_lead)
            ).all()
        ),
        sorted(
            db.session.execute(
                sa.select(CoachAssignment.coach_id, CoachAssignment.coalition_id)
            ).all()
        ),
        sorted(db.session.execute(sa.select(Coalition.slug, Coalition.member_count)).all()),
        db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one(),
    )


@pytest.mark.parametrize(
    "role", ["coach", "other_coach", "lead", "member", "other_member", "expert", "guest"]
)
def test_non_admins_get_404_on_management_posts_and_nothing_changes(login_as, world, db, role):
    client = login_as(role)
    before = _db_state(db)
    ids = {"coach": world["coach"].id, "member": world["member"].id, "lead": world["lead"].id}
    for template, data in ADMIN_POSTS:
        url = template.format(**ids)
        response = post_form(client, url, data(world), token_from="/")
        assert response.status_code == 404, (role, url)
    assert _db_state(db) == before


def test_anonymous_management_posts_redirect_to_login_and_change_nothing(client, world, db):
    before = _db_state(db)
    ids = {"coach": world["coach"].id, "member": world["member"].id, "lead": world["lead"].id}
    for template, data in ADMIN_POSTS:
        response = post_form(client, template.format(**ids), data(world))
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert _db_state(db) == before


def test_management_posts_need_a_csrf_token(login_as, world, db):
    client = login_as("admin")
    before = _db_state(db)
    ids = {"coach": world["coach"].id, "member": world["member"].id, "lead": world["lead"].id}
    for template, data in ADMIN_POSTS:
        for token in (None, "forged-token"):
            body = data(world)
            if token:
                body["csrf_token"] = token
            response = client.post(template.format(**ids), data=body)
            assert response.status_code == 400
            assert "Reload the page and try again" in text(response)
    assert _db_state(db) == before


def test_management_posts_on_unknown_coalition_are_404(login_as, world, db):
    client = login_as("admin")
    before = _db_state(db)
    for url in (
        "/coalitions/nope/coaches",
        f"/coalitions/nope/coaches/{world['coach'].id}/remove",
        f"/coalitions/nope/members/{world['member'].id}/lead",
        f"/coalitions/nope/members/{world['member'].id}/remove",
        f"/coalitions/beta/members/{world['member'].id}/remove",
        "/coalitions/alpha/coaches/999999/remove",
    ):
        response = post_form(client, url, {"coach_id": world["other_coach"].id}, token_from="/")
        assert response.status_code == 404
    assert _db_state(db) == before


def test_management_routes_refuse_get(login_as, world):
    client = login_as("admin")
    member = world["member"].id
    for url in (
        "/coalitions/alpha/coaches",
        f"/coalitions/alpha/members/{member}/lead",
        f"/coalitions/alpha/members/{member}/remove",
        f"/coalitions/alpha/coaches/{world['coach'].id}/remove",
    ):
        assert client.get(url).status_code == 405


# ---------------------------------------------------------------- counters and query counts


def test_member_count_follows_additions_and_removals(login_as, world, db):
    from cop.coalitions import services

    alpha = world["alpha"]

    def stored():
        return scalar(db, sa.select(Coalition.member_count).where(Coalition.id == alpha.id))

    def active_memberships():
        return scalar(
            db,
            sa.select(sa.func.count())
            .select_from(Membership)
            .join(User)
            .where(Membership.coalition_id == alpha.id, User.active.is_(True)),
        )

    memberships = active_memberships()
    assert stored() == memberships
    newcomer = factories.make_user("member", coalition=alpha)
    assert stored() == memberships + 1
    services.add_member(None, alpha, newcomer)  # already a member: no double count
    assert stored() == memberships + 1
    client = login_as("admin")
    post_form(
        client, f"/coalitions/alpha/members/{newcomer.id}/remove", token_from="/coalitions/alpha"
    )
    post_form(
        client,
        f"/coalitions/alpha/members/{world['member'].id}/remove",
        token_from="/coalitions/alpha",
    )
    assert stored() == memberships - 1
    assert stored() == active_memberships()


def _populate(n_coalitions: int, members_each: int = 2) -> None:
    coaches = [factories.make_user("coach") for _ in range(3)]
    for i in range(n_coalitions):
        c = factories.make_coalition(
            states=["OH", "TX", "CA"][: 1 + i % 3],
            sectors=["broadband", "transportation"][: 1 + i % 2],
        )
        for _ in range(members_each):
            factories.make_user("member", coalition=c)
        factories.assign_coach(coaches[i % 3], c)


def _queries_for(client, count_queries, url: str) -> int:
    client.get(url)  # warm up: first-request work is not what is measured
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q.count


@pytest.mark.parametrize("role", ["admin", "member"])
def test_directory_query_count_does_not_grow_with_coalitions(login_as, world, count_queries, role):
    client = login_as(role)
    _populate(3)
    small = _queries_for(client, count_queries, "/coalitions/")
    _populate(27)
    assert len(listed(text(client.get("/coalitions/")))) == 32
    large = _queries_for(client, count_queries, "/coalitions/")
    assert small == large
    assert large <= 8


@pytest.mark.parametrize("role", ["admin", "member"])
def test_detail_query_count_does_not_grow_with_members(login_as, world, count_queries, role):
    client = login_as(role)
    alpha = world["alpha"]
    small = _queries_for(client, count_queries, "/coalitions/alpha")
    for _ in range(25):
        factories.make_user("member", coalition=alpha)
    for _ in range(6):
        factories.assign_coach(factories.make_user("coach"), alpha)
    for _ in range(5):
        factories.make_user("coach")  # assignable coaches for the admin's list
    page = text(client.get("/coalitions/alpha"))
    assert "Members (27)" in page
    large = _queries_for(client, count_queries, "/coalitions/alpha")
    assert small == large
    assert large <= 10


def test_home_lists_my_coalitions(login_as, world):
    assert listed(text(login_as("member").get("/"))) == ["alpha"]
    assert listed(text(login_as("coach").get("/"))) == ["alpha"]
    assert listed(text(login_as("other_member").get("/"))) == ["beta"]
    assert listed(text(login_as("expert").get("/"))) == []
