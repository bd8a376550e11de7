"""Read side of the expert directory: search and ranking, activity records computed from the
platform, request lists and reports. Every page runs a fixed number of queries."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.coaching.models import CoachingTopic
from cop.coalitions.models import Coalition
from cop.core.models import utcnow
from cop.experts.models import (
    STATE_LABELS,
    Availability,
    ExpertProfile,
    ExpertRequest,
    ExpertSector,
    ExpertState,
    RequestState,
    profile_topics,
)
from cop.extensions import db

# The directory scores at most this many candidates (after the SQL filters) in Python.
CANDIDATE_LIMIT = 500
PAGE_SIZE = 20
# Relevance weights (docs/experts.md): where a query word is found, and what a filter matched.
W_EXPERTISE = 5  # a query word in an area of expertise or a tag
W_HEADLINE = 3  # a query word in the name, title or organization
W_BIO = 1  # a query word anywhere else (bio, languages)
W_FILTER = 4  # each requested area of expertise or tag the expert has
W_OPEN = 2  # open to requests (limited: 1, not now or at capacity: 0)


@dataclass
class Filters:
    q: str = ""
    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sector: str = ""
    state: str = ""
    availability: str = ""

    @property
    def words(self) -> list[str]:
        return [w for w in self.q.lower().split() if w][:8]

    @property
    def any(self) -> bool:
        return bool(
            self.q or self.topics or self.tags or self.sector or self.state or self.availability
        )


@dataclass
class Activity:
    events_spoken: int = 0
    answers_accepted: int = 0
    connections_completed: int = 0


@dataclass
class Card:
    profile: ExpertProfile
    score: int
    activity: Activity
    load: int

    @property
    def at_capacity(self) -> bool:
        return self.load >= self.profile.monthly_capacity

    @property
    def takes_requests(self) -> bool:
        return self.profile.availability != Availability.NOT_NOW and not self.at_capacity


@dataclass
class DirectoryPage:
    cards: list[Card]
    total: int
    page: int
    pages: int


def month_start(now: datetime | None = None) -> datetime:
    now = (now or utcnow()).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_load(profile_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Requests each expert accepted this calendar month (UTC), whatever came of them since:
    the number compared with the monthly capacity. One query."""
    if not profile_ids:
        return {}
    rows = db.session.execute(
        sa.select(ExpertRequest.profile_id, sa.func.count())
        .where(
            ExpertRequest.profile_id.in_(profile_ids), ExpertRequest.accepted_at >= month_start(now)
        )
        .group_by(ExpertRequest.profile_id)
    ).all()
    return dict(rows)


def activity_for(profiles: list[ExpertProfile], now: datetime | None = None) -> dict[int, Activity]:
    """Events spoken at (started, not cancelled), accepted forum answers (visible posts in
    live threads) and completed connections: three grouped queries for any number."""
    now = now or utcnow()
    result = {p.id: Activity() for p in profiles}
    by_user = {p.user_id: p.id for p in profiles if p.user_id is not None}
    if by_user:
        try:
            from cop.events.models import Event, EventSpeaker
        except ImportError:  # pragma: no cover - a build without events
            Event = None  # noqa: N806
        if Event is not None:
            rows = db.session.execute(
                sa.select(EventSpeaker.user_id, sa.func.count(sa.distinct(Event.id)))
                .join(Event, Event.id == EventSpeaker.event_id)
                .where(
                    EventSpeaker.user_id.in_(list(by_user)),
                    Event.status != "cancelled",
                    Event.starts_at <= now,
                )
                .group_by(EventSpeaker.user_id)
            ).all()
            for user_id, n in rows:
                result[by_user[user_id]].events_spoken = n
        try:
            from cop.forums.models import Post, Thread
        except ImportError:  # pragma: no cover - a build without forums
            Thread = None  # noqa: N806
        if Thread is not None:
            rows = db.session.execute(
                sa.select(Post.author_id, sa.func.count())
                .join(Thread, Thread.accepted_post_id == Post.id)
                .where(
                    Post.author_id.in_(list(by_user)),
                    Thread.deleted_at.is_(None),
                    Post.deleted_at.is_(None),
                    Post.hidden_at.is_(None),
                )
                .group_by(Post.author_id)
            ).all()
            for user_id, n in rows:
                result[by_user[user_id]].answers_accepted = n
    ids = list(result)
    if ids:
        rows = db.session.execute(
            sa.select(ExpertRequest.profile_id, sa.func.count())
            .where(
                ExpertRequest.profile_id.in_(ids),
                ExpertRequest.state == RequestState.COMPLETED.value,
            )
            .group_by(ExpertRequest.profile_id)
        ).all()
        for profile_id, n in rows:
            result[profile_id].connections_completed = n
    return result


def _listed():
    """Profiles in the directory: outside ones, and those of active accounts."""
    return sa.or_(
        ExpertProfile.user_id.is_(None),
        ExpertProfile.user_id.in_(sa.select(User.id).where(User.active.is_(True))),
    )


def _candidates(filters: Filters) -> list[ExpertProfile]:
    query = sa.select(ExpertProfile).where(_listed())
    if filters.sector:
        query = query.where(
            ExpertProfile.id.in_(
                sa.select(ExpertSector.profile_id).where(ExpertSector.sector == filters.sector)
            )
        )
    if filters.state:
        query = query.where(
            ExpertProfile.id.in_(
                sa.select(ExpertState.profile_id).where(ExpertState.state == filters.state)
            )
        )
    if filters.availability:
        query = query.where(ExpertProfile.availability == filters.availability)
    if filters.topics or filters.tags:
        # Any of the requested areas or tags (ranked by how many below). Tags are matched
        # in search_text, which holds them; the exact check is done when scoring.
        conditions = []
        if filters.topics:
            conditions.append(
                ExpertProfile.id.in_(
                    sa.select(profile_topics.c.profile_id)
                    .join(CoachingTopic, CoachingTopic.id == profile_topics.c.topic_id)
                    .where(CoachingTopic.slug.in_(filters.topics))
                )
            )
        for tag in filters.tags:
            conditions.append(ExpertProfile.search_text.contains(tag, autoescape=True))
        query = query.where(sa.or_(*conditions))
    for word in filters.words:
        query = query.where(ExpertProfile.search_text.contains(word, autoescape=True))
    query = query.order_by(ExpertProfile.name, ExpertProfile.id).limit(CANDIDATE_LIMIT)
    return list(db.session.execute(query).unique().scalars())


def score(profile: ExpertProfile, filters: Filters, load: int) -> int:
    expertise = " ".join(
        [
            *(t.label.lower() for t in profile.topics),
            *(t.slug for t in profile.topics),
            *profile.tags,
        ]
    )
    headline = f"{profile.name} {profile.title} {profile.organization}".lower()
    total = 0
    for word in filters.words:
        if word in expertise:
            total += W_EXPERTISE
        elif word in headline:
            total += W_HEADLINE
        else:
            total += W_BIO
    slugs = {t.slug for t in profile.topics}
    total += W_FILTER * sum(1 for t in filters.topics if t in slugs)
    total += W_FILTER * sum(1 for t in filters.tags if t in profile.tags or t in slugs)
    if profile.availability != Availability.NOT_NOW and load < profile.monthly_capacity:
        total += W_OPEN if profile.availability == Availability.OPEN else 1
    return total


def _has_expertise(profile: ExpertProfile, filters: Filters) -> bool:
    """Any requested area of expertise or tag (a tag may also name an area)."""
    if not (filters.topics or filters.tags):
        return True
    slugs = {t.slug for t in profile.topics}
    return any(t in slugs for t in filters.topics) or any(
        t in profile.tags or t in slugs for t in filters.tags
    )


def directory(filters: Filters, page: int = 1, now: datetime | None = None) -> DirectoryPage:
    """Profiles matching the filters, best first: score, then completed connections, name."""
    candidates = [p for p in _candidates(filters) if _has_expertise(p, filters)]
    ids = [p.id for p in candidates]
    loads = month_load(ids, now)
    completed = (
        dict(
            db.session.execute(
                sa.select(ExpertRequest.profile_id, sa.func.count())
                .where(
                    ExpertRequest.profile_id.in_(ids),
                    ExpertRequest.state == RequestState.COMPLETED.value,
                )
                .group_by(ExpertRequest.profile_id)
            ).all()
        )
        if ids
        else {}
    )
    ranked = sorted(
        ((score(p, filters, loads.get(p.id, 0)), p) for p in candidates),
        key=lambda sp: (-sp[0], -completed.get(sp[1].id, 0), sp[1].name.lower(), sp[1].id),
    )
    pages = max(1, -(-len(ranked) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    chosen = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    activity = activity_for([p for _, p in chosen], now)
    cards = [Card(p, s, activity[p.id], loads.get(p.id, 0)) for s, p in chosen]
    return DirectoryPage(cards, len(ranked), page, pages)


def card_for(profile: ExpertProfile, now: datetime | None = None) -> Card:
    load = month_load([profile.id], now).get(profile.id, 0)
    return Card(profile, 0, activity_for([profile], now)[profile.id], load)


def all_topics() -> list[CoachingTopic]:
    return list(
        db.session.execute(
            sa.select(CoachingTopic)
            .where(CoachingTopic.active.is_(True))
            .order_by(CoachingTopic.position, CoachingTopic.label)
        ).scalars()
    )


# ---------------------------------------------------------------- requests


def _requests_query():
    return sa.select(ExpertRequest).options(
        selectinload(ExpertRequest.profile).selectinload(ExpertProfile.user)
    )


def requests_for(user: User, limit: int = 200) -> dict[str, list[ExpertRequest]]:
    """The user's requests, newest first: those they made, those they answer (their own
    profile or profiles they maintain) and, for coaches, their coalitions'."""
    from cop.coalitions.permissions import coached_coalition_ids

    made = list(
        db.session.execute(
            _requests_query()
            .where(ExpertRequest.requester_id == user.id)
            .order_by(ExpertRequest.created_at.desc(), ExpertRequest.id.desc())
            .limit(limit)
        ).scalars()
    )
    answering = list(
        db.session.execute(
            _requests_query()
            .join(ExpertProfile, ExpertProfile.id == ExpertRequest.profile_id)
            .where(
                sa.or_(
                    ExpertProfile.user_id == user.id,
                    sa.and_(
                        ExpertProfile.user_id.is_(None), ExpertProfile.maintainer_id == user.id
                    ),
                )
            )
            .order_by(ExpertRequest.created_at.desc(), ExpertRequest.id.desc())
            .limit(limit)
        ).scalars()
    )
    coalitions: list[ExpertRequest] = []
    coached = coached_coalition_ids(user)
    if coached:
        seen = {r.id for r in made + answering}
        coalitions = [
            r
            for r in db.session.execute(
                _requests_query()
                .where(ExpertRequest.coalition_id.in_(coached))
                .order_by(ExpertRequest.created_at.desc(), ExpertRequest.id.desc())
                .limit(limit)
            ).scalars()
            if r.id not in seen
        ]
    return {"made": made, "answering": answering, "coalitions": coalitions}


# ---------------------------------------------------------------- reports


def quarter_of(value: datetime) -> str:
    return f"{value.year} Q{(value.month - 1) // 3 + 1}"


@dataclass
class Report:
    states: list[str]
    by_quarter: list[tuple[str, dict[str, int], int]]
    answered: int
    accepted: int
    median_hours: float | None
    mean_hours: float | None
    per_coalition: list[tuple[str, int, int]]
    per_expert: list[tuple[str, int, int]]
    total: int

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.answered if self.answered else None


def _report_rows(scope):
    query = (
        sa.select(
            ExpertRequest.id,
            ExpertRequest.state,
            ExpertRequest.created_at,
            ExpertRequest.answered_at,
            ExpertRequest.accepted_at,
            ExpertRequest.closed_at,
            ExpertRequest.followup_helped,
            Coalition.name.label("coalition"),
            ExpertProfile.name.label("expert"),
        )
        .join(Coalition, Coalition.id == ExpertRequest.coalition_id)
        .join(ExpertProfile, ExpertProfile.id == ExpertRequest.profile_id)
        .order_by(ExpertRequest.created_at, ExpertRequest.id)
    )
    if scope is not None:
        coalition_ids, user_id = scope
        query = query.where(
            sa.or_(
                ExpertRequest.coalition_id.in_(coalition_ids),
                ExpertProfile.maintainer_id == user_id,
            )
        )
    return db.session.execute(query).all()


def report(scope) -> Report:
    """Requests by state per quarter (of the request), time to first answer (accepted or
    declined), acceptance rate (accepted of answered), completed per coalition and expert.
    One query; the figures are computed in Python over its rows."""
    rows = _report_rows(scope)
    states = [s.value for s in RequestState]
    quarters: dict[str, Counter] = defaultdict(Counter)
    hours: list[float] = []
    per_coalition: dict[str, Counter] = defaultdict(Counter)
    per_expert: dict[str, Counter] = defaultdict(Counter)
    answered = accepted = 0
    for row in rows:
        quarters[quarter_of(row.created_at)][row.state] += 1
        if row.answered_at is not None:
            answered += 1
            hours.append((row.answered_at - row.created_at).total_seconds() / 3600)
            if row.accepted_at is not None:
                accepted += 1
        for bucket in (per_coalition[row.coalition], per_expert[row.expert]):
            bucket["all"] += 1
            if row.state == RequestState.COMPLETED:
                bucket["completed"] += 1
    return Report(
        states=states,
        by_quarter=[(q, dict(c), sum(c.values())) for q, c in sorted(quarters.items())],
        answered=answered,
        accepted=accepted,
        median_hours=round(statistics.median(hours), 1) if hours else None,
        mean_hours=round(statistics.fmean(hours), 1) if hours else None,
        per_coalition=sorted(
            ((k, v["completed"], v["all"]) for k, v in per_coalition.items()),
            key=lambda r: (-r[1], r[0]),
        ),
        per_expert=sorted(
            ((k, v["completed"], v["all"]) for k, v in per_expert.items()),
            key=lambda r: (-r[1], r[0]),
        ),
        total=len(rows),
    )


CSV_HEADER = [
    "request",
    "created_at",
    "quarter",
    "state",
    "coalition",
    "expert",
    "hours_to_first_answer",
    "accepted",
    "closed_at",
    "helped",
]


def report_csv_rows(scope):
    for row in _report_rows(scope):
        hours = (
            round((row.answered_at - row.created_at).total_seconds() / 3600, 1)
            if row.answered_at
            else None
        )
        yield [
            row.id,
            row.created_at,
            quarter_of(row.created_at),
            STATE_LABELS[RequestState(row.state)],
            row.coalition,
            row.expert,
            hours,
            row.accepted_at is not None,
            row.closed_at,
            row.followup_helped or "",
        ]
