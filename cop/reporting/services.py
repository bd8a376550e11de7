"""Reporting use cases. Each takes the acting user, checks, changes, commits once, notifies.

Every change to a figure (draft or submitted, by hand, through the API or by CSV import) goes
to the audit log with the old and the new values; so do targets, measures, submissions,
reviews, comparisons and the measures a coaching session is tagged with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from cop.accounts.models import User
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core import audit
from cop.core.errors import Conflict, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db
from cop.reporting.models import (
    COMMENTS_MAX,
    COUNT_MAX,
    DEFAULT_MEASURES,
    DEFINITION_MAX,
    MONEY_MAX,
    NAME_MAX,
    NARRATIVE_MAX,
    SLUG_MAX,
    Comparison,
    Figure,
    Measure,
    MeasureKind,
    QuarterlyReport,
    ReportReminder,
    ReportStatus,
    Target,
    session_measures,
)
from cop.reporting.periods import GrantPeriod, Quarter, today
from cop.reporting.permissions import (
    can_draft_report,
    can_edit_report,
    can_manage_measures,
    can_manage_targets,
    can_publish_comparisons,
    can_review_report,
    can_submit_report,
    can_tag_session_measures,
    can_view_coalition_reporting,
)

NARRATIVE_FIELDS = ("progress", "challenges", "ta_wanted")
NARRATIVE_LABELS = {
    "progress": "Progress this quarter",
    "challenges": "Challenges",
    "ta_wanted": "Technical assistance wanted",
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class Invalid(ServiceError):
    """Several fields refused at once: `errors` maps each field to its message. Nothing of
    the request was saved."""

    status = 422
    code = "invalid"

    def __init__(self, errors: Mapping[str, str], message: str | None = None):
        first = next(iter(errors.items()), ("", "The values are invalid."))
        super().__init__(message or first[1], field=first[0] or None)
        self.errors = dict(errors)


# ---------------------------------------------------------------- helpers


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL, in a request or not (the reminders job runs outside one)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def report_url(coalition: Coalition, quarter: Quarter) -> str:
    return path_for("reporting.report", slug=coalition.slug, quarter=quarter.key)


def plain(value: Decimal | None) -> int | float | None:
    """A figure as JSON wants it: 12 rather than 12.00, 72.5 rather than Decimal('72.50')."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def quarter_of(report: QuarterlyReport) -> Quarter:
    return Quarter(report.year, report.quarter)


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = set(before) | set(after)
    changed = sorted(k for k in keys if before.get(k) != after.get(k))
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


# ---------------------------------------------------------------- values


def check_value(measure: Measure, raw: Any, *, label: str | None = None) -> Decimal:
    """A figure or target for the measure, from text or a number; refused with a message
    that names the measure when it is not a number, negative, out of range or too precise."""
    name = label or measure.name
    if isinstance(raw, bool) or raw is None:
        raise ServiceError(f"{name}: give a number.")
    if isinstance(raw, int | float | Decimal):
        text = str(raw)
    else:
        text = str(raw).strip().replace(",", "")
        if measure.kind == MeasureKind.MONEY:
            text = text.removeprefix("$").strip()
        if measure.kind == MeasureKind.RATE:
            text = text.removesuffix("%").strip()
    if not _NUMBER_RE.match(text):
        raise ServiceError(f"{name}: “{str(raw)[:40]}” is not a number.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ServiceError(f"{name}: “{str(raw)[:40]}” is not a number.") from None
    if value < 0:
        what = {"count": "A count", "rate": "A rate", "money": "An amount"}[measure.kind]
        raise ServiceError(f"{name}: {what.lower()} cannot be negative ({text}).")
    if measure.kind == MeasureKind.COUNT:
        if value != value.to_integral_value():
            raise ServiceError(f"{name}: a count is a whole number ({text}).")
        if value > COUNT_MAX:
            raise ServiceError(f"{name}: {text} is more than {COUNT_MAX:,} people; check it.")
    elif measure.kind == MeasureKind.RATE:
        if value > 100:
            raise ServiceError(f"{name}: a rate is a percentage from 0 to 100 ({text}).")
    elif value > MONEY_MAX:
        raise ServiceError(f"{name}: ${value:,} is more than ${MONEY_MAX:,}; check it.")
    if value.as_tuple().exponent < -2:
        raise ServiceError(f"{name}: give at most two decimals ({text}).")
    return value.quantize(Decimal("0.01"))


def check_quarter(
    quarter: Quarter | None, now: datetime | None = None, period: GrantPeriod | None = None
) -> Quarter:
    """A quarter a report may be written for: in the grant period, and already begun."""
    period = period or GrantPeriod.current()
    if quarter is None:
        raise Invalid({"quarter": "Give a quarter such as 2026Q1."})
    if not period.contains(quarter):
        raise Invalid(
            {
                "quarter": f"{quarter.label} is outside the grant period "
                f"({period.first.label} to {period.last.label})."
            }
        )
    if not period.started(quarter, now):
        raise Invalid(
            {
                "quarter": f"{quarter.label} has not begun: figures are reported once "
                "the quarter is under way."
            }
        )
    return quarter


# ---------------------------------------------------------------- measures


def ensure_default_measures(*, commit: bool = True) -> int:
    """The usual measures of the grant, when there are none yet (a fresh database)."""
    if db.session.execute(sa.select(Measure.id).limit(1)).first() is not None:
        return 0
    for position, (slug, name, kind, cumulative, definition) in enumerate(DEFAULT_MEASURES, 1):
        db.session.add(
            Measure(
                slug=slug,
                name=name,
                kind=kind,
                cumulative=cumulative,
                definition=definition,
                position=position * 10,
            )
        )
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return len(DEFAULT_MEASURES)


def _check_measure_values(values: dict[str, Any], existing: Measure | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if existing is None or "slug" in values:
        slug = (values.get("slug") or "").strip()
        if not slug or len(slug) > SLUG_MAX or not SLUG_RE.match(slug):
            errors["slug"] = (
                f"The short name uses lowercase letters, digits and dashes (at most {SLUG_MAX})."
            )
        elif db.session.execute(
            sa.select(Measure.id).where(
                Measure.slug == slug, Measure.id != (existing.id if existing else -1)
            )
        ).first():
            errors["slug"] = f"Another measure has the short name {slug!r}."
        clean["slug"] = slug
    if existing is None or "name" in values:
        name = " ".join((values.get("name") or "").split())
        if not name or len(name) > NAME_MAX:
            errors["name"] = f"A name of at most {NAME_MAX} characters is required."
        elif db.session.execute(
            sa.select(Measure.id).where(
                sa.func.lower(Measure.name) == name.lower(),
                Measure.id != (existing.id if existing else -1),
            )
        ).first():
            errors["name"] = f"Another measure is called “{name}”."
        clean["name"] = name
    if "definition" in values:
        definition = (values.get("definition") or "").strip()
        if len(definition) > DEFINITION_MAX:
            errors["definition"] = f"The definition is too long (at most {DEFINITION_MAX:,})."
        clean["definition"] = definition
    if existing is None or "kind" in values:
        kind = values.get("kind")
        if kind not in {k.value for k in MeasureKind}:
            errors["kind"] = "The kind is a count, a rate or money."
        elif existing is not None and kind != existing.kind and _has_numbers(existing):
            errors["kind"] = (
                "The kind of a measure with figures or targets cannot change; "
                "retire it and add a new one."
            )
        clean["kind"] = kind
    if "cumulative" in values:
        clean["cumulative"] = bool(values.get("cumulative"))
    kind = clean.get("kind") or (existing.kind if existing else None)
    if clean.get("cumulative", existing.cumulative if existing else False) and kind != "count":
        errors["cumulative"] = "Only counts can be running totals (cumulative)."
    if "position" in values:
        try:
            clean["position"] = int(values.get("position") or 0)
        except (TypeError, ValueError):
            errors["position"] = "The position is a whole number."
    if "active" in values:
        clean["active"] = bool(values.get("active"))
    if errors:
        raise Invalid(errors)
    return clean


def _has_numbers(measure: Measure) -> bool:
    return any(
        db.session.execute(
            sa.select(model.id).where(model.measure_id == measure.id).limit(1)
        ).first()
        for model in (Figure, Target)
    )


def _measure_snapshot(m: Measure) -> dict[str, Any]:
    return {
        "slug": m.slug,
        "name": m.name,
        "definition": m.definition,
        "kind": m.kind,
        "cumulative": m.cumulative,
        "position": m.position,
        "active": m.active,
    }


def create_measure(actor: User, values: dict[str, Any]) -> Measure:
    if not can_manage_measures(actor):
        raise PermissionDenied("Only admins configure measures.")
    values = {"definition": "", "cumulative": False, **values}
    clean = _check_measure_values(values, None)
    if "position" not in clean:
        clean["position"] = (
            db.session.execute(sa.select(sa.func.max(Measure.position))).scalar_one() or 0
        ) + 10
    measure = Measure(**clean)
    db.session.add(measure)
    db.session.flush()
    audit.record(actor, "reporting_measure.create", measure, values=_measure_snapshot(measure))
    db.session.commit()
    return measure


def update_measure(actor: User, measure: Measure, changes: dict[str, Any]) -> Measure:
    if not can_manage_measures(actor):
        raise PermissionDenied("Only admins configure measures.")
    before = _measure_snapshot(measure)
    clean = _check_measure_values(changes, measure)
    for key, value in clean.items():
        setattr(measure, key, value)
    previous, new = _diff(before, _measure_snapshot(measure))
    if previous:
        audit.record(actor, "reporting_measure.update", measure, previous=previous, new=new)
        db.session.commit()
    return measure


# ---------------------------------------------------------------- targets


def set_targets(
    actor: User | None,
    coalition: Coalition,
    values: Mapping[tuple[Measure, int], Any],
    *,
    commit: bool = True,
) -> int:
    """Set (or, with None or "", remove) the coalition's targets: {(measure, period): value}.
    Period 0 is the whole grant, n the grant year n. All or nothing; returns the changes."""
    if actor is not None and not can_manage_targets(actor):
        raise PermissionDenied("Only admins set targets.")
    period = GrantPeriod.current()
    errors: dict[str, str] = {}
    clean: dict[tuple[int, int], Decimal | None] = {}
    measures: dict[int, Measure] = {}
    for (measure, year), raw in values.items():
        field = f"target_{measure.id}_{year}"
        if not isinstance(year, int) or not 0 <= year <= period.years:
            errors[field] = f"{measure.name}: the period is the whole grant or a grant year."
            continue
        measures[measure.id] = measure
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            clean[(measure.id, year)] = None
            continue
        try:
            clean[(measure.id, year)] = check_value(
                measure, raw, label=f"{measure.name}, {period.period_label(year).lower()}"
            )
        except ServiceError as exc:
            errors[field] = exc.message
    if errors:
        raise Invalid(errors)
    existing = {
        (t.measure_id, t.period): t
        for t in db.session.execute(
            sa.select(Target).where(Target.coalition_id == coalition.id)
        ).scalars()
    }
    previous: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for (measure_id, year), value in clean.items():
        target = existing.get((measure_id, year))
        old = target.value if target is not None else None
        if old == value:
            continue
        key = f"{measures[measure_id].slug}:{'grant' if year == 0 else f'year{year}'}"
        previous[key], new[key] = plain(old), plain(value)
        if value is None:
            db.session.delete(target)
        elif target is None:
            db.session.add(
                Target(coalition_id=coalition.id, measure_id=measure_id, period=year, value=value)
            )
        else:
            target.value = value
    if previous:
        audit.record(actor, "reporting_targets.update", coalition, previous=previous, new=new)
    if commit:
        db.session.commit()
    return len(previous)


def set_many_targets(actor: User, items: list[dict[str, Any]]) -> int:
    """Targets of several coalitions at once ([{coalition, measure, period, value}]): every
    item checked, then all saved, or none. Returns the number of changes."""
    if not can_manage_targets(actor):
        raise PermissionDenied("Only admins set targets.")
    slugs = {str(i.get("coalition")) for i in items}
    coalitions = {
        c.slug: c
        for c in db.session.execute(
            sa.select(Coalition).where(Coalition.slug.in_(slugs or {""}))
        ).scalars()
    }
    measures = {m.slug: m for m in db.session.execute(sa.select(Measure)).scalars()}
    errors: dict[str, str] = {}
    grouped: dict[int, dict[tuple[Measure, int], Any]] = {}
    seen: set[tuple[int, int, int]] = set()
    for n, item in enumerate(items):
        coalition = coalitions.get(str(item.get("coalition")))
        measure = measures.get(str(item.get("measure")))
        if coalition is None:
            errors[f"targets.{n}.coalition"] = f"There is no coalition {item.get('coalition')!r}."
        elif measure is None:
            errors[f"targets.{n}.measure"] = f"There is no measure {item.get('measure')!r}."
        elif (coalition.id, measure.id, item.get("period")) in seen:
            errors[f"targets.{n}"] = "Duplicate of an earlier item."
        else:
            seen.add((coalition.id, measure.id, item.get("period")))
            grouped.setdefault(coalition.id, {})[(measure, item.get("period"))] = item.get("value")
    if errors:
        raise Invalid(errors)
    by_id = {c.id: c for c in coalitions.values()}
    changed = 0
    try:
        for coalition_id, values in grouped.items():
            changed += set_targets(actor, by_id[coalition_id], values, commit=False)
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return changed


# ---------------------------------------------------------------- reports


def find_report(coalition: Coalition, quarter: Quarter) -> QuarterlyReport | None:
    return db.session.execute(
        sa.select(QuarterlyReport).where(
            QuarterlyReport.coalition_id == coalition.id,
            QuarterlyReport.year == quarter.year,
            QuarterlyReport.quarter == quarter.number,
        )
    ).scalar_one_or_none()


def locked_message(report: QuarterlyReport) -> str:
    when = f" on {report.submitted_at:%b %-d, %Y}" if report.submitted_at else ""
    if report.status == ReportStatus.ACCEPTED:
        return (
            f"The {report.quarter_label} report was accepted: its figures and narrative "
            "can no longer be changed by the coalition. Ask program staff if a figure "
            "needs correcting."
        )
    return (
        f"The {report.quarter_label} report was submitted{when} and is waiting for review: "
        "it cannot be changed now. If the reviewer returns it with comments, you can edit "
        "it again."
    )


def figure_snapshot(report: QuarterlyReport) -> dict[str, Any]:
    return {f.measure.slug: plain(f.value) for f in report.figures}


def apply_figures(
    report: QuarterlyReport, values: Mapping[Measure, Decimal | None]
) -> tuple[dict, dict]:
    """Set the report's figures (None removes one); return (previous, new) of what changed.
    Checked values only; no permission check, no commit (the callers do both)."""
    by_measure = {f.measure_id: f for f in report.figures}
    previous: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for measure, value in values.items():
        figure = by_measure.get(measure.id)
        old = figure.value if figure is not None else None
        if old == value:
            continue
        previous[measure.slug], new[measure.slug] = plain(old), plain(value)
        if value is None:
            report.figures.remove(figure)
        elif figure is None:
            report.figures.append(Figure(measure=measure, measure_id=measure.id, value=value))
        else:
            figure.value = value
    return previous, new


def new_report(actor: User | None, coalition: Coalition, quarter: Quarter) -> QuarterlyReport:
    report = QuarterlyReport(
        coalition=coalition,
        coalition_id=coalition.id,
        year=quarter.year,
        quarter=quarter.number,
        status=ReportStatus.DRAFT.value,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(report)
    return report


def _check_figures(
    measures: Iterable[Measure], figures: Mapping[str, Any], errors: dict[str, str]
) -> dict[Measure, Decimal | None]:
    """{measure slug: raw} -> {measure: value or None (removed)}; unknown slugs refused."""
    by_slug = {m.slug: m for m in measures}
    clean: dict[Measure, Decimal | None] = {}
    for slug, raw in figures.items():
        measure = by_slug.get(slug)
        if measure is None:
            errors[f"figures.{slug}"[:80]] = f"There is no measure {str(slug)[:60]!r}."
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            clean[measure] = None
            continue
        try:
            clean[measure] = check_value(measure, raw)
        except ServiceError as exc:
            errors[f"figures.{slug}"] = exc.message
    return clean


def save_report(
    actor: User,
    coalition: Coalition,
    quarter: Quarter,
    *,
    figures: Mapping[str, Any] | None = None,
    narrative: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> QuarterlyReport:
    """Create or change the coalition's report for the quarter: figures {measure slug: value,
    or None/"" to remove} and narrative sections. All or nothing."""
    if not can_draft_report(actor, coalition):
        raise PermissionDenied("Only the coalition's members and program staff write its report.")
    quarter = check_quarter(quarter, now)
    report = find_report(coalition, quarter)
    if report is not None and not can_edit_report(actor, coalition, report):
        raise Conflict(locked_message(report), code="report_locked")
    errors: dict[str, str] = {}
    measures = list(db.session.execute(sa.select(Measure)).scalars())
    clean = _check_figures(measures, figures or {}, errors)
    # A retired measure keeps its figures, but takes no new ones.
    for measure, value in clean.items():
        if not measure.active and value is not None:
            errors[f"figures.{measure.slug}"] = f"{measure.name} is retired: it takes no figures."
    texts = {}
    for key, value in (narrative or {}).items():
        if key not in NARRATIVE_FIELDS:
            errors[key] = f"Unknown narrative section {key!r}."
            continue
        text = (value or "").strip()
        if "\x00" in text:
            errors[key] = f"{NARRATIVE_LABELS[key]} contains a NUL character."
        if len(text) > NARRATIVE_MAX:
            errors[key] = (
                f"{NARRATIVE_LABELS[key]} is too long (at most {NARRATIVE_MAX:,} characters)."
            )
        texts[key] = text
    if errors:
        raise Invalid(errors)
    created = report is None
    if created:
        report = new_report(actor, coalition, quarter)
    before_status = report.status
    previous, new = apply_figures(report, clean)
    narrative_changed = []
    for key, text in texts.items():
        if getattr(report, key) != text:
            setattr(report, key, text)
            setattr(report, f"{key}_html", render_markdown(text))
            narrative_changed.append(key)
    db.session.flush()
    if created or previous or narrative_changed:
        report.updated_at = utcnow()
        audit.record(
            actor,
            "reporting_report.create" if created else "reporting_report.update",
            report,
            coalition=coalition.slug,
            quarter=quarter.key,
            status=before_status,
            previous_figures=previous or None,
            new_figures=new or None,
            narrative=narrative_changed or None,
        )
    db.session.commit()
    return report


def submit_report(
    actor: User, report: QuarterlyReport, *, now: datetime | None = None
) -> QuarterlyReport:
    """Hand the report in (the coalition's leads). Its coaches are told."""
    from cop.notifications.services import notify_many

    if not can_view_coalition_reporting(actor, report.coalition):
        raise PermissionDenied("You may not submit this report.")
    if not report.is_editable:
        raise Conflict(locked_message(report), code="report_locked")
    if not can_submit_report(actor, report):
        raise PermissionDenied("Only the coalition's leads submit its report.")
    if not report.progress.strip():
        raise Invalid({"progress": "Describe the quarter's progress before submitting."})
    now = now or utcnow()
    previous_status = report.status
    report.status = ReportStatus.SUBMITTED.value
    report.submitted_at, report.submitted_by_id = now, actor.id
    audit.record(
        actor,
        "reporting_report.submit",
        report,
        coalition=report.coalition.slug,
        quarter=report.quarter_key,
        previous_status=previous_status,
        figures=figure_snapshot(report),
    )
    coaches = list(
        db.session.execute(
            sa.select(User)
            .join(CoachAssignment, CoachAssignment.coach_id == User.id)
            .where(CoachAssignment.coalition_id == report.coalition_id)
        ).scalars()
    )
    notify_many(
        coaches,
        "report_submitted",
        actor=actor,
        subject_type="reporting_report",
        subject_id=report.id,
        url=report_url(report.coalition, quarter_of(report)),
        text=f"{report.coalition.name} submitted its {report.quarter_label} report",
        context=[("coalition", report.coalition_id)],
    )
    db.session.commit()
    return report


def review_report(
    actor: User,
    report: QuarterlyReport,
    *,
    decision: str,
    comments: str = "",
    now: datetime | None = None,
) -> QuarterlyReport:
    """Accept a submitted report, or return it with comments; the leads and the person who
    submitted it are told, with the comments."""
    from cop.notifications.services import notify_many

    if not can_view_coalition_reporting(actor, report.coalition):
        raise PermissionDenied("You may not review this report.")
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(
            f"Only a submitted report can be reviewed; this one is "
            f"“{report.status_label.lower()}”.",
            code="not_submitted",
        )
    if not can_review_report(actor, report):
        raise PermissionDenied("Only the coalition's coaches and admins review its reports.")
    comments = (comments or "").strip()
    errors = {}
    if decision not in ("accept", "return"):
        errors["decision"] = "Choose to accept the report or to return it with comments."
    elif decision == "return" and not comments:
        errors["comments"] = "Say what needs changing when you return a report."
    if "\x00" in comments:
        errors["comments"] = "The comments contain a NUL character."
    if len(comments) > COMMENTS_MAX:
        errors["comments"] = f"The comments are too long (at most {COMMENTS_MAX:,} characters)."
    if errors:
        raise Invalid(errors)
    now = now or utcnow()
    report.status = (ReportStatus.ACCEPTED if decision == "accept" else ReportStatus.RETURNED).value
    report.reviewed_at, report.reviewed_by_id = now, actor.id
    report.review_comments = comments
    report.review_comments_html = render_markdown(comments)
    audit.record(
        actor,
        "reporting_report.review",
        report,
        coalition=report.coalition.slug,
        quarter=report.quarter_key,
        decision=decision,
        comments=comments or None,
    )
    leads = list(
        db.session.execute(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.coalition_id == report.coalition_id, Membership.is_lead.is_(True))
        ).scalars()
    )
    recipients = [
        u
        for u in [*leads, report.submitted_by]
        if u is not None and can_view_coalition_reporting(u, report.coalition)
    ]
    verb = "accepted" if decision == "accept" else "returned with comments"
    notify_many(
        recipients,
        "report_reviewed",
        actor=actor,
        subject_type="reporting_report",
        subject_id=report.id,
        url=report_url(report.coalition, quarter_of(report)),
        text=f"{actor.name} {verb} the {report.quarter_label} report of {report.coalition.name}",
        excerpt=comments[:1000] or None,
        context=[("coalition", report.coalition_id)],
    )
    db.session.commit()
    return report


# ---------------------------------------------------------------- coaching to outcomes


def session_measure_ids(session_id: int) -> list[int]:
    return list(
        db.session.execute(
            sa.select(session_measures.c.measure_id).where(
                session_measures.c.session_id == session_id
            )
        ).scalars()
    )


def tag_session(actor: User, session, measure_ids: Iterable[Any]) -> list[Measure]:
    """Set the measures a coaching session aims at (replacing the earlier ones)."""
    if not can_tag_session_measures(actor, session):
        raise PermissionDenied("Only the coalition's coaches and admins tag its sessions.")
    try:
        wanted = {int(i) for i in measure_ids}
    except (TypeError, ValueError):
        raise Invalid({"measure_ids": "Choose measures from the list."}) from None
    before = set(session_measure_ids(session.id))
    measures = {
        m.id: m
        for m in db.session.execute(
            sa.select(Measure).where(Measure.id.in_(wanted or {-1}))
        ).scalars()
    }
    # A retired measure may stay on a session that had it; none can be added.
    if set(measures) != wanted or any(not measures[i].active and i not in before for i in wanted):
        raise Invalid({"measure_ids": "Choose measures from the list."})
    if wanted == before:
        return sorted(measures.values(), key=lambda m: m.position)
    db.session.execute(
        sa.delete(session_measures).where(session_measures.c.session_id == session.id)
    )
    if wanted:
        db.session.execute(
            sa.insert(session_measures),
            [{"session_id": session.id, "measure_id": i} for i in sorted(wanted)],
        )
    names = {
        m.id: m.slug
        for m in db.session.execute(
            sa.select(Measure).where(Measure.id.in_((wanted | before) or {-1}))
        ).scalars()
    }
    audit.record(
        actor,
        "coaching_session.measures",
        session,
        coalition=session.coalition.slug,
        previous=sorted(names[i] for i in before),
        new=sorted(names[i] for i in wanted),
    )
    db.session.commit()
    return sorted(measures.values(), key=lambda m: m.position)


# ---------------------------------------------------------------- comparisons


def publish_comparison(
    actor: User, quarter: Quarter, *, title: str = "", note: str = "", now: datetime | None = None
) -> Comparison:
    """Publish every coalition's progress as of the quarter for the whole program, frozen."""
    from cop.reporting.dashboards import comparison_snapshot

    if not can_publish_comparisons(actor):
        raise PermissionDenied("Only admins publish comparisons.")
    period = GrantPeriod.current()
    errors = {}
    if quarter is None or not period.contains(quarter):
        errors["quarter"] = "Choose a quarter of the grant period."
    title = " ".join((title or "").split()) or (
        f"Coalitions compared, {quarter.label}" if quarter else ""
    )
    if len(title) > 200:
        errors["title"] = "The title is too long (at most 200 characters)."
    note = (note or "").strip()
    if len(note) > COMMENTS_MAX:
        errors["note"] = f"The note is too long (at most {COMMENTS_MAX:,} characters)."
    if errors:
        raise Invalid(errors)
    comparison = Comparison(
        year=quarter.year,
        quarter=quarter.number,
        title=title,
        note=note,
        note_html=render_markdown(note),
        published_by_id=actor.id,
        published_at=now or utcnow(),
        snapshot=comparison_snapshot(quarter, period),
    )
    db.session.add(comparison)
    db.session.flush()
    audit.record(actor, "reporting_comparison.publish", comparison, quarter=quarter.key)
    db.session.commit()
    return comparison


def withdraw_comparison(
    actor: User, comparison: Comparison, *, now: datetime | None = None
) -> Comparison:
    if not can_publish_comparisons(actor):
        raise PermissionDenied("Only admins withdraw comparisons.")
    if comparison.withdrawn_at is None:
        comparison.withdrawn_at = now or utcnow()
        audit.record(
            actor, "reporting_comparison.withdraw", comparison, quarter=comparison.quarter_key
        )
        db.session.commit()
    return comparison


# ---------------------------------------------------------------- due-date reminders


def _stages(period: GrantPeriod, now: datetime) -> list[tuple[Quarter, str]]:
    cfg = current_app.config
    soon = timedelta(days=int(cfg.get("REPORTING_REMINDER_DAYS", 7)))
    window = timedelta(days=int(cfg.get("REPORTING_OVERDUE_DAYS", 30)))
    day = today(now)
    stages = []
    for quarter in period.quarters():
        due = period.due_on(quarter)
        if due - soon <= day <= due and period.started(quarter, now):
            stages.append((quarter, "due_soon"))
        elif due < day <= due + window:
            stages.append((quarter, "overdue"))
    return stages


def due_report_reminders(now: datetime | None = None) -> int:
    """Remind each coalition's leads and coaches of its report as the due date approaches
    (REPORTING_REMINDER_DAYS before, default 7) and once when it has passed (for
    REPORTING_OVERDUE_DAYS after, default 30), unless the report was handed in. Only
    coalitions with targets or a report are reminded. Each (coalition, quarter, stage) goes
    out once, ever. Commits; returns notifications made."""
    from cop.notifications.services import notify_many

    now = now or utcnow()
    period = GrantPeriod.current()
    stages = _stages(period, now)
    if not stages:
        return 0
    # Only coalitions whose reporting is set up (targets, or a report): a new deployment
    # does not remind coalitions of reports nobody has asked them for yet.
    set_up = sa.union(sa.select(Target.coalition_id), sa.select(QuarterlyReport.coalition_id))
    coalitions = list(
        db.session.execute(
            sa.select(Coalition).where(Coalition.id.in_(set_up)).order_by(Coalition.id)
        ).scalars()
    )
    people: dict[int, list[User]] = {}  # the leads and the coaches of each coalition
    for coalition_id, user in db.session.execute(
        sa.select(Membership.coalition_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.is_lead.is_(True), User.active.is_(True))
    ).all():
        people.setdefault(coalition_id, []).append(user)
    for coalition_id, user in db.session.execute(
        sa.select(CoachAssignment.coalition_id, User)
        .join(User, User.id == CoachAssignment.coach_id)
        .where(User.active.is_(True))
    ).all():
        people.setdefault(coalition_id, []).append(user)
    created = 0
    claimed = False
    for quarter, stage in stages:
        handed_in = set(
            db.session.execute(
                sa.select(QuarterlyReport.coalition_id).where(
                    QuarterlyReport.year == quarter.year,
                    QuarterlyReport.quarter == quarter.number,
                    QuarterlyReport.status.in_(
                        (ReportStatus.SUBMITTED.value, ReportStatus.ACCEPTED.value)
                    ),
                )
            ).scalars()
        )
        sent = set(
            db.session.execute(
                sa.select(ReportReminder.coalition_id).where(
                    ReportReminder.year == quarter.year,
                    ReportReminder.quarter == quarter.number,
                    ReportReminder.stage == stage,
                )
            ).scalars()
        )
        due = period.due_on(quarter)
        for coalition in coalitions:
            if coalition.id in handed_in or coalition.id in sent:
                continue
            db.session.add(
                ReportReminder(
                    coalition_id=coalition.id,
                    year=quarter.year,
                    quarter=quarter.number,
                    stage=stage,
                    sent_at=now,
                )
            )
            claimed = True
            if stage == "due_soon":
                days = (due - today(now)).days
                when = (
                    "today" if days == 0 else ("tomorrow" if days == 1 else f"on {due:%b %-d, %Y}")
                )
                text = f"The {quarter.label} report of {coalition.name} is due {when}"
            else:
                text = (
                    f"The {quarter.label} report of {coalition.name} was due on "
                    f"{due:%b %-d, %Y} and has not been submitted"
                )
            created += len(
                notify_many(
                    people.get(coalition.id, []),
                    "report_due",
                    actor=None,
                    subject_type="coalition",
                    subject_id=coalition.id,
                    url=report_url(coalition, quarter),
                    text=text,
                    context=[("coalition", coalition.id)],
                )
            )
    if claimed:
        db.session.commit()
    return created
