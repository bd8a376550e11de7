"""The coaching JSON API with bearer tokens: sessions, action items, summary, OpenAPI."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.coaching.models import ActionItem, CoachingSession
from cop.core.audit import AuditEvent
from cop.core.models import utcnow
from cop.notifications.models import Notification
from tests.coaching.conftest import log


def new_session(world, **overrides) -> dict:
    body = {
        "coalition": "alpha",
        "started_at": (utcnow() - timedelta(hours=3)).isoformat(),
        "duration_minutes": 30,
        "modality": "phone",
        "summary": "Checked the **budget** narrative.",
        "topics": ["grant-management-compliance"],
        "attendee_ids": [world["lead"].id],
        "private_notes": "API-SECRET",
        "action_items": [
            {
                "description": "Upload the revised budget",
                "owner_id": world["lead"].id,
                "due_on": (utcnow() + timedelta(days=5)).date().isoformat(),
            }
        ],
    }
    body.update(overrides)
    return body


def count(db, model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_a_coach_creates_a_session_and_the_owner_is_notified(client, world, db, token_for):
    response = client.post(
        "/api/v1/coaching/sessions", json=new_session(world), headers=token_for("coach")
    )
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["coalition"] == "alpha" and data["duration_minutes"] == 30
    assert [c["id"] for c in data["coaches"]] == [world["coach"].id], "defaults to the coach"
    assert data["initiated_by"] == "coach"
    assert data["topics"] == ["grant-management-compliance"]
    assert "<strong>budget</strong>" in data["summary_html"]
    assert data["private_notes"] == "API-SECRET"
    assert data["url"] == f"/coaching/sessions/{data['id']}"
    (item,) = data["action_items"]
    assert item["owner"]["id"] == world["lead"].id and item["status"] == "open"
    note = db.session.execute(
        sa.select(Notification).where(Notification.user_id == world["lead"].id)
    ).scalar_one()
    assert note.kind == "action_item" and note.subject_id == item["id"]


def test_the_lead_reads_the_log_without_private_notes(client, world, logs, token_for):
    lead = token_for("lead")
    one = client.get(f"/api/v1/coaching/sessions/{logs['alpha_id']}", headers=lead)
    assert one.status_code == 200
    assert "private_notes" not in one.get_json()
    assert "SECRET" not in one.get_data(as_text=True)
    listing = client.get("/api/v1/coaching/sessions", headers=lead).get_json()
    assert [s["id"] for s in listing["items"]] == [logs["alpha_id"]]
    assert all("private_notes" not in s for s in listing["items"])
    # Coaches and admins get the notes.
    coach = client.get(
        f"/api/v1/coaching/sessions/{logs['alpha_id']}", headers=token_for("coach")
    ).get_json()
    assert coach["private_notes"].startswith("SECRET-NOTE")
    everything = client.get("/api/v1/coaching/sessions", headers=token_for("admin")).get_json()
    assert {s["id"] for s in everything["items"]} == {logs["alpha_id"], logs["beta_id"]}
    assert all("private_notes" in s for s in everything["items"])


def test_a_search_through_the_api_never_reads_notes_for_members(client, world, logs, token_for):
    query = "/api/v1/coaching/sessions?q=stretched"
    assert client.get(query, headers=token_for("lead")).get_json()["items"] == []
    assert len(client.get(query, headers=token_for("coach")).get_json()["items"]) == 1
    # A beta member searching for beta's notes: nothing (they are a member, not a coach).
    beta = client.get(
        "/api/v1/coaching/sessions?q=BETA-SECRET", headers=token_for("other_member")
    ).get_json()
    assert beta["items"] == []


def test_another_coalitions_member_gets_404_on_its_ids(client, world, logs, token_for):
    headers = token_for("other_member")
    for url in (
        f"/api/v1/coaching/sessions/{logs['alpha_id']}",
        f"/api/v1/coaching/action-items/{logs['item_id']}",
        "/api/v1/coaching/sessions?coalition=alpha",
        "/api/v1/coaching/action-items?coalition=alpha",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    response = client.patch(
        f"/api/v1/coaching/action-items/{logs['item_id']}", json={"status": "done"}, headers=headers
    )
    assert response.status_code == 404
    # Their own coalition's log is theirs to read.
    mine = client.get("/api/v1/coaching/sessions", headers=headers).get_json()
    assert [s["id"] for s in mine["items"]] == [logs["beta_id"]]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"duration_minutes": 0}, 400, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, 400, "duration_minutes"),
        ({"started_at": (utcnow() + timedelta(days=1)).isoformat()}, 400, "started_at"),
        ({"started_at": "2026-01-05T10:00:00"}, 422, "started_at"),  # no UTC offset
        ({"modality": "fax"}, 422, "modality"),
        ({"action_items": [{"description": "x", "owner_id": 10**6}]}, 400, "items-0-owner_id"),
        ({"attendee_ids": [10**6]}, 400, "attendee_ids"),
        ({"coach_ids": []}, 400, "coach_ids"),
        ({"summary": ""}, 422, "summary"),
        ({"private_notes": "x" * 20_001}, 422, "private_notes"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_input_through_the_api(client, world, db, token_for, overrides, status, field):
    response = client.post(
        "/api/v1/coaching/sessions",
        json=new_session(world, **overrides),
        headers=token_for("coach"),
    )
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert field in (error.get("details") or {}) or field in str(error.get("details")), error
    assert count(db, CoachingSession) == 0 and count(db, ActionItem) == 0
    assert count(db, Notification) == 0


def test_an_owner_outside_the_coalition_through_the_api(client, world, db, token_for):
    body = new_session(
        world, action_items=[{"description": "x", "owner_id": world["other_member"].id}]
    )
    response = client.post("/api/v1/coaching/sessions", json=body, headers=token_for("coach"))
    assert response.status_code == 400
    assert (
        "a member of the coalition or one of its coaches" in response.get_json()["error"]["message"]
    )
    assert count(db, CoachingSession) == 0


def test_a_coalition_the_coach_is_not_assigned_to(client, world, db, token_for):
    response = client.post(
        "/api/v1/coaching/sessions",
        json=new_session(world, coalition="beta"),
        headers=token_for("coach"),
    )
    assert response.status_code == 404
    # An admin may log for beta, but not name alpha's coach as beta's coach.
    response = client.post(
        "/api/v1/coaching/sessions",
        json=new_session(
            world, coalition="beta", action_items=[], attendee_ids=[], coach_ids=[world["coach"].id]
        ),
        headers=token_for("admin"),
    )
    assert response.status_code == 400
    assert "coach_ids" in response.get_json()["error"]["details"]
    assert count(db, CoachingSession) == 0


def test_update_keeps_the_previous_values_and_checks_who(client, world, db, logs, token_for):
    url = f"/api/v1/coaching/sessions/{logs['alpha_id']}"
    response = client.patch(
        url,
        json={
            "duration_minutes": 75,
            "modality": "in_person",
            "action_items": [{"description": "Visit the site", "owner_id": world["coach"].id}],
        },
        headers=token_for("coach"),
    )
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert (data["duration_minutes"], data["modality"]) == (75, "in_person")
    assert data["summary"] == "Reviewed the **outreach plan**.", "the rest stays"
    assert len(data["action_items"]) == 2
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "coaching_session.update")
    ).scalar_one()
    assert event.details["previous"] == {"duration_minutes": 60, "modality": "video"}
    assert event.details["new"] == {"duration_minutes": 75, "modality": "in_person"}
    for role in ("lead", "member"):
        refused = client.patch(url, json={"private_notes": "mine now"}, headers=token_for(role))
        assert refused.status_code == 403
    bad = client.patch(url, json={"duration_minutes": 0}, headers=token_for("coach"))
    assert bad.status_code == 400
    db.session.expire_all()
    assert db.session.get(CoachingSession, logs["alpha_id"]).duration_minutes == 75


def test_action_items_per_person_and_marking_them_done(client, world, db, logs, token_for):
    lead = token_for("lead")
    mine = client.get("/api/v1/coaching/action-items?owner=me", headers=lead).get_json()
    assert [i["id"] for i in mine] == [logs["item_id"]]
    assert (
        client.get("/api/v1/coaching/action-items?owner=me", headers=token_for("member")).get_json()
        == []
    )
    url = f"/api/v1/coaching/action-items/{logs['item_id']}"
    refused = client.patch(url, json={"description": "Something easier"}, headers=lead)
    assert refused.status_code == 403, "owners mark done; coaches change the content"
    done = client.patch(url, json={"status": "done"}, headers=lead)
    assert done.status_code == 200
    assert done.get_json()["closed_by"]["id"] == world["lead"].id
    assert done.get_json()["closed_at"] is not None
    assert (
        client.get("/api/v1/coaching/action-items?coalition=alpha", headers=lead).get_json() == []
    ), "the default status is open"
    all_items = client.get(
        "/api/v1/coaching/action-items?coalition=alpha&status=", headers=lead
    ).get_json()
    assert [i["status"] for i in all_items] == ["done"]
    moved = client.patch(
        url,
        json={"due_on": "2030-01-31", "owner_id": world["member"].id},
        headers=token_for("coach"),
    )
    assert moved.status_code == 200 and moved.get_json()["owner"]["id"] == world["member"].id
    assert client.patch(url, json={"status": "lost"}, headers=lead).status_code == 422


def test_add_an_action_item_to_a_session(client, world, db, logs, token_for):
    url = f"/api/v1/coaching/sessions/{logs['alpha_id']}/action-items"
    response = client.post(
        url,
        json={"description": "Share the slides", "owner_id": world["member"].id},
        headers=token_for("coach"),
    )
    assert response.status_code == 201
    assert response.get_json()["owner"]["id"] == world["member"].id
    refused = client.post(
        url, json={"description": "x", "owner_id": world["expert"].id}, headers=token_for("coach")
    )
    assert refused.status_code == 400


def test_sessions_page_by_cursor(client, world, token_for):
    for i in range(55):
        log(
            world["coach"],
            world["alpha"],
            started_at=utcnow() - timedelta(hours=i + 1),
            summary=f"n{i}",
            topics=[],
        )
    headers = token_for("coach")
    first = client.get("/api/v1/coaching/sessions", headers=headers).get_json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    second = client.get(
        f"/api/v1/coaching/sessions?after={first['next_cursor']}", headers=headers
    ).get_json()
    assert len(second["items"]) == 5 and second["next_cursor"] is None
    ids = [s["id"] for s in first["items"] + second["items"]]
    assert len(set(ids)) == 55
    assert [s["summary"] for s in first["items"][:3]] == ["n0", "n1", "n2"]


def test_delete_through_the_api(client, world, db, logs, token_for):
    url = f"/api/v1/coaching/sessions/{logs['alpha_id']}"
    assert client.delete(url, headers=token_for("lead")).status_code == 403
    assert client.delete(url, headers=token_for("coach")).status_code == 204
    assert client.get(url, headers=token_for("coach")).status_code == 404


def test_the_summary_is_for_coaches_and_admins(client, world, logs, token_for):
    response = client.get("/api/v1/coaching/summary", headers=token_for("lead"))
    assert response.status_code == 403
    assert "coaches and program staff" in response.get_json()["error"]["message"]
    coach = client.get("/api/v1/coaching/summary", headers=token_for("coach")).get_json()
    assert coach["coalitions_in_scope"] == 1 and coach["sessions"] == 1
    assert coach["coalitions"][0]["slug"] == "alpha"
    admin = client.get("/api/v1/coaching/summary", headers=token_for("admin")).get_json()
    assert admin["coalitions_in_scope"] == 2 and admin["sessions"] == 2
    assert admin["hours"] == 2.0
    assert (
        client.get(
            "/api/v1/coaching/summary?quarter=banana", headers=token_for("admin")
        ).status_code
        == 422
    )
    assert (
        client.get(
            "/api/v1/coaching/summary?coalition=beta", headers=token_for("coach")
        ).status_code
        == 404
    )


def test_the_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/coaching/sessions",
        "/api/v1/coaching/sessions/{session_id}",
        "/api/v1/coaching/action-items",
        "/api/v1/coaching/action-items/{item_id}",
        "/api/v1/coaching/summary",
        "/api/v1/coaching/sessions/{session_id}/action-items",
    ):
        assert path in spec["paths"], path
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/coaching/sessions"])
    assert {"get", "patch", "delete"} <= set(
        spec["paths"]["/api/v1/coaching/sessions/{session_id}"]
    )
    schemas = spec["components"]["schemas"]
    assert "private_notes" in schemas["Session"]["properties"]
    assert "absent" in schemas["Session"]["properties"]["private_notes"]["description"]


def test_anonymous_requests_get_401(client, logs):
    for url in (
        "/api/v1/coaching/sessions",
        f"/api/v1/coaching/sessions/{logs['alpha_id']}",
        "/api/v1/coaching/summary",
    ):
        assert client.get(url).status_code == 401
