"""Commitment use cases: submit, confirm, review, edit on request, report progress, remind.

Every function validates fully before it writes and commits once. Anonymous submitters
are reached by email only (the outbox of cop.notifications), through signed links.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from cop.accounts.models import Role, User
from cop.coalitions.models import STATES, Sector
from cop.commitments.models import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MAX_YEARS,
    MESSAGE_MAX,
    NAME_MAX,
    NOTE_MAX,
    NUMBERS,
    ORG_NAME_MAX,
    PHONE_MAX,
    PROGRESS,
    TITLE_MAX,
    Commitment,
    CommitmentSector,
    CommitmentState,
    OrgType,
    ProgressReport,
    Status,
)
from cop.commitments.permissions import can_report_progress, can_review
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.markdown import render_markdown
from cop.core.models import utcnow
from cop.extensions import db

SECTORS = [s.value for s in Sector]
ORG_TYPES = [t.value for t in OrgType]


class Invalid(ServiceError):
    """Input refused: every problem, by field (`errors`); nothing was stored."""

    status = 422
    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


def _cfg(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


# ---------------------------------------------------------------- validation


@dataclass
class CommitmentInput:
    org_name: str = ""
    org_type: str = ""
    title: str = ""
    description: str = ""
    sectors: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    people_to_train: int | None = None
    people_to_hire: int | None = None
    apprenticeship_slots: int | None = None
    dollars: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def check_number(value, limit: int, label: str) -> tuple[int | None, str | None]:
    """A whole number from 0 to `limit`, or None; the message says what is wrong."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, f"{label}: give a whole number."
    if isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("$")
        try:
            value = int(text)
        except ValueError:
            return None, f"{label}: give a whole number, like 250."
    if not isinstance(value, int):
        return None, f"{label}: give a whole number."
    if value < 0:
        return None, f"{label} cannot be negative."
    if value > limit:
        return None, f"{label} cannot be more than {limit:,}. Check the number."
    return value, None


def normal_email(value: str) -> str | None:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _text(value, limit: int, label: str, errors: dict, key: str, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        errors[key] = f"Give {label}."
    elif len(text) > limit:
        errors[key] = f"Keep {label} under {limit:,} characters."
    elif any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        errors[key] = f"Remove the control characters from {label}."
    return text


def validate(data: CommitmentInput, today: date) -> CommitmentInput:
    """Check everything; raise Invalid with every problem, or return the cleaned values."""
    errors: dict[str, str] = {}
    clean = CommitmentInput()
    clean.org_name = _text(
        data.org_name, ORG_NAME_MAX, "the organization's name", errors, "org_name"
    )
    if data.org_type not in ORG_TYPES:
        errors["org_type"] = "Choose the kind of organization."
    clean.org_type = data.org_type
    clean.title = _text(data.title, TITLE_MAX, "a one-line summary", errors, "title")
    clean.description = _text(
        data.description, DESCRIPTION_MAX, "what the organization commits to", errors, "description"
    )
    sectors = list(dict.fromkeys(data.sectors or []))
    if not sectors:
        errors["sectors"] = "Choose at least one sector."
    elif any(s not in SECTORS for s in sectors):
        errors["sectors"] = "Choose sectors from the list."
    clean.sectors = sectors
    states = list(dict.fromkeys(s.upper() for s in data.states or [] if isinstance(s, str)))
    if not states:
        errors["states"] = "Choose at least one state."
    elif any(s not in STATES for s in states) or len(states) != len(data.states or []):
        errors["states"] = "Choose states from the list."
    clean.states = states
    for key, (label, _, limit) in NUMBERS.items():
        value, message = check_number(getattr(data, key), limit, label)
        if message:
            errors[key] = message
        setattr(clean, key, value)
    if not errors.keys() & NUMBERS.keys() and all(getattr(clean, k) in (None, 0) for k in NUMBERS):
        errors["people_to_train"] = (
            "Give at least one number: people to train or hire, apprenticeship slots or dollars."
        )
    clean.starts_on, clean.ends_on = data.starts_on, data.ends_on
    if not isinstance(data.starts_on, date):
        errors["starts_on"] = "Give the start date."
    if not isinstance(data.ends_on, date):
        errors["ends_on"] = "Give the end date."
    if isinstance(data.starts_on, date) and isinstance(data.ends_on, date):
        if data.ends_on < data.starts_on:
            errors["ends_on"] = "The end date must be on or after the start date."
        elif data.ends_on < today:
            errors["ends_on"] = "The end date is in the past."
        elif (data.ends_on - data.starts_on).days > MAX_YEARS * 366:
            errors["ends_on"] = f"Keep the time frame to {MAX_YEARS} years or less."
        elif data.starts_on.year < 2000:
            errors["starts_on"] = "Give a start date after the year 2000."
    clean.contact_name = _text(
        data.contact_name, NAME_MAX, "the contact's name", errors, "contact_name"
    )
    email = normal_email(data.contact_email) if isinstance(data.contact_email, str) else None
    if not email or len(email) > EMAIL_MAX:
        errors["contact_email"] = "Give a valid email address, like name@example.org."
    clean.contact_email = email or ""
    clean.contact_phone = _text(
        data.contact_phone, PHONE_MAX, "the phone number", errors, "contact_phone", required=False
    )
    if clean.contact_phone and not all(c.isdigit() or c in " +-().x" for c in clean.contact_phone):
        errors["contact_phone"] = "Give the phone number with digits, spaces, +, - or ()."
    if errors:
        raise Invalid(errors)
    return clean


def _apply(commitment: Commitment, values: CommitmentInput, *, keep_email: bool = False) -> None:
    for key in (
        "org_name",
        "org_type",
        "title",
        "description",
        "starts_on",
        "ends_on",
        "contact_name",
        "contact_phone",
        *NUMBERS,
    ):
        setattr(commitment, key, getattr(values, key))
    if not keep_email:
        commitment.contact_email = values.contact_email
    commitment.description_html = render_markdown(values.description)
    commitment.sector_rows = [CommitmentSector(sector=s) for s in values.sectors]
    commitment.state_rows = [CommitmentState(state=s) for s in values.states]


# ---------------------------------------------------------------- signed links and spam


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"cop-commitment-{purpose}"
    )


def make_token(commitment: Commitment, purpose: str) -> str:
    """A signed link token for the contact: purpose is confirm, edit or report."""
    return _serializer(purpose).dumps({"id": commitment.id, "e": commitment.contact_email})


TOKEN_DAYS = {"confirm": 14, "edit": 60, "report": 200}


def commitment_for_token(token: str, purpose: str) -> Commitment:
    """The commitment a signed link is for; NotFound when it is forged, expired or stale."""
    try:
        data = _serializer(purpose).loads(token, max_age=TOKEN_DAYS[purpose] * 86400)
    except SignatureExpired:
        raise NotFound(
            "This link has expired. Write to the program staff for a new one.",
            status=410,
            code="gone",
        ) from None
    except BadSignature:
        raise NotFound("This link is not valid. Check that you copied all of it.") from None
    commitment = db.session.get(Commitment, data.get("id")) if isinstance(data, dict) else None
    if commitment is None or commitment.contact_email != data.get("e"):
        raise NotFound("This link is not valid any more.")
    return commitment


def form_stamp(at: float | None = None) -> str:
    """The signed time the public form was shown (a hidden field)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cop-commitment-form").dumps(
        int(at or time.time())
    )


def check_not_spam(honeypot: str | None, stamp: str | None, now: float | None = None) -> None:
    """Refuse what people do not do: fill the hidden field, send the form within seconds of
    loading it, or send a form this site did not make (or made more than a day ago)."""
    if (honeypot or "").strip():
        raise ServiceError(
            "The form was refused: the field marked 'leave this empty' was "
            "filled in. If you are a person, leave it empty and send again.",
            field="website",
        )
    try:
        shown = URLSafeSerializer(
            current_app.config["SECRET_KEY"], salt="cop-commitment-form"
        ).loads(stamp or "")
    except BadSignature:
        raise ServiceError(
            "The form was not sent from this site. Reload the page and try again."
        ) from None
    age = (now or time.time()) - (shown if isinstance(shown, int) else 0)
    if age < _cfg("COMMITMENTS_MIN_FILL_SECONDS", 3):
        raise ServiceError(
            "The form was sent too fast, the way scripts do. Please wait a few "
            "seconds and send it again.",
            status=429,
            code="too_fast",
        )
    if age > 86400:
        raise ServiceError("The form expired. Reload the page and send it again.")


# ---------------------------------------------------------------- emails


def _send(commitment: Commitment, template: str, subject: str, **context) -> None:
    """Queue an email to the contact (the caller commits)."""
    from cop.notifications.emails import external_url
    from cop.notifications.mail import queue_email

    text = current_app.jinja_env.get_template(f"commitments/email/{template}.txt").render(
        commitment=commitment,
        url=lambda endpoint, **values: external_url(endpoint, **values),
        token=make_token,
        **context,
    )
    queue_email(commitment.contact_email, subject, text, kind=None)


def _tell_reviewers(commitment: Commitment, actor: User | None) -> None:
    from cop.notifications.services import notify_many

    admins = db.session.execute(
        sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True))
    ).scalars()
    notify_many(
        admins,
        "commitment_review",
        actor=actor,
        subject_type="commitment",
        subject_id=commitment.id,
        url=f"/commitments/review/{commitment.id}",
        text=f"A commitment from {commitment.org_name} waits for review",
    )


# ---------------------------------------------------------------- use cases


def submit(
    actor: User | None, values: CommitmentInput, *, now: datetime | None = None
) -> Commitment:
    """A new commitment. Anonymous: waits for the email confirmation. Signed in: queued."""
    now = now or utcnow()
    clean = validate(values, now.date())
    signed_in = actor is not None and getattr(actor, "is_authenticated", False) and actor.active
    commitment = Commitment(
        status=Status.SUBMITTED if signed_in else Status.UNCONFIRMED,
        submitted_by_id=actor.id if signed_in else None,
    )
    _apply(commitment, clean)
    if signed_in:
        commitment.submitted_at = now
        commitment.email_confirmed_at = now
    db.session.add(commitment)
    db.session.flush()
    audit.record(
        actor if signed_in else None,
        "commitment.submit",
        commitment,
        org=commitment.org_name,
        contact=commitment.contact_email,
    )
    if signed_in:
        _send(commitment, "received", "Your commitment was received")
        _tell_reviewers(commitment, actor)
    else:
        _send(commitment, "confirm", "Confirm your commitment's email address")
    db.session.commit()
    return commitment


def confirm(token: str, *, now: datetime | None = None) -> Commitment:
    """The contact confirmed their address: the commitment joins the review queue (once)."""
    commitment = commitment_for_token(token, "confirm")
    if commitment.status == Status.UNCONFIRMED:
        now = now or utcnow()
        commitment.status = Status.SUBMITTED
        commitment.email_confirmed_at = now
        commitment.submitted_at = now
        audit.record(None, "commitment.confirm", commitment, contact=commitment.contact_email)
        _tell_reviewers(commitment, None)
        db.session.commit()
    return commitment


DECISIONS = {
    "accept": Status.ACCEPTED,
    "changes": Status.CHANGES_REQUESTED,
    "decline": Status.DECLINED,
}


def review(
    actor: User,
    commitment: Commitment,
    decision: str,
    message: str = "",
    *,
    now: datetime | None = None,
) -> Commitment:
    """Accept, ask for changes (message required, emailed with an edit link) or decline."""
    if not can_review(actor):
        raise PermissionDenied("Only program staff review commitments.")
    if decision not in DECISIONS:
        raise ServiceError("Choose accept, ask for changes or decline.", field="decision")
    message = (message or "").strip()
    if decision == "changes" and not message:
        raise ServiceError(
            "Say what should change: the message goes to the contact.", field="message"
        )
    if len(message) > MESSAGE_MAX:
        raise ServiceError(f"Keep the message under {MESSAGE_MAX:,} characters.", field="message")
    allowed = {Status.SUBMITTED} | ({Status.CHANGES_REQUESTED} if decision != "changes" else set())
    if commitment.status not in allowed:
        raise Conflict(
            f"This commitment is {commitment.status_label.lower()}: it cannot be reviewed now."
        )
    now = now or utcnow()
    commitment.status = DECISIONS[decision]
    commitment.reviewed_at, commitment.reviewed_by_id = now, actor.id
    commitment.review_message = message
    if decision == "accept":
        commitment.accepted_at = now
        commitment.next_reminder_at = now + timedelta(days=_interval_days())
        _send(commitment, "accepted", "Your commitment was accepted", message=message)
    elif decision == "changes":
        _send(commitment, "changes", "Changes asked for on your commitment", message=message)
    else:
        _send(commitment, "declined", "About your commitment", message=message)
    audit.record(actor, f"commitment.{decision}", commitment, message=message or None)
    db.session.commit()
    return commitment


def resubmit(
    commitment: Commitment,
    values: CommitmentInput,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Commitment:
    """The contact's edit after a request for changes: back to the review queue. The contact
    email stays (a new address would need confirming again)."""
    if commitment.status != Status.CHANGES_REQUESTED:
        raise Conflict("Changes can be made only while the program staff ask for them.")
    now = now or utcnow()
    values.contact_email = commitment.contact_email
    clean = validate(values, now.date())
    _apply(commitment, clean, keep_email=True)
    commitment.status = Status.SUBMITTED
    commitment.submitted_at = now
    audit.record(actor, "commitment.resubmit", commitment)
    _tell_reviewers(commitment, actor)
    db.session.commit()
    return commitment


@dataclass
class ProgressInput:
    trained: object = None
    hired: object = None
    slots_filled: object = None
    dollars_spent: object = None
    note: str = ""


def validate_progress(commitment: Commitment, data: ProgressInput) -> dict:
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for key, (_, label, limit) in NUMBERS.items():
        column = PROGRESS[key]
        raw = getattr(data, column)
        if getattr(commitment, key) is None:
            if raw not in (None, ""):
                errors[column] = f"{label}: this commitment pledges no such number."
            continue
        value, message = check_number(raw, limit, label)
        if message:
            errors[column] = message
        values[column] = value
    if not errors and all(v is None for v in values.values()):
        first = next(iter(values), "trained")
        errors[first] = "Give at least one figure to date."
    note = (data.note or "").strip() if isinstance(data.note, str) else ""
    if len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note under {NOTE_MAX:,} characters."
    if errors:
        raise Invalid(errors)
    return {**values, "note": note}


def report_progress(
    commitment: Commitment,
    data: ProgressInput,
    *,
    actor: User | None = None,
    via: str = "link",
    now: datetime | None = None,
) -> ProgressReport:
    """A progress report (figures to date); the commitment's totals follow the latest one.
    `actor` None: the contact, through the signed link (the caller checked the token)."""
    if actor is not None and not can_report_progress(actor, commitment):
        raise PermissionDenied(
            "Only the organization that made the commitment and program staff report its progress."
        )
    if commitment.status != Status.ACCEPTED:
        raise Conflict("Progress is reported on accepted commitments only.")
    values = validate_progress(commitment, data)
    now = now or utcnow()
    report = ProgressReport(
        commitment=commitment,
        reported_at=now,
        via=via,
        reported_by_id=actor.id if actor is not None else None,
        **values,
    )
    db.session.add(report)
    for column in PROGRESS.values():
        if values.get(column) is not None:
            setattr(commitment, column, values[column])
    commitment.last_report_at = now
    commitment.report_count = (commitment.report_count or 0) + 1
    audit.record(
        actor,
        "commitment.progress",
        commitment,
        figures={k: v for k, v in values.items() if k != "note" and v is not None},
    )
    db.session.commit()
    return report


# ---------------------------------------------------------------- the periodic job


def _interval_days() -> int:
    return max(1, _cfg("COMMITMENTS_REPORT_INTERVAL_DAYS", 91))


def send_progress_reminders(now: datetime | None = None, limit: int = 200) -> int:
    """Email the contacts of accepted commitments whose progress report is due a signed
    link to report. Each reminder once: a conditional update claims it with its email in
    one transaction. After the end of the time frame, one last reminder, then none.
    Also forgets unconfirmed submissions older than COMMITMENTS_UNCONFIRMED_DAYS."""
    now = now or utcnow()
    due = list(
        db.session.execute(
            sa.select(Commitment.id, Commitment.reminders_sent)
            .where(Commitment.status == Status.ACCEPTED, Commitment.next_reminder_at <= now)
            .order_by(Commitment.next_reminder_at, Commitment.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    sent = 0
    interval = timedelta(days=_interval_days())
    for commitment_id, count in due:
        commitment = db.session.get(Commitment, commitment_id)
        # The next slot after now (a runner that was down does not send a backlog).
        slot = count + 2
        while commitment.accepted_at + interval * slot <= now:
            slot += 1
        following = commitment.accepted_at + interval * slot
        end = datetime.combine(commitment.ends_on, datetime.min.time(), tzinfo=following.tzinfo)
        # The first reminder on or after the end of the time frame is the last one.
        last = commitment.next_reminder_at >= end
        claimed = db.session.execute(
            sa.update(Commitment)
            .where(Commitment.id == commitment_id, Commitment.reminders_sent == count)
            .values(reminders_sent=count + 1, next_reminder_at=None if last else following)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            db.session.rollback()
            continue
        _send(commitment, "reminder", "Time to report progress on your commitment", last=last)
        db.session.commit()
        sent += 1
    cutoff = now - timedelta(days=_cfg("COMMITMENTS_UNCONFIRMED_DAYS", 14))
    stale = db.session.execute(
        sa.select(Commitment).where(
            Commitment.status == Status.UNCONFIRMED, Commitment.created_at < cutoff
        )
    ).scalars()
    for commitment in stale:
        db.session.delete(commitment)
    db.session.commit()
    return sent
