"""Forums in a real browser: posting, replying with an @mention, reacting, accepting,
searching, drafts and quote-reply; axe-core on every forum page; and a hostile post that
must run no script."""

from __future__ import annotations

import re
import uuid

import pytest

MEMBER = "member@demo.example.org"  # Great Lakes Solar
MEMBER2 = "member2@demo.example.org"  # Prairie Wind: another coalition
COACH = "coach@demo.example.org"  # coaches Great Lakes Solar
ADMIN = "admin@demo.example.org"

HOSTILE = "\n\n".join(
    [
        "Hostile corpus for the browser test.",
        "<script>window.__pwned = 1; alert('script')</script>",
        "<img src=x onerror=\"window.__pwned = 2; alert('img')\">",
        '<svg onload="window.__pwned = 3"></svg>',
        '<iframe src="javascript:window.top.__pwned = 4"></iframe>',
        "<style>body { display: none }</style>",
        "[javascript link](javascript:window.__pwned=5)",
        "[entity link](&#106;avascript:window.__pwned=6)",
        "[tab link](java&#x09;script:window.__pwned=7)",
        "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<a href="#" onclick="window.__pwned = 8" id="evil-click">click me</a>',
        '<details open ontoggle="window.__pwned = 9">x</details>',
    ]
)


@pytest.fixture(scope="module")
def forum_data(live_server):
    """The demo forums (from seed-demo, on the migrated database) and a hostile post."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.extensions import db
    from cop.forums import services
    from cop.forums.models import Category, Thread

    app = live_server.app()
    with app.app_context():
        hostile = db.session.execute(
            sa.select(Thread).where(Thread.title == "A hostile post (browser test)")
        ).scalar_one_or_none()
        if hostile is None:
            author = db.session.execute(sa.select(User).where(User.email == MEMBER2)).scalar_one()
            general = db.session.execute(
                sa.select(Category).where(Category.slug == "general")
            ).scalar_one()
            hostile = services.create_thread(
                author, general, body=HOSTILE, title="A hostile post (browser test)"
            )
        seeded = db.session.execute(
            sa.select(Thread).where(Thread.title.like("How are you recruiting women%"))
        ).scalar_one()
        data = {"hostile": hostile.id, "seeded": seeded.id}
        db.session.remove()
    return data


def test_forum_pages_are_accessible(session_for, forum_data):
    member = session_for(MEMBER)
    seeded = forum_data["seeded"]
    for path in [
        "/forums/",
        "/forums/latest",
        "/forums/latest?tag=women-in-trades",
        "/forums/c/recruitment-and-outreach",
        "/forums/c/coalition-great-lakes-solar",
        f"/forums/t/{seeded}",
        "/forums/new",
        "/forums/new?category=general",
        f"/forums/t/{seeded}/reply",
        "/forums/search",
        "/forums/search?q=women+recruit",
        "/forums/search?q=zzznothing",
    ]:
        member.goto(path)
        member.assert_accessible(path)
    member.goto(f"/forums/t/{seeded}")
    member.page.get_by_role("link", name="Flag post 2").click()
    member.assert_accessible("flag a post")
    member.page.get_by_text("Something else", exact=True).click()  # USWDS: the label
    member.page.get_by_role("button", name="Send the flag").click()
    member.page.get_by_text("Say why, in a few words.").wait_for()
    member.assert_accessible("flag form with an error")

    admin = session_for(ADMIN)
    for path in [
        "/forums/admin/categories",
        "/forums/admin/categories/general/edit",
        "/forums/moderation",
        f"/forums/t/{seeded}/move",
        f"/forums/t/{seeded}/merge",
        "/forums/c/staff-room",
    ]:
        admin.goto(path)
        admin.assert_accessible(path)
    admin.goto(f"/forums/t/{seeded}")
    admin.page.get_by_text("Moderate this thread").click()
    admin.assert_accessible("thread with moderation tools open")


def test_post_reply_mention_react_accept_and_search(session_for, forum_data):
    word = "heliostat" + uuid.uuid4().hex[:6]  # one word no other post has
    asker = session_for(MEMBER)
    asker.goto("/forums/new?category=apprenticeship")
    page = asker.page
    page.get_by_label("Title").fill(f"Finding {word} employers for pre-apprenticeship")
    page.get_by_text("A question (an answer can be accepted)").click()
    page.get_by_label("Your post").fill(f"Which **{word}** employers took your graduates?")
    page.get_by_label("Tags (optional)").fill("employers")
    page.get_by_role("button", name="Post the thread").click()
    page.wait_for_url(re.compile(r"/forums/t/\d+$"))
    thread_url = page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Finding")
    asker.assert_accessible("new thread")

    # Another coalition's member replies, mentioning the asker through the autocomplete.
    answerer = session_for(MEMBER2)
    answerer.goto(thread_url)
    box = answerer.page.get_by_label("Your reply")
    box.click()
    box.press_sequentially("Thanks @Jordan Si", delay=30)
    option = answerer.page.get_by_role("option", name=re.compile("Jordan Silva"))
    option.wait_for()
    answerer.assert_accessible("mention suggestions open")
    box.press("Enter")
    assert re.search(r"@jordan-silva-\d+ $", box.input_value())
    box.press_sequentially(f"our {word} partner hires every graduate.", delay=5)
    answerer.page.get_by_role("button", name="Post reply").click()
    answerer.page.wait_for_url(re.compile(r"#post-2$"))
    reply = answerer.page.locator("#post-2")
    assert reply.get_by_role("link", name="@Jordan Silva").is_visible()
    answerer.assert_accessible("after replying")

    # The asker reacts (without a reload) and accepts the answer.
    asker.goto(thread_url)
    helpful = asker.page.locator("#post-2").get_by_role("button", name=re.compile("Helpful"))
    helpful.click()
    asker.page.wait_for_function(
        "() => document.querySelector('#post-2 button[data-kind=helpful]')"
        ".getAttribute('aria-pressed') === 'true'"
    )
    assert helpful.inner_text().strip().endswith("1")
    asker.assert_accessible("after reacting")
    asker.goto(thread_url)
    assert (
        asker.page.locator("#post-2 button[data-kind=helpful]").get_attribute("aria-pressed")
        == "true"
    )
    asker.page.get_by_role("button", name="Accept as the answer (post 2)").click()
    asker.page.get_by_role("heading", name=re.compile("Accepted answer, by")).wait_for()
    asker.assert_accessible("accepted answer")

    # Search finds the question and the answer, highlighted, for a third coalition's reader.
    reader = session_for(COACH)
    reader.goto("/forums/search")
    reader.page.get_by_label("Words to find").fill(word)
    reader.page.get_by_role("button", name="Search", exact=True).click()
    reader.page.wait_for_url(re.compile(rf"q={word}"))
    results = reader.page.locator(".cop-result")
    assert results.count() == 2, reader.page.locator("main").inner_text()[:3000]
    assert reader.page.locator(".cop-result mark").first.inner_text().lower() == word
    reader.assert_accessible("search results")
    for q in ['"', "*", "-", "%_", "' OR 1=1 --", "NEAR(a b)"]:
        reader.goto(f"/forums/search?q={q}")
    assert not [e for e in reader.errors if "pageerror" in e], reader.errors


def test_drafts_survive_a_reload_and_quote_reply(session_for, forum_data):
    s = session_for(MEMBER)
    s.goto(f"/forums/t/{forum_data['seeded']}")
    box = s.page.get_by_label("Your reply")
    box.fill("A draft I do not want to lose")
    box.dispatch_event("input")
    s.page.wait_for_timeout(700)
    s.page.reload()
    box = s.page.get_by_label("Your reply")
    assert box.input_value() == "A draft I do not want to lose"
    s.page.get_by_text("Restored the draft").wait_for()
    s.assert_accessible("restored draft")
    s.page.get_by_role("button", name="Discard the saved draft").click()
    assert box.input_value() == ""
    s.page.get_by_role("link", name="Quote post 2").click()
    s.page.wait_for_function("() => document.querySelector('#body').value.includes('> ')")
    assert "[wrote](/forums/p/" in box.input_value()
    assert box.evaluate("el => el === document.activeElement")


def test_a_hostile_post_runs_no_script(session_for, forum_data):
    s = session_for(MEMBER)
    dialogs: list[str] = []
    s.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    s.goto(f"/forums/t/{forum_data['hostile']}")
    s.page.wait_for_timeout(500)
    body = s.page.locator("#post-1 .cop-post__body")
    assert "Hostile corpus" in body.inner_text()
    assert s.page.evaluate("() => typeof window.__pwned") == "undefined"
    counts = s.page.evaluate("""() => {
        const post = document.querySelector('#post-1');
        return {
            scripts: post.querySelectorAll('script, iframe, svg, style, img, details').length,
            handlers: [...post.querySelectorAll('*')].filter(
                el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
            badLinks: [...post.querySelectorAll('a[href]')].filter(
                a => !/^(https?:|mailto:|\\/)/.test(a.getAttribute('href'))
                     && !a.getAttribute('href').startsWith('#')).length,
        };
    }""")
    assert counts == {"scripts": 0, "handlers": 0, "badLinks": 0}, counts
    s.page.get_by_text("click me").click()
    for name in ["javascript link", "entity link", "tab link", "data link"]:
        link = s.page.get_by_text(name, exact=True)
        if link.count():
            link.first.click(no_wait_after=True)
    s.page.wait_for_timeout(300)
    assert s.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert dialogs == []
    s.assert_accessible("hostile post")
