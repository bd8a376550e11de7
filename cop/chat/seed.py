"""Demo chat: the rooms of every coalition and sector, the lounge, and a few believable
conversations between the demo users. Idempotent: a room that has messages is left alone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from cop.accounts.models import User
from cop.chat import services
from cop.chat.models import ChatMessage, ChatRoom
from cop.coalitions.models import Coalition
from cop.core.models import utcnow
from cop.extensions import db

# room key (or a coalition slug prefixed "coalition:"), then (author email, text) in order.
# {lead}, {member}, {member2} stand for those demo users' names, for @mentions.
CONVERSATIONS: dict[str, list[tuple[str, str]]] = {
    "lounge": [
        (
            "admin@demo.example.org",
            "Welcome to the **community lounge**! Introduce yourself: "
            "your coalition, your role, and one thing you are working on this quarter.",
        ),
        (
            "lead@demo.example.org",
            "Hi all, Great Lakes Solar here. Our second solar installer "
            "pre-apprenticeship cohort just finished: 18 started, 15 completed, 11 already placed "
            "with employer partners.",
        ),
        (
            "member2@demo.example.org",
            "Congratulations! @**{lead}** would you share your "
            "employer-engagement checklist? Our wind-tech employers keep asking when OSHA 10 "
            "should happen.",
        ),
        (
            "lead@demo.example.org",
            "Sure, I'll post it in the library this week. Short answer: "
            "week 2, before the first site visit.",
        ),
        (
            "coach@demo.example.org",
            "Reminder: the peer-learning session on **supportive "
            "services** is Thursday at 2 pm Eastern. Bring one barrier you removed (childcare, "
            "transportation, tools, boots).",
        ),
    ],
    "coalition:great-lakes-solar": [
        (
            "coach@demo.example.org",
            "Quick check before the quarterly report: are the Q2 "
            "credential numbers final, or still waiting on the NABCEP results?",
        ),
        (
            "lead@demo.example.org",
            "Still waiting on 4 results. @**{member}** can you chase the testing center on Monday?",
        ),
        (
            "member@demo.example.org",
            "Will do. I'll also update the employer roster; two new "
            "installers signed on for paid work experience.",
        ),
        (
            "coach@demo.example.org",
            "Great. Action item from our call: draft the sustainability "
            "plan outline by the 15th. Happy to review a rough version.",
        ),
    ],
    "sector:renewable-energy": [
        (
            "coach2@demo.example.org",
            "Anyone recruiting in rural counties with no transit? "
            "We're testing a ride-share stipend and would love to compare notes.",
        ),
        (
            "member2@demo.example.org",
            "We pay mileage for the first 8 weeks. Completion went "
            "from 71% to 84% after we started.",
        ),
    ],
}
DM = (
    "coach@demo.example.org",
    "lead@demo.example.org",
    [
        (
            "coach@demo.example.org",
            "Thanks for the candid conversation today. I'll send the two "
            "apprenticeship templates we talked about.",
        ),
        (
            "lead@demo.example.org",
            "Much appreciated. The registered apprenticeship piece is where "
            "our board has the most questions.",
        ),
    ],
)


def _room_for(key: str) -> ChatRoom | None:
    if key.startswith("coalition:") and not key.split(":", 1)[1].isdigit():
        coalition = db.session.execute(
            sa.select(Coalition).where(Coalition.slug == key.split(":", 1)[1])
        ).scalar_one_or_none()
        if coalition is None:
            return None
        key = services.coalition_room_key(coalition.id)
    return db.session.execute(sa.select(ChatRoom).where(ChatRoom.key == key)).scalar_one_or_none()


def _add_messages(
    room: ChatRoom, lines: list[tuple[str, str]], users: dict[str, User], names: dict[str, str]
) -> int:
    if room.last_seq > 0:
        return 0
    start = utcnow() - timedelta(hours=len(lines) + 2)
    added = 0
    for i, (email, text) in enumerate(lines):
        author = users.get(email)
        if author is None:
            continue
        body = text.format(**names)
        seq = room.last_seq + 1
        room.last_seq = seq
        db.session.add(
            ChatMessage(
                room_id=room.id,
                seq=seq,
                author_id=author.id,
                client_id=f"seed-{uuid.uuid4().hex}",
                body=body,
                body_html=services.render_body(body, services.mentioned_users(room, body)),
                created_at=start + timedelta(minutes=37 * i),
            )
        )
        added += 1
    return added


def seed_demo_chat() -> dict:
    """Rooms for everyone, plus demo messages where the demo users exist. Commits."""
    rooms = services.ensure_default_rooms()
    emails = {e for lines in CONVERSATIONS.values() for e, _ in lines} | {DM[0], DM[1]}
    users = {
        u.email: u
        for u in db.session.execute(sa.select(User).where(User.email.in_(emails))).scalars()
    }
    names = {
        "lead": getattr(users.get("lead@demo.example.org"), "name", "lead"),
        "member": getattr(users.get("member@demo.example.org"), "name", "member"),
        "member2": getattr(users.get("member2@demo.example.org"), "name", "member2"),
    }
    added = 0
    for key, lines in CONVERSATIONS.items():
        room = _room_for(key)
        if room is not None:
            added += _add_messages(room, lines, users, names)
    db.session.commit()
    if DM[0] in users and DM[1] in users:
        room = services.get_or_create_dm(users[DM[0]], [users[DM[1]].id])
        added += _add_messages(room, DM[2], users, names)
        db.session.commit()
    return {"rooms": rooms, "messages": added}
