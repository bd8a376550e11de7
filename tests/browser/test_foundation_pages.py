"""Every page of the foundation, opened in a real browser by the right user, passes axe-core."""

import pytest
from playwright.sync_api import expect

ADMIN = "admin@demo.example.org"
LEAD = "lead@demo.example.org"
MEMBER = "member@demo.example.org"


def test_anonymous_pages_are_accessible(session_for):
    s = session_for()
    for path in ["/login", "/password/forgot"]:
        s.goto(path)
        s.assert_accessible(path)


def test_login_shows_the_34_coalitions(session_for):
    s = session_for(MEMBER)
    s.goto("/coalitions/")
    cards = s.page.locator(".usa-card")
    assert cards.count() == 34
    assert s.page.get_by_role("heading", name="Where the coalitions work").is_visible()
    s.assert_accessible("/coalitions/")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/coalitions/",
        "/coalitions/?state=MI",
        "/coalitions/great-lakes-solar",
        "/profile",
        "/people/1",
        "/accessibility",
        "/admin/users",
        "/admin/users/1",
        "/admin/audit",
        "/invitations",
        "/invitations/new",
        "/no-such-page",
    ],
)
def test_admin_pages_are_accessible(session_for, path):
    s = session_for(ADMIN)
    s.page.goto(path)
    s.assert_accessible(path)


def test_invite_and_accept_in_the_browser(session_for):
    lead = session_for(LEAD)
    lead.goto("/invitations/new")
    lead.page.get_by_label("Email address").fill("new.colleague@demo.example.org")
    lead.page.get_by_label("Coalition", exact=True).select_option(
        label="Great Lakes Solar Workforce Coalition (demo)"
    )
    lead.page.get_by_role("button", name="Send invitation").click()
    lead.assert_accessible("invitation sent")
    link = lead.page.locator("#invitation-link").input_value()
    assert "/invitations/accept/" in link

    newcomer = session_for()
    newcomer.page.goto(link)
    newcomer.assert_accessible("accept invitation")
    newcomer.page.get_by_label("Your full name").fill("New Colleague")
    newcomer.page.get_by_role("textbox", name="New password", exact=True).fill(
        "a long enough password"
    )
    newcomer.page.get_by_label("Repeat the new password").fill("a long enough password")
    newcomer.page.get_by_role("button", name="Create my account").click()
    newcomer.page.wait_for_url("**/profile")
    assert newcomer.page.get_by_text("Welcome to cop, New Colleague.").is_visible()
    newcomer.assert_accessible("profile after accepting")


def test_form_errors_are_accessible(session_for):
    s = session_for()
    s.goto("/login")
    s.page.get_by_label("Email address").fill("admin@demo.example.org")
    s.page.get_by_label("Password").fill("wrong password")
    s.page.get_by_role("button", name="Log in").click()
    expect(s.page.get_by_text("Wrong email or password")).to_be_visible()
    s.assert_accessible("login error")


def test_mobile_menu_and_keyboard_skip_link(session_for):
    s = session_for(MEMBER)
    s.page.set_viewport_size({"width": 400, "height": 800})
    s.goto("/")
    s.page.keyboard.press("Tab")
    skip = s.page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    s.page.get_by_role("button", name="Menu").click()
    expect(s.page.get_by_role("link", name="Coalitions")).to_be_visible()
    s.assert_accessible("mobile menu open")
    assert not [e for e in s.errors if "pageerror" in e], s.errors
