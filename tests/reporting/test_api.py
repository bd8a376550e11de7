"""The reporting API: documented in OpenAPI; measures, targets, reports (create, update,
submit, review), summaries; one error format with every refused field."""

from __future__ import annotations

import sqlalchemy as sa

from cop.reporting.models import Figure
from tests.reporting.conftest import make_report, set_targets


def test_the_openapi_document_lists_the_reporting_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/reporting/measures": {"get", "post"},
        "/api/v1/reporting/measures/{slug}": {"get", "patch"},
        "/api/v1/reporting/targets": {"get", "put"},
        "/api/v1/reporting/reports": {"get", "post"},
        "/api/v1/reporting/reports/{report_id}": {"get", "patch"},
        "/api/v1/reporting/reports/{report_id}/submit": {"post"},
        "/api/v1/reporting/reports/{report_id}/review": {"post"},
        "/api/v1/reporting/summary": {"get"},
        "/api/v1/reporting/summary/coalitions/{slug}": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    schemas = spec["components"]["schemas"]
    assert {"Report", "Measure", "ProgramSummary", "CoalitionSummary"} <= set(schemas)
    assert "figures" in schemas["Report"]["properties"]


def test_measures(client, token_for, measures):
    body = client.get("/api/v1/reporting/measures", headers=token_for("member")).get_json()
    assert [m["slug"] for m in body][:3] == [
        "participants-served",
        "new-participants-served",
        "exiters",
    ]
    rate = next(m for m in body if m["slug"] == "employment-rate-q2")
    assert rate["kind"] == "rate" and rate["cumulative"] is False and rate["definition"]
    response = client.post(
        "/api/v1/reporting/measures",
        headers=token_for("admin"),
        json={"slug": "x y", "name": "", "kind": "count"},
    )
    assert response.status_code == 422


def test_a_report_through_the_api(client, db, world, token_for, measures, q):
    lead, coach, member = token_for("lead"), token_for("coach"), token_for("member")
    response = client.post(
        "/api/v1/reporting/reports",
        headers=member,
        json={
            "coalition": "alpha",
            "quarter": q["last"].key,
            "figures": {"exiters": 12, "employment-rate-q2": "70.5"},
            "progress": "A good quarter.",
        },
    )
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert report["status"] == "draft" and report["figures"] == {
        "exiters": 12,
        "employment-rate-q2": 70.5,
    }
    assert report["url"] == f"/reporting/coalitions/alpha/reports/{q['last'].key}"
    assert report["due_on"] == q["period"].due_on(q["last"]).isoformat()
    again = client.post(
        "/api/v1/reporting/reports",
        headers=member,
        json={"coalition": "alpha", "quarter": q["last"].key},
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "report_exists"
    rid = report["id"]
    response = client.patch(
        f"/api/v1/reporting/reports/{rid}",
        headers=member,
        json={"figures": {"exiters": -1, "employment-rate-q2": 101, "no-such": 1}},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["details"]) == {
        "figures.exiters",
        "figures.employment-rate-q2",
        "figures.no-such",
    }
    assert client.post(f"/api/v1/reporting/reports/{rid}/submit", headers=member).status_code == 403
    submitted = client.post(f"/api/v1/reporting/reports/{rid}/submit", headers=lead)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    locked = client.patch(
        f"/api/v1/reporting/reports/{rid}", headers=member, json={"figures": {"exiters": 13}}
    )
    assert locked.status_code == 409
    assert locked.get_json()["error"]["code"] == "report_locked"
    assert "waiting for review" in locked.get_json()["error"]["message"]
    refused = client.post(
        f"/api/v1/reporting/reports/{rid}/review", headers=coach, json={"decision": "return"}
    )
    assert refused.status_code == 422
    assert "comments" in refused.get_json()["error"]["details"]
    reviewed = client.post(
        f"/api/v1/reporting/reports/{rid}/review",
        headers=coach,
        json={"decision": "return", "comments": "Check the exiters."},
    )
    body = reviewed.get_json()
    assert body["status"] == "returned" and body["review_comments"] == "Check the exiters."
    assert body["reviewed_by"]["id"] == world["coach"].id
    assert (
        client.patch(
            f"/api/v1/reporting/reports/{rid}", headers=member, json={"figures": {"exiters": 13}}
        ).status_code
        == 200
    )
    db.session.rollback()
    assert (
        db.session.execute(
            sa.select(Figure.value).where(
                Figure.report_id == rid, Figure.measure.has(slug="exiters")
            )
        ).scalar_one()
        == 13
    )


def test_a_quarter_outside_the_grant_is_refused(client, token_for, measures):
    response = client.post(
        "/api/v1/reporting/reports",
        headers=token_for("lead"),
        json={"coalition": "alpha", "quarter": "2019Q1"},
    )
    assert response.status_code == 422
    assert "outside the grant period" in response.get_json()["error"]["details"]["quarter"][0]
    response = client.post(
        "/api/v1/reporting/reports",
        headers=token_for("lead"),
        json={"coalition": "alpha", "quarter": "spring"},
    )
    assert response.status_code == 422


def test_reports_are_listed_within_the_callers_scope(client, world, token_for, measures, q):
    make_report(world["alpha"], q["last"], {"exiters": 1})
    make_report(world["beta"], q["last"], {"exiters": 2})

    def slugs(who):
        return sorted(
            r["coalition"]
            for r in client.get(
                f"/api/v1/reporting/reports?quarter={q['last'].key}", headers=token_for(who)
            ).get_json()
        )

    assert slugs("admin") == ["alpha", "beta"]
    assert slugs("member") == ["alpha"] and slugs("coach") == ["alpha"]
    assert slugs("other_member") == ["beta"] and slugs("other_coach") == []
    assert (
        client.get(
            "/api/v1/reporting/reports?coalition=beta", headers=token_for("member")
        ).status_code
        == 404
    )


def test_targets(client, db, world, token_for, measures):
    admin = token_for("admin")
    response = client.put(
        "/api/v1/reporting/targets",
        headers=admin,
        json={
            "targets": [
                {"coalition": "alpha", "measure": "exiters", "period": 0, "value": 300},
                {"coalition": "beta", "measure": "exiters", "period": 1, "value": "40"},
            ]
        },
    )
    assert response.get_json() == {"changed": 2}
    response = client.put(
        "/api/v1/reporting/targets",
        headers=admin,
        json={
            "targets": [
                {"coalition": "alpha", "measure": "exiters", "period": 0, "value": 1},
                {"coalition": "nowhere", "measure": "exiters", "period": 0, "value": 1},
            ]
        },
    )
    assert response.status_code == 422
    listed = client.get("/api/v1/reporting/targets", headers=token_for("member")).get_json()
    assert listed == [{"coalition": "alpha", "measure": "exiters", "period": 0, "value": 300}]


def test_summaries(client, world, token_for, measures, q):
    set_targets(world["alpha"], {("exiters", 0): 200})
    make_report(world["alpha"], q["last"], {"exiters": 3}, status="accepted")
    program = client.get(
        f"/api/v1/reporting/summary?quarter={q['last'].key}", headers=token_for("member")
    ).get_json()
    assert program["as_of"] == q["last"].key and program["coalitions"] == 2
    exiters = next(p for p in program["totals"] if p["measure"] == "exiters")
    assert exiters["value_to_date"] == 3 and exiters["status"] in ("behind", "on_track", "ahead")
    assert "coalition_rows" not in program, "members never get other coalitions' rows"
    staff = client.get("/api/v1/reporting/summary", headers=token_for("coach")).get_json()
    assert [r["coalition"] for r in staff["coalition_rows"]] == ["alpha"]
    coalition = client.get(
        "/api/v1/reporting/summary/coalitions/alpha", headers=token_for("lead")
    ).get_json()
    assert coalition["reports"][0]["quarter"] == q["current"].key
    assert any(
        r["quarter"] == q["last"].key and r["status"] == "accepted" for r in coalition["reports"]
    )
    assert coalition["quarters"][-1]["figures"]["exiters"] == 3
    assert (
        client.get(
            "/api/v1/reporting/summary?quarter=2019Q1", headers=token_for("lead")
        ).status_code
        == 422
    )
