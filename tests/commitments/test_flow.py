"""The done-when of the commitments, through HTTP and a real SMTP server: an employer submits
without an account, confirms from the email, an admin accepts, it shows in the public totals,
and its progress report (from the emailed link) updates them. Also: changes asked for and made
through the signed link, the periodic reminders (each once), the API."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from cop.commitments import services
from cop.commitments.models import Commitment, ProgressReport, Status
from cop.core.audit import AuditEvent
from cop.core.models import utcnow
from tests.commitments.helpers import api_body, make_input, valid_form
from tests.conftest import csrf_token, login

LINK = re.compile(r"http://\S+")


def _link(smtp_server, address: str, path_part: str) -> str:
    """The local path of the link containing `path_part` in the latest email to `address`."""
    messages = smtp_server.to(address)
    assert messages, f"no email to {address}"
    links = [u for u in LINK.findall(smtp_server.text(messages[-1])) if path_part in u]
    assert links, smtp_server.text(messages[-1])
    return urlsplit(links[0]).path


def _totals(client) -> str:
    return client.get("/commitments/").get_data(as_text=True)


def test_employer_submits_confirms_is_accepted_and_reports_progress(
    app, db, world, smtp_server, fresh
):
    visitor = app.test_client()
    token = csrf_token(visitor, "/commitments/new")
    response = visitor.post("/commitments/new", data={**valid_form(), "csrf_token": token})
    assert response.status_code == 303 and "/commitments/thanks" in response.location
    assert "check your email" in visitor.get(response.location).get_data(as_text=True)

    admin = app.test_client()
    login(admin, world["admin"])
    # Not confirmed yet: not in the review queue.
    assert "Buckeye Solar" not in admin.get("/commitments/review").get_data(as_text=True)

    smtp_server.deliver()
    confirm = _link(smtp_server, "pat@buckeye.example.org", "/commitments/confirm/")
    assert visitor.get(confirm).status_code == 200
    queue = admin.get("/commitments/review").get_data(as_text=True)
    assert "Buckeye Solar" in queue
    commitment = db.session.execute(sa.select(Commitment)).scalar_one()
    assert commitment.status == Status.SUBMITTED and commitment.submitted_by_id is None

    # Not public before it is accepted.
    assert visitor.get(f"/commitments/{commitment.id}").status_code == 404
    assert "Buckeye Solar" not in _totals(visitor)
    response = admin.post(
        f"/commitments/review/{commitment.id}",
        data={
            "decision": "accept",
            "message": "",
            "csrf_token": csrf_token(admin, "/commitments/"),
        },
    )
    assert response.status_code == 303

    page = _totals(visitor)
    assert "Hire 40 graduates" in page
    assert re.search(r"People to hire</th><td class=\"cop-num\">40</td>", page)
    filtered = visitor.get("/commitments/?sector=renewable-energy&state=OH&org_type=employer")
    assert "Hire 40 graduates" in filtered.get_data(as_text=True)
    other = visitor.get("/commitments/?state=TX").get_data(as_text=True)
    assert "Hire 40 graduates" not in other
    assert (
        visitor.get("/api/v1/commitments").get_json()["totals"]["figures"]["people_to_hire"] == 40
    )

    smtp_server.deliver()
    report = _link(smtp_server, "pat@buckeye.example.org", "/commitments/progress/")
    response = visitor.post(
        report,
        data={
            "hired": "12",
            "slots_filled": "3",
            "dollars_spent": "50,000",
            "note": "First cohort hired.",
            "csrf_token": csrf_token(visitor, report),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = _totals(visitor)
    assert re.search(
        r"People to hire</th><td class=\"cop-num\">40</td>"
        r"<td class=\"cop-num\">12</td>",
        page,
    )
    totals = visitor.get("/commitments/totals").get_data(as_text=True)
    assert "Renewable energy" in totals and "Ohio" in totals and "Michigan" in totals
    assert (
        visitor.get("/api/v1/commitments/totals").get_json()["by_state"][0]["figures"]["hired"]
        == 12
    )

    # A second report replaces the figures; the first stays in the history.
    visitor.post(report, data={"hired": "20", "csrf_token": csrf_token(visitor, report)})
    fresh()
    commitment = db.session.get(Commitment, commitment.id)
    assert (commitment.hired, commitment.slots_filled, commitment.report_count) == (20, 3, 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressReport)) == 2
    actions = set(db.session.execute(sa.select(AuditEvent.action)).scalars())
    assert {
        "commitment.submit",
        "commitment.confirm",
        "commitment.accept",
        "commitment.progress",
    } <= actions


def test_changes_asked_for_and_made_through_the_signed_link(app, db, world, smtp_server, fresh):
    commitment = services.submit(world["lead"], make_input())  # signed in: straight to review
    assert commitment.status == Status.SUBMITTED
    admin = app.test_client()
    login(admin, world["admin"])
    path = f"/commitments/review/{commitment.id}"
    response = admin.post(
        path, data={"decision": "changes", "message": "", "csrf_token": csrf_token(admin, path)}
    )
    assert response.status_code == 400
    assert "Say what should change" in response.get_data(as_text=True)
    admin.post(
        path,
        data={
            "decision": "changes",
            "message": "Say by when, please.",
            "csrf_token": csrf_token(admin, path),
        },
    )
    smtp_server.deliver()
    edit = _link(smtp_server, "lee@fiber.example.org", "/commitments/edit/")
    assert "Say by when, please." in smtp_server.text(smtp_server.to("lee@fiber.example.org")[-1])
    visitor = app.test_client()
    form = {
        **valid_form(),
        "title": "Train 50 fiber splicers by June",
        "contact_email": "someone.else@example.org",
    }
    form.pop("started")
    response = visitor.post(edit, data={**form, "csrf_token": csrf_token(visitor, edit)})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    fresh()
    commitment = db.session.get(Commitment, commitment.id)
    assert commitment.status == Status.SUBMITTED
    assert commitment.title == "Train 50 fiber splicers by June"
    assert commitment.contact_email == "lee@fiber.example.org"  # the confirmed one stays
    assert visitor.get(edit).status_code == 409  # the link has nothing more to do


def test_progress_reminders_go_out_once_each_at_the_set_times(app, db, world, smtp_server):
    now = utcnow()
    commitment = services.submit(world["lead"], make_input(), now=now)
    services.review(world["admin"], commitment, "accept", now=now)
    assert services.send_progress_reminders(now + timedelta(days=30)) == 0
    assert services.send_progress_reminders(now + timedelta(days=92)) == 1
    assert services.send_progress_reminders(now + timedelta(days=92)) == 0  # once
    smtp_server.deliver()
    reminders = [
        m
        for m in smtp_server.to("lee@fiber.example.org")
        if "Time to report progress" in m["Subject"]
    ]
    assert len(reminders) == 1
    link = urlsplit(LINK.findall(smtp_server.text(reminders[0]))[0]).path
    assert app.test_client().get(link).status_code == 200
    assert services.send_progress_reminders(now + timedelta(days=183)) == 1
    # A runner down for months sends one reminder, not the backlog; the time frame is one
    # year, so the first reminder after its end is the last one.
    assert services.send_progress_reminders(now + timedelta(days=400)) == 1
    assert services.send_progress_reminders(now + timedelta(days=800)) == 1
    assert services.send_progress_reminders(now + timedelta(days=2000)) == 0
    # The job runner calls it (registered as a periodic job).
    assert "commitments.progress_reminders" in app.extensions["cop_periodic_jobs"]


def test_the_api_submit_review_and_progress(app, db, world):
    from tests.factories import PASSWORD

    headers = {}
    for role in ("lead", "admin", "member"):
        raw = (
            app.test_client()
            .post("/api/v1/tokens", json={"email": world[role].email, "password": PASSWORD})
            .get_json()["token"]
        )
        headers[role] = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    assert client.post("/api/v1/commitments", json=api_body()).status_code == 401
    created = client.post("/api/v1/commitments", json=api_body(), headers=headers["lead"])
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    assert created.get_json()["status"] == "submitted"
    queue = client.get("/api/v1/commitments/review", headers=headers["admin"]).get_json()
    assert [c["id"] for c in queue] == [cid]
    assert (
        client.post(
            f"/api/v1/commitments/{cid}/review",
            json={"decision": "accept"},
            headers=headers["member"],
        ).status_code
        == 404
    )
    reviewed = client.post(
        f"/api/v1/commitments/{cid}/review", json={"decision": "accept"}, headers=headers["admin"]
    )
    assert reviewed.status_code == 200 and reviewed.get_json()["status"] == "accepted"
    public = client.get(f"/api/v1/commitments/{cid}").get_json()
    assert "contact_email" not in public and public["people_to_train"] == 50
    assert (
        client.post(
            f"/api/v1/commitments/{cid}/progress", json={"trained": 5}, headers=headers["member"]
        ).status_code
        == 403
    )
    report = client.post(
        f"/api/v1/commitments/{cid}/progress", json={"trained": 5}, headers=headers["lead"]
    )
    assert report.status_code == 201 and report.get_json()["trained"] == 5
    link_token = services.make_token(db.session.get(Commitment, cid), "report")
    report = client.post(
        f"/api/v1/commitments/{cid}/progress", json={"token": link_token, "trained": 9}
    )
    assert report.status_code == 201 and report.get_json()["trained"] == 9
    bad = client.post(
        f"/api/v1/commitments/{cid}/progress", json={"token": link_token + "x", "trained": 9}
    )
    assert bad.status_code == 404
    listed = client.get("/api/v1/commitments?sector=broadband&state=KS").get_json()
    assert listed["totals"]["figures"]["trained"] == 9 and len(listed["items"]) == 1
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/commitments/{commitment_id}/progress" in spec["paths"]
