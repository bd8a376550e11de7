"""The events JSON API with bearer tokens, and its place in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.core.models import utcnow
from cop.events.models import Event, Registration
from tests.events.conftest import PACIFIC, make_event, register


def _body(**overrides) -> dict:
    day = (utcnow() + timedelta(days=9)).astimezone(ZoneInfo(PACIFIC)).date()
    body = {
        "title": "API webinar",
        "type": "webinar",
        "timezone": PACIFIC,
        "starts_at": f"{day}T10:00:00",
        "ends_at": f"{day}T11:00:00",
        "join_url": "https://meet.example.org/api",
        "capacity": 2,
        "coalitions": ["alpha"],
        "audience": "coalitions",
        "sectors": ["broadband"],
    }
    body.update(overrides)
    return body


def test_a_coach_creates_an_event_in_local_time(client, world, token_for):
    response = client.post("/api/v1/events", json=_body(), headers=token_for("coach"))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["timezone"] == PACIFIC and data["coalitions"] == ["alpha"]
    start = datetime.fromisoformat(data["starts_at"])
    assert start.astimezone(ZoneInfo(PACIFIC)).hour == 10
    assert data["join_url"] is None, "not live yet"
    assert data["host"]["id"] == world["coach"].id and data["seats_left"] == 2
    assert data["url"] == f"/events/{data['id']}" and data["ics_url"].endswith(".ics")


def test_an_offset_time_is_taken_as_is(client, token_for):
    day = (utcnow() + timedelta(days=9)).date()
    response = client.post(
        "/api/v1/events",
        json=_body(starts_at=f"{day}T18:00:00+00:00", ends_at=f"{day}T19:00:00+00:00"),
        headers=token_for("coach"),
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.get_json()["starts_at"]).hour == 18


def test_bad_input_gets_clear_errors(client, db, token_for):
    headers = token_for("coach")
    cases = [
        (_body(timezone="Atlantis/Capital"), 400, "timezone", "Unknown time zone"),
        (_body(ends_at=_body()["starts_at"]), 400, "ends_at", "end must be after"),
        (
            _body(starts_at="2001-01-01T10:00:00", ends_at="2001-01-01T11:00:00"),
            400,
            "starts_at",
            "in the past",
        ),
        (_body(rrule="FREQ=WEEKLY;COUNT=2;UNTIL=20300101"), 400, "rrule", "not both"),
        (_body(coalitions=["no-such-coalition"]), 400, "coalitions", "No coalition"),
        (_body(type="party"), 422, "type", None),
        (_body(capacity=0), 422, "capacity", None),
    ]
    for body, status, field, says in cases:
        response = client.post("/api/v1/events", json=body, headers=headers)
        assert response.status_code == status, (body, response.get_json())
        error = response.get_json()["error"]
        assert field in (error.get("details") or {}) or field in str(error), error
        if says:
            assert says in error["message"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0


def test_members_and_guests_cannot_create(client, token_for):
    assert (
        client.post("/api/v1/events", json=_body(), headers=token_for("member")).status_code == 403
    )
    assert (
        client.post("/api/v1/events", json=_body(), headers=token_for("guest")).status_code == 403
    )


def test_listing_with_filters_and_a_date_range(client, world, token_for):
    soon = make_event(world["coach"], title="Soon", sectors=["broadband"])
    later = make_event(
        world["coach"],
        title="Later",
        type="office_hours",
        starts_at=utcnow() + timedelta(days=40),
        ends_at=utcnow() + timedelta(days=40, hours=1),
    )
    make_event(world["coach"], title="Staff", audience="staff")
    headers = token_for("member")
    titles = lambda r: [e["title"] for e in r.get_json()["items"]]  # noqa: E731
    assert titles(client.get("/api/v1/events", headers=headers)) == ["Soon", "Later"]
    assert titles(client.get("/api/v1/events?type=office_hours", headers=headers)) == ["Later"]
    assert titles(client.get("/api/v1/events?sector=broadband", headers=headers)) == ["Soon"]
    end = (utcnow() + timedelta(days=20)).isoformat()
    assert titles(client.get("/api/v1/events", query_string={"end": end}, headers=headers)) == [
        "Soon"
    ]
    start = (utcnow() + timedelta(days=20)).isoformat()
    assert titles(client.get("/api/v1/events", query_string={"start": start}, headers=headers)) == [
        "Later"
    ]
    assert client.get("/api/v1/events?type=party", headers=headers).status_code == 422
    assert (
        client.get(
            "/api/v1/events", query_string={"start": start, "end": end}, headers=headers
        ).status_code
        == 422
    )
    page = client.get("/api/v1/events?limit=1", headers=headers).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/api/v1/events?limit=1&after={page['next_cursor']}", headers=headers)
    assert [e["id"] for e in rest.get_json()["items"]] == [later.id]
    assert soon.id != later.id


def test_get_update_and_cancel(client, world, token_for, db):
    event = make_event(world["coach"])
    assert (
        client.get(f"/api/v1/events/{event.id}", headers=token_for("member")).get_json()["title"]
        == event.title
    )
    response = client.patch(
        f"/api/v1/events/{event.id}", json={"location": "Hall C"}, headers=token_for("coach")
    )
    assert response.status_code == 200 and response.get_json()["location"] == "Hall C"
    assert response.get_json()["sequence"] == 1
    assert (
        client.patch(
            f"/api/v1/events/{event.id}", json={"location": "x"}, headers=token_for("member")
        ).status_code
        == 403
    )
    response = client.post(
        f"/api/v1/events/{event.id}/cancel", json={"reason": "Storm"}, headers=token_for("coach")
    )
    assert response.status_code == 200 and response.get_json() == {"cancelled": [event.id]}
    assert (
        client.get(f"/api/v1/events/{event.id}", headers=token_for("member")).get_json()["status"]
        == "cancelled"
    )


def test_register_cancel_and_the_hosts_lists(client, world, token_for, people, db):
    event = make_event(world["coach"], capacity=1)
    response = client.post(f"/api/v1/events/{event.id}/registration", headers=token_for("member"))
    assert response.status_code == 201 and response.get_json()["status"] == "registered"
    response = client.post(f"/api/v1/events/{event.id}/registration", headers=token_for("member"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_registered"
    response = client.post(f"/api/v1/events/{event.id}/registration", headers=token_for("lead"))
    assert response.get_json() == {
        "id": response.get_json()["id"],
        "event_id": event.id,
        "status": "waitlisted",
        "waitlist_position": 1,
    }
    mine = client.get(f"/api/v1/events/{event.id}", headers=token_for("lead")).get_json()
    assert mine["my_registration"]["status"] == "waitlisted"
    rows = client.get(f"/api/v1/events/{event.id}/registrations", headers=token_for("coach"))
    assert [(r["user"]["id"], r["status"], r["waitlist_position"]) for r in rows.get_json()] == [
        (world["member"].id, "registered", None),
        (world["lead"].id, "waitlisted", 1),
    ]
    assert (
        client.get(
            f"/api/v1/events/{event.id}/registrations", headers=token_for("member")
        ).status_code
        == 403
    )
    response = client.delete(f"/api/v1/events/{event.id}/registration", headers=token_for("member"))
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    db.session.expire_all()
    assert (
        db.session.execute(
            sa.select(Registration.status).where(Registration.user_id == world["lead"].id)
        ).scalar_one()
        == "registered"
    )


def test_approval_and_attendance_through_the_api(client, world, token_for, db):
    event = make_event(world["coach"], requires_approval=True)
    reg = register(world["member"], event)
    response = client.patch(
        f"/api/v1/events/{event.id}/registrations/{reg.id}",
        json={"action": "approve"},
        headers=token_for("coach"),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "registered"
    response = client.patch(
        f"/api/v1/events/{event.id}/registrations/{reg.id}",
        json={"attended": True},
        headers=token_for("coach"),
    )
    assert response.status_code == 409, "not started yet"
    event.starts_at = utcnow() - timedelta(minutes=10)
    event.ends_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    response = client.patch(
        f"/api/v1/events/{event.id}/registrations/{reg.id}",
        json={"attended": True},
        headers=token_for("coach"),
    )
    assert response.status_code == 200 and response.get_json()["attended"] is True
    attendance = client.get(f"/api/v1/events/{event.id}/attendance", headers=token_for("coach"))
    assert attendance.get_json()["attended"] == 1 and attendance.get_json()["registered"] == 1
    assert attendance.get_json()["people"][0]["source"] == "host"
    member = client.get(f"/api/v1/events/{event.id}", headers=token_for("member")).get_json()
    assert member["join_url"] == event.join_url, "a registrant, while it is live"
    lead = client.get(f"/api/v1/events/{event.id}", headers=token_for("lead")).get_json()
    assert lead["join_url"] is None, "not registered"


def test_the_openapi_document_lists_the_events_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/events/{event_id}/cancel",
        "/api/v1/events/{event_id}/registration",
        "/api/v1/events/{event_id}/registrations",
        "/api/v1/events/{event_id}/registrations/{registration_id}",
        "/api/v1/events/{event_id}/attendance",
        "/api/v1/events/{event_id}/chat-marks",
    ):
        assert path in spec["paths"], path
    assert "Event" in spec["components"]["schemas"]
    params = {p["name"] for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"type", "sector", "coalition", "start", "end", "mine", "after", "limit"} <= params
