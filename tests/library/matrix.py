"""The library routes x roles table, walked by tests/library/test_permissions.py (and
named to the global matrix through ENDPOINTS/ROWS).

Placeholders filled by `ids(world)`:
  {pub}        a public resource of alpha's member, with a PDF (anyone sees it)
  {priv}       an alpha-only resource of alpha's member, with a PDF
  {collection} a collection (by the admin) holding {pub}
  {post}       a forum answer (other_member's reply in a community category)
  {material}   an event's slides (an event for everyone)

Statuses: 200/201/303 done; 302 sent to the login page; 400 let through to validation (a
form with only a CSRF token); 401 the API wants a token; 403 may see it, may not do this;
404 may not know it exists.
"""

from __future__ import annotations

import base64

from tests.route_walker import ROLES  # noqa: F401 - each feature table names its roles
from tests.route_walker import row as _row

ALL = _row(*[200] * 10)
SEE_PRIV = _row(200, 200, 404, 200, 200, 404, 404, 404, 404, 404)
SIGNED = _row(200, 200, 200, 200, 200, 200, 200, 404, 302, 302)
SIGNED_POST = _row(400, 400, 400, 400, 400, 400, 400, 404, 302, 302)
EDIT = _row(200, 403, 404, 200, 200, 404, 404, 404, 302, 302)
EDIT_POST = _row(400, 403, 404, 400, 400, 404, 404, 404, 302, 302)
CURATE = _row(200, 200, 200, 404, 404, 404, 404, 404, 302, 302)
CURATE_POST = _row(400, 400, 400, 404, 404, 404, 404, 404, 302, 302)
ACT_ON_PUB = _row(400, 400, 400, 400, 400, 400, 400, 403, 302, 302)
API_ALL = _row(200, 200, 200, 200, 200, 200, 200, 200, 401, 200)
API_PRIV = _row(200, 200, 404, 200, 200, 404, 404, 404, 401, 404)
API_EDIT = _row(200, 403, 404, 200, 200, 404, 404, 404, 401, 401)

L = "/library"
API = "/api/v1/library"
CASES: dict[str, dict[str, int]] = {
    f"GET {L}/": ALL,
    f"GET {L}/browse": ALL,
    f"GET {L}/browse?q=template&sector=broadband&state=OH&sort=liked": ALL,
    f"GET {L}/resources/{{pub}}": ALL,
    f"GET {L}/resources/{{priv}}": SEE_PRIV,
    f"GET {L}/resources/{{pub}}/download": ALL,
    f"GET {L}/resources/{{priv}}/versions/{{v1}}/download": SEE_PRIV,
    f"GET {L}/resources/new": SIGNED,
    f"POST {L}/resources/new": SIGNED_POST,
    f"GET {L}/resources/{{priv}}/edit": EDIT,
    f"POST {L}/resources/{{priv}}/edit": EDIT_POST,
    f"GET {L}/resources/{{priv}}/versions/new": EDIT,
    f"POST {L}/resources/{{priv}}/versions/new": EDIT_POST,
    f"POST {L}/resources/{{pub}}/like": ACT_ON_PUB,
    f"POST {L}/resources/{{pub}}/comments": ACT_ON_PUB,
    f"POST {L}/resources/{{pub}}/collections": CURATE_POST,
    f"GET {L}/collections/{{collection}}": ALL,
    f"GET {L}/collections/new": CURATE,
    f"POST {L}/collections/new": CURATE_POST,
    f"GET {L}/collections/{{collection}}/edit": CURATE,
    f"POST {L}/collections/{{collection}}/edit": CURATE_POST,
    f"POST {L}/collections/{{collection}}/items/{{pub}}/remove": _row(
        303, 303, 303, 404, 404, 404, 404, 404, 302, 302
    ),
    f"POST {L}/collections/{{collection}}/items/{{pub}}/move": CURATE_POST,
    f"GET {L}/promote/posts/{{post}}": SIGNED,
    f"POST {L}/promote/posts/{{post}}": SIGNED_POST,
    f"GET {L}/promote/event-materials/{{material}}": SIGNED,
    f"POST {L}/promote/event-materials/{{material}}": SIGNED_POST,
    # API: public resources need no token; a token that does not work is a 401.
    f"GET {API}/resources": API_ALL,
    f"GET {API}/resources?sector=broadband&state=OH&sort=used": API_ALL,
    f"GET {API}/search?q=template": API_ALL,
    f"GET {API}/resources/{{pub}}": API_ALL,
    f"GET {API}/resources/{{priv}}": API_PRIV,
    f"POST {API}/resources": _row(201, 201, 201, 201, 201, 201, 201, 403, 401, 401),
    f"PATCH {API}/resources/{{priv}}": API_EDIT,
    f"GET {API}/resources/{{priv}}/versions": API_PRIV,
    f"POST {API}/resources/{{priv}}/versions": API_EDIT
    | {"admin": 201, "lead": 201, "member": 201},
}

ENDPOINTS: dict[str, str] = {
    f"GET {L}/": "library.index",
    f"GET {L}/browse": "library.browse",
    f"GET {L}/browse?q=template&sector=broadband&state=OH&sort=liked": "library.browse",
    f"GET {L}/resources/{{pub}}": "library.resource",
    f"GET {L}/resources/{{priv}}": "library.resource",
    f"GET {L}/resources/{{pub}}/download": "library.download",
    f"GET {L}/resources/{{priv}}/versions/{{v1}}/download": "library.download_version",
    f"GET {L}/resources/new": "library.new_resource",
    f"POST {L}/resources/new": "library.new_resource",
    f"GET {L}/resources/{{priv}}/edit": "library.edit_resource",
    f"POST {L}/resources/{{priv}}/edit": "library.edit_resource",
    f"GET {L}/resources/{{priv}}/versions/new": "library.new_version",
    f"POST {L}/resources/{{priv}}/versions/new": "library.new_version",
    f"POST {L}/resources/{{pub}}/like": "library.like",
    f"POST {L}/resources/{{pub}}/comments": "library.comment",
    f"POST {L}/resources/{{pub}}/collections": "library.add_to_collection",
    f"GET {L}/collections/{{collection}}": "library.collection",
    f"GET {L}/collections/new": "library.new_collection",
    f"POST {L}/collections/new": "library.new_collection",
    f"GET {L}/collections/{{collection}}/edit": "library.edit_collection",
    f"POST {L}/collections/{{collection}}/edit": "library.edit_collection",
    f"POST {L}/collections/{{collection}}/items/{{pub}}/remove": "library.remove_item",
    f"POST {L}/collections/{{collection}}/items/{{pub}}/move": "library.move_item",
    f"GET {L}/promote/posts/{{post}}": "library.promote_post",
    f"POST {L}/promote/posts/{{post}}": "library.promote_post",
    f"GET {L}/promote/event-materials/{{material}}": "library.promote_event_material",
    f"POST {L}/promote/event-materials/{{material}}": "library.promote_event_material",
    f"GET {API}/resources": "library_api.Resources",
    f"GET {API}/resources?sector=broadband&state=OH&sort=used": "library_api.Resources",
    f"GET {API}/search?q=template": "library_api.Search",
    f"GET {API}/resources/{{pub}}": "library_api.ResourceItem",
    f"GET {API}/resources/{{priv}}": "library_api.ResourceItem",
    f"POST {API}/resources": "library_api.Resources",
    f"PATCH {API}/resources/{{priv}}": "library_api.ResourceItem",
    f"GET {API}/resources/{{priv}}/versions": "library_api.ResourceVersions",
    f"POST {API}/resources/{{priv}}/versions": "library_api.ResourceVersions",
}

BODIES: dict[str, dict] = {
    f"POST {API}/resources": {
        "title": "State apprenticeship agency directory",
        "type": "link",
        "external_url": "https://example.org/agencies",
        "visibility": "community",
    },
    f"PATCH {API}/resources/{{priv}}": {"title": "Employer MOU template (2026)"},
    f"POST {API}/resources/{{priv}}/versions": {
        "file": {
            "name": "notes.txt",
            "content_base64": base64.b64encode(b"Revised notes\n").decode(),
        },
        "note": "Typo fixed",
    },
}


def body(key: str, values: dict[str, object]) -> dict:
    return BODIES.get(key, {})


def _pub(world, values):
    from tests.library.conftest import make_pdf, share

    return share(
        world["member"],
        title="Recruitment flyer template",
        visibility="public",
        coalition=world["alpha"],
        sectors=["broadband"],
        states=["OH"],
        file=("flyer.pdf", make_pdf()),
    ).id


def _priv(world, values):
    from tests.library.conftest import make_pdf, share

    return share(
        world["member"],
        title="Employer MOU template",
        visibility="coalition",
        coalition=world["alpha"],
        file=("mou.pdf", make_pdf("Memorandum")),
    ).id


def _collection(world, values):
    from cop.extensions import db
    from cop.library import services
    from cop.library.models import Resource

    collection = services.create_collection(world["admin"], "Starting a broadband program")
    services.add_to_collection(world["admin"], collection, db.session.get(Resource, values["pub"]))
    return collection.id


def _post(world, values):
    from cop.forums import services as forums
    from tests.forums.helpers import category

    forums.ensure_default_categories()
    thread = forums.create_thread(
        world["member"],
        category("general"),
        kind="question",
        title="Pre-apprenticeship curricula",
        body="Which one?",
    )
    return forums.reply(world["other_member"], thread, body="We use **MC3**.").id


def _material(world, values):
    from cop.events import services as events
    from tests.events.conftest import make_event

    event = make_event(world["coach"], title="Library matrix event")
    return events.add_resource(
        world["coach"],
        event,
        kind="slides",
        title="Slides",
        url="https://files.example.org/slides.pdf",
    ).id


MAKERS = {
    "pub": _pub,
    "priv": _priv,
    "collection": _collection,
    "post": _post,
    "material": _material,
    "v1": lambda world, values: 1,
}


class _Made(dict):
    """Placeholder values made on first use (through the services), so each case builds
    only what its URL names: the table stays fast."""

    def __init__(self, world):
        super().__init__()
        self.world = world

    def __missing__(self, key):
        self[key] = MAKERS[key](self.world, self)
        return self[key]


def ids(world) -> dict[str, object]:
    return _Made(world)


def resolve(key: str, values: dict[str, object]) -> tuple[str, str]:
    method, path = key.split(" ", 1)
    return method, path.format_map(values)


ROWS: dict[str, dict[str, int]] = {}
for _key, _endpoint in ENDPOINTS.items():
    ROWS.setdefault(_endpoint, CASES[_key])
