"""Commitments in a real browser: a visitor without an account makes a commitment (an error
first, then the thanks page), confirms it, an admin reviews the queue and accepts, the contact
reports progress from the signed link; zero axe-core violations on every commitments page,
anonymous and admin."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

ADMIN = "admin@demo.example.org"
CONTACT = "browser.contact@example.org"


def choose(page, label: str) -> None:
    page.locator(
        "label.usa-radio__label, label.usa-checkbox__label",
        has_text=re.compile(f"^{re.escape(label)}$"),
    ).click()
    assert page.get_by_label(label, exact=True).is_checked()


@pytest.fixture(scope="module")
def demo(live_server):
    """Tokens the emails would carry, made with the live server's secret and database."""
    import sqlalchemy as sa

    from cop.commitments.models import Commitment, Status
    from cop.commitments.services import make_token
    from cop.extensions import db

    app = live_server.app()

    def token_for(status: str, purpose: str, **where) -> tuple[int, str]:
        with app.app_context():
            stmt = sa.select(Commitment).where(Commitment.status == status)
            for key, value in where.items():
                stmt = stmt.where(getattr(Commitment, key) == value)
            c = db.session.execute(stmt.order_by(Commitment.id.desc()).limit(1)).scalar_one()
            return c.id, make_token(c, purpose)

    return {"token_for": token_for, "Status": Status}


def test_commitment_pages_anonymous_and_admin(session_for, demo):
    Status = demo["Status"]
    visitor = session_for()
    page = visitor.page
    for path, label in [
        ("/commitments/", "public list"),
        ("/commitments/totals", "totals"),
        ("/commitments/?sector=broadband", "filtered list"),
    ]:
        visitor.goto(path)
        visitor.assert_accessible(f"{label} (anonymous)")
    accepted_id, report_token = demo["token_for"](Status.ACCEPTED, "report")
    visitor.goto(f"/commitments/{accepted_id}")
    visitor.assert_accessible("commitment page (anonymous)")

    shown = time.monotonic()
    visitor.goto("/commitments/new")
    visitor.assert_accessible("public form (anonymous)")
    page.get_by_label("Organization name").fill("Browser Test Wind Works (demo)")
    choose(page, "Employer")
    page.get_by_label("Your commitment in one line").fill("Hire 25 wind technicians")
    page.get_by_label("What the organization commits to").fill("Paid **training**, then hire.")
    choose(page, "Renewable energy")
    page.get_by_label("States").select_option(["IA", "MN"])
    page.get_by_label("People to hire").fill("-25")
    page.get_by_label("Start date").fill("2026-01-01")
    page.get_by_label("End date").fill("2028-12-31")
    page.get_by_label("Contact name").fill("Robin Example")
    page.get_by_label("Contact email").fill(CONTACT)
    time.sleep(max(0.0, 3.5 - (time.monotonic() - shown)))  # people take longer than 3 s
    page.get_by_role("button", name="Send the commitment").click()
    expect(page.locator("#error-summary")).to_contain_text("People to hire cannot be negative")
    visitor.assert_accessible("public form with errors (anonymous)")
    page.get_by_label("People to hire").fill("25")
    page.get_by_role("button", name="Send the commitment").click()
    expect(page.get_by_role("heading", name="Thank you for your commitment")).to_be_visible()
    visitor.assert_accessible("thanks page (anonymous)")

    new_id, confirm_token = demo["token_for"](Status.UNCONFIRMED, "confirm", contact_email=CONTACT)
    visitor.goto(f"/commitments/confirm/{confirm_token}")
    expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    visitor.assert_accessible("confirmation page (anonymous)")
    _, edit_token = demo["token_for"](Status.CHANGES_REQUESTED, "edit")
    visitor.goto(f"/commitments/edit/{edit_token}")
    visitor.assert_accessible("edit page from the signed link (anonymous)")

    admin = session_for(ADMIN)
    apage = admin.page
    admin.goto("/commitments/")
    expect(apage.get_by_role("link", name="Commitments", exact=True)).to_be_visible()
    admin.assert_accessible("public list (admin)")
    admin.goto("/commitments/review")
    expect(apage.get_by_role("link", name="Hire 25 wind technicians")).to_be_visible()
    admin.assert_accessible("review queue (admin)")
    apage.get_by_role("link", name="Hire 25 wind technicians").click()
    apage.wait_for_url(f"**/commitments/review/{new_id}")
    admin.assert_accessible("review page (admin)")
    choose(apage, "Accept: list it publicly and count it in the totals")
    apage.get_by_role("button", name="Send the review").click()
    expect(apage.locator(".cop-flashes")).to_contain_text("now accepted")
    admin.goto(f"/commitments/{accepted_id}/progress")
    admin.assert_accessible("progress form (admin)")
    admin.goto("/commitments/totals")
    admin.assert_accessible("totals (admin)")

    _, new_report = demo["token_for"](Status.ACCEPTED, "report", id=new_id)
    visitor.goto(f"/commitments/progress/{new_report}")
    visitor.assert_accessible("progress form from the signed link (anonymous)")
    page.get_by_label("People hired so far").fill("9")
    page.get_by_role("button", name="Send the progress report").click()
    expect(page.locator(".cop-flashes")).to_contain_text("totals are updated")
    expect(page.get_by_role("heading", name="Hire 25 wind technicians")).to_be_visible()
    visitor.assert_accessible("commitment page after a report (anonymous)")
    # The refused form answered 400 on purpose; anything else in the console is a bug.
    scripts = [e for e in visitor.errors + admin.errors if "Failed to load resource" not in e]
    assert not scripts, scripts
