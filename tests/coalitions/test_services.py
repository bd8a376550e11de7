"""Coalition use cases, called directly as a CLI command or another feature would."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.coalitions import queries, services
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.coalitions.permissions import (
    can_invite_to_coalition,
    can_manage_coalition,
    can_moderate_coalition,
    can_view_coalition_private,
    can_view_directory,
    is_assigned_coach,
    is_lead,
    is_member,
)
from cop.core.audit import AuditEvent
from cop.core.errors import Conflict, PermissionDenied, ServiceError


def fresh(db) -> None:
    db.session.rollback()
    db.session.expire_all()


def count(db, model, *where) -> int:
    fresh(db)
    return db.session.execute(
        sa.select(sa.func.count()).select_from(model).where(*where)
    ).scalar_one()


def member_count(db, coalition) -> int:
    fresh(db)
    return db.session.execute(
        sa.select(Coalition.member_count).where(Coalition.id == coalition.id)
    ).scalar_one()


def actions(db) -> list[tuple]:
    fresh(db)
    return [
        (e.action, e.actor_id, e.target_type, e.target_id, e.details)
        for e in db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()
    ]


VALID = {
    "slug": "north-star",
    "name": "North Star Coalition (demo)",
    "lead_organization": "North Star College",
    "track": "scaling",
    "states": ["MN", "WI", "MN"],
    "sectors": ["transportation", "broadband"],
}


# ---------------------------------------------------------------- create


def test_create_coalition_stores_everything_and_audits(app, db, world):
    coalition = services.create_coalition(
        world["admin"],
        **VALID,
        description="We **train** people.\n\n<script>x</script>",
        partners=["A Union (demo)"],
        award_amount=2_500_000,
    )
    fresh(db)
    stored = db.session.execute(
        sa.select(Coalition).where(Coalition.slug == "north-star")
    ).scalar_one()
    assert stored.id == coalition.id
    assert stored.state_codes == ["MN", "WI"]  # de-duplicated and sorted
    assert stored.sector_codes == ["broadband", "transportation"]
    assert stored.track_label == "Scaling"
    assert stored.partners == ["A Union (demo)"]
    assert stored.award_amount == 2_500_000
    assert stored.member_count == 0
    assert "<strong>train</strong>" in stored.description_html
    assert "<script>" not in stored.description_html
    assert stored.created_at.tzinfo is not None
    assert actions(db)[-1][:4] == ("coalition.create", world["admin"].id, "coalition", coalition.id)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": ""}, "slug"),
        ({"slug": "Upper-Case"}, "slug"),
        ({"slug": "has space"}, "slug"),
        ({"slug": "-leading"}, "slug"),
        ({"slug": "double--dash"}, "slug"),
        ({"slug": "x" * 81}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"lead_organization": ""}, "lead_organization"),
        ({"lead_organization": "o" * 201}, "lead_organization"),
        ({"track": "sideways"}, "track"),
        ({"track": "Scaling"}, "track"),
        ({"states": []}, "states"),
        ({"states": ["ZZ"]}, "states"),
        ({"states": ["OH", "oh"]}, "states"),
        ({"sectors": []}, "sectors"),
        ({"sectors": ["fishing"]}, "sectors"),
    ],
)
def test_create_coalition_rejects_bad_input_and_creates_nothing(app, db, world, change, field):
    before = count(db, Coalition)
    events = len(actions(db))
    with pytest.raises(ServiceError) as info:
        services.create_coalition(world["admin"], **{**VALID, **change})
    assert info.value.field == field
    assert info.value.status == 400
    assert count(db, Coalition) == before
    assert len(actions(db)) == events


def test_create_coalition_with_a_taken_slug_is_a_conflict(app, db, world):
    with pytest.raises(Conflict) as info:
        services.create_coalition(world["admin"], **{**VALID, "slug": "alpha"})
    assert info.value.status == 409 and info.value.field == "slug"
    assert count(db, Coalition) == 2


@pytest.mark.parametrize("role", ["coach", "lead", "member", "expert", "guest"])
def test_only_admins_create_coalitions(app, db, world, role):
    with pytest.raises(PermissionDenied):
        services.create_coalition(world[role], **VALID)
    assert count(db, Coalition) == 2


def test_create_coalition_without_commit_leaves_the_transaction_open(app, db, world):
    services.create_coalition(None, **VALID, commit=False)
    db.session.rollback()
    assert count(db, Coalition, Coalition.slug == "north-star") == 0


# ---------------------------------------------------------------- coaches


def test_assign_coach_is_idempotent(app, db, world):
    alpha, other = world["alpha"], world["other_coach"]
    first = services.assign_coach(world["admin"], alpha, other)
    again = services.assign_coach(world["admin"], alpha, other)
    assert first.id == again.id
    assert count(db, CoachAssignment, CoachAssignment.coach_id == other.id) == 1
    assert [a for a in actions(db) if a[0] == "coalition.coach_assign" and a[1]] == [
        ("coalition.coach_assign", world["admin"].id, "user", other.id, {"coalition": "alpha"})
    ]
    assert is_assigned_coach(other, alpha)
    assert can_moderate_coalition(other, alpha)


@pytest.mark.parametrize("target", ["member", "admin", "expert", "guest"])
def test_assign_coach_refuses_non_coaches(app, db, world, target):
    with pytest.raises(ServiceError):
        services.assign_coach(world["admin"], world["alpha"], world[target])
    assert count(db, CoachAssignment) == 1


@pytest.mark.parametrize("role", ["coach", "other_coach", "lead", "member", "expert", "guest"])
def test_only_admins_assign_and_unassign_coaches(app, db, world, role):
    with pytest.raises(PermissionDenied):
        services.assign_coach(world[role], world["beta"], world["other_coach"])
    with pytest.raises(PermissionDenied):
        services.unassign_coach(world[role], world["alpha"], world["coach"])
    assert sorted(
        db.session.execute(sa.select(CoachAssignment.coach_id, CoachAssignment.coalition_id)).all()
    ) == [(world["coach"].id, world["alpha"].id)]


def test_unassign_coach_takes_effect_on_the_same_user_object(app, db, world):
    coach, alpha = world["coach"], world["alpha"]
    assert can_view_coalition_private(coach, alpha)  # fills the per-user cache
    services.unassign_coach(world["admin"], alpha, coach)
    assert not is_assigned_coach(coach, alpha)
    assert not can_view_coalition_private(coach, alpha)
    assert count(db, CoachAssignment) == 0


def test_assign_coach_takes_effect_on_the_same_user_object(app, db, world):
    other, beta = world["other_coach"], world["beta"]
    assert not is_assigned_coach(other, beta)
    services.assign_coach(world["admin"], beta, other)
    assert is_assigned_coach(other, beta)


# ---------------------------------------------------------------- memberships


def test_add_member_counts_once_and_audits(app, db, world):
    alpha, expert = world["alpha"], world["expert"]
    before = member_count(db, alpha)
    services.add_member(world["admin"], alpha, expert)
    services.add_member(world["admin"], alpha, expert)
    assert member_count(db, alpha) == before + 1
    assert count(db, Membership, Membership.user_id == expert.id) == 1
    assert (
        "coalition.member_add",
        world["admin"].id,
        "user",
        expert.id,
        {"coalition": "alpha", "lead": False},
    ) in actions(db)
    assert is_member(expert, alpha) and not is_lead(expert, alpha)


def test_add_member_as_lead(app, db, world):
    services.add_member(world["admin"], world["beta"], world["expert"], as_lead=True)
    assert is_lead(world["expert"], world["beta"])
    assert can_invite_to_coalition(world["expert"], world["beta"])


def test_set_lead_and_remove_member(app, db, world):
    alpha, member = world["alpha"], world["member"]
    membership = db.session.execute(
        sa.select(Membership).where(
            Membership.user_id == member.id, Membership.coalition_id == alpha.id
        )
    ).scalar_one()
    assert not is_lead(member, alpha)
    services.set_lead(world["admin"], membership, True)
    assert is_lead(member, alpha)
    services.set_lead(world["admin"], membership, True)  # no change, no event
    services.set_lead(world["admin"], membership, False)
    assert not is_lead(member, alpha)
    before = member_count(db, alpha)
    membership = db.session.execute(
        sa.select(Membership).where(
            Membership.user_id == member.id, Membership.coalition_id == alpha.id
        )
    ).scalar_one()
    services.remove_member(world["admin"], membership)
    assert member_count(db, alpha) == before - 1
    assert not is_member(member, alpha)
    assert not can_view_coalition_private(member, alpha)
    recorded = [a[0] for a in actions(db) if a[1] == world["admin"].id]
    assert recorded == ["coalition.lead_set", "coalition.lead_unset", "coalition.member_remove"]


@pytest.mark.parametrize("role", ["coach", "lead", "member", "other_member", "expert", "guest"])
def test_only_admins_change_memberships(app, db, world, role):
    alpha = world["alpha"]
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world["member"].id)
    ).scalar_one()
    before = (member_count(db, alpha), count(db, Membership), len(actions(db)))
    with pytest.raises(PermissionDenied):
        services.add_member(world[role], alpha, world["expert"])
    fresh(db)
    membership = db.session.get(Membership, membership.id)
    with pytest.raises(PermissionDenied):
        services.set_lead(world[role], membership, True)
    with pytest.raises(PermissionDenied):
        services.remove_member(world[role], membership)
    assert (member_count(db, alpha), count(db, Membership), len(actions(db))) == before
    assert db.session.get(Membership, membership.id).is_lead is False


def test_audit_events_cannot_be_changed_or_deleted(app, db, world):
    from cop.core.audit import AuditLogIsAppendOnly

    services.assign_coach(world["admin"], world["beta"], world["other_coach"])
    event = db.session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == "coalition.coach_assign", AuditEvent.actor_id == world["admin"].id
        )
    ).scalar_one()
    event.action = "coalition.nothing_happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "coalition.coach_assign"


def test_deleting_a_coalition_cascades(app, db, world):
    alpha = db.session.get(Coalition, world["alpha"].id)
    db.session.delete(alpha)
    db.session.commit()
    assert count(db, Membership, Membership.coalition_id == world["alpha"].id) == 0
    assert count(db, CoachAssignment) == 0


# ---------------------------------------------------------------- permissions and queries


@pytest.mark.parametrize(
    ("role", "directory", "private", "manage", "moderate", "invite"),
    [
        ("admin", True, True, True, True, True),
        ("coach", True, True, False, True, False),
        ("other_coach", True, False, False, False, False),
        ("lead", True, True, False, False, True),
        ("member", True, True, False, False, False),
        ("other_member", True, False, False, False, False),
        ("expert", True, False, False, False, False),
        ("guest", False, False, False, False, False),
        ("deactivated", False, False, False, False, False),
    ],
)
def test_permission_predicates_on_alpha(
    app, world, role, directory, private, manage, moderate, invite
):
    user, alpha = world[role], world["alpha"]
    assert can_view_directory(user) is directory
    assert can_view_coalition_private(user, alpha) is private
    assert can_manage_coalition(user, alpha) is manage
    assert can_moderate_coalition(user, alpha) is moderate
    assert bool(can_invite_to_coalition(user, alpha)) is invite


def test_predicates_refuse_anonymous(app, world):
    from flask_login import AnonymousUserMixin

    anonymous = AnonymousUserMixin()
    for predicate in (can_view_directory, can_manage_coalition):
        assert predicate(anonymous) is False
        assert predicate(None) is False
    assert can_view_coalition_private(anonymous, world["alpha"]) is False
    assert can_view_coalition_private(None, world["alpha"]) is False


def test_directory_query_filters(app, world):
    def slugs(**kw):
        return [c.slug for c in queries.directory(queries.DirectoryFilters(**kw))]

    assert slugs() == ["alpha", "beta"]
    assert slugs(q="Alpha") == ["alpha"]
    assert slugs(q="%") == []
    assert slugs(q="_") == []
    assert slugs(state="TX") == ["beta"]
    assert slugs(sector="broadband") == ["alpha"]
    assert slugs(track="scaling") == ["beta"]
    assert slugs(state="TX", track="development") == []


def test_state_counts_cover_every_state(app, world):
    counts = queries.state_counts()
    assert len(counts) == 56
    assert counts["OH"] == 1 and counts["MI"] == 1 and counts["TX"] == 1
    assert sum(counts.values()) == 3


def test_members_and_coaches_of_skip_deactivated_accounts(app, world):
    members = queries.members_of(world["alpha"])
    assert [m.user.email for m in members] == ["lead@test.example.org", "member@test.example.org"]
    assert members[0].is_lead
    assert [c.email for c in queries.coaches_of(world["alpha"])] == ["coach@test.example.org"]
    assert [c.email for c in queries.assignable_coaches(world["alpha"])] == [
        "coach2@test.example.org"
    ]


def test_my_coalitions_and_home_summary(app, world):
    assert [c.slug for c in queries.my_coalitions(world["coach"])] == ["alpha"]
    assert [c.slug for c in queries.my_coalitions(world["other_member"])] == ["beta"]
    assert queries.my_coalitions(world["expert"]) == []
    summary = queries.home_summary(world["lead"])
    assert summary["coalition_count"] == 2
    assert summary["state_count"] == 3


def test_invitable_coalitions(app, world):
    assert [c.slug for c in queries.invitable_coalitions(world["admin"])] == ["alpha", "beta"]
    assert [c.slug for c in queries.invitable_coalitions(world["lead"])] == ["alpha"]
    assert queries.invitable_coalitions(world["member"]) == []


def test_member_counts_leave_out_deactivated_accounts(app, db, world):
    from cop.accounts.services import admin_update_user

    alpha = world["alpha"]
    assert member_count(db, alpha) == 2  # lead and member; the deactivated account is out
    admin_update_user(world["admin"], world["member"], role="member", active=False)
    assert member_count(db, alpha) == 1
    admin_update_user(world["admin"], world["deactivated"], role="member", active=True)
    admin_update_user(world["admin"], world["member"], role="member", active=True)
    assert member_count(db, alpha) == 3
    assert member_count(db, world["beta"]) == 1
