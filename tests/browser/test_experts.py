"""The expert directory in a real browser: the issue's "done when" (a member filters on
apprenticeship and their state, asks Dr. Leah Morrison for an introduction, she accepts from
the email link, schedules and completes it, the member answers the follow-up question, the
admin report counts it), with axe-core on every directory page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

MEMBER = "member@demo.example.org"  # Great Lakes Solar (MI, OH)
EXPERT = "expert@demo.example.org"  # Dr. Leah Morrison: apprenticeship, MI/OH/IN/IL
ADMIN = "admin@demo.example.org"
NEED = "BROWSER-NEED: how do we register our solar pre-apprenticeship with Ohio?"


def _open_link_for(app, address: str, needle: str) -> str:
    """The notification link (a local path) of the newest email to `address` about `needle`."""
    import sqlalchemy as sa

    from cop.extensions import db
    from cop.notifications.models import OutboundEmail

    with app.app_context():
        emails = db.session.execute(
            sa.select(OutboundEmail)
            .where(OutboundEmail.to_address == address)
            .order_by(OutboundEmail.id.desc())
        ).scalars()
        for email in emails:
            if needle in email.text_body:
                return re.search(
                    r"https?://[^/\s]+(/notifications/\d+/open)", email.text_body
                ).group(1)
    raise AssertionError(f"no email to {address} about {needle!r}")


def _choose(page, label: str) -> None:
    page.locator(
        "label.usa-radio__label, label.usa-checkbox__label",
        has_text=re.compile(f"^{re.escape(label)}$"),
    ).click()


@pytest.mark.browser
def test_member_finds_an_expert_and_the_connection_is_tracked(session_for, live_server):
    member = session_for(MEMBER)
    page = member.page
    member.goto("/experts/")
    member.assert_accessible("directory")
    page.get_by_label("Expertise", exact=True).select_option("apprenticeship")
    page.get_by_label("State", exact=True).select_option("OH")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*topic=apprenticeship.*"))
    expect(page.get_by_role("link", name="Dr. Leah Morrison")).to_be_visible()
    member.assert_accessible("directory, filtered")
    page.get_by_role("link", name="Dr. Leah Morrison").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr. Leah Morrison")
    member.assert_accessible("profile")
    page.get_by_role("link", name="Request an introduction").click()
    expect(page.get_by_role("button", name="Send the request")).to_be_visible()
    member.assert_accessible("request form")
    page.get_by_role("button", name="Send the request").click()  # empty: refused, explained
    expect(page.locator("#error-summary")).to_be_visible()
    member.assert_accessible("request form with errors")
    page.get_by_label("What you need").fill(NEED)
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r".*/experts/requests/\d+$"))
    request_path = "/experts/requests/" + page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("Requested", exact=True)).to_be_visible()
    member.assert_accessible("request page (requester)")
    member.goto("/experts/requests")
    expect(page.get_by_role("link", name=re.compile("BROWSER-NEED"))).to_be_visible()
    member.assert_accessible("my requests")

    app = live_server.app()
    expert = session_for(EXPERT)
    expert.goto(_open_link_for(app, EXPERT, "asks for an introduction"))
    expect(expert.page).to_have_url(re.compile(re.escape(request_path) + "$"))
    expert.assert_accessible("request page (expert)")
    expert.page.get_by_role("button", name="Accept").click()
    expect(expert.page.get_by_text("The request is now accepted.")).to_be_visible()
    expert.page.get_by_role("button", name="Mark scheduled").click()
    expect(expert.page.get_by_text("The request is now scheduled.")).to_be_visible()
    expert.page.get_by_role("button", name="Mark completed").click()
    expect(expert.page.get_by_text("The request is now completed.")).to_be_visible()
    expert.goto("/experts/profile")
    expert.assert_accessible("edit profile")

    member.goto(request_path)
    expect(page.get_by_role("heading", name="One question: did it help?")).to_be_visible()
    member.assert_accessible("request page with the follow-up question")
    _choose(page, "Yes")
    page.get_by_label("What changed?").fill("We filed the standards.")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("We filed the standards.")).to_be_visible()

    admin = session_for(ADMIN)
    admin.goto("/experts/reports")
    row = admin.page.locator("#per_expert tr", has_text="Dr. Leah Morrison")
    expect(row.locator("td").first).to_have_text("1")
    admin.assert_accessible("reports")
    admin.goto("/experts/new")
    admin.assert_accessible("new outside profile")
