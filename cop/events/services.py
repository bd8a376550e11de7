"""Events use cases: create (single or recurring), edit and cancel one session or the whole
series, invitations, resources, the host's chat marks and personal calendar feeds.

Each function takes the acting user, checks, changes, commits once, and notifies in the
same transaction (the notifications service queues emails in the outbox). Registration,
the waitlist and attendance are in `cop.events.registrations`; reminders and change
notices in `cop.events.reminders`; the live page and what happens after the event in
`cop.events.live`.

Checks come before any change, so a refused request leaves nothing half-saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from cop.accounts.models import Role, User
from cop.coalitions.models import Coalition, Sector
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.core.security import hash_token, new_token
from cop.core.timezones import is_valid_timezone, localtime
from cop.events import recurrence, registrations, reminders
from cop.events.models import (
    DESCRIPTION_MAX,
    LOCATION_MAX,
    MAX_CAPACITY,
    MAX_JOIN_OPENS_MINUTES,
    RESOURCE_TITLE_MAX,
    SPEAKER_NAME_MAX,
    SPEAKER_ORG_MAX,
    TITLE_MAX,
    URL_MAX,
    Audience,
    Event,
    EventInvite,
    EventResource,
    EventSector,
    EventSeries,
    EventSpeaker,
    EventStatus,
    EventType,
    FeedToken,
    ResourceKind,
)
from cop.events.permissions import (
    can_create_events,
    can_manage_event,
    can_view_event,
    forget_cached_invites,
)
from cop.extensions import db

EVENT_FIELDS = (
    "title",
    "description",
    "type",
    "timezone",
    "starts_at",
    "ends_at",
    "location",
    "join_url",
    "join_opens_minutes",
    "host_id",
    "speaker_ids",
    "other_speakers",
    "audience",
    "coalition_ids",
    "sectors",
    "capacity",
    "registration_deadline",
    "requires_approval",
)
# Changes registrants are told about at once (and calendar clients through SEQUENCE).
NOTICE_FIELDS = ("title", "starts_at", "ends_at", "location", "join_url")
ICS_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "type",
    "speakers",
    "host_id",
)
MAX_DURATION = timedelta(days=14)
MAX_SPEAKERS = 20
SERIES_HORIZON_DAYS = 365
SERIES_REFILL_DAYS = 30
SCOPES = ("one", "series")
FEED_TOUCH_INTERVAL = timedelta(minutes=5)


# ---------------------------------------------------------------- urls, outside requests too


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL, in a request or not (the job runner builds them too)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL on BASE_URL (for .ics files and emails)."""
    from cop.notifications.emails import external_url

    return external_url(endpoint, **values)


def event_path(event: Event) -> str:
    return path_for("events.detail", event_id=event.id)


def new_uid() -> str:
    host = urlsplit(current_app.config.get("BASE_URL", "")).hostname or "cop.example.org"
    return f"event-{uuid.uuid4().hex}@{host}"


# ---------------------------------------------------------------- values and checks


def _err(message: str, field: str | None = None) -> ServiceError:
    return ServiceError(message, code="invalid", field=field)


def event_values(event: Event) -> dict[str, Any]:
    """The editable values of an event, as the services take them."""
    return {
        "title": event.title,
        "description": event.description,
        "type": event.type,
        "timezone": event.timezone,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "location": event.location,
        "join_url": event.join_url,
        "join_opens_minutes": event.join_opens_minutes,
        "host_id": event.host_id,
        "speaker_ids": [s.user_id for s in event.speakers if s.user_id is not None],
        "other_speakers": [
            {"name": s.name, "organization": s.organization}
            for s in event.speakers
            if s.user_id is None
        ],
        "audience": event.audience,
        "coalition_ids": [c.id for c in event.coalitions],
        "sectors": list(event.sectors),
        "capacity": event.capacity,
        "registration_deadline": event.registration_deadline,
        "requires_approval": event.requires_approval,
    }


def _text(values: dict, key: str, label: str, limit: int, *, required: bool = False) -> str:
    value = values.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _err(f"{label} must be text.", key)
    value = value.strip()
    if "\x00" in value:
        raise _err(f"{label} contains a NUL character.", key)
    if required and not value:
        raise _err(f"{label} is required.", key)
    if len(value) > limit:
        raise _err(f"{label} is too long (at most {limit:,} characters).", key)
    return value


def check_url(value: Any, field: str, label: str = "The link") -> str:
    """An http(s) URL or empty; nothing that could run script (javascript:, data:)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise _err(f"{label} must be text.", field)
    value = value.strip()
    if len(value) > URL_MAX:
        raise _err(f"{label} is too long (at most {URL_MAX} characters).", field)
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise _err(f"{label} must be a web address starting with https:// (or http://).", field)
    return value


def localize(value: Any, tz_name: str, field: str, label: str) -> datetime:
    """An aware UTC datetime from an aware one, or from a naive one read in `tz_name`
    (refusing wall-clock times that do not exist there, in the spring-forward gap)."""
    if not isinstance(value, datetime):
        raise _err(f"Give the {label}.", field)
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    tz = ZoneInfo(tz_name)
    local = value.replace(tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        raise _err(
            f"{value:%b %-d, %Y %-I:%M %p} does not exist in {tz_name}: the clocks "
            "go forward then. Choose another time.",
            field,
        )
    return local.astimezone(UTC)


def _ids(values: Any, field: str) -> list[int]:
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise _err("Choose from the list.", field)
    out: list[int] = []
    for v in values:
        try:
            i = int(v)
        except (TypeError, ValueError):
            raise _err("Choose from the list.", field) from None
        if i not in out:
            out.append(i)
    return out


def _users(ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()}


def _other_speakers(values: Any) -> list[dict[str, str]]:
    out = []
    for item in values or []:
        if isinstance(item, str):
            name, _, org = item.partition(",")
            item = {"name": name, "organization": org}
        if not isinstance(item, dict):
            raise _err("List other speakers as a name and an organization.", "other_speakers")
        name = _text(item, "name", "A speaker's name", SPEAKER_NAME_MAX)
        org = _text(item, "organization", "A speaker's organization", SPEAKER_ORG_MAX)
        if name:
            out.append({"name": name, "organization": org})
    return out


def check_event(
    actor: User,
    values: dict[str, Any],
    *,
    existing: Event | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate an event's values (merged over the existing event's, for an edit); return
    them cleaned: times aware UTC, users and coalitions loaded. Changes nothing."""
    now = now or utcnow()
    merged = event_values(existing) if existing is not None else {}
    merged.update({k: v for k, v in values.items() if k in EVENT_FIELDS})
    clean: dict[str, Any] = {}
    clean["title"] = _text(merged, "title", "The title", TITLE_MAX, required=True)
    clean["description"] = _text(merged, "description", "The description", DESCRIPTION_MAX)
    if merged.get("type") not in {t.value for t in EventType}:
        raise _err(
            "Choose the type of event: webinar, peer-learning session, office hours, "
            "convening or coaching group.",
            "type",
        )
    clean["type"] = merged["type"]

    tz_name = merged.get("timezone")
    if not isinstance(tz_name, str) or not is_valid_timezone(tz_name):
        raise _err(
            f"Unknown time zone “{tz_name}”. Use an IANA name such as America/Los_Angeles.",
            "timezone",
        )
    clean["timezone"] = tz_name
    starts_at = localize(merged.get("starts_at"), tz_name, "starts_at", "start date and time")
    ends_at = localize(merged.get("ends_at"), tz_name, "ends_at", "end date and time")
    if ends_at <= starts_at:
        raise _err("The end must be after the start.", "ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise _err("An event lasts at most 14 days.", "ends_at")
    moved = existing is None or starts_at != existing.starts_at
    if moved and starts_at <= now:
        raise _err(
            "The start is in the past: choose a time to come."
            if existing is None
            else "An event cannot be moved to a time in the past.",
            "starts_at",
        )
    clean["starts_at"], clean["ends_at"] = starts_at, ends_at

    clean["location"] = _text(merged, "location", "The location", LOCATION_MAX)
    clean["join_url"] = check_url(merged.get("join_url"), "join_url", "The video-call link")
    opens = merged.get("join_opens_minutes")
    opens = 15 if opens is None else opens
    if (
        isinstance(opens, bool)
        or not isinstance(opens, int)
        or not 0 <= opens <= MAX_JOIN_OPENS_MINUTES
    ):
        raise _err(
            "The live page opens from 0 to 1,440 minutes before the start.", "join_opens_minutes"
        )
    clean["join_opens_minutes"] = opens

    host_id = merged.get("host_id") or actor.id
    host = db.session.get(User, host_id) if isinstance(host_id, int) else None
    if host is None or not can_create_events(host):
        raise _err("The host must be an active admin or coach.", "host_id")
    if (
        host.id != actor.id
        and not actor.is_admin
        and (existing is None or host.id != existing.host_id)
    ):
        raise _err("Only admins choose another host.", "host_id")
    clean["host"] = host

    speaker_ids = _ids(merged.get("speaker_ids"), "speaker_ids")
    speakers = _users(speaker_ids)
    kept = {s.user_id for s in existing.speakers} if existing is not None else set()
    for uid in speaker_ids:
        user = speakers.get(uid)
        if user is None or user.role == Role.GUEST or (not user.active and uid not in kept):
            raise _err("Speakers with an account must be active community members.", "speaker_ids")
    clean["speakers"] = [speakers[uid] for uid in speaker_ids]
    clean["other_speakers"] = _other_speakers(merged.get("other_speakers"))
    if len(clean["speakers"]) + len(clean["other_speakers"]) > MAX_SPEAKERS:
        raise _err(f"At most {MAX_SPEAKERS} speakers.", "speaker_ids")

    audience = merged.get("audience") or Audience.EVERYONE.value
    if audience not in {a.value for a in Audience}:
        raise _err("Choose the audience: everyone, chosen coalitions or staff only.", "audience")
    clean["audience"] = audience
    coalition_ids = _ids(merged.get("coalition_ids"), "coalition_ids")
    coalitions: list[Coalition] = []
    if audience == Audience.COALITIONS:
        if not coalition_ids:
            raise _err("Choose at least one coalition for this audience.", "coalition_ids")
        found = {
            c.id: c
            for c in db.session.execute(
                sa.select(Coalition).where(Coalition.id.in_(coalition_ids))
            ).scalars()
        }
        if len(found) != len(coalition_ids):
            raise _err("Choose coalitions from the list.", "coalition_ids")
        coalitions = [found[i] for i in coalition_ids]
    clean["coalitions"] = coalitions
    sectors = merged.get("sectors") or []
    if isinstance(sectors, str) or not all(s in {x.value for x in Sector} for s in sectors):
        raise _err("Choose sectors from the list.", "sectors")
    clean["sectors"] = sorted(set(sectors))

    capacity = merged.get("capacity")
    if capacity in ("", None):
        capacity = None
    elif (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 1 <= capacity <= MAX_CAPACITY
    ):
        raise _err(
            f"The capacity is a number of seats from 1 to {MAX_CAPACITY:,}, or empty for no limit.",
            "capacity",
        )
    if existing is not None and capacity is not None and capacity < existing.registered_count:
        raise _err(
            f"{existing.registered_count} people already have a seat: the capacity "
            f"cannot be lower than that. Cancel registrations first.",
            "capacity",
        )
    clean["capacity"] = capacity

    deadline = merged.get("registration_deadline")
    if deadline in ("", None):
        deadline = None
    else:
        deadline = localize(deadline, tz_name, "registration_deadline", "registration deadline")
        if deadline > ends_at:
            raise _err(
                "The registration deadline must be before the end of the event.",
                "registration_deadline",
            )
        changed = existing is None or deadline != existing.registration_deadline
        if changed and deadline <= now:
            raise _err("The registration deadline is in the past.", "registration_deadline")
    clean["registration_deadline"] = deadline
    clean["requires_approval"] = bool(merged.get("requires_approval"))
    return clean


def _apply(event: Event, clean: dict[str, Any]) -> None:
    """Write checked values onto an event (times included)."""
    for key in (
        "title",
        "description",
        "type",
        "timezone",
        "starts_at",
        "ends_at",
        "location",
        "join_url",
        "join_opens_minutes",
        "audience",
        "capacity",
        "registration_deadline",
        "requires_approval",
    ):
        setattr(event, key, clean[key])
    event.description_html = render_markdown(clean["description"])
    event.host_id = clean["host"].id
    event.host = clean["host"]
    event.coalitions = list(clean["coalitions"])
    if sorted(event.sectors) != clean["sectors"]:
        event.sector_rows = [EventSector(sector=s) for s in clean["sectors"]]
    speakers = [(u.id, u.name, u.organization) for u in clean["speakers"]]
    speakers += [(None, s["name"], s["organization"]) for s in clean["other_speakers"]]
    if [(s.user_id, s.name, s.organization) for s in event.speakers] != speakers:
        event.speakers = [
            EventSpeaker(
                user_id=uid,
                name=name[:SPEAKER_NAME_MAX],
                organization=(org or "")[:SPEAKER_ORG_MAX],
                position=i,
            )
            for i, (uid, name, org) in enumerate(speakers)
        ]


def snapshot(event: Event) -> dict[str, Any]:
    """JSON-ready values for the audit log and change detection."""
    values = event_values(event)
    for key in ("starts_at", "ends_at", "registration_deadline"):
        values[key] = values[key].isoformat() if values[key] else None
    values["speakers"] = [[s.user_id, s.name, s.organization] for s in event.speakers]
    return values


def _short(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v[:300] if isinstance(v, str) else v for k, v in values.items()}


def _changed(before: dict, after: dict, fields: Iterable[str]) -> list[str]:
    return [k for k in fields if before.get(k) != after.get(k)]


# ---------------------------------------------------------------- create


def create_event(actor: User, values: dict[str, Any], *, now: datetime | None = None) -> Event:
    """Create an event, or with `values["rrule"]` a series of sessions (the first is
    returned). Commits."""
    now = now or utcnow()
    if not can_create_events(actor):
        raise PermissionDenied("Only admins and coaches create events.")
    clean = check_event(actor, values, now=now)
    rule_text = (values.get("rrule") or "").strip()
    if rule_text:
        event = _create_series(actor, clean, rule_text, now)
    else:
        event = Event(uid=new_uid(), created_by_id=actor.id)
        _apply(event, clean)
        db.session.add(event)
        db.session.flush()
    audit.record(
        actor,
        "events.create",
        event,
        series_id=event.series_id,
        rrule=event.series.rrule if event.series else None,
        starts_at=event.starts_at.isoformat(),
    )
    db.session.commit()
    return event


def _create_series(actor: User, clean: dict[str, Any], rule_text: str, now: datetime) -> Event:
    tz_name = clean["timezone"]
    rule = recurrence.parse_rule(rule_text, tz_name)
    first_local = clean["starts_at"].astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)
    recurrence.total_count(rule, first_local, tz_name)  # refuses rules that never end soon
    horizon = now + timedelta(days=SERIES_HORIZON_DAYS)
    starts = recurrence.occurrences(rule, first_local, tz_name, before=horizon)
    if not starts:
        raise _err("The rule gives no session in the coming year: check its dates.", "rrule")
    if starts[0] <= now:
        raise _err("The first session would be in the past: choose a later start.", "starts_at")
    total = recurrence.total_count(rule, first_local, tz_name)
    series = EventSeries(
        rrule=rule.text,
        timezone=tz_name,
        first_start_at=starts[0],
        duration_minutes=int((clean["ends_at"] - clean["starts_at"]).total_seconds() // 60),
        materialized_until=starts[-1] if total is not None and len(starts) >= total else horizon,
        complete=total is not None and len(starts) >= total,
        created_by_id=actor.id,
    )
    db.session.add(series)
    db.session.flush()
    for start in starts:
        _add_occurrence(series, clean, start, actor)
    db.session.flush()
    return series.occurrences[0]


def _add_occurrence(
    series: EventSeries, clean: dict[str, Any], start: datetime, actor: User | None
) -> Event:
    duration = clean["ends_at"] - clean["starts_at"]
    deadline = clean["registration_deadline"]
    values = dict(
        clean,
        starts_at=start,
        ends_at=start + duration,
        registration_deadline=(
            start + (deadline - clean["starts_at"]) if deadline is not None else None
        ),
    )
    event = Event(
        uid=new_uid(), series=series, recurrence_id=start, created_by_id=actor.id if actor else None
    )
    _apply(event, values)
    db.session.add(event)
    series.occurrences.append(event)
    return event


def extend_series(now: datetime | None = None) -> int:
    """Create the next sessions of open-ended series up to a year ahead (the job runner
    calls it daily-ish; idempotent). Returns the number of sessions created. Commits."""
    now = now or utcnow()
    horizon = now + timedelta(days=SERIES_HORIZON_DAYS)
    refill = horizon - timedelta(days=SERIES_REFILL_DAYS)  # a month's worth at a time
    created = 0
    for series in (
        db.session.execute(
            sa.select(EventSeries).where(
                EventSeries.complete.is_(False), EventSeries.materialized_until < refill
            )
        )
        .scalars()
        .all()
    ):
        created += _extend_one(series, horizon)
        db.session.commit()
    return created


def _extend_one(series: EventSeries, horizon: datetime) -> int:
    template = db.session.execute(
        sa.select(Event)
        .where(Event.series_id == series.id)
        .order_by(Event.detached, Event.recurrence_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if template is None or template.is_cancelled and _all_cancelled(series):
        series.complete = True
        return 0
    rule = recurrence.parse_rule(series.rrule, series.timezone)
    first_local = series.first_start_at.astimezone(ZoneInfo(series.timezone)).replace(tzinfo=None)
    last = db.session.execute(
        sa.select(sa.func.max(Event.recurrence_id)).where(Event.series_id == series.id)
    ).scalar_one()
    starts = recurrence.occurrences(rule, first_local, series.timezone, after=last, before=horizon)
    values = event_values(template)
    clean = dict(
        values,
        host=template.host or db.session.get(User, template.host_id),
        speakers=[s.user for s in template.speakers if s.user is not None],
        coalitions=list(template.coalitions),
    )
    clean["starts_at"], clean["ends_at"] = template.starts_at, template.ends_at
    if clean["host"] is None:
        series.complete = True
        return 0
    for start in starts:
        _add_occurrence(series, clean, start, None)
    series.materialized_until = horizon
    if not starts and rule.is_finite:
        series.complete = True
    return len(starts)


def _all_cancelled(series: EventSeries) -> bool:
    return not db.session.execute(
        sa.select(Event.id)
        .where(Event.series_id == series.id, Event.status == EventStatus.SCHEDULED.value)
        .limit(1)
    ).first()


# ---------------------------------------------------------------- edit


def _check_scope(scope: str, event: Event) -> str:
    if scope not in SCOPES:
        raise _err("Choose this session only or the whole series.", "scope")
    return scope if event.series_id is not None else "one"


def update_event(
    actor: User,
    event: Event,
    values: dict[str, Any],
    *,
    scope: str = "one",
    now: datetime | None = None,
) -> Event:
    """Change an event, or (scope "series") every session of its series still to come:
    their time of day and length follow the edited session, their dates stay. Registrants
    of every changed session are told at once; reminders move with the start. Commits."""
    now = now or utcnow()
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins can edit it.")
    if event.is_cancelled:
        raise Conflict("A cancelled event cannot be changed.", code="cancelled")
    scope = _check_scope(scope, event)
    clean = check_event(actor, values, existing=event, now=now)
    plans = [(event, clean)] if scope == "one" else _series_plans(actor, event, clean, now)
    changes = []
    for target, target_clean in plans:
        before = snapshot(target)
        _apply(target, target_clean)
        db.session.flush()
        after = snapshot(target)
        changed = _changed(before, after, list(after))
        if not changed:
            continue
        if scope == "one" and target.series_id is not None:
            target.detached = True
        if _changed(before, after, ICS_FIELDS):
            target.sequence += 1
        changes.append((target, before, after, changed))
    if scope == "series" and changes:
        _reanchor_series(event, clean)
    for target, before, after, changed in changes:
        if "starts_at" in changed:
            reminders.reschedule_event(target, now)
        if "capacity" in changed:
            registrations.promote(target, now, actor)  # more seats: the waitlist moves up
        notice = _changed(before, after, NOTICE_FIELDS)
        if notice:
            reminders.notify_changed(actor, target, _change_text(target, notice))
    if changes:
        audit.record(
            actor,
            "events.update",
            event,
            scope=scope,
            sessions=[t.id for t, *_ in changes],
            before=_short({k: changes[0][1][k] for k in changes[0][3]}),
            after=_short({k: changes[0][2][k] for k in changes[0][3]}),
        )
    db.session.commit()
    return event


def _series_plans(
    actor: User, event: Event, clean: dict[str, Any], now: datetime
) -> list[tuple[Event, dict[str, Any]]]:
    """The checked values of every session to come, or a refusal naming the first session
    that cannot take them (nothing is changed before every one is checked)."""
    tz = ZoneInfo(clean["timezone"])
    old_local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    new_local = clean["starts_at"].astimezone(tz)
    if new_local.date() != old_local.date():
        raise _err(
            "To move the whole series to other days, cancel the sessions to come and "
            "create a new series. (You can move this session on its own.)",
            "starts_at",
        )
    duration = clean["ends_at"] - clean["starts_at"]
    deadline_offset = (
        clean["registration_deadline"] - clean["starts_at"]
        if clean["registration_deadline"] is not None
        else None
    )
    targets = (
        db.session.execute(
            sa.select(Event)
            .where(
                Event.series_id == event.series_id,
                Event.status == EventStatus.SCHEDULED.value,
                sa.or_(Event.starts_at > now, Event.id == event.id),
            )
            .order_by(Event.starts_at)
        )
        .scalars()
        .all()
    )
    plans = []
    for target in targets:
        day = target.starts_at.astimezone(ZoneInfo(target.timezone)).date()
        start = recurrence.to_utc(datetime.combine(day, new_local.time()), clean["timezone"])
        if target.id != event.id and start <= now:
            raise _err(f"The session of {day:%b %-d} would start in the past.", "starts_at")
        if clean["capacity"] is not None and clean["capacity"] < target.registered_count:
            raise _err(
                f"The session of {day:%b %-d} has {target.registered_count} people "
                "with a seat: the capacity cannot be lower than that.",
                "capacity",
            )
        plans.append(
            (
                target,
                dict(
                    clean,
                    starts_at=start,
                    ends_at=start + duration,
                    registration_deadline=start + deadline_offset
                    if deadline_offset is not None
                    else None,
                ),
            )
        )
    return plans


def _reanchor_series(event: Event, clean: dict[str, Any]) -> None:
    """The series' new time of day and length, for the sessions created later."""
    series = event.series
    local = series.first_start_at.astimezone(ZoneInfo(series.timezone))
    new_time = clean["starts_at"].astimezone(ZoneInfo(clean["timezone"])).time()
    series.first_start_at = recurrence.to_utc(
        datetime.combine(local.date(), new_time), clean["timezone"]
    )
    series.timezone = clean["timezone"]
    series.duration_minutes = int((clean["ends_at"] - clean["starts_at"]).total_seconds() // 60)


def _change_text(event: Event, fields: list[str]) -> str:
    what = {
        "title": "title",
        "starts_at": "time",
        "ends_at": "time",
        "location": "location",
        "join_url": "video-call link",
    }
    names = list(dict.fromkeys(what[f] for f in fields))
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = f"“{event.title}” changed: new {listed}"
    if "time" in names:
        text += f" (now {localtime(event.starts_at, event.timezone)})"
    return text


# ---------------------------------------------------------------- cancel


def cancel_event(
    actor: User, event: Event, *, scope: str = "one", reason: str = "", now: datetime | None = None
) -> list[Event]:
    """Cancel one session, or every session of the series still to come. Registrations
    stay (so feeds publish STATUS:CANCELLED); reminders are withdrawn; registrants are told
    at once. Commits."""
    now = now or utcnow()
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins can cancel it.")
    reason = _text({"reason": reason}, "reason", "The reason", 500)
    scope = _check_scope(scope, event)
    if scope == "one":
        if event.is_cancelled:
            raise Conflict("This event is already cancelled.", code="cancelled")
        if event.has_ended(now):
            raise Conflict("This event is over: it cannot be cancelled.", code="ended")
        targets = [event]
    else:
        targets = (
            db.session.execute(
                sa.select(Event)
                .where(
                    Event.series_id == event.series_id,
                    Event.status == EventStatus.SCHEDULED.value,
                    Event.ends_at > now,
                )
                .order_by(Event.starts_at)
            )
            .scalars()
            .all()
        )
        if not targets:
            raise Conflict("No session of this series is left to cancel.", code="cancelled")
        event.series.complete = True  # no more sessions are created
    for target in targets:
        target.status = EventStatus.CANCELLED.value
        target.cancelled_at = now
        target.cancel_reason = reason
        target.sequence += 1
        reminders.cancel_event_reminders(target)
        text = f"“{target.title}” on {_local_day(target)} is cancelled"
        reminders.notify_changed(actor, target, text + (f": {reason}" if reason else ""))
    audit.record(
        actor,
        "events.cancel",
        event,
        scope=scope,
        reason=reason or None,
        sessions=[t.id for t in targets],
    )
    db.session.commit()
    return targets


def _local_day(event: Event) -> str:
    return event.starts_at.astimezone(ZoneInfo(event.timezone)).strftime("%b %-d, %Y")


# ---------------------------------------------------------------- invitations


def invite(actor: User, event: Event, email: str) -> EventInvite:
    """Invite someone with an account (a guest, or anyone outside the audience) to this one
    event: they see it and may register. Commits; the invitee is notified."""
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins invite people.")
    if event.is_cancelled or event.has_ended():
        raise Conflict("This event is cancelled or over.", code="closed")
    email = (email or "").strip().lower()
    user = db.session.execute(
        sa.select(User).where(sa.func.lower(User.email) == email)
    ).scalar_one_or_none()
    if user is None or not user.active:
        raise _err(
            "No active account has this email address. An admin can invite the "
            "person to cop as a guest first.",
            "email",
        )
    existing = db.session.execute(
        sa.select(EventInvite).where(
            EventInvite.event_id == event.id, EventInvite.user_id == user.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"{user.name} is already invited.", code="already_invited")
    row = EventInvite(event_id=event.id, user_id=user.id, invited_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    forget_cached_invites(user)
    from cop.notifications.services import notify

    notify(
        user,
        "event_invitation",
        actor=actor,
        subject_type="event",
        subject_id=event.id,
        url=event_path(event),
        text=f"{actor.name} invited you to “{event.title}”",
    )
    audit.record(actor, "events.invite", event, invitee=user.email)
    db.session.commit()
    return row


# ---------------------------------------------------------------- resources


def add_resource(actor: User, event: Event, *, kind: str, title: str, url: str) -> EventResource:
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins add resources.")
    if kind not in {k.value for k in ResourceKind}:
        raise _err("Choose recording, slides or resource.", "kind")
    title = _text({"title": title}, "title", "The title", RESOURCE_TITLE_MAX, required=True)
    url = check_url(url, "url")
    if not url:
        raise _err("Give the link.", "url")
    resource = EventResource(
        event_id=event.id, kind=kind, title=title, url=url, created_by_id=actor.id
    )
    db.session.add(resource)
    audit.record(actor, "events.resource_add", event, title=title, url=url)
    db.session.commit()
    return resource


def delete_resource(actor: User, event: Event, resource_id: int) -> None:
    resource = db.session.get(EventResource, resource_id)
    if resource is None or resource.event_id != event.id:
        raise NotFound("No such resource.")
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins remove resources.")
    audit.record(actor, "events.resource_delete", event, title=resource.title, url=resource.url)
    db.session.delete(resource)
    db.session.commit()


# ---------------------------------------------------------------- calendar feeds


def feed_token_of(user: User) -> FeedToken | None:
    return db.session.execute(
        sa.select(FeedToken).where(FeedToken.user_id == user.id)
    ).scalar_one_or_none()


def reset_feed_token(actor: User) -> str:
    """A new personal feed URL token (the old one stops working). Returns it: it is shown
    once and only its hash is kept. Commits."""
    raw = new_token(24)
    row = feed_token_of(actor)
    if row is None:
        db.session.add(FeedToken(user_id=actor.id, token_hash=hash_token(raw)))
    else:
        row.token_hash, row.created_at, row.last_used_at = hash_token(raw), utcnow(), None
    audit.record(actor, "events.feed_reset", actor)
    db.session.commit()
    return raw


def revoke_feed_token(actor: User) -> bool:
    row = feed_token_of(actor)
    if row is None:
        return False
    db.session.delete(row)
    audit.record(actor, "events.feed_revoke", actor)
    db.session.commit()
    return True


def user_for_feed_token(raw: str | None, *, now: datetime | None = None) -> User | None:
    """The active user behind a feed token, or None."""
    if not raw or len(raw) > 100:
        return None
    now = now or utcnow()
    row = db.session.execute(
        sa.select(FeedToken).where(FeedToken.token_hash == hash_token(raw))
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > FEED_TOUCH_INTERVAL:
        row.last_used_at = now
        db.session.commit()
    return row.user
