"""Losing access while connected: every event re-checks, and the watchdog (one pass here;
every CHAT_ACCESS_CHECK_SECONDS under `cop serve`) takes sockets out of rooms or off /chat.

Most tests first `settle` the watchdog (a full sweep, then a pass that must find nothing
to do), so the pass after the change sweeps only because the access-change log
(cop/chat/access_log.py) recorded it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.chat.connections import chat_state, sweep, watch_pass
from tests.conftest import post_form


@pytest.fixture(autouse=True)
def _gate_on(app, monkeypatch):
    """The gate is opt-in (CHAT_ACCESS_FULL_SWEEP_SECONDS > 0); these tests turn it on."""
    monkeypatch.setitem(app.config, "CHAT_ACCESS_FULL_SWEEP_SECONDS", 30.0)


def settle(app) -> None:
    watch_pass(app)
    assert watch_pass(app) is None, "nothing changed: the gate must skip the sweep"


def changed(app) -> dict:
    result = watch_pass(app)
    assert result is not None, "the access-change log did not wake the watchdog"
    return result


def test_logout_refuses_events_and_the_sweep_disconnects(app, chat_client, rooms):
    member = chat_client("member")
    member.join(rooms["alpha"])
    settle(app)
    assert post_form(member.flask, "/logout", token_from="/").status_code == 303
    ack = member.send(rooms["alpha"], "still here?")
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized"
    result = changed(app)
    assert result["disconnected"] == 1
    # The logout hook tells the socket at once; the sweep then disconnects it.
    assert member.got("session_ended") == [{"reason": "logged_out"}, {"reason": "session_ended"}]
    assert not member.connected


def test_other_sessions_of_the_user_stay(app, chat_client, rooms):
    laptop, phone = chat_client("member"), chat_client("member")
    post_form(laptop.flask, "/logout", token_from="/")
    sweep(app)
    assert not laptop.connected and phone.connected
    assert phone.send(rooms["alpha"], "from my phone")["ok"]


def test_revoked_token_disconnects(app, world, chat_client, api_token, rooms, db):
    from cop.accounts.models import ApiToken
    from cop.accounts.services import revoke_api_token

    client = chat_client("member", token=api_token("member"))
    client.join(rooms["alpha"])
    settle(app)
    revoke_api_token(world["member"], db.session.execute(sa.select(ApiToken)).scalar_one())
    assert client.send(rooms["alpha"], "x")["error"]["code"] == "unauthorized"
    changed(app)
    assert not client.connected


def test_deactivated_user_is_disconnected(app, world, chat_client, rooms):
    from cop.accounts.services import admin_update_user

    client = chat_client("member")
    settle(app)
    admin_update_user(world["admin"], world["member"], role="member", active=False)
    assert changed(app)["disconnected"] == 1
    assert not client.connected


def test_removed_member_leaves_the_room_but_stays_connected(app, world, chat_client, rooms, db):
    from cop.coalitions.models import Membership
    from cop.coalitions.services import remove_member

    member, lead = chat_client("member"), chat_client("lead")
    member.join(rooms["alpha"])
    member.join(rooms["lounge"])
    assert sweep(app)["removed"] == 0
    settle(app)
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world["member"].id)
    ).scalar_one()
    remove_member(world["admin"], membership)
    result = changed(app)
    assert result == {"disconnected": 0, "removed": 1, "checked": 2}
    assert member.got("room_removed") == [{"room_id": rooms["alpha"].id, "reason": "access_lost"}]
    member.clear()
    lead.send(rooms["alpha"], "members only")
    lead.send(rooms["lounge"], "everyone")
    assert [m["body"] for m in member.got("message")] == ["everyone"]
    assert member.send(rooms["alpha"], "x")["error"]["code"] == "not_found"
    assert member.connected


def test_unassigned_coach_leaves_the_room(app, world, chat_client, rooms):
    from cop.coalitions.services import unassign_coach

    coach = chat_client("coach")
    coach.join(rooms["alpha"])
    settle(app)
    unassign_coach(world["admin"], world["alpha"], world["coach"])
    assert changed(app)["removed"] == 1


def test_nothing_changed_means_no_rechecks(app, chat_client, rooms):
    chat_client("member").join(rooms["alpha"])
    chat_client("lead").join(rooms["alpha"])
    assert sweep(app)["checked"] == 2  # first sweep: everyone is new
    assert sweep(app) == {"disconnected": 0, "removed": 0, "checked": 0}


def test_sweep_query_count_does_not_grow_with_connections(
    app, world, chat_client, rooms, count_queries
):
    from tests import factories

    for i in range(12):
        user = factories.make_user("member", coalition=world["alpha"])
        chat_client(user).join(rooms["alpha"])
    sweep(app)
    with count_queries() as q:
        sweep(app)
    assert q.count <= 6, q.statements


def test_logout_hook_tells_that_sessions_sockets_at_once(app, chat_client, world):
    """What accounts.auth.end_session would call: only that login session's sockets hear it."""
    from cop.chat.connections import chat_state, login_session_ended

    laptop = chat_client("member")
    laptop_session = next(iter(chat_state(app).connections.values())).session_id
    phone = chat_client("member")  # another login of the same person
    laptop.clear()
    phone.clear()
    login_session_ended(laptop_session)
    assert laptop.got("session_ended") == [{"reason": "logged_out"}]
    assert phone.got("session_ended") == []


def test_a_sweep_works_in_slices_and_pauses_between_them(
    app, world, chat_client, rooms, monkeypatch
):
    """With CHUNK sockets per slice the watchdog yields between slices (other greenlets
    run); a user's sockets stay in one slice, and a change in any slice is still seen."""
    from cop.chat import connections
    from cop.coalitions.models import Membership
    from cop.coalitions.services import remove_member
    from cop.extensions import db

    monkeypatch.setattr(connections, "CHUNK", 2)
    for key in ("member", "lead", "coach", "admin"):
        chat_client(key).join(rooms["alpha"])
    chat_client("member").join(rooms["alpha"])  # a second socket of the same user
    slices, pauses = [], []
    real = connections._sweep_slice

    def spy(state, conns, result):
        slices.append([c.user_id for c in conns])
        return real(state, conns, result)

    monkeypatch.setattr(connections, "_sweep_slice", spy)
    assert sweep(app, pause=lambda: pauses.append(len(slices)))["checked"] == 5
    assert len(slices) >= 2 and pauses == list(range(1, len(slices)))
    assert all(len(ids) >= 2 for ids in slices[:-1])
    owners = [uid for ids in slices for uid in set(ids)]
    assert len(owners) == len(set(owners)) == 4  # no user split across slices
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world["member"].id)
    ).scalar_one()
    remove_member(world["admin"], membership)
    result = sweep(app, pause=lambda: pauses.append(1))
    assert result == {"disconnected": 0, "removed": 2, "checked": 2}


# ---------------------------------------------------------------- the watchdog's gate


def _log_size(db) -> int:
    from cop.chat.models import ChatAccessChange

    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count(ChatAccessChange.id))).scalar_one()


def test_the_log_records_what_can_take_access_and_nothing_else(app, world, db):
    """Deletes and access-relevant updates (ORM or bulk) are logged, in the same
    transaction; new rows and everyday updates (last seen, names, attendance) are not."""
    from cop.accounts.models import User
    from cop.accounts.services import create_api_token, revoke_api_token
    from cop.coalitions.models import Membership
    from cop.coalitions.services import remove_member
    from cop.core.models import utcnow
    from tests import factories

    base = _log_size(db)
    newcomer = factories.make_user("member", coalition=world["alpha"])  # inserts
    token, raw = create_api_token(world["member"], name="t")
    user = db.session.get(User, world["lead"].id)
    user.name, user.last_login_at = "Renamed Lead", utcnow()
    token.last_used_at = utcnow()
    db.session.commit()
    assert _log_size(db) == base

    user.role = "expert"  # a role change can take access
    db.session.rollback()  # ... but a rolled-back change leaves nothing behind
    assert _log_size(db) == base
    user = db.session.get(User, world["lead"].id)
    user.role = "expert"
    db.session.commit()
    assert _log_size(db) == base + 1

    revoke_api_token(world["member"], token)  # an ORM update of revoked_at
    assert _log_size(db) == base + 2
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == newcomer.id)
    ).scalar_one()
    remove_member(world["admin"], membership)  # an ORM delete
    assert _log_size(db) == base + 3
    from cop.accounts.models import UserSession

    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == world["coach"].id))
    db.session.commit()  # a bulk delete (what logout runs)
    assert _log_size(db) == base + 4
    db.session.execute(
        sa.update(User).where(User.id == world["coach"].id).values(bio="bulk, harmless")
    )
    db.session.commit()  # a bulk update of columns no rule reads
    assert _log_size(db) == base + 4


def test_registration_changes_count_only_when_they_can_take_a_seat(app, world, db):
    """The events feature names its columns: cancelling counts, attendance does not."""
    from cop.chat import access_log
    from cop.events.models import Registration

    assert access_log.watched()["event_registrations"] >= {"status", "user_id", "event_id"}
    stmt = sa.update(Registration).values(joined_at=None, join_source="web")
    assert access_log._statement_changes_access(stmt) is False
    assert access_log._statement_changes_access(stmt.values(status="cancelled")) is True
    assert access_log._statement_changes_access(sa.delete(Registration)) is True


def test_an_idle_pass_is_one_query(app, world, chat_client, rooms, count_queries):
    from tests import factories

    for _ in range(12):
        chat_client(factories.make_user("member", coalition=world["alpha"])).join(rooms["alpha"])
    settle(app)
    with count_queries() as q:
        assert watch_pass(app) is None
    assert q.count == 1, q.statements


def test_an_expired_credential_wakes_the_watchdog(app, world, chat_client, rooms, db):
    """Nothing is logged when a token simply runs out: the watchdog knows when each of its
    sockets' credentials expires."""
    from cop.accounts.models import ApiToken
    from cop.accounts.services import create_api_token
    from cop.core.models import utcnow

    token, raw = create_api_token(world["member"], name="short")
    token.expires_at = utcnow() + timedelta(seconds=1.5)
    db.session.commit()
    client = chat_client("member", token=raw)
    client.join(rooms["lounge"])
    settle(app)
    time.sleep(1.6)
    assert changed(app)["disconnected"] == 1
    assert not client.connected
    assert db.session.get(ApiToken, token.id) is not None


def test_a_change_made_outside_the_app_is_caught_by_the_full_sweep(
    app, world, chat_client, rooms, db, monkeypatch
):
    from cop.coalitions.models import Membership

    monkeypatch.setitem(app.config, "CHAT_ACCESS_FULL_SWEEP_SECONDS", 0.3)
    member = chat_client("member")
    member.join(rooms["alpha"])
    settle(app)
    with db.engine.begin() as conn:  # by hand, below the ORM: nothing is logged
        conn.execute(sa.delete(Membership).where(Membership.user_id == world["member"].id))
    db.session.expunge_all()  # the test's user objects cache their memberships
    assert watch_pass(app) is None
    time.sleep(0.35)
    assert changed(app)["removed"] == 1
    assert member.got("room_removed")


def test_each_process_sees_a_change_once(app, world, chat_client, rooms, db):
    """After a sweep the change is remembered; an old change ageing out of the window
    does not wake the watchdog."""
    from cop.coalitions.services import unassign_coach

    coach = chat_client("coach")
    coach.join(rooms["alpha"])
    settle(app)
    unassign_coach(world["admin"], world["alpha"], world["coach"])
    assert changed(app)["removed"] == 1
    assert watch_pass(app) is None
    chat_state(app).seen_changes.add(10**9)  # seen long ago, gone from the log since
    assert watch_pass(app) is None


def test_with_the_gate_off_every_pass_sweeps(app, chat_client, rooms, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_ACCESS_FULL_SWEEP_SECONDS", 0)
    chat_client("member").join(rooms["alpha"])
    assert watch_pass(app) is not None
    assert watch_pass(app) is not None
