"""Bad input: refused with a clear message, nothing stored, no email queued. The public form
posted by a script a thousand times stores at most the rate limit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.commitments.models import Commitment
from cop.notifications.models import OutboundEmail
from tests.commitments.helpers import api_body, stamp, valid_form
from tests.conftest import csrf_token
from tests.factories import PASSWORD


def _stored(db) -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Commitment)),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail)),
    )


FORM_CASES = [
    ({"people_to_hire": "-5"}, 400, "People to hire cannot be negative."),
    ({"dollars": "99999999999999"}, 400, "Dollars cannot be more than 10,000,000,000."),
    ({"apprenticeship_slots": "lots"}, 400, "Apprenticeship slots: give a whole number"),
    ({"contact_email": "pat@"}, 400, "Give a valid email address"),
    ({"org_name": "", "sectors": [], "states": []}, 400, "Choose at least one sector."),
    (
        {"people_to_hire": "", "apprenticeship_slots": "", "dollars": ""},
        400,
        "Give at least one number",
    ),
    ({"ends_on": "2001-01-01"}, 400, "The end date must be on or after the start date."),
    ({"states": ["OH", "ZZ"]}, 400, "Choose states from the list."),
    ({"website": "http://spam.example.com"}, 400, "leave this empty"),
    ({"started": "forged"}, 400, "not sent from this site"),
    ({"started": "just now"}, 429, "sent too fast"),
]


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    FORM_CASES,
    ids=[next(iter(c)) + "-" + str(i) for i, (c, _, _) in enumerate(FORM_CASES)],
)
def test_the_public_form_refuses_bad_input(app, db, changes, status, message):
    client = app.test_client()
    if changes.get("started") == "just now":
        changes = {"started": stamp(0)}
    data = {**valid_form(**changes), "csrf_token": csrf_token(client, "/commitments/new")}
    response = client.post("/commitments/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:3000]
    assert message in page.replace("&#39;", "'")
    assert 'id="error-summary"' in page
    assert _stored(db) == (0, 0)


def test_a_script_posting_a_thousand_times_stores_at_most_the_limit(app, db, world):
    limit = int(app.config.get("COMMITMENTS_SUBMIT_LIMIT", "10 per hour").split()[0])
    client = app.test_client()
    data = {**valid_form(), "csrf_token": csrf_token(client, "/commitments/new")}
    statuses = [client.post("/commitments/new", data=data).status_code for _ in range(1000)]
    assert statuses.count(303) == limit
    assert statuses.count(429) == 1000 - limit
    assert statuses[-1] == 429
    assert _stored(db) == (limit, limit)
    # The API shares the limit: the same address is refused there too.
    raw = client.post(
        "/api/v1/tokens", json={"email": world["lead"].email, "password": PASSWORD}
    ).get_json()["token"]
    response = client.post(
        "/api/v1/commitments", json=api_body(), headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 429
    assert _stored(db) == (limit, limit)


API_CASES = [
    ({"people_to_train": -1}, "people_to_train"),
    ({"dollars": 10**13}, "dollars"),
    ({"contact_email": "not an email"}, "contact_email"),
    ({"sectors": []}, "sectors"),
    ({"org_type": "cartel"}, "org_type"),
    ({"title": ""}, "title"),
    ({"people_to_train": None}, "people_to_train"),
]


def test_the_api_refuses_bad_input(app, db, world):
    raw = (
        app.test_client()
        .post("/api/v1/tokens", json={"email": world["lead"].email, "password": PASSWORD})
        .get_json()["token"]
    )
    headers = {"Authorization": f"Bearer {raw}"}
    client = app.test_client()
    for changes, field in API_CASES:
        response = client.post("/api/v1/commitments", json=api_body(**changes), headers=headers)
        error = response.get_json()["error"]
        assert response.status_code == 422, (changes, error)
        assert field in error.get("details", {}).get("json", error.get("details", {})), error
    missing = {k: v for k, v in api_body().items() if k != "contact_name"}
    assert client.post("/api/v1/commitments", json=missing, headers=headers).status_code == 422
    assert _stored(db) == (0, 0)
