"""The demo library: a dozen resources with real (generated) files, two collections,
and a second run adds nothing."""

from __future__ import annotations

from cop.library.models import Collection, Resource
from tests import factories


def test_seed_demo_library_is_idempotent(app, db, library_storage):
    from cop.library.seed import seed_demo_library

    solar = factories.make_coalition("great-lakes-solar", states=["MI", "OH"])
    wind = factories.make_coalition("prairie-wind-careers", states=["IL"])
    factories.make_user("admin", email="admin@demo.example.org")
    factories.make_user("coach", email="coach@demo.example.org")
    factories.make_user("expert", email="expert@demo.example.org")
    factories.make_user("member", email="lead@demo.example.org", coalition=solar, lead=True)
    factories.make_user("member", email="member@demo.example.org", coalition=solar)
    factories.make_user("member", email="member2@demo.example.org", coalition=wind)

    assert seed_demo_library() == {"resources": 12, "collections": 2}
    assert seed_demo_library() == {"resources": 0, "collections": 0}
    resources = db.session.query(Resource).all()
    assert len({r.type for r in resources}) >= 8
    assert {r.visibility for r in resources} == {"public", "community", "coalition", "staff"}
    assert len(library_storage.files()) == 10  # two are links
    assert db.session.query(Collection).count() == 2
