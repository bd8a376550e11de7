"""Demo reporting data: the usual measures, targets for every demo coalition, quarterly
figures from the grant's first quarter through the last one that ended, reports (accepted
for earlier quarters; a mix of not started, draft, submitted, returned and accepted for the
last one), and measure tags on some of the demo coaching sessions.

Idempotent (a coalition with targets or reports gets no more) and deterministic (a fixed
random seed). About a third of the coalitions run behind their targets, a third ahead.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from cop.accounts.models import User
from cop.coaching.models import CoachingSession, CoachingTopic, session_topics
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db
from cop.reporting.dashboards import Calculator
from cop.reporting.models import (
    Figure,
    Measure,
    QuarterlyReport,
    ReportStatus,
    Target,
    session_measures,
)
from cop.reporting.periods import GrantPeriod, Quarter
from cop.reporting.services import ensure_default_measures

# Grant targets of a development-track coalition; scaling ones aim about 60% higher.
GRANT_TARGETS = {
    "participants-served": 400,
    "new-participants-served": 400,
    "exiters": 300,
    "began-training": 360,
    "completed-training": 280,
    "credentials-attained": 240,
    "entered-registered-apprenticeship": 60,
    "completed-ojt": 80,
    "entered-employment": 220,
    "entered-training-related-employment": 170,
    "incumbent-workers-retained": 50,
    "employment-rate-q2": 70,
    "employment-rate-q4": 68,
    "median-earnings-q2": 9500,
}
YEAR_SHARES = [Decimal("0.10"), Decimal("0.22"), Decimal("0.26"), Decimal("0.24"), Decimal("0.18")]
# Quarters after the start before a measure has anything to report (exits and their
# employment outcomes come later than enrolment).
FIRST_QUARTER = {
    "exiters": 2,
    "completed-training": 2,
    "credentials-attained": 2,
    "completed-ojt": 3,
    "entered-employment": 2,
    "entered-training-related-employment": 3,
    "incumbent-workers-retained": 2,
    "employment-rate-q2": 3,
    "employment-rate-q4": 5,
    "median-earnings-q2": 3,
}
# Which measures a session on a coaching topic aims at.
TOPIC_MEASURES = {
    "recruitment-outreach": ["new-participants-served", "began-training"],
    "employer-engagement": ["entered-employment", "entered-training-related-employment"],
    "apprenticeship": ["entered-registered-apprenticeship", "completed-ojt"],
    "training-design": ["completed-training", "credentials-attained"],
    "supportive-services": ["completed-training", "employment-rate-q2"],
    "data-performance-reporting": ["exiters", "participants-served"],
}
PROGRESS = [
    "Enrolled a new cohort of **{n}** participants; two rural outreach events filled the "
    "spring class.",
    "Training completions rose as the evening section finished; three employers hired graduates.",
    "Pre-apprenticeship partners placed the first graduates into registered apprenticeships.",
    "The new employer council met twice and committed **{n}** interview slots.",
]
CHALLENGES = [
    "Transportation remains the main barrier for rural participants.",
    "Instructor turnover delayed one section by three weeks.",
    "Wage records for exiters arrive late from the state, so employment rates lag.",
    "",
]
TA_WANTED = [
    "Examples of employer commitment letters from peer coalitions.",
    "Help reconciling our case-management export with the quarterly figures.",
    "",
    "An introduction to a coalition that registered an apprenticeship in the same trade.",
]
RETURN_COMMENTS = (
    "Thanks! Please explain the drop in completed training against last "
    "quarter, and check the exiters figure: it is higher than new participants "
    "over the last two quarters."
)


def seed_demo_reporting(now: datetime | None = None) -> dict:
    """Create what is missing; return counts."""
    now = now or utcnow()
    ensure_default_measures(commit=False)
    period = GrantPeriod.current()
    calc = Calculator(period)
    rng = random.Random(2027)  # noqa: S311 - demo data, not security
    measures = list(
        db.session.execute(
            sa.select(Measure).where(Measure.active.is_(True)).order_by(Measure.position)
        ).scalars()
    )
    coalitions = list(db.session.execute(sa.select(Coalition).order_by(Coalition.id)).scalars())
    with_targets = set(db.session.execute(sa.select(Target.coalition_id).distinct()).scalars())
    with_reports = set(
        db.session.execute(sa.select(QuarterlyReport.coalition_id).distinct()).scalars()
    )
    leads = _first(
        sa.select(Membership.coalition_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.is_lead)
    )
    coaches = _first(
        sa.select(CoachAssignment.coalition_id, User).join(
            User, User.id == CoachAssignment.coach_id
        )
    )
    last = period.clamp(period.current_quarter(now).previous)
    quarters = period.through(last) if period.started(period.first, now) else []
    counts = {"targets": 0, "reports": 0, "figures": 0, "session_tags": 0}
    for i, coalition in enumerate(coalitions):
        # A third on track, a third behind, a third ahead, varying by measure.
        base = [0.98, 0.78, 1.2][i % 3] + rng.uniform(-0.05, 0.05)
        scale = Decimal("1.6") if coalition.track == "scaling" else Decimal(1)
        scale *= Decimal(str(round(rng.uniform(0.8, 1.3), 2)))
        targets = (
            {}
            if coalition.id in with_targets
            else _targets(coalition, measures, scale, yearly=i % 2 == 0)
        )
        counts["targets"] += len(targets)
        if coalition.id in with_reports or not quarters:
            continue
        if not targets:
            targets = {
                (t.measure_id, t.period): t.value
                for t in db.session.execute(
                    sa.select(Target).where(Target.coalition_id == coalition.id)
                ).scalars()
            }
        made = _reports(
            rng,
            calc,
            coalition,
            measures,
            targets,
            quarters,
            base,
            i,
            now,
            leads.get(coalition.id),
            coaches.get(coalition.id),
            period,
        )
        counts["reports"] += made[0]
        counts["figures"] += made[1]
    counts["session_tags"] = _tag_sessions(rng, measures)
    db.session.commit()
    return counts


def _first(stmt) -> dict[int, User]:
    result: dict[int, User] = {}
    for coalition_id, user in db.session.execute(stmt.order_by(User.id)).all():
        result.setdefault(coalition_id, user)
    return result


def _targets(
    coalition: Coalition, measures: list[Measure], scale: Decimal, yearly: bool
) -> dict[tuple[int, int], Decimal]:
    made: dict[tuple[int, int], Decimal] = {}
    for m in measures:
        base = GRANT_TARGETS.get(m.slug)
        if base is None:
            continue
        grant = Decimal(base) * (scale if m.kind == "count" else 1)  # rates, money: a level
        grant = grant.quantize(Decimal(1))
        made[(m.id, 0)] = grant
        if yearly and m.sums:
            for year, share in enumerate(YEAR_SHARES, start=1):
                made[(m.id, year)] = (grant * share).quantize(Decimal(1))
    for (measure_id, year), value in made.items():
        db.session.add(
            Target(coalition_id=coalition.id, measure_id=measure_id, period=year, value=value)
        )
    return made


def _reports(
    rng, calc, coalition, measures, targets, quarters, base, index, now, lead, coach, period
) -> tuple[int, int]:
    by_measure = {m.id: {p: v for (mid, p), v in targets.items() if mid == m.id} for m in measures}
    perf = {m.id: base + rng.uniform(-0.15, 0.15) for m in measures}
    owed = {m.id: Decimal(0) for m in measures}  # targets of quarters before the first figure
    running = Decimal(0)
    last = quarters[-1]
    reports = figures = 0
    for n, q in enumerate(quarters):
        state = _state(index, q == last)
        if state is None:
            continue
        report = QuarterlyReport(
            coalition_id=coalition.id,
            year=q.year,
            quarter=q.number,
            status=state,
            created_by_id=lead.id if lead else None,
        )
        values = {}
        for m in measures:
            goal = calc.quarter_target(m, by_measure[m.id], q)
            if m.slug == "participants-served" or goal is None:
                continue  # participants served: the running total of new ones, below
            if n < FIRST_QUARTER.get(m.slug, 0):
                owed[m.id] += goal if m.sums else 0
                continue
            if m.sums:  # the first figures catch up with the quarters before them
                goal, owed[m.id] = goal + owed[m.id], Decimal(0)
            if m.kind == "count":
                value = max(
                    Decimal(0),
                    (goal * Decimal(str(perf[m.id] * rng.uniform(0.85, 1.15)))).quantize(
                        Decimal(1)
                    ),
                )
            else:
                level = float(goal) * min(perf[m.id] * rng.uniform(0.95, 1.05), 1.3)
                value = Decimal(str(round(min(level, 97.0) if m.kind == "rate" else level, 1)))
            values[m.slug] = value
        running += values.get("new-participants-served", Decimal(0))
        if running:
            values["participants-served"] = running
        for m in measures:
            if m.slug in values:
                report.figures.append(Figure(measure_id=m.id, value=values[m.slug]))
                figures += 1
        _narrate(rng, report, values, state, q, now, lead, coach, period)
        db.session.add(report)
        reports += 1
    return reports, figures


def _state(index: int, is_last: bool) -> str | None:
    """Accepted for earlier quarters; for the last one, by coalition: not started, draft,
    submitted, returned or accepted."""
    if not is_last:
        return ReportStatus.ACCEPTED.value
    return ["submitted", "draft", "returned", "accepted", "submitted", None][index % 6]


def _narrate(rng, report, values, state, q: Quarter, now, lead, coach, period) -> None:
    n = int(values.get("new-participants-served", 0))
    texts = {
        "progress": rng.choice(PROGRESS).format(n=n),
        "challenges": rng.choice(CHALLENGES),
        "ta_wanted": rng.choice(TA_WANTED),
    }
    if state == ReportStatus.DRAFT:
        texts["challenges"] = texts["ta_wanted"] = ""
    for key, text in texts.items():
        setattr(report, key, text)
        setattr(report, f"{key}_html", render_markdown(text))
    if state == ReportStatus.DRAFT:
        return
    due = period.due_on(q)
    submitted = datetime.combine(due - timedelta(days=rng.randint(1, 20)), time(15), tzinfo=UTC)
    submitted = min(submitted, now - timedelta(hours=6))
    report.submitted_at, report.submitted_by_id = submitted, lead.id if lead else None
    if state in (ReportStatus.ACCEPTED, ReportStatus.RETURNED):
        reviewed = min(submitted + timedelta(days=rng.randint(2, 10)), now - timedelta(hours=2))
        report.reviewed_at, report.reviewed_by_id = reviewed, coach.id if coach else None
        comments = RETURN_COMMENTS if state == ReportStatus.RETURNED else ""
        report.review_comments, report.review_comments_html = comments, render_markdown(comments)


def _tag_sessions(rng, measures: list[Measure]) -> int:
    """Tag about half of the demo coaching sessions with the measures their topics aim at."""
    if db.session.execute(sa.select(session_measures.c.session_id).limit(1)).first():
        return 0
    ids = {m.slug: m.id for m in measures}
    rows = db.session.execute(
        sa.select(CoachingSession.id, CoachingTopic.slug)
        .join(session_topics, session_topics.c.session_id == CoachingSession.id)
        .join(CoachingTopic, CoachingTopic.id == session_topics.c.topic_id)
        .order_by(CoachingSession.id, CoachingTopic.slug)
    ).all()
    pairs: set[tuple[int, int]] = set()
    for session_id, topic in rows:
        if topic in TOPIC_MEASURES and rng.random() < 0.5:
            for slug in TOPIC_MEASURES[topic][: rng.randint(1, 2)]:
                if slug in ids:
                    pairs.add((session_id, ids[slug]))
    if pairs:
        db.session.execute(
            sa.insert(session_measures),
            [{"session_id": s, "measure_id": m} for s, m in sorted(pairs)],
        )
    return len(pairs)
