"""Demo events: past and upcoming, hosted by coaches and staff in six time zones, a weekly
office-hours series, a full roundtable with a waitlist, a convening that needs approval,
a coalition-only coaching group, a staff-only meeting, a cancelled webinar, and past events
with recordings, attendance and a chat transcript. Idempotent: events are found again by
their UID, so running it twice adds nothing. Names are plainly fictional.

Past events cannot be created through the services (they refuse starts in the past), so
the seed writes rows with the services' own helpers, then sets the counters from the rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.accounts.models import Role, User
from cop.coalitions.models import Coalition
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.events import recurrence, registrations, reminders
from cop.events.models import (
    Event,
    EventInvite,
    EventResource,
    EventSeries,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from cop.events.services import _apply
from cop.extensions import db

UID = "demo-{key}@cop.example.org"

# key, title, type, host email, zone, days from today, local start, minutes, extra
EVENTS: list[tuple[str, str, str, str, str, int, time, int, dict[str, Any]]] = [
    (
        "apprenticeship-broadband",
        "Registered apprenticeship in broadband: what works",
        "webinar",
        "coach@demo.example.org",
        "America/New_York",
        6,
        time(14),
        60,
        {
            "speakers": ["expert5@demo.example.org", "expert3@demo.example.org"],
            "sectors": ["broadband"],
            "capacity": 100,
            "guest": True,
            "description": "Two apprenticeship sponsors walk through their **related technical "
            "instruction** schedules, mentor ratios and wage progressions.\n\n"
            "- What worked in rural counties\n- What we would change\n- Q&A",
        },
    ),
    (
        "women-line-work",
        "Peer learning: recruiting women into line work",
        "peer_learning",
        "coach4@demo.example.org",
        "America/Los_Angeles",
        10,
        time(10),
        75,
        {
            "sectors": ["renewable-energy"],
            "capacity": 25,
            "description": "Three coalitions share outreach materials, pre-apprenticeship "
            "partnerships and the supportive services that kept women enrolled.",
        },
    ),
    (
        "convening",
        "Spring convening: building the infrastructure workforce",
        "convening",
        "admin@demo.example.org",
        "America/New_York",
        58,
        time(9),
        2 * 24 * 60 - 8 * 60,
        {
            "capacity": 200,
            "approval": True,
            "location": "Fictional Convention Center (demo), Columbus, OH",
            "sectors": [
                "renewable-energy",
                "broadband",
                "transportation",
                "advanced-manufacturing",
            ],
            "description": "Two days with every coalition: employer panels, site visits and "
            "working sessions by sector. Seats are confirmed by program staff.",
        },
    ),
    (
        "employer-coaching-group",
        "Coaching group: employer engagement",
        "coaching_group",
        "coach2@demo.example.org",
        "America/Chicago",
        14,
        time(15),
        60,
        {
            "coalitions": 5,
            "capacity": 12,
            "description": "A small group of coalitions working on employer advisory boards.",
        },
    ),
    (
        "ta-sync",
        "TA team sync (staff only)",
        "peer_learning",
        "admin@demo.example.org",
        "America/New_York",
        3,
        time(11),
        45,
        {"audience": "staff", "description": "Coaches compare notes on coalitions behind target."},
    ),
    (
        "island-outreach",
        "Rural outreach in island and remote communities",
        "webinar",
        "coach5@demo.example.org",
        "Pacific/Honolulu",
        20,
        time(9),
        60,
        {
            "speakers": ["expert10@demo.example.org"],
            "sectors": ["broadband", "renewable-energy"],
            "description": "Reaching trainees where the nearest training site is a flight away.",
        },
    ),
    (
        "semiconductor-roundtable",
        "Semiconductor pathways roundtable",
        "peer_learning",
        "coach6@demo.example.org",
        "America/Phoenix",
        8,
        time(13),
        60,
        {
            "speakers": ["expert6@demo.example.org"],
            "sectors": ["advanced-manufacturing"],
            "capacity": 5,
            "registrants": 7,
            "description": "A small roundtable: it is full, and the waitlist moves up when someone "
            "cancels.",
        },
    ),
    (
        "cancelled-webinar",
        "Transit maintenance careers webinar",
        "webinar",
        "coach2@demo.example.org",
        "America/Chicago",
        12,
        time(12),
        60,
        {
            "cancel": "The speaker is unavailable; we will reschedule.",
            "sectors": ["transportation"],
        },
    ),
    (
        "reporting-101",
        "Data and performance reporting 101",
        "webinar",
        "coach@demo.example.org",
        "America/New_York",
        -20,
        time(13),
        60,
        {
            "speakers": ["expert11@demo.example.org"],
            "past": True,
            "description": "How to count participants, exiters and credentials for the quarterly "
            "report.",
        },
    ),
    (
        "supportive-services",
        "Peer learning: supportive services that keep trainees enrolled",
        "peer_learning",
        "coach3@demo.example.org",
        "America/Denver",
        -45,
        time(10),
        90,
        {"past": True, "sectors": ["transportation", "renewable-energy"]},
    ),
]
SERIES = (
    "grant-office-hours",
    "Grant reporting office hours",
    "office_hours",
    "coach3@demo.example.org",
    "America/Denver",
    9,
    time(11),
    60,
    8,
)

TRANSCRIPT = [
    ("Welcome, everyone! Questions for the speaker go in the chat.", False),
    ("Do exiters include people who moved to another program?", True),
    ("Slides will be posted on the event page afterwards.", False),
    ("How do we report credentials earned after the quarter closes?", True),
]


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.execute(sa.select(User)).scalars()}


def _participants(users: dict[str, User]) -> list[User]:
    return sorted(
        (u for u in users.values() if u.role == Role.MEMBER.value and u.active),
        key=lambda u: u.email,
    )


def _clean(
    host: User,
    users: dict[str, User],
    tz: str,
    start: datetime,
    minutes: int,
    title: str,
    kind: str,
    extra: dict[str, Any],
    coalitions: list[Coalition],
) -> dict[str, Any]:
    start_utc = start.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))
    audience = extra.get("audience") or ("coalitions" if extra.get("coalitions") else "everyone")
    return {
        "title": title,
        "description": extra.get("description", ""),
        "type": kind,
        "timezone": tz,
        "starts_at": start_utc,
        "ends_at": start_utc + timedelta(minutes=minutes),
        "location": extra.get("location", "Online"),
        "join_url": "https://meet.example.org/cop-demo/" + title.lower().replace(" ", "-")[:40],
        "join_opens_minutes": 15,
        "audience": audience,
        "capacity": extra.get("capacity"),
        "registration_deadline": None,
        "requires_approval": bool(extra.get("approval")),
        "host": host,
        "speakers": [users[e] for e in extra.get("speakers", []) if e in users],
        "other_speakers": [],
        "coalitions": coalitions[: extra.get("coalitions", 0)] if audience == "coalitions" else [],
        "sectors": sorted(extra.get("sectors", [])),
    }


def _register(event: Event, people: list[User], now: datetime, *, attended: bool = False) -> None:
    for i, user in enumerate(people):
        seat = event.capacity is None or i < event.capacity
        status = (
            RegistrationStatus.PENDING.value
            if event.requires_approval and i % 3 == 2
            else RegistrationStatus.REGISTERED.value
            if seat
            else RegistrationStatus.WAITLISTED.value
        )
        at = min(now, event.starts_at) - timedelta(days=5, minutes=10 * (len(people) - i))
        db.session.add(
            Registration(
                event_id=event.id,
                user_id=user.id,
                status=status,
                queued_at=at,
                created_at=at,
                registered_at=at if status == RegistrationStatus.REGISTERED.value else None,
                joined_at=event.starts_at + timedelta(minutes=2)
                if attended and status == RegistrationStatus.REGISTERED.value and i % 4 != 3
                else None,
                join_source="live_page" if attended and i % 4 != 3 else None,
            )
        )
        if status == RegistrationStatus.REGISTERED.value and event.starts_at > now:
            reminders.schedule_for(event, user, now)
    db.session.flush()
    for column, value in registrations.recount(event).items():
        setattr(event, column, value)


def seed_demo_events(now: datetime | None = None) -> dict:
    """Create the demo events that are missing. Returns how many were created."""
    now = now or utcnow()
    users = _users()
    if "admin@demo.example.org" not in users:
        return {"events": 0, "skipped": "run the foundation's seed first"}
    existing = set(
        db.session.execute(sa.select(Event.uid).where(Event.uid.like("demo-%"))).scalars()
    )
    coalitions = list(db.session.execute(sa.select(Coalition).order_by(Coalition.id)).scalars())
    people = _participants(users)
    created = 0
    for n, (key, title, kind, host_email, tz, days, at, minutes, extra) in enumerate(EVENTS):
        uid = UID.format(key=key)
        if uid in existing or host_email not in users:
            continue
        day = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=days)
        clean = _clean(
            users[host_email],
            users,
            tz,
            datetime.combine(day, at),
            minutes,
            title,
            kind,
            extra,
            coalitions,
        )
        event = Event(
            uid=uid,
            created_by_id=users[host_email].id,
            created_at=min(now, clean["starts_at"]) - timedelta(days=30),
        )
        _apply(event, clean)
        db.session.add(event)
        db.session.flush()
        count = extra.get("registrants", 6 + n % 5)
        start = (n * 5) % max(1, len(people) - count)
        _register(event, people[start : start + count], now, attended=bool(extra.get("past")))
        if extra.get("guest") and "guest@demo.example.org" in users:
            db.session.add(
                EventInvite(
                    event_id=event.id,
                    user_id=users["guest@demo.example.org"].id,
                    invited_by_id=event.host_id,
                )
            )
        if extra.get("cancel"):
            event.status, event.cancel_reason = EventStatus.CANCELLED.value, extra["cancel"]
            event.cancelled_at, event.sequence = now - timedelta(days=1), 1
            reminders.cancel_event_reminders(event)
        if extra.get("past"):
            _after(event, people[start : start + count])
        created += 1
    created += _series(users, people, now, existing)
    db.session.commit()
    return {"events": created}


def _after(event: Event, people: list[User]) -> None:
    """A past event's recording, slides and chat transcript."""
    slug = event.title.lower().replace(" ", "-")[:40]
    event.resources = [
        EventResource(
            kind="recording",
            title="Recording (captioned)",
            url=f"https://video.example.org/cop-demo/{slug}",
        ),
        EventResource(
            kind="slides",
            title="Slides (PDF)",
            url=f"https://files.example.org/cop-demo/{slug}.pdf",
        ),
    ]
    authors = [event.host, *people[:3]]
    event.transcript = [
        {
            "id": i + 1,
            "seq": i + 1,
            "author": authors[i % len(authors)].name,
            "author_id": authors[i % len(authors)].id,
            "at": (event.starts_at + timedelta(minutes=3 + 7 * i)).isoformat(),
            "body": body,
            "html": render_markdown(body),
            "question": question,
            "pinned": i == 2,
        }
        for i, (body, question) in enumerate(TRANSCRIPT)
    ]
    event.chat_closed_at = event.ends_at


def _series(users: dict[str, User], people: list[User], now: datetime, existing: set[str]) -> int:
    key, title, kind, host_email, tz, days, at, minutes, count = SERIES
    uid_prefix = f"demo-{key}-"
    if any(uid.startswith(uid_prefix) for uid in existing) or host_email not in users:
        return 0
    day: date = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=days)
    first = datetime.combine(day, at)
    rule = recurrence.parse_rule(recurrence.preset_rule("weekly", first, count=count), tz)
    starts = recurrence.occurrences(rule, first, tz, before=now + timedelta(days=365))
    series = EventSeries(
        rrule=rule.text,
        timezone=tz,
        first_start_at=starts[0],
        duration_minutes=minutes,
        materialized_until=starts[-1],
        complete=True,
        created_by_id=users[host_email].id,
    )
    db.session.add(series)
    db.session.flush()
    clean = _clean(
        users[host_email],
        users,
        tz,
        first,
        minutes,
        title,
        kind,
        {
            "capacity": 10,
            "description": "Bring your quarterly-report questions: "
            "measures, targets, narratives. Drop in for any part.",
        },
        [],
    )
    for i, start in enumerate(starts):
        event = Event(
            uid=f"{uid_prefix}{i + 1}@cop.example.org",
            series=series,
            recurrence_id=start,
            created_by_id=users[host_email].id,
        )
        _apply(event, dict(clean, starts_at=start, ends_at=start + timedelta(minutes=minutes)))
        db.session.add(event)
        db.session.flush()
        _register(event, people[i * 3 : i * 3 + 4], now)
    return len(starts)
