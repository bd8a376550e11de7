"""The library in a real browser: zero axe-core violations on every library page, signed
in and anonymous, including a form showing its errors; liking a resource."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

MEMBER = "member@demo.example.org"  # Great Lakes Solar: shared the demo flyer
COACH = "coach@demo.example.org"
PUBLIC_TITLE = "Solar installer pre-apprenticeship recruitment flyer"


@pytest.fixture(scope="module")
def library(live_server):
    """Ids from the live server's seeded database."""
    import sqlalchemy as sa

    from cop.extensions import db
    from cop.library.models import Collection, Resource

    app = live_server.app()
    with app.app_context():
        public = db.session.execute(
            sa.select(Resource).where(Resource.title == PUBLIC_TITLE)
        ).scalar_one()
        collection = db.session.execute(sa.select(Collection).order_by(Collection.id)).scalars()
        post_id = event_material_id = None
        try:
            from cop.forums.models import Post

            post_id = db.session.execute(sa.select(Post.id).order_by(Post.id)).scalars().first()
        except ImportError:  # pragma: no cover
            pass
        try:
            from cop.events.models import EventResource

            event_material_id = (
                db.session.execute(sa.select(EventResource.id).order_by(EventResource.id))
                .scalars()
                .first()
            )
        except ImportError:  # pragma: no cover
            pass
        return {
            "public": public.id,
            "collection": next(iter(collection)).id,
            "post": post_id,
            "material": event_material_id,
        }


def test_anonymous_pages_are_accessible(session_for, library):
    visitor = session_for()
    for path in [
        "/library/",
        "/library/browse",
        "/library/browse?sector=renewable-energy&state=MI",
        "/library/browse?q=solar+installer",
        f"/library/resources/{library['public']}",
        f"/library/collections/{library['collection']}",
    ]:
        visitor.goto(path)
        visitor.assert_accessible(f"anonymous {path}")
    visitor.goto("/library/browse?sector=renewable-energy&state=MI")
    expect(visitor.page.get_by_role("link", name=PUBLIC_TITLE)).to_be_visible()


def test_member_pages_are_accessible_and_liking_works(session_for, library):
    member = session_for(MEMBER)
    rid = library["public"]
    for path in [
        "/library/",
        "/library/browse?q=recruitment&sort=liked",
        f"/library/resources/{rid}",
        "/library/resources/new",
        f"/library/resources/{rid}/edit",
        f"/library/resources/{rid}/versions/new",
        f"/library/collections/{library['collection']}",
    ]:
        member.goto(path)
        member.assert_accessible(f"member {path}")
    if library["post"]:
        member.goto(f"/library/promote/posts/{library['post']}")
        member.assert_accessible("promote a forum post")
    if library["material"]:
        member.goto(f"/library/promote/event-materials/{library['material']}")
        member.assert_accessible("promote an event material")

    # A refused link: the error summary and the field's message, accessible too.
    page = member.page
    member.goto("/library/resources/new")
    page.get_by_label("Title").fill("Agency directory")
    page.get_by_label("Type").select_option("link")
    page.get_by_label("Or a link").fill("javascript:alert(1)")
    page.get_by_role("button", name="Share").click()
    expect(page.locator("#error-summary")).to_contain_text("http:// or https://")
    member.assert_accessible("new resource with errors")

    member.goto(f"/library/resources/{rid}")
    like = page.get_by_role("button", name=f"Like {PUBLIC_TITLE}")
    pressed = like.get_attribute("aria-pressed")
    like.click()
    expect(page.get_by_role("button", name=f"Like {PUBLIC_TITLE}")).to_have_attribute(
        "aria-pressed", "false" if pressed == "true" else "true"
    )


def test_curator_pages_are_accessible(session_for, library):
    coach = session_for(COACH)
    for path in [
        "/library/",
        f"/library/resources/{library['public']}",
        f"/library/collections/{library['collection']}",
        "/library/collections/new",
        f"/library/collections/{library['collection']}/edit",
    ]:
        coach.goto(path)
        coach.assert_accessible(f"coach {path}")
