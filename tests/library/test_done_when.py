"""The library half of issue 12's "done when", through HTTP only: a member shares a
template with their coalition and another as public; a visitor without an account finds
the public one by sector and state and downloads it; a forum answer is promoted into a
collection. Plus the browse page's query bound."""

from __future__ import annotations

import io
import re

from cop.library.models import Resource
from tests.conftest import csrf_token, login, post_form
from tests.library.conftest import make_docx, make_pdf, share

PDF = make_pdf("Solar installer recruitment checklist")


def _share(client, **fields):
    data = {
        "summary": "",
        "type": "template",
        "csrf_token": csrf_token(client, "/library/resources/new"),
        **fields,
    }
    response = client.post("/library/resources/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_share_find_download_and_promote(app, world, db, fresh):
    member = app.test_client()
    login(member, world["member"])
    alpha = str(world["alpha"].id)
    private_id = _share(
        member,
        title="Employer MOU template",
        visibility="coalition",
        coalition_id=alpha,
        sectors=["broadband"],
        states=["OH"],
        file=(io.BytesIO(make_docx()), "Modèle MOU «v1».docx"),
    )
    public_id = _share(
        member,
        title="Pre-apprenticeship flyer template",
        visibility="public",
        coalition_id=alpha,
        sectors=["broadband"],
        states=["OH", "MI"],
        populations=["rural", "women"],
        program_area="recruitment",
        file=(io.BytesIO(PDF), "flyer.pdf"),
    )
    share(
        world["other_member"],
        title="Texas solar flyer",
        visibility="public",
        sectors=["renewable-energy"],
        states=["TX"],
        file=("tx.pdf", make_pdf()),
    )

    # A visitor without an account filters on sector and state.
    visitor = app.test_client()
    page = visitor.get("/library/browse?sector=broadband&state=OH").get_data(as_text=True)
    assert "Pre-apprenticeship flyer template" in page
    assert "Employer MOU template" not in page and "Texas solar flyer" not in page
    assert re.search(r"1 resource\s+matches", page)
    # The facets count what matches; the coalition-only template is not counted anywhere.
    assert re.search(r"Broadband <span class=\"cop-lib-count\">\(1\)", page)
    # The words of the PDF are searchable too.
    assert "Pre-apprenticeship flyer template" in visitor.get(
        "/library/browse?q=installer+checklist"
    ).get_data(as_text=True)
    download = visitor.get(f"/library/resources/{public_id}/download")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("inline")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    assert visitor.get(f"/library/resources/{private_id}").status_code == 404
    assert visitor.get(f"/library/resources/{private_id}/download").status_code == 404

    # The coalition's template downloads as an attachment with its name safely encoded.
    download = member.get(f"/library/resources/{private_id}/download")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''Mod%C3%A8le%20MOU%20%C2%ABv1%C2%BB.docx" in disposition
    download.close()
    page = member.get(f"/library/resources/{public_id}").get_data(as_text=True)
    assert "1 coalition" not in page  # the visitor belongs to no coalition
    assert re.search(r"0 coalitions and 0 people \(1 download\)", page)

    # A coach promotes a forum answer into a collection, in one step.
    from cop.forums import services as forums
    from tests.forums.helpers import category

    forums.ensure_default_categories()
    thread = forums.create_thread(
        world["lead"],
        category("general"),
        kind="question",
        title="Electrical pre-apprenticeship curricula?",
        body="Which curriculum do you use?",
    )
    answer = forums.reply(world["other_member"], thread, body="We use the **MC3** curriculum.")
    coach = app.test_client()
    login(coach, world["coach"])
    response = post_form(
        coach,
        "/library/collections/new",
        {"title": "Starting an electrical pre-apprenticeship", "description": "Where to begin."},
        token_from="/library/collections/new",
    )
    assert response.status_code == 303
    collection_id = int(response.headers["Location"].rsplit("/", 1)[1])
    form = coach.get(f"/library/promote/posts/{answer.id}").get_data(as_text=True)
    assert "Answer: Electrical pre-apprenticeship curricula?" in form
    assert (
        coach.get(f"/forums/t/{thread.id}")
        .get_data(as_text=True)
        .count(f"/library/promote/posts/{answer.id}")
        == 1
    )
    response = post_form(
        coach,
        f"/library/promote/posts/{answer.id}",
        {
            "title": "Answer: Electrical pre-apprenticeship curricula?",
            "type": "curriculum",
            "summary": "We use the **MC3** curriculum.",
            "visibility": "public",
            "collection_id": str(collection_id),
        },
        token_from="/library/",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    fresh()
    promoted = db.session.get(Resource, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert promoted.origin_kind == "forum_post" and promoted.origin_id == answer.id
    from cop.notifications.models import Notification

    told = db.session.query(Notification).filter_by(kind="library_promoted").all()
    assert [n.user_id for n in told] == [world["other_member"].id]
    page = visitor.get(f"/library/collections/{collection_id}").get_data(as_text=True)
    assert "Answer: Electrical pre-apprenticeship curricula?" in page
    front = visitor.get("/library/").get_data(as_text=True)
    assert "Starting an electrical pre-apprenticeship" in front
    page = visitor.get(f"/library/resources/{promoted.id}").get_data(as_text=True)
    assert f'href="/forums/p/{answer.id}"' in page


def test_promoting_from_a_coalition_space_stays_private(app, world, fresh):
    from cop.forums import services as forums
    from tests.forums.helpers import category

    forums.ensure_default_categories()
    thread = forums.create_thread(
        world["member"],
        category("coalition-alpha"),
        title="Our employer MOU",
        body="Draft attached.",
    )
    member = app.test_client()
    login(member, world["member"])
    form = member.get(f"/library/promote/posts/{forums_post_id(thread)}")
    page = form.get_data(as_text=True)
    assert 'value="public"' not in page and 'value="community"' not in page
    response = post_form(
        member,
        f"/library/promote/posts/{forums_post_id(thread)}",
        {
            "title": "Our employer MOU",
            "type": "template",
            "visibility": "public",
            "summary": "Draft",
        },
        token_from="/library/",
    )
    assert response.status_code == 400


def forums_post_id(thread) -> int:
    from tests.forums.helpers import post_number

    return post_number(thread, 1).id


def test_browse_page_runs_a_bounded_number_of_queries(app, world, count_queries):
    for n in range(3):
        share(
            world["member"],
            title=f"Guide {n}",
            visibility="public",
            coalition=world["alpha"],
            sectors=["broadband"],
            states=["OH"],
            populations=["rural"],
            file=("g.pdf", make_pdf()),
        )
    client = app.test_client()
    login(client, world["member"])

    def run():
        with count_queries() as q:
            assert client.get("/library/browse?q=guide&sector=broadband").status_code == 200
        return q.count

    few = run()
    for n in range(3, 15):
        share(
            world["member"],
            title=f"Guide {n}",
            visibility="public",
            coalition=world["alpha"],
            sectors=["broadband"],
            states=["OH", "MI"],
            populations=["rural", "women"],
        )
    assert run() == few, "the browse page runs more queries as resources grow"
    assert few <= 20


def test_an_event_material_is_promoted_in_one_step(app, world, db, fresh):
    from cop.events import services as events
    from tests.events.conftest import make_event

    event = make_event(world["coach"], title="Offshore wind peer session")
    material = events.add_resource(
        world["coach"],
        event,
        kind="recording",
        title="Recording",
        url="https://video.example.org/offshore-wind",
    )
    member = app.test_client()
    login(member, world["member"])
    assert f"/library/promote/event-materials/{material.id}" in member.get(
        f"/events/{event.id}"
    ).get_data(as_text=True)
    form = member.get(f"/library/promote/event-materials/{material.id}").get_data(as_text=True)
    assert 'value="https://video.example.org/offshore-wind"' in form
    response = post_form(
        member,
        f"/library/promote/event-materials/{material.id}",
        {
            "title": "Offshore wind peer session (recording)",
            "type": "recording",
            "external_url": "https://video.example.org/offshore-wind",
            "visibility": "community",
            "summary": "The recording.",
        },
        token_from="/library/",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    fresh()
    made = db.session.query(Resource).one()
    assert (made.origin_kind, made.origin_id, made.type) == (
        "event_resource",
        material.id,
        "recording",
    )
    assert made.origin_path == f"/events/{event.id}#resources"
    redirect = member.get(f"/library/resources/{made.id}/download")
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == "https://video.example.org/offshore-wind"
