"""Coaching in a real browser: a coach logs a session in under a minute, the lead sees it
without the private notes and gets the action item by email, another coalition's member gets
404, and every coaching page passes axe-core."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD

ADMIN = "admin@demo.example.org"
COACH = "coach@demo.example.org"
LEAD = "lead@demo.example.org"
MEMBER = "member@demo.example.org"
OTHER_MEMBER = "member2@demo.example.org"  # Prairie Wind, not Great Lakes Solar
SLUG = "great-lakes-solar"
COALITION = "Great Lakes Solar Workforce Coalition (demo)"


@pytest.fixture(scope="module")
def coaching(live_server):
    """The live server's database (migrated, with the demo coaching logs from seed-demo)."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.extensions import db
    from cop.notifications.services import update_preferences

    app = live_server.app()
    with app.app_context():
        lead = db.session.execute(sa.select(User).where(User.email == LEAD)).scalar_one()
        # ACTION_ITEM is in-app by default; the lead chose email (see docs/coaching.md).
        update_preferences(lead, lead, deliveries={"action_item": "email"})
        yield {"app": app, "lead_id": lead.id, "lead_name": lead.name}


def _api(
    base: str, method: str, path: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    """A cookie-less API call, as a script would make it."""
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _outbox_to(app, address: str) -> list:
    import sqlalchemy as sa

    from cop.extensions import db
    from cop.notifications.models import OutboundEmail

    with app.app_context():
        return list(
            db.session.execute(
                sa.select(OutboundEmail)
                .where(OutboundEmail.to_address == address)
                .order_by(OutboundEmail.id)
            ).scalars()
        )


def test_a_coach_logs_a_session_and_the_lead_sees_it(session_for, coaching):
    coach = session_for(COACH)
    page = coach.page
    started = time.monotonic()
    coach.goto("/coaching/")
    page.get_by_role("link", name=f"Log a session with {COALITION}").click()
    page.wait_for_url(f"**/coaching/coalitions/{SLUG}/sessions/new")
    # The defaults (today, an hour ago, 60 minutes, the coach) stand; fill the rest.
    page.get_by_label("Duration in minutes").fill("45")
    choose(page, "Phone")
    choose(page, "The coalition")
    choose(page, "Employer engagement")
    page.get_by_label("Need presented").fill("Two employers have not confirmed interviews.")
    page.get_by_label("What was done").fill("Rehearsed the **employer call** script.")
    page.get_by_label("What changed since last time").fill("Spring cohort is full.")
    page.get_by_label("Private coach notes").fill("BROWSER-PRIVATE the lead is overloaded")
    page.get_by_label("Action item", exact=True).first.fill("Call the two employers")
    page.get_by_label("Owner").first.select_option(str(coaching["lead_id"]))
    page.get_by_label("Due date").first.fill((time_today(page) + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Save the session log").click()
    page.wait_for_url(re.compile(r".*/coaching/sessions/\d+$"))
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"logging took {elapsed:.1f}s"
    assert page.get_by_text("The session is logged.").is_visible()
    assert page.get_by_text("BROWSER-PRIVATE the lead is overloaded").is_visible()
    coach.assert_accessible("session page (coach)")
    session_url = page.url

    lead = session_for(LEAD)
    lead.goto(session_url)
    assert lead.page.get_by_role("heading", name="What was done").is_visible()
    assert lead.page.locator("strong", has_text="employer call").is_visible()
    assert lead.page.get_by_text("Call the two employers").first.is_visible()
    content = lead.page.content()
    assert "BROWSER-PRIVATE" not in content and "Private coach notes" not in content
    lead.assert_accessible("session page (lead)")
    lead.goto(f"/coaching/coalitions/{SLUG}")
    assert "BROWSER-PRIVATE" not in lead.page.content()
    lead.goto("/coaching/action-items")
    assert lead.page.get_by_role("link", name="Call the two employers").is_visible()

    # ... and the action item by email (queued in the outbox in the same transaction).
    emails = [
        m for m in _outbox_to(coaching["app"], LEAD) if "Call the two employers" in m.text_body
    ]
    assert len(emails) == 1
    assert "BROWSER-PRIVATE" not in emails[0].text_body + (emails[0].html_body or "")

    # Another coalition's member: 404 on the page and in the API.
    other = session_for(OTHER_MEMBER)
    response = other.page.goto(session_url)
    assert response.status == 404
    session_id = session_url.rsplit("/", 1)[1]
    token = _api(
        other.server.url,
        "POST",
        "/api/v1/tokens",
        {"email": OTHER_MEMBER, "password": DEMO_PASSWORD},
    )
    assert token[0] == 201
    status, body = _api(
        other.server.url, "GET", f"/api/v1/coaching/sessions/{session_id}", token=token[1]["token"]
    )
    assert status == 404 and body["error"]["code"] == "not_found"


def choose(page, label: str) -> None:
    """Click a USWDS radio or checkbox the way a person does: on its label (the native
    input is visually hidden), then check that it took."""
    page.locator(
        "label.usa-radio__label, label.usa-checkbox__label",
        has_text=re.compile(f"^{re.escape(label)}$"),
    ).click()
    assert page.get_by_label(label, exact=True).is_checked()


def time_today(page):
    """Today in the browser's time zone (the coach's profile zone drives the form)."""
    from datetime import date

    return date.fromisoformat(page.locator("#held_on").input_value())


COACH_PAGES = [
    "/coaching/",
    f"/coaching/coalitions/{SLUG}",
    f"/coaching/coalitions/{SLUG}?q=employer&topic=partnerships",
    f"/coaching/coalitions/{SLUG}/sessions/new",
    "/coaching/action-items",
    "/coaching/analysis",
    f"/coaching/analysis?coalition={SLUG}",
]


@pytest.mark.parametrize("path", COACH_PAGES)
def test_coach_pages_are_accessible(session_for, coaching, path):
    s = session_for(COACH)
    s.goto(path)
    s.assert_accessible(path)


def test_session_edit_delete_and_item_pages_are_accessible(session_for, coaching):
    s = session_for(COACH)
    s.goto(f"/coaching/coalitions/{SLUG}")
    s.page.locator("article.cop-session h3 a").first.click()
    s.page.wait_for_url(re.compile(r".*/coaching/sessions/\d+$"))
    s.assert_accessible("session")
    session_url = s.page.url
    for suffix in ("/edit", "/delete"):
        s.goto(session_url + suffix)
        s.assert_accessible(session_url + suffix)
    s.goto(session_url)
    edit_links = s.page.get_by_role("link", name=re.compile(r"^edit “"))
    if edit_links.count():
        edit_links.first.click()
        s.page.wait_for_url(re.compile(r".*/action-items/\d+/edit$"))
        s.assert_accessible("edit action item")


def test_the_form_shows_errors_accessibly(session_for, coaching):
    s = session_for(COACH)
    s.goto(f"/coaching/coalitions/{SLUG}/sessions/new")
    s.page.get_by_label("Duration in minutes").fill("0")
    s.page.get_by_label("What was done").fill("Short call.")
    s.page.get_by_role("button", name="Save the session log").click()
    summary = s.page.locator("#error-summary")
    # expect() waits for the answer to the POST; is_visible() would not.
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("between 1 minute and 24 hours")
    s.assert_accessible("session form with errors")
    # The summary links to the field.
    s.page.get_by_role("link", name=re.compile("Duration in minutes")).click()
    assert s.page.evaluate(
        "document.activeElement.id"
    ) == "duration_minutes" or s.page.url.endswith("#duration_minutes")


def test_the_add_item_button_reveals_rows(session_for, coaching):
    s = session_for(COACH)
    s.goto(f"/coaching/coalitions/{SLUG}/sessions/new")
    rows = s.page.locator("[data-item-row]")
    assert rows.count() == 5
    assert s.page.locator("[data-item-row]:visible").count() == 1
    s.page.get_by_role("button", name="Add another action item").click()
    assert s.page.locator("[data-item-row]:visible").count() == 2
    focused = s.page.evaluate("document.activeElement.id")
    assert focused == "items-1-description"
    s.assert_accessible("form with two item rows")
    assert not [e for e in s.errors if "pageerror" in e], s.errors


@pytest.mark.parametrize(
    "path", ["/coaching/", f"/coaching/coalitions/{SLUG}", "/coaching/action-items"]
)
def test_lead_pages_are_accessible(session_for, coaching, path):
    s = session_for(LEAD)
    s.goto(path)
    s.assert_accessible(path)


@pytest.mark.parametrize("path", ["/coaching/topics", "/coaching/", "/coaching/analysis"])
def test_admin_pages_are_accessible(session_for, coaching, path):
    s = session_for(ADMIN)
    s.goto(path)
    s.assert_accessible(path)


def test_a_member_is_refused_exports_clearly(session_for, coaching):
    s = session_for(MEMBER)
    response = s.page.goto("/coaching/export/sessions.csv")
    assert response.status == 403
    assert s.page.get_by_text("Exports are for coaches and program staff").is_visible()
    s.assert_accessible("export refused")


def test_a_persons_items_page_is_accessible(session_for, coaching):
    s = session_for(COACH)
    s.goto(f"/coaching/people/{coaching['lead_id']}/action-items")
    assert s.page.get_by_role("heading", name=f"Open action items of {coaching['lead_name']}")
    s.assert_accessible("a person's action items")
