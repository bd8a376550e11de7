"""The demo commitments: every state of review, accepted ones with reports; idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from cop.commitments import queries
from cop.commitments.models import Commitment, Status
from cop.commitments.seed import seed_demo_commitments


def test_seed_is_idempotent_and_covers_every_state(app, db, world, login_as):
    first = seed_demo_commitments()
    assert first["commitments"] >= 10
    assert seed_demo_commitments() == {"commitments": 0}
    statuses = set(db.session.execute(sa.select(Commitment.status)).scalars())
    assert statuses == {s.value for s in Status}
    overall = queries.totals()
    assert overall.count >= 6 and overall.so_far("people_to_hire") > 0
    # A signed-in user's form comes with their contact details.
    page = login_as("lead").get("/commitments/new").get_data(as_text=True)
    assert 'value="lead@test.example.org"' in page and "straight to review" in page


def test_the_public_pages_make_a_bounded_number_of_queries(app, db, world, count_queries):
    seed_demo_commitments()
    client = app.test_client()
    for path in ("/commitments/", "/commitments/totals", "/api/v1/commitments"):
        with count_queries() as q:
            assert client.get(path).status_code == 200
        assert q.count <= 8, (path, q.statements)
