"""Issue #4, "Done when": a member asks in their coalition's category and in a sector
category; a member of another coalition replies with a mention; the asker accepts the
answer; search finds all of it only for those who may see it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from cop.extensions import db
from cop.forums.markdown import handle_for
from cop.notifications.models import Notification
from tests.conftest import post_form
from tests.forums.helpers import fresh


def form(client, url, data):
    return post_form(client, url, data, token_from="/forums/")


def found(client, q: str) -> str:
    response = client.get("/forums/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")


def test_ask_reply_mention_accept_and_search(login_as, world, forums):
    asker, answerer = login_as("member"), login_as("other_member")  # alpha, beta

    # The asker posts in alpha's private category and in the broadband sector category.
    private = form(
        asker,
        "/forums/new",
        {
            "category": "coalition-alpha",
            "title": "Internal: our splicing cohort dropouts",
            "kind": "discussion",
            "body": "Three dropouts in the splicing cohort, all over childcare.",
        },
    )
    public = form(
        asker,
        "/forums/new",
        {
            "category": "broadband",
            "title": "How do you keep splicing trainees through week six?",
            "kind": "question",
            "body": "We lose trainees to childcare gaps. What worked for you?",
        },
    )
    assert private.status_code == public.status_code == 303
    public_url = public.headers["Location"]
    private_url = private.headers["Location"]

    # A member of another coalition cannot reach the private thread, but answers the public
    # one with a mention of the asker.
    assert answerer.get(private_url).status_code == 404
    assert form(answerer, private_url + "/reply", {"body": "Hi"}).status_code == 404
    reply = form(
        answerer,
        public_url + "/reply",
        {"body": f"@{handle_for(world['member'])} we pay a childcare stipend in weeks 4 to 8."},
    )
    assert reply.status_code == 303
    fresh()
    notices = db.session.execute(
        sa.select(Notification.kind, Notification.url).where(
            Notification.user_id == world["member"].id
        )
    ).all()
    assert [kind for kind, _ in notices] == ["mention"]

    # The asker accepts the answer; it shows at the top for everyone who can read it.
    page = asker.get(public_url).get_data(as_text=True)
    accept_url = re.search(r'action="(/forums/p/\d+/accept)"', page).group(1)
    assert form(asker, accept_url, {"value": "on"}).status_code == 303
    for who in ("expert", "other_member", "coach"):
        page = login_as(who).get(public_url).get_data(as_text=True)
        assert "Accepted answer, by" in page and "childcare stipend" in page

    # Search: the public question and its answer for everyone; the private thread only for
    # alpha's members, alpha's coach and admins.
    for who in ("member", "lead", "coach", "admin", "other_member", "expert", "other_coach"):
        results = found(login_as(who), "splicing childcare")
        assert "How do you keep splicing trainees" in results, who
        private_visible = "Internal: our splicing cohort dropouts" in results
        assert private_visible is (who in ("member", "lead", "coach", "admin")), who
    answer = login_as("expert").get("/forums/search?q=stipend").get_data(as_text=True)
    assert "<mark>stipend</mark>" in answer and "Accepted answer" in answer
    assert login_as("guest").get("/forums/search?q=splicing").status_code == 404
