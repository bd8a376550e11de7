"""Full-text search, on whichever backend the suite runs (COP_TEST_DB=sqlite: FTS5;
postgresql: tsvector + GIN): matching, highlighting, hostile input, filters, visibility,
and an index that follows every write, edit, hide, delete, move and merge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from cop.extensions import db
from cop.forums import services
from cop.forums.markdown import HIGHLIGHT_END, HIGHLIGHT_START
from cop.forums.models import Post
from cop.forums.search import SearchFilters, fts5_query, search, search_terms
from tests.forums.helpers import category, fresh, post_number, start


def titles(user, query, **filters) -> list[str]:
    fresh()
    return [r.thread_title for r in search(user, query, SearchFilters(**filters)).results]


def numbers(user, query, **filters) -> list[tuple[str, int]]:
    fresh()
    return [
        (r.thread_title, r.number) for r in search(user, query, SearchFilters(**filters)).results
    ]


def test_terms_are_quoted_phrases():
    assert search_terms('women "line-worker" OR -x * % _ NEAR(a b)') == [
        "women",
        '"line-worker"',
        "OR",
        "-x",
        "NEAR(a",
        "b)",
    ]
    assert fts5_query(['"a"b', "c"]) == '"""a""b" "c"'
    assert search_terms("") == [] and search_terms("* - % _ '") == []


def test_title_and_body_match_with_stemming(world, forums):
    member = world["member"]
    start(member, "general", title="Recruiting women line workers", body="Flyers and events")
    thread = start(member, "general", title="Credential reporting", body="OSHA-10 cards")
    services.reply(world["other_member"], thread, body="We recruited through unions")
    other = world["other_member"]
    assert sorted(numbers(other, "recruit")) == [
        ("Credential reporting", 2),
        ("Recruiting women line workers", 1),
    ]
    assert numbers(other, "women events") == [("Recruiting women line workers", 1)]
    assert numbers(other, "women unions") == []  # every word must match
    assert numbers(other, "OSHA") == [("Credential reporting", 1)]


def test_results_are_ranked_title_first(world, forums):
    start(world["member"], "general", title="Stipends for tools", body="Boots and gloves")
    start(world["member"], "general", title="Something else", body="We mention stipends once")
    assert titles(world["other_member"], "stipends")[0] == "Stipends for tools"
    newest = titles(world["other_member"], "stipends", sort="newest")
    assert newest[0] == "Something else"


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "*",
        "-",
        "%",
        "_",
        "'",
        "a OR",
        "OR b",
        "NOT",
        "NEAR(women, 2)",
        "women*",
        "^women",
        "title:women",
        "'; DROP TABLE forum_posts; --",
        "1=1) OR (1=1",
        "women\x00",
        "(",
        ")",
        "{}",
        "[]",
        "\\",
        "&",
        "|",
        "!",
        ":*",
        "<->",
        "women & !men",
        "x" * 500,
        "ü" * 300,
    ],
)
def test_hostile_queries_are_searched_as_text(world, forums, q):
    start(world["member"], "general", title="Recruiting women", body="women in the trades")
    page = search(world["other_member"], q)
    assert isinstance(page.results, list)
    fresh()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Post)).scalar_one() == 1


def test_operators_are_words_not_syntax(world, forums):
    start(world["member"], "general", title="Recruiting women", body="women in the trades")
    other = world["other_member"]
    assert titles(other, "women -trades") == ["Recruiting women"]  # "-" is not NOT
    assert titles(other, "women OR zzz") == []  # OR is a word to find, not an operator
    assert titles(other, '"women') == ["Recruiting women"]


def test_snippets_are_escaped_and_highlighted(world, forums):
    body = (
        'Women <b>instructors</b> & "mentors" <script>alert(1)</script> '
        f"stray {HIGHLIGHT_START}markers{HIGHLIGHT_END}"
    )
    start(world["member"], "general", title="Women <i>in</i> trades", body=body)
    result = search(world["other_member"], "mentors").results[0]
    snippet = str(result.snippet_html)
    assert "<mark>mentors</mark>" in snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1
    assert HIGHLIGHT_START not in snippet and "markers" in snippet
    title = str(search(world["other_member"], "women").results[0].title_html)
    assert "<mark>Women</mark>" in title and "&lt;i&gt;" in title


def test_the_index_follows_edits_and_title_changes(world, forums):
    member = world["member"]
    thread = start(member, "general", title="Fiber splicing", body="Vendor curriculum")
    other = world["other_member"]
    assert titles(other, "vendor") == ["Fiber splicing"]
    services.edit_post(
        member, post_number(thread, 1), body="College curriculum", title="Splicing courses"
    )
    assert titles(other, "vendor") == []
    assert titles(other, "college") == ["Splicing courses"]
    assert titles(other, "courses") == ["Splicing courses"]
    assert titles(other, "fiber") == []


def test_the_index_follows_deletes_and_hides(world, forums):
    member, other = world["member"], world["other_member"]
    thread = start(member, "general", title="Tool kits", body="Boots")
    reply = services.reply(other, thread, body="Gloves and harnesses")
    services.reply(world["lead"], thread, body="Harnesses again")
    assert len(numbers(member, "harnesses")) == 2
    services.hide_post(world["coach"], reply, reason="Spam")
    assert numbers(member, "harnesses") == [("Tool kits", 3)]
    services.unhide_post(world["coach"], post_number(thread, 2))
    assert len(numbers(member, "harnesses")) == 2
    services.delete_post(other, post_number(thread, 2))
    assert numbers(member, "harnesses") == [("Tool kits", 3)]
    services.delete_post(member, post_number(thread, 1))
    assert titles(member, "harnesses") == [] and titles(member, "boots") == []


def test_the_index_follows_moves_and_merges(world, forums):
    member = world["member"]
    target = start(member, "general", title="Stipends thread", body="Main")
    source = start(member, "general", title="Duplicate stipends", body="Childcare vouchers")
    services.move_thread(world["coach"], source, category("coalition-alpha"))
    assert titles(world["other_member"], "vouchers") == []
    assert titles(world["lead"], "vouchers") == ["Duplicate stipends"]
    services.move_thread(world["coach"], source, category("general"))
    services.merge_threads(world["coach"], source, target)
    assert numbers(world["other_member"], "vouchers") == [("Stipends thread", 2)]
    assert numbers(world["other_member"], "duplicate") == []  # no longer an opening post


@pytest.mark.parametrize(
    "who, finds",
    [
        ("member", True),
        ("lead", True),
        ("coach", True),
        ("admin", True),
        ("other_member", False),
        ("expert", False),
        ("other_coach", False),
        ("guest", False),
        ("deactivated", False),
    ],
)
def test_private_posts_are_found_only_by_those_who_may_read_them(world, forums, who, finds):
    thread = start(
        world["member"],
        "coalition-alpha",
        title="Alpha wage records",
        body="Confidential enrollment shortfall",
    )
    services.reply(world["lead"], thread, body="Shortfall explained")
    start(world["coach"], "staff-room", title="Staff shortfall notes", body="Coaches only")
    found = titles(world[who], "shortfall")
    assert ("Alpha wage records" in found) is finds
    assert ("Staff shortfall notes" in found) is (who in ("coach", "admin", "other_coach"))


def test_filters(world, forums):
    member, other, expert = world["member"], world["other_member"], world["expert"]
    start(
        member, "broadband", title="Fiber apprenticeship one", body="apprenticeship", tags=["fiber"]
    )
    start(other, "general", title="Apprenticeship two", body="apprenticeship")
    start(member, "coalition-alpha", title="Apprenticeship three", body="apprenticeship")
    start(expert, "apprenticeship", title="Apprenticeship four", body="apprenticeship")
    admin = world["admin"]
    assert titles(admin, "apprenticeship", category="broadband") == ["Fiber apprenticeship one"]
    assert sorted(titles(admin, "apprenticeship", coalition="alpha")) == [
        "Apprenticeship three",
        "Fiber apprenticeship one",
    ]
    assert titles(admin, "apprenticeship", coalition="beta") == ["Apprenticeship two"]
    assert titles(admin, "apprenticeship", author=str(expert.id)) == ["Apprenticeship four"]
    assert titles(admin, "apprenticeship", author=expert.name.split()[0][:4]) == [
        "Apprenticeship four"
    ]
    assert titles(admin, "apprenticeship", author="100%_") == []
    assert titles(admin, "apprenticeship", tag="Fiber") == ["Fiber apprenticeship one"]
    today = date.today()
    assert len(titles(admin, "apprenticeship", date_from=today - timedelta(days=1))) == 4
    assert titles(admin, "apprenticeship", date_to=today - timedelta(days=2)) == []
    assert titles(admin, "apprenticeship", category="no-such") == []
    # A filter never widens visibility.
    assert titles(other, "apprenticeship", category="coalition-alpha") == []
    assert titles(other, "apprenticeship", coalition="alpha") == ["Fiber apprenticeship one"]


def test_results_page_on(world, forums):
    for i in range(25):
        start(world["member"], "general", title=f"Sponsor question {i}", body="sponsor")
    first = search(world["other_member"], "sponsor")
    assert len(first.results) == 20 and first.next_cursor
    second = search(world["other_member"], "sponsor", cursor=first.next_cursor)
    assert len(second.results) == 5 and second.next_cursor is None
    ids = {r.post_id for r in first.results} | {r.post_id for r in second.results}
    assert len(ids) == 25
    assert search(world["other_member"], "sponsor", cursor="garbage!").offset == 0
