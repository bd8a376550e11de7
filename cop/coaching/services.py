"""Coaching use cases. Each takes the acting user, checks, changes, commits once, notifies.

Every create, edit and delete of a session log or action item goes to the audit log with
the previous values. Notifications never carry private notes and go only to people who
may see the coalition's log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from cop.accounts.models import User
from cop.coaching.models import (
    DEFAULT_TOPICS,
    DESCRIPTION_MAX,
    MAX_DURATION_MINUTES,
    OTHER_ATTENDEES_MAX,
    TEXT_MAX,
    TOPIC_LABEL_MAX,
    ActionItem,
    CoachingSession,
    CoachingTopic,
    Initiator,
    ItemStatus,
    Modality,
)
from cop.coaching.permissions import (
    can_delete_session,
    can_edit_action_item,
    can_edit_session,
    can_log_for,
    can_manage_topics,
    can_update_action_item,
    can_view_session_log,
    is_valid_coach_for,
    is_valid_owner_for,
)
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import is_member
from cop.core import audit
from cop.core.errors import PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.core.text import refuse_nul
from cop.core.timezones import zone
from cop.extensions import db

# Sessions before the program's first year are typos, not history.
EARLIEST_SESSION = date(2020, 1, 1)
SESSION_FIELDS = (
    "started_at",
    "duration_minutes",
    "modality",
    "initiated_by",
    "coach_ids",
    "attendee_ids",
    "other_attendees",
    "topics",
    "need",
    "summary",
    "outcome",
    "next_session_on",
    "private_notes",
)
UNSET: Any = object()


@dataclass
class NewActionItem:
    description: str
    owner_id: int | None
    due_on: date | None = None


# ---------------------------------------------------------------- helpers


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL, in a request or not (the reminders job runs outside one)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def session_url(session: CoachingSession, item: ActionItem | None = None) -> str:
    url = path_for("coaching.session_detail", session_id=session.id)
    return f"{url}#item-{item.id}" if item is not None and item.id else url


def _ids(values, field: str) -> set[int]:
    try:
        return {int(i) for i in values or ()}
    except (TypeError, ValueError):
        raise ServiceError("Choose people from the list.", field=field) from None


def _users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(ids))).scalars()}


def _text(values: dict, key: str, label: str, limit: int, *, required: bool = False) -> str:
    value = refuse_nul((values.get(key) or "").strip(), label, key)
    if required and not value:
        raise ServiceError(f"{label} is required.", field=key)
    if len(value) > limit:
        raise ServiceError(f"{label} is too long (at most {limit:,} characters).", field=key)
    return value


def session_values(session: CoachingSession) -> dict[str, Any]:
    """The editable values of a session, as the services take them."""
    return {
        "started_at": session.started_at,
        "duration_minutes": session.duration_minutes,
        "modality": session.modality,
        "initiated_by": session.initiated_by,
        "coach_ids": [u.id for u in session.coaches],
        "attendee_ids": [u.id for u in session.attendees],
        "other_attendees": session.other_attendees,
        "topics": [t.slug for t in session.topics],
        "need": session.need,
        "summary": session.summary,
        "outcome": session.outcome,
        "next_session_on": session.next_session_on,
        "private_notes": session.private_notes,
    }


def snapshot(session: CoachingSession) -> dict[str, Any]:
    """JSON-ready values of a session for the audit log (private notes included: admins only)."""
    values = session_values(session)
    values["started_at"] = session.started_at.isoformat()
    values["next_session_on"] = (
        session.next_session_on.isoformat() if session.next_session_on else None
    )
    values["coalition"] = session.coalition.slug
    return values


def item_snapshot(item: ActionItem) -> dict[str, Any]:
    return {
        "description": item.description,
        "owner_id": item.owner_id,
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "status": item.status,
        "closed_by_id": item.closed_by_id,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
    }


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    changed = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


# ---------------------------------------------------------------- checks


def check_session(
    actor: User,
    coalition: Coalition,
    values: dict[str, Any],
    *,
    existing: CoachingSession | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate a session's values; return them cleaned, with users and topics loaded."""
    now = now or utcnow()
    clean: dict[str, Any] = {}

    started_at = values.get("started_at")
    if not isinstance(started_at, datetime) or started_at.tzinfo is None:
        raise ServiceError("Give the date and start time of the session.", field="started_at")
    started_at = started_at.astimezone(UTC)
    if started_at > now:
        raise ServiceError(
            "A logged session has already happened: its date and start time "
            "cannot be in the future.",
            field="started_at",
        )
    if started_at.date() < EARLIEST_SESSION:
        raise ServiceError(
            f"The date is before {EARLIEST_SESSION.year}: please check it.", field="started_at"
        )
    clean["started_at"] = started_at

    duration = values.get("duration_minutes")
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise ServiceError("Give the duration in minutes.", field="duration_minutes")
    if not 0 < duration <= MAX_DURATION_MINUTES:
        raise ServiceError(
            "The duration is between 1 minute and 24 hours (1,440 minutes).",
            field="duration_minutes",
        )
    clean["duration_minutes"] = duration

    if values.get("modality") not in {m.value for m in Modality}:
        raise ServiceError("Choose how the session was held.", field="modality")
    clean["modality"] = values["modality"]
    if values.get("initiated_by") not in {i.value for i in Initiator}:
        raise ServiceError(
            "Say who asked for the session: the coalition or the coach.", field="initiated_by"
        )
    clean["initiated_by"] = values["initiated_by"]

    coach_ids = _ids(values.get("coach_ids"), "coach_ids")
    if not coach_ids:
        raise ServiceError("Name at least one coach.", field="coach_ids")
    coaches = _users(coach_ids)
    kept_coaches = {u.id for u in existing.coaches} if existing is not None else set()
    for coach_id in coach_ids:
        coach = coaches.get(coach_id)
        # A coach since reassigned stays on the sessions they held.
        if coach is None or not (is_valid_coach_for(coach, coalition) or coach_id in kept_coaches):
            raise ServiceError(
                "Every coach of the session must be assigned to the coalition.", field="coach_ids"
            )
    clean["coaches"] = sorted(coaches.values(), key=lambda u: u.name)

    attendee_ids = _ids(values.get("attendee_ids"), "attendee_ids")
    attendees = _users(attendee_ids)
    kept = {u.id for u in existing.attendees} if existing is not None else set()
    for attendee_id in attendee_ids:
        person = attendees.get(attendee_id)
        ok = person is not None and (
            (person.active and is_member(person, coalition)) or attendee_id in kept
        )
        if not ok:
            raise ServiceError(
                "Attendees are members of the coalition; name others in “Other attendees”.",
                field="attendee_ids",
            )
    clean["attendees"] = sorted(attendees.values(), key=lambda u: u.name)

    clean["topics"] = _check_topics(values.get("topics") or (), existing)
    clean["other_attendees"] = _text(
        values, "other_attendees", "Other attendees", OTHER_ATTENDEES_MAX
    )
    clean["need"] = _text(values, "need", "The need presented", TEXT_MAX)
    clean["summary"] = _text(values, "summary", "What was done", TEXT_MAX, required=True)
    clean["outcome"] = _text(values, "outcome", "What changed", TEXT_MAX)
    clean["private_notes"] = _text(values, "private_notes", "Private notes", TEXT_MAX)

    next_on = values.get("next_session_on")
    if next_on is not None:
        if not isinstance(next_on, date) or isinstance(next_on, datetime):
            raise ServiceError("Give the next session's date.", field="next_session_on")
        if next_on < started_at.astimezone(zone(actor.timezone)).date():
            raise ServiceError(
                "The next session's date is before this session.", field="next_session_on"
            )
    clean["next_session_on"] = next_on
    return clean


def _check_topics(slugs, existing: CoachingSession | None) -> list[CoachingTopic]:
    slugs = {str(s) for s in slugs}
    if not slugs:
        return []
    ensure_default_topics(commit=False)
    found = {
        t.slug: t
        for t in db.session.execute(
            sa.select(CoachingTopic).where(CoachingTopic.slug.in_(slugs))
        ).scalars()
    }
    kept = {t.slug for t in existing.topics} if existing is not None else set()
    for slug in slugs:
        topic = found.get(slug)
        if topic is None or not (topic.active or slug in kept):
            raise ServiceError("Choose topics from the list.", field="topics")
    return sorted(found.values(), key=lambda t: (t.position, t.label))


def check_action_item(
    coalition: Coalition,
    item: NewActionItem,
    *,
    index: int | None = None,
    not_before: date | None = None,
) -> tuple[str, User, date | None]:
    prefix = f"items-{index}-" if index is not None else ""
    description = refuse_nul(
        (item.description or "").strip(), "The action item", f"{prefix}description"
    )
    if not description:
        raise ServiceError("Describe the action item.", field=f"{prefix}description")
    if len(description) > DESCRIPTION_MAX:
        raise ServiceError(
            f"The action item is too long (at most {DESCRIPTION_MAX} characters).",
            field=f"{prefix}description",
        )
    owner_ids = _ids([item.owner_id] if item.owner_id else [], f"{prefix}owner_id")
    owner = db.session.get(User, owner_ids.pop()) if owner_ids else None
    if owner is None or not is_valid_owner_for(owner, coalition):
        raise ServiceError(
            "The owner of an action item is a member of the coalition or one of its coaches.",
            field=f"{prefix}owner_id",
        )
    if item.due_on is not None and not_before is not None and item.due_on < not_before:
        raise ServiceError("The due date is before the session.", field=f"{prefix}due_on")
    return description, owner, item.due_on


# ---------------------------------------------------------------- sessions


def log_session(
    actor: User,
    coalition: Coalition,
    values: dict[str, Any],
    *,
    items: list[NewActionItem] = (),
    close_item_ids=(),
    now: datetime | None = None,
) -> CoachingSession:
    """Log a session with its new action items; optionally mark earlier open items done."""
    if not can_log_for(actor, coalition):
        raise PermissionDenied("Only the coalition's coaches and admins log its sessions.")
    now = now or utcnow()
    clean = check_session(actor, coalition, values, now=now)
    session = CoachingSession(coalition=coalition, created_by_id=actor.id)
    _apply(session, clean)
    db.session.add(session)
    db.session.flush()
    new_items = _add_items(actor, session, items)
    closed = _close_items(actor, coalition, close_item_ids, now)
    audit.record(
        actor,
        "coaching_session.create",
        session,
        coalition=coalition.slug,
        values=snapshot(session),
        action_items=[i.id for i in new_items] or None,
        closed_items=closed or None,
    )
    _notify_assigned(actor, new_items)
    db.session.commit()
    return session


def update_session(
    actor: User,
    session: CoachingSession,
    changes: dict[str, Any],
    *,
    items: list[NewActionItem] = (),
    close_item_ids=(),
    now: datetime | None = None,
) -> CoachingSession:
    """Change some of a session's values (others stay); add action items."""
    if not can_edit_session(actor, session):
        raise PermissionDenied("Only the coalition's coaches and admins edit its sessions.")
    unknown = set(changes) - set(SESSION_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown field {sorted(unknown)[0]!r}.")
    now = now or utcnow()
    before = snapshot(session)
    values = {**session_values(session), **changes}
    clean = check_session(actor, session.coalition, values, existing=session, now=now)
    _apply(session, clean)
    new_items = _add_items(actor, session, items)
    closed = _close_items(actor, session.coalition, close_item_ids, now)
    previous, new = _diff(before, snapshot(session))
    if previous or new_items or closed:
        audit.record(
            actor,
            "coaching_session.update",
            session,
            coalition=session.coalition.slug,
            previous=previous,
            new=new,
            action_items=[i.id for i in new_items] or None,
            closed_items=closed or None,
        )
    _notify_assigned(actor, new_items)
    db.session.commit()
    return session


def delete_session(actor: User, session: CoachingSession) -> None:
    if not can_delete_session(actor, session):
        raise PermissionDenied("Only the coalition's coaches and admins delete its sessions.")
    audit.record(
        actor,
        "coaching_session.delete",
        session,
        coalition=session.coalition.slug,
        previous=snapshot(session),
        action_items=[{"id": i.id, **item_snapshot(i)} for i in session.action_items],
    )
    db.session.delete(session)
    db.session.commit()


def _apply(session: CoachingSession, clean: dict[str, Any]) -> None:
    session.started_at = clean["started_at"]
    session.duration_minutes = clean["duration_minutes"]
    session.modality = clean["modality"]
    session.initiated_by = clean["initiated_by"]
    session.coaches = clean["coaches"]
    session.attendees = clean["attendees"]
    session.topics = clean["topics"]
    session.other_attendees = clean["other_attendees"]
    session.need = clean["need"]
    if session.summary != clean["summary"] or not session.summary_html:
        session.summary = clean["summary"]
        session.summary_html = render_markdown(clean["summary"])
    if session.outcome != clean["outcome"] or (clean["outcome"] and not session.outcome_html):
        session.outcome = clean["outcome"]
        session.outcome_html = render_markdown(clean["outcome"])
    session.next_session_on = clean["next_session_on"]
    session.private_notes = clean["private_notes"]


def _session_day(actor: User, session: CoachingSession) -> date:
    return session.started_at.astimezone(zone(actor.timezone)).date()


def _add_items(
    actor: User, session: CoachingSession, items: list[NewActionItem]
) -> list[ActionItem]:
    created = []
    for index, new in enumerate(items):
        description, owner, due_on = check_action_item(
            session.coalition, new, index=index, not_before=_session_day(actor, session)
        )
        item = ActionItem(
            session=session,
            coalition_id=session.coalition_id,
            description=description,
            owner=owner,
            due_on=due_on,
            status=ItemStatus.OPEN.value,
            created_by_id=actor.id,
        )
        db.session.add(item)
        created.append(item)
    if created:
        db.session.flush()
        for item in created:
            audit.record(
                actor,
                "action_item.create",
                item,
                coalition=session.coalition.slug,
                session_id=session.id,
                values=item_snapshot(item),
            )
    return created


def _close_items(actor: User, coalition: Coalition, item_ids, now: datetime) -> list[int]:
    ids = _ids(item_ids, "close_item_ids")
    if not ids:
        return []
    items = list(db.session.execute(sa.select(ActionItem).where(ActionItem.id.in_(ids))).scalars())
    if len(items) != len(ids) or any(
        i.coalition_id != coalition.id or not i.is_open for i in items
    ):
        raise ServiceError(
            "Only the coalition's open action items can be marked done here.",
            field="close_item_ids",
        )
    for item in items:
        before = item_snapshot(item)
        _set_status(actor, item, ItemStatus.DONE, now)
        previous, new = _diff(before, item_snapshot(item))
        audit.record(
            actor,
            "action_item.update",
            item,
            coalition=coalition.slug,
            session_id=item.session_id,
            previous=previous,
            new=new,
        )
    return sorted(ids)


# ---------------------------------------------------------------- action items


def add_action_item(actor: User, session: CoachingSession, new: NewActionItem) -> ActionItem:
    if not can_edit_session(actor, session):
        raise PermissionDenied("Only the coalition's coaches and admins add action items.")
    (item,) = _add_items(actor, session, [new])
    _notify_assigned(actor, [item])
    db.session.commit()
    return item


def update_action_item(
    actor: User,
    item: ActionItem,
    *,
    status: str | None = None,
    description: str | None = None,
    owner_id: int | None = None,
    due_on: date | None = UNSET,
    now: datetime | None = None,
) -> ActionItem:
    """Change an item's status (owner, leads, coaches) or its content (coaches, admins)."""
    now = now or utcnow()
    if not can_update_action_item(actor, item):
        raise PermissionDenied(
            "Only the owner, the coalition's leads and its coaches update this action item."
        )
    edits_content = description is not None or owner_id is not None or due_on is not UNSET
    if edits_content and not can_edit_action_item(actor, item):
        raise PermissionDenied(
            "Only the coalition's coaches and admins change the "
            "description, owner or due date of an action item."
        )
    before = item_snapshot(item)
    old_owner_id = item.owner_id
    if edits_content:
        new_description, owner, new_due = check_action_item(
            item.coalition,
            NewActionItem(
                description if description is not None else item.description,
                owner_id if owner_id is not None else item.owner_id,
                item.due_on if due_on is UNSET else due_on,
            ),
        )
        if new_due != item.due_on:
            item.reminded_at = None  # a new date deserves a new reminder
        item.description, item.due_on = new_description, new_due
        item.owner, item.owner_id = owner, owner.id  # the id now, not at the next flush
    if status is not None:
        try:
            _set_status(actor, item, ItemStatus(status), now)
        except ValueError:
            raise ServiceError("The status is open, done or dropped.", field="status") from None
    previous, new = _diff(before, item_snapshot(item))
    if previous:
        audit.record(
            actor,
            "action_item.update",
            item,
            coalition=item.coalition.slug,
            session_id=item.session_id,
            previous=previous,
            new=new,
        )
    if item.owner_id != old_owner_id:
        _notify_assigned(actor, [item])
    db.session.commit()
    return item


def _set_status(actor: User, item: ActionItem, status: ItemStatus, now: datetime) -> None:
    if item.status == status:
        return
    item.status = status.value
    if status == ItemStatus.OPEN:
        item.closed_at = None
        item.closed_by_id = None
    else:
        item.closed_at = now
        item.closed_by_id = actor.id


def _notify_assigned(actor: User, items: list[ActionItem]) -> None:
    """Tell each new owner, in the caller's transaction (the caller commits)."""
    from cop.notifications.services import notify

    for item in items:
        owner = item.owner
        if not can_view_session_log(owner, item.coalition):
            continue
        due = f", due {item.due_on:%b %-d, %Y}" if item.due_on else ""
        notify(
            owner,
            "action_item",
            actor=actor,
            subject_type="action_item",
            subject_id=item.id,
            url=session_url(item.session, item),
            text=f"{actor.name} gave you an action item for {item.coalition.name}: "
            f"{item.description}{due}",
            context=[("coaching_session", item.session_id), ("coalition", item.coalition_id)],
        )


def due_action_item_reminders(now: datetime | None = None) -> int:
    """Remind owners of open items due within COACHING_REMINDER_DAYS (default 2) that were
    not reminded yet; returns the number of notifications created. Commits once.

    For the notifications job runner: call it periodically (e.g. hourly); it is idempotent,
    since each item's `reminded_at` is set when its reminder goes out."""
    from cop.coaching.analysis import local_date
    from cop.notifications.services import notify

    now = now or utcnow()
    days = int(current_app.config.get("COACHING_REMINDER_DAYS", 2))
    today = local_date(now)
    items = list(
        db.session.execute(
            sa.select(ActionItem)
            .where(
                ActionItem.status == ItemStatus.OPEN.value,
                ActionItem.reminded_at.is_(None),
                ActionItem.due_on.is_not(None),
                ActionItem.due_on >= today,
                ActionItem.due_on <= today + timedelta(days=days),
            )
            .order_by(ActionItem.id)
        ).scalars()
    )
    created = 0
    for item in items:
        item.reminded_at = now
        owner = item.owner
        if not can_view_session_log(owner, item.coalition):
            continue
        when = "today" if item.due_on == today else f"on {item.due_on:%b %-d, %Y}"
        if (
            notify(
                owner,
                "action_item",
                actor=None,
                subject_type="action_item",
                subject_id=item.id,
                url=session_url(item.session, item),
                text=f"An action item for {item.coalition.name} is due {when}: {item.description}",
                context=[("coaching_session", item.session_id), ("coalition", item.coalition_id)],
            )
            is not None
        ):
            created += 1
    if items:
        db.session.commit()
    return created


# ---------------------------------------------------------------- topics


def ensure_default_topics(*, commit: bool = True) -> None:
    """The start list of topics, when the taxonomy is empty (a fresh database). Inside a use
    case (commit=False) they join its transaction."""
    if db.session.execute(sa.select(CoachingTopic.id).limit(1)).first() is not None:
        return
    for position, (slug, label) in enumerate(DEFAULT_TOPICS, start=1):
        db.session.add(CoachingTopic(slug=slug, label=label, position=position * 10))
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def _slugify(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:80]


def _check_label(label: str, topic: CoachingTopic | None = None) -> str:
    label = refuse_nul(" ".join((label or "").split()), "The topic name", "label")
    if not label:
        raise ServiceError("Give the topic a name.", field="label")
    if len(label) > TOPIC_LABEL_MAX:
        raise ServiceError(f"A topic name has at most {TOPIC_LABEL_MAX} characters.", field="label")
    clash = db.session.execute(
        sa.select(CoachingTopic).where(sa.func.lower(CoachingTopic.label) == label.lower())
    ).scalar_one_or_none()
    if clash is not None and clash is not topic:
        raise ServiceError(f"There is already a topic named {clash.label!r}.", field="label")
    return label


def add_topic(actor: User, label: str) -> CoachingTopic:
    if not can_manage_topics(actor):
        raise PermissionDenied("Only admins edit the topic list.")
    label = _check_label(label)
    slug = base = _slugify(label) or "topic"
    n = 2
    while db.session.execute(sa.select(CoachingTopic.id).where(CoachingTopic.slug == slug)).first():
        slug = f"{base[:75]}-{n}"
        n += 1
    last = db.session.execute(sa.select(sa.func.max(CoachingTopic.position))).scalar() or 0
    topic = CoachingTopic(slug=slug, label=label, position=last + 10)
    db.session.add(topic)
    db.session.flush()
    audit.record(actor, "coaching_topic.create", topic, slug=slug, label=label)
    db.session.commit()
    return topic


def update_topic(
    actor: User, topic: CoachingTopic, *, label: str | None = None, active: bool | None = None
) -> CoachingTopic:
    """Rename or retire (active=False) a topic. Retired topics stay on past sessions."""
    if not can_manage_topics(actor):
        raise PermissionDenied("Only admins edit the topic list.")
    before = {"label": topic.label, "active": topic.active}
    if label is not None:
        topic.label = _check_label(label, topic)
    if active is not None:
        topic.active = bool(active)
    previous, new = _diff(before, {"label": topic.label, "active": topic.active})
    if previous:
        audit.record(
            actor, "coaching_topic.update", topic, slug=topic.slug, previous=previous, new=new
        )
        db.session.commit()
    return topic
