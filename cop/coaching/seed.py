"""Demo coaching logs: sessions over the past quarters for the demo coalitions.

Idempotent: a coalition that already has sessions gets no more. Deterministic (a fixed
random seed), so the demo looks the same on every machine. A few coalitions are left
without a recent session, so the dashboard shows its "no contact" warnings.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coaching.models import ActionItem, CoachingSession, CoachingTopic, ItemStatus
from cop.coaching.services import ensure_default_topics
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.core.timezones import zone
from cop.extensions import db

NEEDS = [
    "Enrollment in the spring cohort is behind target, especially among rural residents.",
    "Two employer partners have not confirmed interview slots for graduates.",
    "Participants report transportation as the main reason for missing classes.",
    "The coalition wants to register its pre-apprenticeship with the state.",
    "Quarterly performance figures do not match the case-management export.",
    "A partner college asks how to budget instructor time under the grant.",
    "The board asks how the program continues after the grant ends.",
]
DONE = [
    "Reviewed the outreach plan and **rural recruitment channels**; shared two peer examples "
    "from other coalitions.",
    "Walked through an employer-engagement script and a *commitment letter* template.",
    "Mapped supportive-services partners by county; agreed on a referral form.",
    "Went through the registration checklist for a registered apprenticeship program.",
    "Reconciled the participant counts line by line; found the double-counted exiters.",
    "Explained allowable costs and the documentation each one needs.",
    "Sketched a sustainability plan: employer co-investment and state workforce funds.",
]
OUTCOMES = [
    "Applications rose since the last session; the county fair booth worked.",
    "One more employer signed on for interviews.",
    "Attendance improved after the gas-card pilot.",
    "",
    "The reporting discrepancy is fixed for the last quarter.",
]
ITEMS = [
    "Send the updated outreach calendar to the coach",
    "Draft the employer commitment letter",
    "Share the referral form with the two county partners",
    "Book a call with the state apprenticeship office",
    "Re-run the quarterly export with the corrected filter",
    "Collect instructor time sheets for the budget review",
]
MODALITY_WEIGHTS = [("video", 6), ("phone", 3), ("in_person", 1), ("email", 2), ("site_visit", 1)]
# Coalitions left without a session for a while (the dashboard's warnings).
QUIET = {"bayou-grid-builders", "twin-rivers-rail", "gateway-city-broadband"}


def seed_demo_coaching(now: datetime | None = None) -> dict:
    """Create the demo sessions that are missing; return counts."""
    ensure_default_topics()
    now = now or utcnow()
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    topics = list(
        db.session.execute(
            sa.select(CoachingTopic)
            .where(CoachingTopic.active.is_(True))
            .order_by(CoachingTopic.position)
        ).scalars()
    )
    has_sessions = set(
        db.session.execute(sa.select(CoachingSession.coalition_id).distinct()).scalars()
    )
    coalitions = list(db.session.execute(sa.select(Coalition).order_by(Coalition.id)).scalars())
    coaches = _people(
        sa.select(CoachAssignment.coalition_id, User).join(
            User, User.id == CoachAssignment.coach_id
        )
    )
    members = _people(
        sa.select(Membership.coalition_id, User).join(User, User.id == Membership.user_id)
    )
    created = items_created = 0
    for coalition in coalitions:
        if coalition.id in has_sessions or not coaches.get(coalition.id):
            continue
        n, m = _seed_coalition(
            rng, now, coalition, coaches[coalition.id], members.get(coalition.id, []), topics
        )
        created += n
        items_created += m
    db.session.commit()
    return {"sessions": created, "action_items": items_created}


def _people(stmt) -> dict[int, list[User]]:
    result: dict[int, list[User]] = {}
    for coalition_id, user in db.session.execute(stmt.order_by(User.id)).all():
        result.setdefault(coalition_id, []).append(user)
    return result


def _seed_coalition(rng, now, coalition, coaches, members, topics) -> tuple[int, int]:
    coach = coaches[0]
    tz = zone(coach.timezone)
    # Every two to five weeks over about nine months, stopping early for the quiet ones.
    last_gap = 45 + rng.randint(0, 20) if coalition.slug in QUIET else rng.randint(2, 20)
    day = (now - timedelta(days=last_gap)).astimezone(tz).date()
    earliest = (now - timedelta(days=270)).date()
    sessions, items = [], 0
    while day >= earliest:
        hour = rng.choice([9, 10, 11, 13, 14, 15])
        started = datetime.combine(day, time(hour, rng.choice([0, 30])), tzinfo=tz)
        modality = rng.choices([m for m, _ in MODALITY_WEIGHTS], [w for _, w in MODALITY_WEIGHTS])[
            0
        ]
        k = rng.randrange(len(NEEDS))
        session = CoachingSession(
            coalition=coalition,
            started_at=started.astimezone(UTC),
            duration_minutes=rng.choice([30, 45, 60, 60, 90]) if modality != "site_visit" else 240,
            modality=modality,
            initiated_by=rng.choice(["coach", "coach", "coalition"]),
            need=NEEDS[k],
            summary=DONE[k],
            summary_html=render_markdown(DONE[k]),
            outcome=(o := rng.choice(OUTCOMES)),
            outcome_html=render_markdown(o),
            private_notes=rng.choice(
                [
                    "",
                    "Lead seems stretched thin; check capacity next time.",
                    "Budget question may need the grants team.",
                ]
            ),
            created_by_id=coach.id,
        )
        session.coaches = [coach] + (
            [coaches[1]] if len(coaches) > 1 and rng.random() < 0.2 else []
        )
        session.attendees = [u for u in members if rng.random() < 0.8] or members[:1]
        session.topics = rng.sample(topics, k=rng.randint(1, 3)) if topics else []
        if rng.random() < 0.6 and members:
            owner = rng.choice(members + [coach])
            due = day + timedelta(days=rng.choice([7, 14, 21]))
            status = ItemStatus.OPEN.value
            closed_at = None
            if due < now.date() and rng.random() < 0.7:
                status = rng.choice([ItemStatus.DONE.value] * 4 + [ItemStatus.DROPPED.value])
                closed_at = datetime.combine(due, time(12), tzinfo=UTC)
            session.action_items.append(
                ActionItem(
                    coalition_id=coalition.id,
                    description=rng.choice(ITEMS),
                    owner=owner,
                    due_on=due,
                    status=status,
                    created_by_id=coach.id,
                    created_at=started,
                    closed_at=closed_at,
                    closed_by_id=owner.id if closed_at else None,
                    # Demo items are old news: no reminder storm when the job runner first runs.
                    reminded_at=now,
                )
            )
            items += 1
        sessions.append(session)
        day -= timedelta(days=rng.randint(14, 35))
    if sessions:
        sessions[0].next_session_on = (
            (now + timedelta(days=rng.randint(3, 21))).date()
            if coalition.slug not in QUIET
            else None
        )
    db.session.add_all(sessions)
    return len(sessions), items
