"""The issue's "done when", through HTTP on the demo program: an admin imports a quarter of
figures for the 34 demo coalitions from CSV, the program dashboard shows who is behind, a
coach opens one of those coalitions and sees its coaching next to its trend, the lead submits
the narrative before the due date and gets the reviewer's comments by notification."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from cop.reporting.periods import today
from tests.conftest import csrf_token, login, post_form
from tests.reporting.conftest import quarters

PASSWORD = "demo-password-2026"
SLUG = "great-lakes-solar"


def client_for(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def test_done_when(app, db, smtp_server):
    from cop.reporting import seed_demo_reporting
    from cop.seed import seed_demo

    seed_demo()
    seed_demo_reporting()
    quarter = quarters()["current"]

    # 1. The admin fills the template for the quarter and imports it.
    admin = client_for(app, "admin@demo.example.org")
    template = admin.get(f"/reporting/import/template.csv?quarter={quarter.key}")
    lines = template.get_data(as_text=True).lstrip("\ufeff").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    assert len(rows) == 34
    filled = [",".join(header)]
    for i, row in enumerate(rows):
        slow = row[0] == SLUG or i % 3 == 1  # these coalitions have a weak quarter
        values = {
            "new-participants-served": 2 if slow else 60,
            "exiters": 1 if slow else 40,
            "employment-rate-q2": 40 if slow else 75,
        }
        filled.append(",".join([row[0], row[1]] + [str(values.get(h, "")) for h in header[2:]]))
    boundary, body = encode_multipart(
        {
            "file": FileStorage(io.BytesIO("\n".join(filled).encode()), filename="q.csv"),
            "quarter": "",
            "csrf_token": csrf_token(admin, "/accessibility"),
        }
    )
    response = admin.post(
        "/reporting/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    flashed = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 102 figures for 34 coalitions" in flashed

    # 2. The program dashboard, as of that quarter, shows who is behind.
    page = admin.get(
        f"/reporting/?quarter={quarter.key}&sort=new-participants-served&dir=asc"
    ).get_data(as_text=True)
    table = page[page.index("coalitions-caption") : page.index("gaps-heading")]
    first_row = table[table.index("<tbody>") :][:3000]
    assert "behind" in first_row
    assert "Great Lakes Solar Workforce Coalition (demo)" in table

    # 3. The coach opens one of them: its coaching next to its trend.
    coach = client_for(app, "coach@demo.example.org")
    page = coach.get(
        f"/reporting/coalitions/{SLUG}?quarter={quarter.key}&measure=new-participants-served"
    ).get_data(as_text=True)
    assert "chart-trend-title" in page and "chart-coaching-title" in page
    assert "Sessions aimed at it" in page and "By topic: sessions, hours" in page

    # 4. The lead writes the narrative and submits before the due date.
    due = quarters()["period"].due_on(quarter)
    assert today() <= due
    lead = client_for(app, "lead@demo.example.org")
    url = f"/reporting/coalitions/{SLUG}/reports/{quarter.key}"
    response = post_form(
        lead,
        url + "/edit",
        {
            "progress": "Recruitment picked up in **rural counties** late in the quarter.",
            "challenges": "Transportation.",
            "ta_wanted": "Peer examples of employer letters.",
            "then": "submit",
        },
        token_from="/accessibility",
    )
    assert response.status_code == 303
    assert "Submitted, awaiting review" in lead.get(url).get_data(as_text=True)

    # 5. The coach returns it with comments; the lead is told, in cop and by email.
    response = post_form(
        coach,
        url + "/review",
        {"decision": "return", "comments": "Please add the employer partners' names."},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    center = lead.get("/notifications").get_data(as_text=True)
    assert f"returned with comments the {quarter.label} report" in center
    smtp_server.deliver()
    mails = [
        m
        for m in smtp_server.to("lead@demo.example.org")
        if "returned with comments" in m["Subject"]
    ]
    assert len(mails) == 1
    assert "Please add the employer partners" in smtp_server.text(mails[0])
