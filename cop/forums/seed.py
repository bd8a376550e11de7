"""Demo forum content for `seed-demo`: realistic, plainly fictional threads. Idempotent.

Call `seed_demo_forums()` after `cop.seed.seed_demo()` (it needs the demo users).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cop.accounts.models import User
from cop.core.models import utcnow
from cop.extensions import db
from cop.forums import services
from cop.forums.markdown import handle_for
from cop.forums.models import Category, Post, Thread

# (category slug, author email, kind, title, tags, body, days ago,
#  [(author email, body, reactions by [(email, kind)])], accepted reply index or None, pinned)
THREADS = [
    (
        "general",
        "admin@demo.example.org",
        "discussion",
        "Welcome to the forums: introduce your coalition",
        ["introductions"],
        "This is where the 34 coalitions ask each other how they did it.\n\n"
        "- **Sector** categories are for the work itself: solar, fiber, transit, fabrication.\n"
        "- **Topic** categories cut across sectors: recruitment, employers, reporting.\n"
        "- Your **coalition's space** is private to your staff, your coach and program staff.\n\n"
        "Say hello below: who you are, where you train, and one thing you'd like to learn.",
        30,
        [
            (
                "lead@demo.example.org",
                "Hello from the Great Lakes Solar coalition (demo). We train installers and line "
                "workers across Michigan and Ohio. I'd like to learn how others run employer "
                "advisory boards.",
                [("admin2@demo.example.org", "thanks")],
            )
        ],
        None,
        True,
    ),
    (
        "recruitment-and-outreach",
        "member@demo.example.org",
        "question",
        "How are you recruiting women into line-worker pre-apprenticeships?",
        ["women-in-trades", "pre-apprenticeship"],
        "Our first two cohorts were 95% men. We post on job boards and visit high schools.\n\n"
        "What has worked for you to reach women, especially in rural counties? Did changing "
        "the wording of the flyers make a difference?",
        21,
        [
            (
                "member2@demo.example.org",
                "Three things moved our numbers from 6% to 22% women in a year:\n\n"
                "1. **Women instructors at info sessions**, not just in the photos.\n"
                "2. Info sessions in the evening with child care on site.\n"
                '3. A "try the tools" Saturday with a local union hall.\n\n'
                "Happy to share our flyer template.",
                [("member@demo.example.org", "helpful"), ("coach@demo.example.org", "insightful")],
            ),
            (
                "expert@demo.example.org",
                "Research on non-traditional occupations points the same way: visible role models "
                "and concrete information about pay matter more than general outreach. Put the "
                "starting wage on the flyer.",
                [("member@demo.example.org", "thanks")],
            ),
            (
                "coach@demo.example.org",
                "{mention:member2@demo.example.org} could you post the flyer template here? "
                "Several of my coalitions asked for one.",
                [],
            ),
        ],
        0,
        False,
    ),
    (
        "performance-reporting",
        "lead@demo.example.org",
        "question",
        "Does an OSHA-10 card count as a credential attained?",
        ["credentials", "quarterly-report"],
        "Our participants earn OSHA-10 in week two. Do we report it under **credentials "
        "attained**, or only the industry certification at the end?",
        14,
        [
            (
                "coach2@demo.example.org",
                "Report only credentials that are recognized for the occupation: the industry "
                "certification at the end counts; a safety card on its own usually does not. "
                "Note the OSHA-10 in the narrative instead.",
                [("lead@demo.example.org", "helpful")],
            ),
            ("member2@demo.example.org", "Same question here, thanks for asking it.", []),
        ],
        0,
        False,
    ),
    (
        "broadband",
        "member.sierra-fiber-forward@demo.example.org",
        "discussion",
        "Fiber splicing curriculum: build our own or license one?",
        ["curriculum", "fiber"],
        "We're weighing a vendor curriculum against building one with our college. "
        "The vendor one is fast but expensive per seat. What did you choose and why?",
        10,
        [
            (
                "lead.appalachian-connect@demo.example.org",
                "We licensed for the first year and co-developed our own with two employers for "
                "year two. The employers now send their own technicians through it.",
                [],
            ),
        ],
        None,
        False,
    ),
    (
        "employer-engagement",
        "lead.prairie-wind-careers@demo.example.org",
        "discussion",
        "Getting utilities to sign on as apprenticeship sponsors",
        ["apprenticeship", "employers"],
        "Two utilities like our graduates but won't sponsor a registered apprenticeship. "
        "What arguments or support got your employers to say yes?",
        6,
        [
            (
                "lead@demo.example.org",
                "An intermediary sponsor helped us: the workforce board holds the standards and the "
                "employers only host the on-the-job learning.",
                [],
            )
        ],
        None,
        False,
    ),
    (
        "coalition-great-lakes-solar",
        "lead@demo.example.org",
        "discussion",
        "Q3 report: who pulls the employment numbers?",
        ["quarterly-report"],
        "Before the deadline: who has the wage-record match for the exiters this quarter?",
        4,
        [
            (
                "member@demo.example.org",
                "I have it from the state partner; I'll upload it to the report draft by Friday.",
                [("lead@demo.example.org", "thanks")],
            )
        ],
        None,
        False,
    ),
    (
        "staff-room",
        "coach@demo.example.org",
        "discussion",
        "Coach sync: coalitions behind on enrollment targets",
        ["enrollment"],
        "Let's compare notes before the convening: which of your coalitions are behind, and "
        "what help have they asked for?",
        3,
        [
            (
                "coach2@demo.example.org",
                "Two of mine are behind; both lost a recruiter. Peer sessions on outreach would "
                "help them.",
                [],
            )
        ],
        None,
        False,
    ),
    (
        "supportive-services",
        "member.bayou-grid-builders@demo.example.org",
        "question",
        "Tool stipends: what does your grant budget cover?",
        ["stipends", "tools"],
        "Participants need boots, gloves and a basic tool kit before the climbing school. "
        "Do you buy kits, give a stipend, or ask employers to cover it?",
        2,
        [],
        None,
        False,
    ),
]


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.execute(sa.select(User)).scalars()}


def seed_demo_forums() -> dict:
    """Categories, then the demo threads that are missing; returns counts."""
    services.ensure_default_categories()
    users = _users()
    categories = {c.slug: c for c in db.session.execute(sa.select(Category)).scalars()}
    existing = set(db.session.execute(sa.select(Thread.title)).scalars())
    created = 0
    for spec in THREADS:
        (slug, author, kind, title, tags, body, days, replies, accepted, pinned) = spec
        if title in existing or slug not in categories or author not in users:
            continue
        _seed_thread(
            users,
            categories[slug],
            author,
            kind,
            title,
            tags,
            body,
            days,
            replies,
            accepted,
            pinned,
        )
        created += 1
    total = db.session.execute(sa.select(sa.func.count()).select_from(Thread)).scalar_one()
    return {"threads": total, "created": created}


def _text(users: dict[str, User], text: str) -> str:
    for email, user in users.items():
        text = text.replace(f"{{mention:{email}}}", f"@{handle_for(user)}")
    return text


def _seed_thread(
    users, category, author, kind, title, tags, body, days, replies, accepted, pinned
) -> None:
    thread = services.create_thread(
        users[author], category, title=title, body=body, kind=kind, tags=tags
    )
    posts = []
    for reply_author, reply_body, reactions in replies:
        if reply_author not in users:
            continue
        post = services.reply(users[reply_author], thread, body=_text(users, reply_body))
        posts.append(post)
        for email, reaction in reactions:
            if email in users:
                services.react(users[email], post, reaction)
    if accepted is not None and accepted < len(posts):
        services.accept_answer(users[author], thread, posts[accepted])
    if pinned:
        services.set_pinned(users["admin@demo.example.org"], thread, True)
    _backdate(thread, days)


def _backdate(thread: Thread, days: int) -> None:
    """Spread the demo thread over the past days, so "latest" reads like a real forum."""
    start = utcnow() - timedelta(days=days)
    posts = list(
        db.session.execute(
            sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.number)
        ).scalars()
    )
    for i, post in enumerate(posts):
        post.created_at = start + timedelta(hours=5 * i)
    thread.created_at = start
    thread.last_post_at = posts[-1].created_at
    db.session.flush()
    services.refresh_category_stats(thread.category)
    db.session.commit()
