"""Demo expert directory: profiles for the twelve demo experts, three experts from outside
cop maintained by the demo coach, and a few requests in different states.

Idempotent: a profile that exists is left alone; requests are added only when there are none.
Requests are written directly (no notifications or emails for demo history)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coaching.services import ensure_default_topics
from cop.coalitions.models import Coalition
from cop.core.models import utcnow
from cop.experts.models import ExpertProfile, ExpertRequest, RequestChange, RequestState
from cop.experts.services import _apply, check_profile
from cop.extensions import db

R = RequestState
# email or outside name -> (title, topics, tags, sectors, states, languages, modes,
# availability, capacity, bio)
PROFILES = {
    "expert@demo.example.org": (
        "Director of apprenticeship research",
        ["apprenticeship", "training-design"],
        ["pre-apprenticeship", "registered-apprenticeship"],
        ["renewable-energy", "advanced-manufacturing"],
        ["MI", "OH", "IN", "IL"],
        ["English"],
        ["call", "document", "speaking"],
        "open",
        3,
        "Fifteen years designing **registered apprenticeship** programs with unions and "
        "community colleges.\n\n- Standards and work processes\n- Related technical "
        "instruction\n- Getting a program registered with the state",
    ),
    "expert2@demo.example.org": (
        "Workforce lead",
        ["employer-engagement", "partnerships"],
        ["utilities", "lineworker"],
        ["renewable-energy"],
        ["TX", "OK", "NM"],
        ["English", "Spanish"],
        ["call", "speaking"],
        "limited",
        2,
        "Builds hiring pipelines between a utility and local colleges.",
    ),
    "expert3@demo.example.org": (
        "Researcher, broadband skills",
        ["training-design", "data-performance-reporting"],
        ["fiber", "digital-skills"],
        ["broadband"],
        ["GA", "AL", "MS"],
        ["English"],
        ["document", "forum"],
        "open",
        4,
        "Studies which broadband training programs lead to jobs, and why.",
    ),
    "expert4@demo.example.org": (
        "Training center manager",
        ["apprenticeship", "recruitment-outreach"],
        ["transit", "cdl"],
        ["transportation"],
        ["CA", "NV", "AZ"],
        ["English", "Spanish"],
        ["call", "speaking"],
        "open",
        2,
        "Runs a transit-training center; pre-apprenticeship for bus and rail maintenance.",
    ),
    "expert5@demo.example.org": (
        "Network coordinator",
        ["apprenticeship", "sustainability"],
        ["registered-apprenticeship", "intermediaries"],
        ["advanced-manufacturing"],
        ["PA", "NY", "NJ"],
        ["English"],
        ["call", "document"],
        "open",
        3,
        "Helps intermediaries sponsor group apprenticeship programs.",
    ),
    "expert6@demo.example.org": (
        "Policy director",
        ["employer-engagement", "sustainability"],
        ["semiconductors", "employer-commitments"],
        ["advanced-manufacturing"],
        ["AZ", "OH", "NY"],
        ["English", "Arabic"],
        ["speaking", "forum"],
        "limited",
        1,
        "Works with manufacturers on training commitments and shared curricula.",
    ),
    "expert7@demo.example.org": (
        "Senior program officer",
        ["training-design", "equity-inclusion"],
        ["solar", "clean-energy"],
        ["renewable-energy"],
        ["CO", "UT", "WY"],
        ["English"],
        ["call", "document", "speaking"],
        "open",
        3,
        "Designs solar installer curricula with employers and tribal colleges.",
    ),
    "expert8@demo.example.org": (
        "Director",
        ["supportive-services", "equity-inclusion"],
        ["childcare", "transportation"],
        ["transportation", "broadband"],
        ["NC", "SC", "VA"],
        ["English"],
        ["call", "forum"],
        "open",
        2,
        "Connects training programs with childcare, transportation and emergency funds.",
    ),
    "expert9@demo.example.org": (
        "Employer engagement lead",
        ["employer-engagement", "recruitment-outreach"],
        ["hiring-events"],
        ["renewable-energy", "transportation"],
        ["WA", "OR"],
        ["English"],
        ["call", "speaking"],
        "not_now",
        2,
        "Coaches workforce boards on employer councils and hiring events.",
    ),
    "expert10@demo.example.org": (
        "Partnership director",
        ["partnerships", "recruitment-outreach"],
        ["tribal-workforce", "rural"],
        ["broadband", "renewable-energy"],
        ["NM", "AZ", "ND"],
        ["English", "Navajo"],
        ["call", "speaking"],
        "open",
        2,
        "Builds training partnerships with tribal nations and rural colleges.",
    ),
    "expert11@demo.example.org": (
        "Data lead",
        ["data-performance-reporting"],
        ["performance-measures", "dashboards"],
        [],
        [],
        ["English", "French"],
        ["document", "forum"],
        "open",
        5,
        "Helps coalitions reconcile participant counts and report performance measures.",
    ),
    "expert12@demo.example.org": (
        "Compliance manager",
        ["grant-management-compliance"],
        ["allowable-costs", "uniform-guidance"],
        [],
        [],
        ["English"],
        ["call", "document"],
        "limited",
        2,
        "Answers questions on allowable costs, documentation and monitoring visits.",
    ),
}
OUTSIDE = [
    (
        "Marisol Ortega",
        "Apprenticeship coordinator",
        "Example Electrical Workers Training Trust (demo)",
        ["apprenticeship", "partnerships"],
        ["ibew", "inside-wireman"],
        ["renewable-energy", "broadband"],
        ["OH", "MI", "KY"],
        ["English", "Spanish"],
        ["call", "speaking"],
        "open",
        2,
        "Coordinates a joint apprenticeship program; does not use cop, so her coach forwards "
        "requests.",
    ),
    (
        "Harold Kim",
        "Workforce planning lead",
        "Sample Regional Transit Authority (demo)",
        ["employer-engagement"],
        ["transit", "maintenance"],
        ["transportation"],
        ["IL", "WI"],
        ["English", "Korean"],
        ["call"],
        "limited",
        1,
        "Plans the hiring of bus and rail mechanics for a regional transit authority.",
    ),
    (
        "Priya Raman",
        "Broadband workforce researcher",
        "Fictional University Policy Lab (demo)",
        ["data-performance-reporting", "training-design"],
        ["broadband", "evaluation"],
        ["broadband"],
        ["VA", "MD", "DC"],
        ["English", "Tamil"],
        ["document"],
        "open",
        2,
        "Evaluates broadband workforce programs; happy to review an evaluation plan.",
    ),
]


def _values(
    name, org, title, topics, tags, sectors, states, languages, modes, availability, capacity, bio
) -> dict:
    return {
        "name": name,
        "organization": org,
        "title": title,
        "bio": bio,
        "topics": topics,
        "tags": tags,
        "sectors": sectors,
        "states": states,
        "languages": languages,
        "help_modes": modes,
        "availability": availability,
        "monthly_capacity": capacity,
    }


def seed_demo_experts() -> dict:
    ensure_default_topics(commit=False)
    users = {
        u.email: u
        for u in db.session.execute(
            sa.select(User).where(User.email.like("%@demo.example.org"))
        ).scalars()
    }
    profiles = list(db.session.execute(sa.select(ExpertProfile)).scalars())
    existing = {p.user_id for p in profiles if p.user_id is not None}
    outside = {p.name for p in profiles if p.user_id is None}
    created = 0
    for email, (
        title,
        topics,
        tags,
        sectors,
        states,
        languages,
        modes,
        availability,
        capacity,
        bio,
    ) in PROFILES.items():
        user = users.get(email)
        if user is None or user.id in existing:
            continue
        profile = ExpertProfile(user_id=user.id, name=user.name)
        db.session.add(profile)
        _apply(
            profile,
            check_profile(
                _values(
                    user.name,
                    user.organization,
                    title,
                    topics,
                    tags,
                    sectors,
                    states,
                    languages,
                    modes,
                    availability,
                    capacity,
                    bio,
                )
            ),
        )
        created += 1
    coach = users.get("coach@demo.example.org")
    for name, title, org, *rest in OUTSIDE:
        if name in outside or coach is None:
            continue
        profile = ExpertProfile(maintainer_id=coach.id, name=name)
        db.session.add(profile)
        _apply(profile, check_profile(_values(name, org, title, *rest)))
        created += 1
    db.session.flush()
    requests = _seed_requests(users)
    db.session.commit()
    return {"profiles_created": created, "requests_created": requests}


def _seed_requests(users: dict[str, User]) -> int:
    if db.session.execute(sa.select(ExpertRequest.id).limit(1)).first() is not None:
        return 0
    profiles = {
        p.user_id or p.name: p for p in db.session.execute(sa.select(ExpertProfile)).scalars()
    }
    coalitions = {c.slug: c for c in db.session.execute(sa.select(Coalition)).scalars()}
    now = utcnow()
    plan = [
        # requester, profile key, coalition, state, days ago, need, follow-up
        (
            "member@demo.example.org",
            "expert2@demo.example.org",
            "great-lakes-solar",
            R.COMPLETED,
            75,
            "How do we get the local utility to commit to interviewing our graduates?",
            ("yes", "The utility now interviews every graduate in the spring."),
        ),
        (
            "lead@demo.example.org",
            "expert5@demo.example.org",
            "great-lakes-solar",
            R.ACCEPTED,
            9,
            "We want to register our pre-apprenticeship; what does the state "
            "expect in the standards?",
            None,
        ),
        (
            "member2@demo.example.org",
            "expert3@demo.example.org",
            "prairie-wind-careers",
            R.DECLINED,
            40,
            "Could you review our broadband curriculum outline?",
            None,
        ),
        (
            "coach@demo.example.org",
            "Marisol Ortega",
            "great-lakes-solar",
            R.REQUESTED,
            2,
            "The coalition needs a union partner for an inside-wireman pathway.",
            None,
        ),
        (
            "member@demo.example.org",
            "expert4@demo.example.org",
            "great-lakes-solar",
            R.SCHEDULED,
            20,
            "How did you recruit women into the transit mechanic program?",
            None,
        ),
    ]
    order = [R.REQUESTED, R.ACCEPTED, R.SCHEDULED, R.COMPLETED]
    count = 0
    for email, key, slug, state, days, need, followup in plan:
        requester, coalition = users.get(email), coalitions.get(slug)
        profile = profiles.get(users[key].id if key in users else key)
        if requester is None or coalition is None or profile is None:
            continue
        created = now - timedelta(days=days)
        answerer_id = profile.user_id or profile.maintainer_id
        req = ExpertRequest(
            profile_id=profile.id,
            coalition_id=coalition.id,
            requester_id=requester.id,
            on_behalf=requester.is_staff,
            need=need,
            state=state.value,
            created_at=created,
            updated_at=created,
        )
        req.changes.append(
            RequestChange(actor_id=requester.id, to_state=R.REQUESTED.value, created_at=created)
        )
        steps = (
            [R.DECLINED]
            if state == R.DECLINED
            else order[1 : order.index(state) + 1]
            if state in order
            else []
        )
        at, previous = created, R.REQUESTED
        for step in steps:
            at = at + timedelta(days=1, hours=3)
            req.changes.append(
                RequestChange(
                    actor_id=answerer_id,
                    from_state=previous.value,
                    to_state=step.value,
                    created_at=at,
                )
            )
            if previous == R.REQUESTED:
                req.answered_at = at
            if step == R.ACCEPTED:
                req.accepted_at = at
            if step == R.SCHEDULED:
                req.meeting_on = (at + timedelta(days=7)).date()
            if step in (R.DECLINED, R.COMPLETED):
                req.closed_at = at
            previous = step
        if state == R.DECLINED:
            req.decline_note = "Not my area: Ruth Fontaine or Priya Raman may help."
        if followup:
            req.followup_helped, req.followup_changed = followup
            req.followup_at = at + timedelta(days=2)
        db.session.add(req)
        count += 1
    return count
