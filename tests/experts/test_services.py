"""The expert directory's rules: bad input, the state machine, capacity, inert markdown,
bounded queries, activity from the platform, the API and the "who knows" links."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.errors import Conflict, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.experts import services
from cop.experts.models import ExpertProfile, ExpertRequest
from tests.conftest import csrf_token, login
from tests.experts.helpers import APPRENTICESHIP, expert_profile, outside_profile
from tests.factories import PASSWORD, make_user


def _ask(world, profile, who="member", **values):
    return services.create_request(
        world[who],
        profile,
        {
            "coalition_id": world["alpha" if who != "other_member" else "beta"].id,
            "need": "Help with standards",
            **values,
        },
    )


def _count(db, model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_bad_input_is_refused_and_nothing_is_half_saved(app, world, db):
    profile = expert_profile(world)
    for values, field in [
        ({"need": "   "}, "need"),
        ({"need": "x" * 4001}, "need"),
        ({"coalition_id": world["beta"].id}, "coalition_id"),
        ({"needed_by": utcnow().date() - timedelta(days=3)}, "needed_by"),
    ]:
        with pytest.raises(ServiceError) as refused:
            _ask(world, profile, **values)
        assert refused.value.field == field
        db.session.rollback()
    assert _count(db, ExpertRequest) == 0

    before = services.profile_values(profile)
    for bad in [
        {"bio": "x" * 10_001},
        {"tags": ["ok", "<b>no</b>" * 10]},
        {"states": ["ZZ"]},
        {"monthly_capacity": 99},
        {"topics": ["nope"]},
        {"availability": "maybe"},
        {"name": ""},
    ]:
        with pytest.raises(ServiceError):
            services.update_profile(world["expert"], profile, bad)
        db.session.rollback()
    db.session.expire_all()
    assert services.profile_values(db.session.get(ExpertProfile, profile.id)) == before
    with pytest.raises(PermissionDenied):
        services.update_profile(world["member"], profile, {"name": "Hijack"})


def test_script_in_a_bio_is_inert(app, world, login_as):
    profile = expert_profile(
        world,
        bio="<script>alert(1)</script> [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> **ok**",
    )
    assert "<script" not in profile.bio_html and "javascript:" not in profile.bio_html
    assert "<img" not in profile.bio_html and "<strong>ok</strong>" in profile.bio_html
    page = login_as("member").get(f"/experts/{profile.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_the_state_machine_refuses_skips_and_strangers(app, world, db):
    profile = expert_profile(world)
    req = _ask(world, profile)
    with pytest.raises(Conflict, match="cannot become completed"):
        services.change_state(world["expert"], req, "completed")
    with pytest.raises(PermissionDenied):  # the requester cannot accept for the expert
        services.change_state(world["member"], req, "accepted")
    with pytest.raises(ServiceError) as hidden:  # not a party: as if it did not exist
        services.change_state(world["other_member"], req, "declined")
    assert hidden.value.status == 404
    services.change_state(world["expert"], req, "declined", note="Not my area")
    with pytest.raises(Conflict, match="declined request cannot become completed"):
        services.change_state(world["admin"], req, "completed")
    db.session.expire_all()
    req = db.session.get(ExpertRequest, req.id)
    assert (req.state, req.decline_note) == ("declined", "Not my area")
    assert [c.to_state for c in req.changes] == ["requested", "declined"]
    assert req.answered_at is not None and req.accepted_at is None


def test_at_capacity_or_not_now_members_cannot_ask_but_coaches_can(app, world, login_as):
    profile = expert_profile(world, monthly_capacity=1)
    services.change_state(world["expert"], _ask(world, profile), "accepted")
    with pytest.raises(Conflict, match="Your coach can still ask"):
        _ask(world, profile, who="lead")
    page = login_as("member").get("/experts/").get_data(as_text=True)
    assert "At capacity this month" in page
    assert "not taking requests directly" in login_as("member").get(
        f"/experts/{profile.id}"
    ).get_data(as_text=True)
    assert _ask(world, profile, who="coach").on_behalf  # coaches ask on the coalition's behalf

    services.update_profile(
        world["expert"], profile, {"availability": "not_now", "monthly_capacity": 5}
    )
    with pytest.raises(Conflict):
        _ask(world, profile, who="other_member")
    outside = outside_profile(world)
    req = _ask(world, outside, who="lead")  # goes to the coach who maintains the profile
    services.change_state(world["coach"], req, "accepted")


def test_directory_queries_are_bounded_and_ranked(app, world, db, login_as, count_queries):
    expert_profile(world)
    client = login_as("member")

    def run() -> int:
        with count_queries() as q:
            assert client.get("/experts/?q=apprenticeship&state=OH").status_code == 200
        return q.count

    few = run()
    for n in range(8):
        user = make_user("expert")
        services.save_own_profile(
            user,
            {
                **APPRENTICESHIP,
                "name": f"Expert {n}",
                "topics": [],
                "bio": "apprenticeship " * n,
                "availability": "limited",
            },
        )
        outside_profile(world, name=f"Outside {n}", states=["OH"], topics=["apprenticeship"])
    assert run() == few, "the directory's query count grows with the number of experts"

    page = client.get("/experts/?q=apprenticeship&state=OH").get_data(as_text=True)
    # An area of expertise outweighs a word in the bio; open outranks limited.
    assert page.index("Dr. Ada Lovelace") < page.index("Expert 0")


def test_activity_is_computed_from_the_platform(app, world, db, login_as):
    from cop.events.models import Event, EventSpeaker
    from cop.forums import services as forums
    from cop.forums.models import Post

    expert_profile(world)
    now = utcnow()
    for days, status in ((-10, "scheduled"), (-5, "cancelled"), (5, "scheduled")):
        event = Event(
            uid=str(uuid.uuid4()),
            title="Webinar",
            type="webinar",
            status=status,
            starts_at=now + timedelta(days=days),
            ends_at=now + timedelta(days=days, hours=1),
            timezone="UTC",
        )
        event.speakers.append(EventSpeaker(user_id=world["expert"].id, name="Ada"))
        db.session.add(event)
    db.session.commit()
    category = forums.create_category(world["admin"], name="Apprenticeship", section="topic")
    thread = forums.create_thread(
        world["member"],
        category,
        title="Ratios?",
        body="How?",
        kind="question",
        tags=["apprenticeship"],
    )
    answer = forums.reply(world["expert"], thread, body="One to one.")
    forums.accept_answer(world["member"], thread, db.session.get(Post, answer.id))

    page = login_as("member").get("/experts/").get_data(as_text=True)
    assert "Spoke at 1 event<" in page and "1 accepted forum answer<" in page

    # "Who knows about ...": the thread links to the directory filtered by its tags.
    thread_page = login_as("member").get(f"/forums/t/{thread.id}").get_data(as_text=True)
    assert 'href="/experts/?tag=apprenticeship"' in thread_page
    assert "Who knows about" not in login_as("guest").get(f"/forums/t/{thread.id}").get_data(
        as_text=True
    )
    assert "Dr. Ada Lovelace" in login_as("member").get("/experts/?tag=apprenticeship").get_data(
        as_text=True
    )


def test_the_coaching_session_links_to_experts_on_its_topics(app, world, login_as):
    from tests.coaching.matrix import ids

    session_id = ids(world)["session"]
    page = login_as("member").get(f"/coaching/sessions/{session_id}").get_data(as_text=True)
    assert 'href="/experts/?topic=apprenticeship"' in page
    assert "Who knows about apprenticeship?" in page


def _token(client, user) -> dict:
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_api_end_to_end(app, world, client):
    expert, member, coach = (_token(client, world[r]) for r in ("expert", "member", "coach"))
    created = client.put(
        "/api/v1/experts/me",
        headers=expert,
        json={
            "name": "Api Expert",
            "topics": ["apprenticeship"],
            "states": ["OH"],
            "bio": "<script>x</script>",
        },
    )
    assert created.status_code == 200, created.get_json()
    profile_id = created.get_json()["id"]
    assert "<script>" not in created.get_json()["bio_html"]
    bad = client.put("/api/v1/experts/me", headers=expert, json={"states": ["ZZ"]})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid"

    found = client.get("/api/v1/experts?topic=apprenticeship&state=OH", headers=member)
    assert [c["expert"]["id"] for c in found.get_json()["items"]] == [profile_id]
    assert found.get_json()["items"][0]["activity"]["connections_completed"] == 0
    assert client.get(f"/api/v1/experts/{profile_id}", headers=member).status_code == 200
    assert (
        client.post(
            "/api/v1/experts/987654/requests",
            headers=member,
            json={"coalition": "alpha", "need": "x"},
        ).status_code
        == 404
    )
    empty = client.post(
        f"/api/v1/experts/{profile_id}/requests",
        headers=member,
        json={"coalition": "alpha", "need": "  "},
    )
    assert empty.status_code == 422 and empty.get_json()["error"]["details"]["need"]

    made = client.post(
        f"/api/v1/experts/{profile_id}/requests",
        headers=member,
        json={"coalition": "alpha", "need": "Standards review"},
    )
    assert made.status_code == 201
    rid = made.get_json()["id"]
    skip = client.patch(
        f"/api/v1/expert-requests/{rid}", headers=expert, json={"state": "completed"}
    )
    assert skip.status_code == 409 and "cannot become" in skip.get_json()["error"]["message"]
    for state in ("accepted", "scheduled"):
        assert (
            client.patch(
                f"/api/v1/expert-requests/{rid}", headers=expert, json={"state": state}
            ).status_code
            == 200
        )
    done = client.patch(
        f"/api/v1/expert-requests/{rid}", headers=coach, json={"state": "completed"}
    )
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    answer = client.post(
        f"/api/v1/expert-requests/{rid}/follow-up",
        headers=member,
        json={"helped": "partly", "changed": "Drafted standards"},
    )
    assert answer.status_code == 200 and answer.get_json()["followup_helped"] == "partly"
    mine = client.get("/api/v1/expert-requests", headers=member).get_json()
    assert [r["id"] for r in mine["made"]] == [rid]
    assert [
        r["id"]
        for r in client.get("/api/v1/expert-requests", headers=expert).get_json()["answering"]
    ] == [rid]
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/experts",
        "/api/v1/experts/me",
        "/api/v1/experts/{profile_id}",
        "/api/v1/experts/{profile_id}/requests",
        "/api/v1/expert-requests",
        "/api/v1/expert-requests/{request_id}",
    ):
        assert path in spec["paths"], path


def test_the_csv_is_formula_injection_safe(app, world, login_as):
    profile = outside_profile(world, name='=HYPERLINK("http://evil")')
    _ask(world, profile)
    body = login_as("admin").get("/experts/reports/requests.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_the_profile_form_shows_errors_and_saves(app, world):
    client = app.test_client()
    login(client, world["expert"])
    assert client.get("/experts/profile").status_code == 200
    token = csrf_token(client, "/experts/profile")
    bad = client.post(
        "/experts/profile",
        data={
            "csrf_token": token,
            "name": "Ada",
            "states": ["ZZ"],
            "availability": "open",
            "monthly_capacity": "2",
        },
    )
    assert bad.status_code == 400
    assert 'href="#states"' in bad.get_data(as_text=True)
    good = client.post(
        "/experts/profile",
        data={
            "csrf_token": token,
            "name": "Ada",
            "states": ["OH"],
            "topics": ["apprenticeship"],
            "tags": "Rural, pre-apprenticeship",
            "availability": "limited",
            "monthly_capacity": "3",
            "bio": "Hello *there*",
        },
    )
    assert good.status_code == 303
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "#rural" in page and "<em>there</em>" in page and "Limited availability" in page
