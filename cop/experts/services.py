"""Expert directory use cases. Each takes the acting user, checks everything first, then
changes, notifies and commits once: bad input leaves nothing half-saved."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import nh3
import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from cop.accounts.models import User
from cop.coaching.models import CoachingTopic
from cop.coaching.services import ensure_default_topics
from cop.coalitions.models import STATES, Coalition, Sector
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.experts.models import (
    BIO_MAX,
    CAPACITY_MAX,
    CHANGED_MAX,
    LANGUAGE_MAX,
    LANGUAGES_MAX,
    NAME_MAX,
    NEED_MAX,
    NOTE_MAX,
    ORG_MAX,
    STATE_LABELS,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Availability,
    ExpertProfile,
    ExpertRequest,
    ExpertSector,
    ExpertState,
    Helped,
    HelpMode,
    RequestChange,
    RequestState,
)
from cop.experts.permissions import (
    answerers,
    can_answer_followup,
    can_change_state,
    can_create_outside_profile,
    can_edit_profile,
    can_have_own_profile,
    can_request,
    can_request_for,
    can_view_request,
    is_staff,
    own_profile,
    takes_member_requests,
)
from cop.extensions import db
from cop.notifications import services as notifications

R = RequestState
# The state machine, in one table: from -> {to: the sides who may take that step}.
# "expert" is the expert (or, for a profile of someone outside cop, the coach who maintains
# it); "requester" is the person who asked or a coach of the coalition. Admins may take any
# step. Anything not listed (completing a declined request, skipping "scheduled") is refused.
TRANSITIONS: dict[RequestState, dict[str, tuple[str, ...]]] = {
    R.REQUESTED: {R.ACCEPTED: ("expert",), R.DECLINED: ("expert",), R.CLOSED: ("requester",)},
    R.ACCEPTED: {R.SCHEDULED: ("expert", "requester"), R.CLOSED: ("expert", "requester")},
    R.SCHEDULED: {R.COMPLETED: ("expert", "requester"), R.CLOSED: ("expert", "requester")},
    R.DECLINED: {},
    R.COMPLETED: {},
    R.CLOSED: {},
}
ACTION_LABELS = {
    R.ACCEPTED: "Accept",
    R.DECLINED: "Decline",
    R.SCHEDULED: "Mark scheduled",
    R.COMPLETED: "Mark completed",
    R.CLOSED: "Close without a meeting",
}
TAG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROFILE_FIELDS = (
    "name",
    "organization",
    "title",
    "bio",
    "topics",
    "tags",
    "sectors",
    "states",
    "languages",
    "help_modes",
    "availability",
    "monthly_capacity",
)


def path_for(endpoint: str, **values: Any) -> str:
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _text(values: dict, key: str, label: str, limit: int, *, required: bool = False) -> str:
    value = values.get(key)
    if value is not None and not isinstance(value, str):
        raise ServiceError(f"{label} must be text.", field=key, status=422, code="invalid")
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(f"{label} is required.", field=key, status=422, code="invalid")
    if len(value) > limit:
        raise ServiceError(
            f"{label} is too long (at most {limit:,} characters).",
            field=key,
            status=422,
            code="invalid",
        )
    return value


def _invalid(message: str, field: str) -> ServiceError:
    return ServiceError(message, field=field, status=422, code="invalid")


def _str_list(values: dict, key: str) -> list[str]:
    raw = values.get(key) or []
    if isinstance(raw, str):
        raw = [p for p in re.split(r"[,\n]", raw)]
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise _invalid("Give a list of values.", key)
    seen: list[str] = []
    for value in (v.strip() for v in raw):
        if value and value not in seen:
            seen.append(value)
    return seen


def normalise_tag(tag: str) -> str:
    tag = re.sub(r"[^a-z0-9]+", "-", tag.strip().lstrip("#").lower()).strip("-")
    return tag


# ---------------------------------------------------------------- profiles


def check_profile(values: dict[str, Any]) -> dict[str, Any]:
    """Validate every field of a profile; return them cleaned (topics loaded)."""
    clean: dict[str, Any] = {
        "name": _text(values, "name", "The name", NAME_MAX, required=True),
        "organization": _text(values, "organization", "The organization", ORG_MAX),
        "title": _text(values, "title", "The title", TITLE_MAX),
        "bio": _text(values, "bio", "The bio", BIO_MAX),
    }
    slugs = _str_list(values, "topics")
    ensure_default_topics(commit=False)
    topics = (
        list(
            db.session.execute(
                sa.select(CoachingTopic).where(
                    CoachingTopic.slug.in_(slugs), CoachingTopic.active.is_(True)
                )
            ).scalars()
        )
        if slugs
        else []
    )
    if len(topics) != len(slugs):
        raise _invalid("Choose areas of expertise from the list.", "topics")
    clean["topics"] = sorted(topics, key=lambda t: (t.position, t.label))

    tags: list[str] = []
    for raw in _str_list(values, "tags"):
        tag = normalise_tag(raw)
        if not tag or len(tag) > TAG_MAX or not TAG_RE.match(tag):
            raise _invalid(
                f"Tags are words or short phrases of at most {TAG_MAX} letters, "
                "digits and hyphens.",
                "tags",
            )
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise _invalid(f"At most {TAGS_MAX} tags.", "tags")
    clean["tags"] = tags

    sectors = _str_list(values, "sectors")
    if any(s not in {x.value for x in Sector} for s in sectors):
        raise _invalid("Choose sectors from the list.", "sectors")
    clean["sectors"] = sectors
    states = [s.upper() for s in _str_list(values, "states")]
    if any(s not in STATES for s in states):
        raise _invalid("Choose states from the list (two-letter codes).", "states")
    clean["states"] = sorted(set(states))
    languages = _str_list(values, "languages")
    if len(languages) > LANGUAGES_MAX or any(len(x) > LANGUAGE_MAX for x in languages):
        raise _invalid(
            f"At most {LANGUAGES_MAX} languages of {LANGUAGE_MAX} characters.", "languages"
        )
    clean["languages"] = languages
    modes = _str_list(values, "help_modes")
    if any(m not in {x.value for x in HelpMode} for m in modes):
        raise _invalid("Choose how you like to help from the list.", "help_modes")
    clean["help_modes"] = [m.value for m in HelpMode if m.value in modes]
    availability = values.get("availability") or Availability.OPEN.value
    if availability not in {a.value for a in Availability}:
        raise _invalid("Choose open, limited or not now.", "availability")
    clean["availability"] = availability
    capacity = values.get("monthly_capacity", 2)
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not 0 <= capacity <= CAPACITY_MAX
    ):
        raise _invalid(
            f"The monthly capacity is a number from 0 to {CAPACITY_MAX}.", "monthly_capacity"
        )
    clean["monthly_capacity"] = capacity
    return clean


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


def _apply(profile: ExpertProfile, clean: dict[str, Any]) -> None:
    for key in (
        "name",
        "organization",
        "title",
        "bio",
        "tags",
        "languages",
        "help_modes",
        "availability",
        "monthly_capacity",
    ):
        setattr(profile, key, clean[key])
    profile.bio_html = render_markdown(clean["bio"])  # rendered once, on save
    profile.topics = clean["topics"]
    keep = {r.sector: r for r in profile.sector_rows}
    profile.sector_rows = [keep.get(s) or ExpertSector(sector=s) for s in clean["sectors"]]
    keep_states = {r.state: r for r in profile.state_rows}
    profile.state_rows = [keep_states.get(s) or ExpertState(state=s) for s in clean["states"]]
    parts = [
        clean["name"],
        clean["organization"],
        clean["title"],
        " ".join(clean["tags"]),
        " ".join(f"{t.label} {t.slug}" for t in clean["topics"]),
        " ".join(clean["languages"]),
        _plain(profile.bio_html),
    ]
    profile.search_text = " \n".join(p for p in parts if p).lower()


def profile_values(profile: ExpertProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "organization": profile.organization,
        "title": profile.title,
        "bio": profile.bio,
        "topics": [t.slug for t in profile.topics],
        "tags": profile.tags,
        "sectors": profile.sectors,
        "states": profile.states,
        "languages": profile.languages,
        "help_modes": profile.help_modes,
        "availability": profile.availability,
        "monthly_capacity": profile.monthly_capacity,
    }


def _snapshot(profile: ExpertProfile) -> dict[str, Any]:
    values = profile_values(profile)
    values.pop("bio")
    return values


def save_own_profile(actor: User, values: dict[str, Any]) -> ExpertProfile:
    """Create or update the acting expert's own profile."""
    if not can_have_own_profile(actor):
        raise PermissionDenied("Only experts with an account keep their own profile.")
    profile = own_profile(actor)
    merged = {
        **(
            profile_values(profile)
            if profile
            else {"name": actor.name, "organization": actor.organization, "title": actor.title}
        ),
        **values,
    }
    clean = check_profile(merged)
    if profile is None:
        profile = ExpertProfile(user_id=actor.id, name=clean["name"])
        db.session.add(profile)
        before = None
    else:
        before = _snapshot(profile)
    _apply(profile, clean)
    db.session.flush()
    audit.record(actor, "expert_profile.save", profile, before=before, after=_snapshot(profile))
    db.session.commit()
    return profile


def create_outside_profile(actor: User, values: dict[str, Any]) -> ExpertProfile:
    """A profile for someone outside cop, maintained by the acting coach or admin."""
    if not can_create_outside_profile(actor):
        raise PermissionDenied("Coaches and admins add experts from outside cop.")
    clean = check_profile(values)
    profile = ExpertProfile(maintainer_id=actor.id, name=clean["name"])
    db.session.add(profile)
    _apply(profile, clean)
    db.session.flush()
    audit.record(actor, "expert_profile.create", profile, after=_snapshot(profile))
    db.session.commit()
    return profile


def update_profile(actor: User, profile: ExpertProfile, values: dict[str, Any]) -> ExpertProfile:
    if not can_edit_profile(actor, profile):
        raise PermissionDenied("You may not edit this profile.")
    clean = check_profile({**profile_values(profile), **values})
    before = _snapshot(profile)
    _apply(profile, clean)
    audit.record(actor, "expert_profile.update", profile, before=before, after=_snapshot(profile))
    db.session.commit()
    return profile


# ---------------------------------------------------------------- requests


def request_url(req: ExpertRequest, anchor: str = "") -> str:
    return path_for("experts.request_detail", request_id=req.id) + (f"#{anchor}" if anchor else "")


def _parties(req: ExpertRequest) -> list[User]:
    people = answerers(req.profile)
    if req.requester is not None:
        people.append(req.requester)
    return people


def create_request(
    actor: User, profile: ExpertProfile, values: dict[str, Any], *, now: datetime | None = None
) -> ExpertRequest:
    """A coalition member (or a coach on the coalition's behalf) asks for an introduction."""
    from cop.experts.queries import month_load

    now = now or utcnow()
    if not can_request(actor, profile):
        if not answerers(profile):
            raise Conflict("Nobody answers requests for this profile now; ask a coach.")
        raise PermissionDenied("You may not request an introduction to this expert.")
    if not is_staff(actor) and not takes_member_requests(
        profile, month_load([profile.id], now).get(profile.id, 0)
    ):
        raise Conflict(
            f"{profile.name} is not taking requests now (not available or at "
            "capacity this month). Your coach can still ask on your behalf.",
            field="need",
        )
    coalition_id = values.get("coalition_id")
    coalition = None
    if isinstance(coalition_id, int) and not isinstance(coalition_id, bool):
        coalition = db.session.get(Coalition, coalition_id)
    if coalition is None or not can_request_for(actor, coalition):
        raise _invalid("Choose the coalition the introduction is for.", "coalition_id")
    need = _text(values, "need", "What you need", NEED_MAX, required=True)
    needed_by = values.get("needed_by")
    if needed_by is not None:
        if not isinstance(needed_by, date) or isinstance(needed_by, datetime):
            raise _invalid("Give the date as YYYY-MM-DD.", "needed_by")
        if needed_by < now.date():
            raise _invalid("The date you need it by has passed.", "needed_by")
    req = ExpertRequest(
        profile=profile,
        coalition=coalition,
        requester_id=actor.id,
        on_behalf=is_staff(actor),
        need=need,
        needed_by=needed_by,
        state=R.REQUESTED.value,
        created_at=now,
        updated_at=now,
    )
    db.session.add(req)
    req.changes.append(
        RequestChange(
            actor_id=actor.id, from_state=None, to_state=R.REQUESTED.value, created_at=now
        )
    )
    db.session.flush()
    for_whom = "" if profile.user_id else f" (for {profile.name}, whose profile you maintain)"
    notifications.notify_many(
        answerers(profile),
        "expert_request",
        actor=actor,
        subject_type="expert_request",
        subject_id=req.id,
        url=request_url(req),
        text=f"{actor.name} of {coalition.name} asks for an introduction{for_whom}",
        excerpt=need[:300],
    )
    audit.record(
        actor, "expert_request.create", req, profile_id=profile.id, coalition=coalition.slug
    )
    db.session.commit()
    return req


def _refuse_transition(req: ExpertRequest, to_state: str) -> Conflict:
    current = RequestState(req.state)
    allowed = [STATE_LABELS[s].lower() for s in TRANSITIONS[current]]
    target = (
        STATE_LABELS.get(RequestState(to_state), to_state)
        if to_state in {s.value for s in RequestState}
        else repr(to_state)
    )
    follows = ("it can go on to: " + ", ".join(allowed)) if allowed else "it is closed"
    return Conflict(
        f"A {STATE_LABELS[current].lower()} request cannot become "
        f"{str(target).lower()}: {follows}.",
        field="state",
    )


def change_state(
    actor: User,
    req: ExpertRequest,
    to_state: str,
    *,
    note: str = "",
    meeting_on: date | None = None,
    now: datetime | None = None,
) -> ExpertRequest:
    """Move a request one step along TRANSITIONS; the other side hears about it."""
    now = now or utcnow()
    if not can_view_request(actor, req):
        raise NotFound("No such request.")
    if to_state not in TRANSITIONS[RequestState(req.state)]:
        raise _refuse_transition(req, to_state)
    if not can_change_state(actor, req, to_state):
        raise PermissionDenied("Only the other side of the request can take this step.")
    note = _text({"note": note}, "note", "The note", NOTE_MAX)
    if meeting_on is not None and (
        not isinstance(meeting_on, date) or isinstance(meeting_on, datetime)
    ):
        raise _invalid("Give the meeting date as YYYY-MM-DD.", "meeting_on")
    before = req.state
    req.state = to_state
    req.updated_at = now
    if before == R.REQUESTED and to_state in (R.ACCEPTED, R.DECLINED):
        req.answered_at = now
    if to_state == R.ACCEPTED:
        req.accepted_at = now
    if to_state == R.DECLINED:
        req.decline_note = note
    if to_state == R.SCHEDULED and meeting_on is not None:
        req.meeting_on = meeting_on
    if to_state in (R.COMPLETED, R.CLOSED, R.DECLINED):
        req.closed_at = now
    req.changes.append(
        RequestChange(
            actor_id=actor.id, from_state=before, to_state=to_state, note=note, created_at=now
        )
    )
    label = STATE_LABELS[RequestState(to_state)].lower()
    notifications.notify_many(
        _parties(req),
        "expert_request",
        actor=actor,
        subject_type="expert_request",
        subject_id=req.id,
        url=request_url(req),
        text=f"{actor.name} marked the introduction to {req.profile.name} {label}",
        excerpt=note[:300] or None,
    )
    if to_state == R.COMPLETED and req.requester is not None:
        notifications.notify(
            req.requester,
            "expert_followup",
            actor=None,
            subject_type="expert_request",
            subject_id=req.id,
            url=request_url(req, "follow-up"),
            text=f"Did the connection with {req.profile.name} help? One question",
        )
    audit.record(actor, "expert_request.state", req, before=before, after=to_state)
    db.session.commit()
    return req


def answer_followup(
    actor: User, req: ExpertRequest, helped: str, changed: str, *, now: datetime | None = None
) -> ExpertRequest:
    """The requester's one answer after a completed connection: did it help, what changed."""
    if not can_view_request(actor, req):
        raise NotFound("No such request.")
    if req.state != R.COMPLETED:
        raise Conflict(
            "The follow-up question comes once the connection is completed.", field="helped"
        )
    if not can_answer_followup(actor, req):
        if req.followup_at is not None:
            raise Conflict("The follow-up question is already answered.", field="helped")
        raise PermissionDenied("The person who asked for the introduction answers this.")
    if helped not in {h.value for h in Helped}:
        raise _invalid("Say whether it helped: yes, partly or no.", "helped")
    changed = _text({"changed": changed}, "changed", "What changed", CHANGED_MAX)
    req.followup_helped = helped
    req.followup_changed = changed
    req.followup_at = now or utcnow()
    audit.record(actor, "expert_request.followup", req, helped=helped)
    db.session.commit()
    return req
