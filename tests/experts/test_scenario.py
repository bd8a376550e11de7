"""The issue's "done when", over HTTP: a member finds an expert by filtering on
apprenticeship and their state, asks for an introduction, the expert accepts from the email
link and later marks it completed, the member answers the follow-up question, and the admin
report counts it."""

from __future__ import annotations

import re

from tests.conftest import csrf_token, login
from tests.experts.helpers import expert_profile


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/experts/")})


def test_member_to_completed_connection_counted_in_the_report(app, world, smtp_server):
    profile = expert_profile(world)
    member = app.test_client()
    login(member, world["member"])

    page = member.get("/experts/?topic=apprenticeship&state=OH").get_data(as_text=True)
    assert f'href="/experts/{profile.id}"' in page and "1 expert match" in page
    assert "Spoke at 0 events" in page
    assert "Dr. Ada Lovelace" not in member.get("/experts/?topic=apprenticeship&state=TX").get_data(
        as_text=True
    )

    response = _post(
        member,
        f"/experts/{profile.id}/request",
        {"coalition_id": world["alpha"].id, "need": "Registering our program"},
    )
    assert response.status_code == 303
    request_url = response.headers["Location"]
    request_id = int(request_url.rsplit("/", 1)[1])

    # The expert's email carries the link; it lands (after login) on the request page.
    smtp_server.deliver()
    [mail] = smtp_server.to(world["expert"].email)
    link = re.search(r"https?://[^/\s]+(/notifications/\d+/open)", smtp_server.text(mail))
    expert = app.test_client()
    assert "/login" in expert.get(link.group(1)).headers["Location"]  # login required
    login(expert, world["expert"])
    landed = expert.get(link.group(1))
    assert landed.status_code in (302, 303) and landed.headers["Location"].endswith(request_url)
    page = expert.get(request_url).get_data(as_text=True)
    assert "Registering our program" in page and ">Accept</button>" in page

    # Skipping a state is refused, with a clear message; nothing changes.
    skipped = _post(expert, f"{request_url}/state", {"state": "completed"})
    assert skipped.status_code == 409
    assert "cannot become completed" in skipped.get_data(as_text=True)
    for state in ("accepted", "scheduled", "completed"):
        assert _post(expert, f"{request_url}/state", {"state": state}).status_code == 303

    # The member hears about each step and is asked the follow-up question.
    smtp_server.deliver()
    texts = [smtp_server.text(m) for m in smtp_server.to(world["member"].email)]
    assert any("did it help" in t.lower() for t in texts)
    answered = _post(
        member,
        f"{request_url}/follow-up",
        {"helped": "yes", "changed": "We registered the program."},
    )
    assert answered.status_code == 303
    assert "We registered the program." in member.get(request_url).get_data(as_text=True)

    admin = app.test_client()
    login(admin, world["admin"])
    report = admin.get("/experts/reports").get_data(as_text=True)
    assert re.search(r'id="total-requests">1<', report)
    assert re.search(r"Alpha Coalition \(demo\)</th><td class=\"cop-num\">1</td>", report)
    assert "100% (1 accepted of 1 answered)" in report
    csv = admin.get("/experts/reports/requests.csv").get_data(as_text=True)
    assert f"{request_id},".lstrip() in csv and "Completed" in csv and ",yes" in csv
