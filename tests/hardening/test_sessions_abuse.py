"""Sessions and abuse: the gaps the feature tests leave (docs/security.md lists where each
requirement is tested).

- a copied session cookie opens no socket after logout (pages: tests/accounts/test_auth.py);
- failed logins are throttled per address across emails (per email: test_auth.py);
- forum post flooding is throttled per user, other users unaffected (chat: tests/chat);
- every endpoint that reads `next` refuses every open-redirect variant;
- every CSV export of every feature neutralises formula prefixes in every text cell;
- CR/LF, `;` and `,` in event text stay inside their property in every .ics output.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import sqlalchemy as sa

from tests import factories
from tests.chat.conftest import _user_per_request, fresh_user  # noqa: F401 - fixture
from tests.conftest import csrf_token, login, post_form
from tests.hardening.route_tables import feature_matrices, resolve
from tests.test_permission_matrix import ROLES, TABLE, Case, Ctx

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- cookie replay on sockets


def test_a_copied_cookie_opens_no_socket_after_logout(app, world):
    from cop.extensions import socketio

    owner = app.test_client()
    login(owner, world["member"])
    copied = owner.get_cookie("cop_session").value

    def socket_with_copy(namespace: str):
        thief = app.test_client()
        thief.set_cookie("cop_session", copied)
        fresh_user()
        return socketio.test_client(app, namespace=namespace, flask_test_client=thief)

    before = {ns: socket_with_copy(ns) for ns in ("/", "/chat")}
    assert all(sc.is_connected(ns) for ns, sc in before.items()), "the copy works until logout"
    assert post_form(owner, "/logout", token_from="/").status_code == 303
    for namespace in ("/", "/chat"):
        assert not socket_with_copy(namespace).is_connected(namespace), namespace
    fresh_user()
    # The sockets opened before: their events are refused (chat re-checks every event).
    ack = before["/chat"].emit("presence", {"room_id": 1}, namespace="/chat", callback=True)
    assert ack["error"]["code"] == "unauthorized"


# ---------------------------------------------------------------- login brute force


def test_failed_logins_from_one_address_are_throttled_across_emails(app, client, world):
    limit = int(app.config["LOGIN_IP_FAILURE_LIMIT"].split()[0])

    def attempt(email, password="wrong password!", ip="10.9.0.1"):
        return post_form(
            client,
            "/login",
            {"email": email, "password": password},
            environ_base={"REMOTE_ADDR": ip},
        )

    for n in range(limit):
        assert attempt(f"guess{n}@brute.example.org").status_code == 200, n
    assert attempt("one.more@brute.example.org").status_code == 429
    # Even the right password, from that address, waits; from another address it works.
    assert attempt(world["member"].email, factories.PASSWORD).status_code == 429
    assert attempt(world["member"].email, factories.PASSWORD, ip="10.9.0.2").status_code == 303


# ---------------------------------------------------------------- forum flooding


def test_forum_post_flooding_is_throttled_per_user(app, db, world, monkeypatch):
    from cop.forums import services
    from cop.forums.models import Post
    from tests.forums.helpers import category

    monkeypatch.setitem(app.config, "FORUM_POST_RATE", "3 per minute")
    services.ensure_default_categories()
    thread = services.create_thread(
        world["lead"], category("general"), title="Flood here", body="Replies welcome"
    )
    member, lead = app.test_client(), app.test_client()
    login(member, world["member"])
    login(lead, world["lead"])

    def reply(client, n):
        return post_form(
            client, f"/forums/t/{thread.id}/reply", {"body": f"Reply {n}"}, token_from="/forums/"
        )

    assert [reply(member, n).status_code for n in range(3)] == [303, 303, 303]
    refused = reply(member, 4)
    assert refused.status_code == 429
    assert "posting too quickly" in refused.get_data(as_text=True)
    new = post_form(
        member,
        "/forums/new",
        {"category": "general", "kind": "discussion", "title": "Another", "body": "More"},
        token_from="/forums/",
    )
    assert new.status_code == 429
    # The API shares the limit; another user is not affected.
    token = factories_token(world["member"])
    api = app.test_client().post(
        f"/api/v1/forums/threads/{thread.id}/posts", json={"body": "via API"}, headers=token
    )
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
    assert reply(lead, 1).status_code == 303
    db.session.expire_all()
    bodies = (
        db.session.execute(
            sa.select(Post.body).where(Post.thread_id == thread.id).order_by(Post.id)
        )
        .scalars()
        .all()
    )
    assert bodies == ["Replies welcome", "Reply 0", "Reply 1", "Reply 2", "Reply 1"]


def factories_token(user) -> dict:
    from cop.accounts.services import create_api_token

    return {"Authorization": f"Bearer {create_api_token(user)[1]}"}


# ---------------------------------------------------------------- open redirects

EVIL = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/\\/evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/\\evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example@localhost",
    "/\u3000/evil.example",
    "\uff0f\uff0fevil.example",
]

# Every module that reads a `next` parameter, and the endpoints that follow it.
NEXT_READERS = {
    "cop/accounts/views.py": ["accounts.login"],
    "cop/coaching/views.py": ["coaching.item_status"],
    "cop/notifications/views.py": ["notifications.read", "notifications.read_all"],
    "cop/events/views.py": ["events.register", "events.unregister"],
}
NOT_A_REDIRECT = {"cop/forums/moderation_views.py": "compares next to 'queue', never follows it"}
READS_NEXT = re.compile(r"""(?:args|form|values)\.get\(\s*["']next["']|form\.next\b""")


def test_every_module_that_reads_next_has_a_row():
    readers = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "cop").rglob("*.py")
        if READS_NEXT.search(p.read_text())
    }
    assert readers - set(NOT_A_REDIRECT) == set(NEXT_READERS), (
        "modules reading `next` without a row in NEXT_READERS (add the endpoints and a "
        f"request below): {sorted(readers - set(NOT_A_REDIRECT) - set(NEXT_READERS))}"
    )


def off_site(location: str) -> bool:
    """Would a browser leave the site? (Browsers read \\ as / and drop tabs and newlines.)"""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    parts = urlsplit(seen)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return True
    return bool(parts.netloc) and parts.netloc != "localhost" or seen.startswith("//")


def test_every_next_endpoint_refuses_every_open_redirect(app, db, world):
    from tests.coaching import matrix as coaching
    from tests.events.conftest import make_event
    from tests.notifications.matrix import notification_for

    ctx = Ctx(world)
    item = coaching.ids(world)["item"]
    event = make_event(world["coach"], title="Redirects")
    lead, member = app.test_client(), app.test_client()
    login(lead, world["lead"])
    login(member, world["member"])
    token = {c: csrf_token(c, "/accessibility") for c in (lead, member)}

    def via_login(evil):
        client = app.test_client()
        page = client.get(f"/login?next={quote(evil, safe='%')}")
        assert page.status_code == 200
        return post_form(
            client,
            f"/login?next={quote(evil, safe='%')}",
            {"email": world["expert"].email, "password": factories.PASSWORD, "next": evil},
        )

    def form(client, url, **data):
        return client.post(url, data={**data, "csrf_token": token[client]})

    requests = {
        "accounts.login": via_login,
        "coaching.item_status": lambda evil: form(
            lead, f"/coaching/action-items/{item}/status", status="done", next=evil
        ),
        "notifications.read": lambda evil: form(
            member, f"/notifications/{notification_for(ctx, 'member')}/read", next=evil
        ),
        "notifications.read_all": lambda evil: form(member, "/notifications/read-all", next=evil),
        "events.register": lambda evil: form(member, f"/events/{event.id}/register", next=evil),
        "events.unregister": lambda evil: form(member, f"/events/{event.id}/unregister", next=evil),
    }
    assert set(requests) == {e for endpoints in NEXT_READERS.values() for e in endpoints}
    failures = []
    for endpoint, send in requests.items():
        for evil in EVIL:
            fresh_user()
            response = send(evil)
            location = response.headers.get("Location", "")
            if response.status_code not in (302, 303) or off_site(location):
                failures.append(f"{endpoint} next={evil!r}: {response.status_code} -> {location!r}")
    assert not failures, "\n".join(failures)
    # The check itself: a local next is followed.
    assert (
        form(member, "/notifications/read-all", next="/events/").headers["Location"] == "/events/"
    )


# ---------------------------------------------------------------- CSV exports

FORMULA = ("=", "+", "-", "@", "\t", "\r")
# Text columns people fill in (names, titles, narratives...): each gets a formula prefix.
FREE_TEXT = {
    "name",
    "title",
    "summary",
    "description",
    "outcome",
    "need",
    "progress",
    "challenges",
    "ta_wanted",
    "organization",
    "other_attendees",
    "label",
    "body",
    "location",
    "notes",
    "text",
    "reason",
    "comments",
    "review_comments",
    "bio",
    "headline",
    "topic",
    "question",
    "answer",
}


def _csv_urls(app, world) -> dict[str, tuple[str, str, bool]]:
    """endpoint-ish key -> (url, role, bearer) for every CSV row of every route table."""
    ctx = Ctx(world)
    found: dict[str, tuple[str, str, bool]] = {}

    def pick(expect) -> str | None:
        return (
            "admin"
            if expect["admin"] == 200
            else next((r for r in ROLES if expect[r] == 200), None)
        )

    cases: list[tuple[str, Case]] = [(e, c) for e, cs in TABLE.items() for c in cs]
    tables = list(feature_matrices())
    for _, kind, module in tables:
        if kind == "rows":
            cases += [(e, c) for e, cs in module.ROWS.items() for c in cs]
    for endpoint, case in cases:
        role = pick(case.expect)
        if case.method == "GET" and role:
            url = case.url(ctx, role)
            if ".csv" in url.split("?")[0]:
                found[f"{endpoint} {url}"] = (url, role, case.bearer)
    for _, kind, module in tables:
        if kind != "cases":
            continue
        values = module.ids(world)
        for key, row in module.CASES.items():
            method, path = resolve(module, key, values, world)
            role = pick(row)
            if method == "GET" and role and ".csv" in path.split("?")[0]:
                found[f"{module.ENDPOINTS[key]} {path}"] = (path, role, path.startswith("/api/"))
    return found


def _poison_free_text(db) -> int:
    """Prefix every free-text value in the database with a formula character."""
    changed = 0
    for n, table in enumerate(db.metadata.sorted_tables):
        for column in table.columns:
            if column.name not in FREE_TEXT or not isinstance(column.type, sa.String):
                continue
            if column.primary_key or column.unique:
                continue
            try:
                with db.engine.begin() as conn:
                    changed += conn.execute(
                        table.update()
                        .where(column.is_not(None), column != "")
                        .values({column.name: sa.literal(FORMULA[n % 4]) + column})
                    ).rowcount
            except sa.exc.IntegrityError:
                pass  # a column of fixed values (a CHECK constraint): not free text after all
    return changed


def test_every_csv_export_neutralises_formulas(app, db, world):
    urls = _csv_urls(app, world)
    registered = {rule.endpoint for rule in app.url_map.iter_rules() if ".csv" in rule.rule}
    covered = {key.split(" ", 1)[0] for key in urls}
    assert registered <= covered, f"CSV routes no table row fetches: {registered - covered}"
    assert _poison_free_text(db) > 20
    db.session.expire_all()
    clients: dict[str, object] = {}
    failures, neutralised = [], {}
    for key, (url, role, bearer) in sorted(urls.items()):
        fresh_user()
        if bearer:
            response = app.test_client().get(url, headers=factories_token(world[role]))
        else:
            if role not in clients:
                clients[role] = app.test_client()
                login(clients[role], world[role])
            response = clients[role].get(url)
        assert response.status_code == 200, (key, response.status_code)
        assert response.mimetype == "text/csv", key
        text = response.get_data(as_text=True).lstrip("\ufeff")
        neutralised[key] = 0
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                if cell.startswith("'") and cell[1:].startswith(FORMULA):
                    neutralised[key] += 1
                elif cell.startswith(FORMULA) and not _is_number(cell):
                    failures.append(f"{key}: cell {cell[:60]!r}")
    print(
        "\nneutralised cells per export: "
        + ", ".join(f"{k.split(' ', 1)[1]}={v}" for k, v in neutralised.items())
    )
    assert not failures, "\n".join(failures[:40])
    # The poison reached most exports (templates have no data of ours).
    assert sum(1 for v in neutralised.values() if v) >= len(neutralised) // 2, neutralised


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- ICS outputs

NASTY = (
    "Line one\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT\r\n"
    "ATTENDEE;CN=x:mailto:evil@example.org; semi; colon: comma, \\ end"
)


def test_ics_text_fields_stay_inside_their_property(app, db, world):
    import icalendar

    from cop.events import services
    from cop.events.models import Event
    from tests.events.conftest import make_event, register

    single = make_event(world["coach"], title="Single; a, b", location=NASTY, description=NASTY)
    series = make_event(
        world["coach"],
        title="Series, weekly; x",
        location=NASTY,
        description=NASTY,
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    register(world["member"], single)
    feed = services.reset_feed_token(world["member"])
    db.session.expire_all()
    stored = db.session.get(Event, single.id)
    member = app.test_client()
    login(member, world["member"])
    outputs = {
        f"/events/{single.id}.ics": 1,
        f"/events/series/{series.series_id}.ics": 3,
        f"/calendar/{feed}.ics": 1,
    }
    for url, count in outputs.items():
        response = (app.test_client() if url.startswith("/calendar/") else member).get(url)
        assert response.status_code == 200, url
        raw = response.get_data(as_text=True)
        # Content lines only ever start a property; the payload's never starts a line.
        lines = raw.replace("\r\n ", "").split("\r\n")
        assert not [ln for ln in lines if ln.startswith(("SUMMARY:injected", "ATTENDEE"))], url
        assert sum(ln == "BEGIN:VEVENT" for ln in lines) == count, url
        vevents = list(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))
        assert len(vevents) == count, url
        for vevent in vevents:  # text round-trips (a line break is a line break: \n)
            assert str(vevent["LOCATION"]) == _lf(stored.location), url
            assert str(vevent["DESCRIPTION"]).startswith(_lf(stored.description).strip()), url
        assert any(str(v["SUMMARY"]) in ("Single; a, b", "Series, weekly; x") for v in vevents), url


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")
