"""Nothing private leaks to outsiders through a list, a count, a search, an export, a
calendar feed, an API list or a notification.

Private content of alpha (a thread in alpha's forum, a coaching log with private notes, a
report narrative, a chat message, an event for alpha only, a library resource for alpha
only, an introduction request to an expert; a staff-only library resource), each with a
marker word and an @mention of every outsider, is added between two fetches of every GET
URL that each outsider (other_member, other_coach, expert, guest) may open: the rows with
200 for that role in every route table (global and per feature), searches with the marker
as q=, and the outsider's own calendar feed. The marker must not appear, and every page
must be the same before and after: same status, same counts, same text.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.chat.conftest import _user_per_request, fresh_user  # noqa: F401 - fixture
from tests.conftest import login
from tests.hardening.route_tables import feature_matrices, resolve
from tests.test_permission_matrix import TABLE, Case, Ctx

OUTSIDERS = ("other_member", "other_coach", "expert", "guest")
MARKER = "zqxleakmarker" + uuid.uuid4().hex[:8]
# Events for chosen coalitions are open to every coach and admin (docs/events.md: staff see
# every audience), so alpha's event is private from the other outsiders only.
EVENT_MARKER = "zqxeventmarker" + uuid.uuid4().hex[:8]
# Staff-only library resources are open to every coach (docs/library.md), likewise.
STAFF_MARKER = "zqxstaffmarker" + uuid.uuid4().hex[:8]
STAFF = {"other_coach"}
EVENT_PAGES = ("/events", "/api/v1/events", "/calendar/")
LIBRARY_PAGES = ("/library", "/api/v1/library")
# Rows that are someone else's secret credential, not a page of the role's own.
SKIP = {"GET /calendar/{token}.ics"}  # member's feed token; each outsider's own is added
# GETs that count themselves (a download adds to the counts other pages show).
COUNTS_ITSELF = re.compile(r"/download$")

# What differs on every render, whatever the data: CSRF tokens (signed with a timestamp),
# the chat form's fresh client_id, the ICS stamp.
VOLATILE = [
    re.compile(r'(name="[\w-]*csrf[_-]token"[^>]*?(?:content|value)=")[^"]+'),
    re.compile(r'(name="client_id" type="hidden" value=")[^"]+'),
    re.compile(r'(name="started" type="hidden" value=")[^"]+'),  # a signed form start time
    re.compile(r"(DTSTAMP:)\d+T\d+Z?"),
]


def normalise(text: str) -> str:
    for pattern in VOLATILE:
        text = pattern.sub(lambda m: m.group(1) + "~", text)
    return text


def with_marker(url: str) -> str | None:
    """The URL with q= set to the marker, if it searches."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k == "q" for k, _ in query):
        return None
    query = [(k, MARKER if k == "q" else v) for k, v in query]
    return urlunsplit(parts._replace(query=urlencode(query)))


def outsider_urls(app, world) -> dict[str, list[tuple[str, bool]]]:
    """role -> [(url, bearer)]: every GET the role may open, per the route tables."""
    ctx = Ctx(world)
    found: dict[str, list[tuple[str, bool]]] = {r: [] for r in OUTSIDERS}
    cases: list[Case] = [c for cs in TABLE.values() for c in cs]
    tables = list(feature_matrices())
    for _, kind, module in tables:
        if kind == "rows":
            cases += [c for cs in module.ROWS.values() for c in cs]
    for case in cases:
        if case.method != "GET" or case.wrong_method:
            continue
        for role in OUTSIDERS:
            if case.expect[role] == 200:
                found[role].append((case.url(ctx, role), case.bearer))
    for _, kind, module in tables:
        if kind != "cases":
            continue
        values = module.ids(world)
        for key, row in module.CASES.items():
            method, _ = key.split(" ", 1)
            if method != "GET" or key in SKIP:
                continue
            path = resolve(module, key, values, world)[1]
            for role in OUTSIDERS:
                if row[role] == 200:
                    found[role].append((path, path.startswith("/api/")))
    from cop.events import services as events

    for role in OUTSIDERS:
        found[role].append((f"/calendar/{events.reset_feed_token(world[role])}.ics", False))
        searches = [(with_marker(u), b) for u, b in found[role] if with_marker(u)]
        found[role] = sorted(
            {
                (u, b)
                for u, b in found[role] + searches
                if not COUNTS_ITSELF.search(urlsplit(u).path)
            }
        )
    return found


def add_private_content(world, marker: str) -> list[str]:
    """Alpha's private things, each naming the marker and @mentioning every outsider."""
    from cop.chat import services as chat
    from cop.coaching.services import log_session
    from cop.events.services import create_event
    from cop.experts import services as experts
    from cop.forums import services as forums
    from cop.library import services as library
    from tests.coaching.conftest import session_values
    from tests.events.conftest import event_values
    from tests.forums.helpers import category
    from tests.reporting.conftest import make_report, quarters

    mentions = " ".join(f"@someone-{world[r].id}" for r in OUTSIDERS)
    text = f"{marker} {mentions}"
    forums.ensure_default_categories()
    forums.ensure_coalition_categories()
    thread = forums.create_thread(
        world["member"], category("coalition-alpha"), title=f"Private {marker}", body=text
    )
    forums.reply(world["lead"], thread, body=f"Reply {text}")
    log_session(
        world["coach"],
        world["alpha"],
        session_values(
            world["coach"],
            summary=f"Summary {text}",
            need=marker,
            private_notes=f"Private notes {text}",
        ),
    )
    from cop.reporting.services import ensure_default_measures

    ensure_default_measures()
    # (the reporting table's own objects hold alpha's last two quarters)
    make_report(
        world["alpha"],
        quarters()["prev"].previous,
        status="submitted",
        progress=f"Narrative {text}",
        actor=world["lead"],
    )
    chat.ensure_default_rooms()
    room = chat.visible_room(world["member"], _room_id(chat.coalition_room_key(world["alpha"].id)))
    chat.send_message(world["member"], room.id, f"Chat {text}", uuid.uuid4().hex)
    create_event(
        world["coach"],
        event_values(
            title=f"Event {EVENT_MARKER}",
            description=f"{EVENT_MARKER} {mentions}",
            audience="coalitions",
            coalition_ids=[world["alpha"].id],
        ),
    )
    library.share_resource(
        world["member"],
        library.ResourceValues(
            title=f"Alpha only {marker}",
            summary=f"Summary {text}",
            type="template",
            visibility="coalition",
            coalition_id=world["alpha"].id,
        ),
    )
    library.share_resource(
        world["coach"],
        library.ResourceValues(
            title=f"Staff only {STAFF_MARKER}",
            summary=f"Summary {STAFF_MARKER} {mentions}",
            type="template",
            visibility="staff",
        ),
    )
    # To the profile alpha's coach maintains (made by the experts table's ids(), before the
    # first look): the expert outsider answers requests to their own profile only.
    experts.create_request(
        world["member"],
        _outside_profile(world["coach"]),
        {"coalition_id": world["alpha"].id, "need": f"Need {text}"},
    )
    return [
        "forum thread",
        "coaching log",
        "report",
        "chat message",
        "event",
        "library resources",
        "expert request",
    ]


def _outside_profile(maintainer):
    import sqlalchemy as sa

    from cop.experts.models import ExpertProfile
    from cop.extensions import db

    return db.session.execute(
        sa.select(ExpertProfile)
        .where(ExpertProfile.maintainer_id == maintainer.id)
        .order_by(ExpertProfile.id)
        .limit(1)
    ).scalar_one()


def _room_id(key: str) -> int:
    import sqlalchemy as sa

    from cop.chat.models import ChatRoom
    from cop.extensions import db

    return db.session.execute(sa.select(ChatRoom.id).where(ChatRoom.key == key)).scalar_one()


def test_private_content_of_alpha_reaches_no_outsider(app, db, world):
    from cop.accounts.services import create_api_token

    urls = outsider_urls(app, world)
    clients, tokens = {}, {}
    for role in OUTSIDERS:
        clients[role] = app.test_client()
        login(clients[role], world[role])
        tokens[role] = {"Authorization": f"Bearer {create_api_token(world[role])[1]}"}

    def fetch_all() -> dict[tuple[str, str], tuple[int, str]]:
        got = {}
        for role, role_urls in urls.items():
            for url, bearer in role_urls:
                fresh_user()
                client = app.test_client() if bearer else clients[role]
                response = client.get(url, headers=tokens[role] if bearer else {})
                got[role, url] = (response.status_code, normalise(response.get_data(as_text=True)))
                response.close()
        return got

    fetch_all()  # the first look marks threads read, etc.: a page of its own changes
    before = fetch_all()
    kinds = add_private_content(world, MARKER)
    after = fetch_all()

    failures = []
    for key, (status, text) in after.items():
        role, url = key
        markers = [MARKER] if role in STAFF else [MARKER, EVENT_MARKER, STAFF_MARKER]
        shown = [m for m in markers if m in text and m not in before[key][1]]
        if shown:
            at = text.index(shown[0])
            failures.append(f"{role:>12} {url}: shows {shown[0]}: ...{text[at - 80 : at + 40]!r}")
        elif role in STAFF and url.startswith(EVENT_PAGES + LIBRARY_PAGES):
            continue  # the event and staff resource are theirs to see; markers still checked
        elif (status, text) != before[key]:
            failures.append(
                f"{role:>12} {url}: changed ({before[key][0]} -> {status})\n"
                + _diff(before[key][1], text)
            )
    print(
        f"{len(after)} URLs for {len(OUTSIDERS)} outsiders, before and after "
        f"{len(kinds)} kinds of private content"
    )
    assert len(after) > 150
    assert not failures, "\n".join(failures)


def _diff(a: str, b: str) -> str:
    import difflib

    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
    return "\n".join(list(lines)[2:12])
