"""Losing access while connected: every event re-checks, and the watchdog (one sweep here;
every CHAT_ACCESS_CHECK_SECONDS under `cop serve`) takes sockets out of rooms or off /chat."""

from __future__ import annotations

import sqlalchemy as sa

from cop.chat.connections import sweep
from tests.conftest import post_form


def test_logout_refuses_events_and_the_sweep_disconnects(app, chat_client, rooms):
    member = chat_client("member")
    member.join(rooms["alpha"])
    assert post_form(member.flask, "/logout", token_from="/").status_code == 303
    ack = member.send(rooms["alpha"], "still here?")
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized"
    result = sweep(app)
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
    revoke_api_token(world["member"], db.session.execute(sa.select(ApiToken)).scalar_one())
    assert client.send(rooms["alpha"], "x")["error"]["code"] == "unauthorized"
    sweep(app)
    assert not client.connected


def test_deactivated_user_is_disconnected(app, world, chat_client, rooms):
    from cop.accounts.services import admin_update_user

    client = chat_client("member")
    admin_update_user(world["admin"], world["member"], role="member", active=False)
    sweep(app)
    assert not client.connected


def test_removed_member_leaves_the_room_but_stays_connected(app, world, chat_client, rooms, db):
    from cop.coalitions.models import Membership
    from cop.coalitions.services import remove_member

    member, lead = chat_client("member"), chat_client("lead")
    member.join(rooms["alpha"])
    member.join(rooms["lounge"])
    assert sweep(app)["removed"] == 0
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == world["member"].id)
    ).scalar_one()
    remove_member(world["admin"], membership)
    result = sweep(app)
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
    unassign_coach(world["admin"], world["alpha"], world["coach"])
    assert sweep(app)["removed"] == 1


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
