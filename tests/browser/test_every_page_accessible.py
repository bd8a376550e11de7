"""axe-core on every page, for every role that may open it (issue 11, item 7).

The route x role tables (tests/hardening/pages.py) say which endpoints answer 200 to which
role. The live server holds the demo data, whose ids the tables do not know, so each demo
user's pages are found by following the links of the pages they see (fetched without
rendering, through the browser context's cookies). Each endpoint is then opened in Chromium
and checked with axe-core (WCAG 2.0/2.1 A and AA) and for CSP errors, for the first role that
reaches it (COP_AXE_ALL_ROLES=1: one URL per endpoint for every role, several minutes). The
test fails on a violation, and on an endpoint the tables give some role that no link leads
to, unless it is listed in NOT_LINKED with the reason.
"""

from __future__ import annotations

import html
import re
from collections import deque

import pytest

# The table's roles and the demo users who play them.
DEMO = {
    "admin": "admin@demo.example.org",
    "coach": "coach@demo.example.org",
    "lead": "lead@demo.example.org",
    "member": "member@demo.example.org",
    "expert": "expert@demo.example.org",
    "guest": "guest@demo.example.org",
    "anonymous": None,
}
SKIP = re.compile(r"^/(logout|api/|static/|healthz)|\.(csv|ics|json|txt|pdf)(\?|$)|/open$")
MAX_FETCHES = 150  # per role: enough to reach every endpoint of the demo through links
ROLES_PER_ENDPOINT = 1  # keeps the test near a minute; the template is the same for all
HREF = re.compile(r'href="(/[^"#]*)')


# Pages the tables give a role that no link of the demo leads to, with the reason.
NOT_LINKED: dict[str, str] = {
    "accounts.reset_password": "reached from an emailed link",
    "accounts.accept_invitation": "reached from an emailed link",
    "event_feeds.personal_feed": "a calendar feed, not a page",
    "core.healthz": "JSON for load balancers, not a page",
    "events.event_ics": "a calendar file, not a page",
    "events.series_ics": "a calendar file, not a page",
    "notifications.unsubscribe": "reached from an emailed link",
    "coaching.person_items": "no page links it; it is opened from an emailed reminder",
    "events.live_page": "linked only while an event is under way (tests/browser/test_events.py)",
    "forums.revisions": "linked only from an edited post; the demo edits none",
    "reporting.comparison": "linked once a comparison is published; the demo publishes none",
    "reporting.comparison_csv": "a CSV file, linked from a published comparison",
    "commitments.confirm": "reached from an emailed link",
    "commitments.edit": "reached from an emailed link",
    "commitments.progress_by_link": "reached from an emailed link",
    "commitments.thanks": "shown after the public form is sent",
    "library.promote_event_material": "linked from an event's materials; the demo has none",
}


def crawl(session, endpoint_of, start: str, files: set[str]) -> dict[str, str]:
    """endpoint -> the first URL (a link this user can follow) that reaches it. The first
    link to each endpoint not seen yet is fetched first; other pages of an endpoint already
    found are not fetched at all, so the crawl costs about one fetch per endpoint."""
    queue, seen, chosen, queued = deque([start]), {start}, {}, set()
    fetches = 0
    while queue and fetches < MAX_FETCHES:
        url = queue.popleft()
        endpoint = endpoint_of(url)
        if endpoint is None or endpoint in chosen:
            continue
        response = session.context.request.get(url, max_redirects=0)
        fetches += 1
        if response.status != 200:
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            files.add(endpoint)  # a download: linked, but not a page
            continue
        chosen[endpoint] = url
        for link in HREF.findall(response.text()):
            link = html.unescape(link)
            target = endpoint_of(link)
            if SKIP.search(link) and target is not None:
                files.add(target)  # a download (CSV, calendar): linked, but not a page
                continue
            if link in seen or target is None or target in chosen:
                continue
            seen.add(link)
            if target not in queued:
                queued.add(target)
                queue.appendleft(link)
            else:
                queue.append(link)
    return chosen


@pytest.fixture(scope="module")
def endpoint_of(live_server):
    from werkzeug.exceptions import HTTPException

    adapter = live_server.app().url_map.bind("127.0.0.1")

    def _endpoint(url: str) -> str | None:
        try:
            return adapter.match(url.split("?")[0], method="GET")[0]
        except HTTPException:
            return None
        except Exception:  # noqa: BLE001 - a redirect rule and the like
            return None

    return _endpoint


def test_every_page_is_accessible(session_for, endpoint_of):
    """Each demo role's pages through links; each endpoint checked with axe-core for the
    first ROLES_PER_ENDPOINT roles that reach it (COP_AXE_ALL_ROLES=1: for every role)."""
    import os

    from tests.hardening.pages import endpoints_by_role

    per_endpoint = 99 if os.environ.get("COP_AXE_ALL_ROLES") == "1" else ROLES_PER_ENDPOINT
    checked: dict[str, int] = {}
    reached: set[str] = set()
    files: set[str] = set()
    failures: list[str] = []
    pages = 0
    for role, email in DEMO.items():
        session = session_for(email)
        found = crawl(session, endpoint_of, "/" if email else "/login", files)
        reached |= set(found)
        for endpoint, url in sorted(found.items()):
            if checked.get(endpoint, 0) >= per_endpoint:
                continue
            checked[endpoint] = checked.get(endpoint, 0) + 1
            pages += 1
            session.errors.clear()
            session.goto(url)
            violations = session.axe()
            csp = [e for e in session.errors if "Content Security Policy" in e]
            if violations or csp:
                failures.append(
                    f"{role} {endpoint} {url}: "
                    + "; ".join(f"{v['id']} ({v['impact']}): {v['nodes'][:2]}" for v in violations)
                    + (f" CSP {csp}" if csp else "")
                )
        session.close()
    assert not failures, f"{len(failures)} of {pages} pages fail axe-core:\n" + "\n".join(failures)
    expected = set().union(*endpoints_by_role().values())
    unreached = expected - reached - files - set(NOT_LINKED)
    assert not unreached, (
        "the route tables give these pages to some role but no link of "
        "the demo leads there (add a link, or list them in NOT_LINKED): "
        f"{sorted(unreached)}"
    )
