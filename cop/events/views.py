"""Events pages: list and month calendar, event page, form, cancel, registration buttons,
the host's registration list (CSV, approvals, attendance, invitations), the live page,
.ics files and the personal calendar feed."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from cop.accounts.forms import choices
from cop.accounts.models import User
from cop.coalitions.models import Sector
from cop.core.csvsafe import csv_response
from cop.core.errors import ServiceError
from cop.core.forms import error_list
from cop.core.models import utcnow
from cop.core.security import is_safe_next
from cop.core.timezones import US_TIMEZONES, localtime, zone
from cop.events import (
    forum_bridge,
    ics,
    live,
    queries,
    recurrence,
    registrations,
    services,
)
from cop.events.forms import (
    ActionForm,
    CancelForm,
    EventForm,
    FeedForm,
    InviteForm,
    RegistrationActionForm,
    ResourceForm,
    TranscriptForumForm,
)
from cop.events.models import Event, EventSeries, EventType, TranscriptTarget
from cop.events.permissions import (
    can_create_events,
    can_enter_live,
    can_manage_event,
    can_use_events,
    get_event_or_404,
    get_managed_event_or_404,
    get_registration_or_404,
    is_participant,
    registration_of,
)
from cop.extensions import db

bp = Blueprint("events", __name__, url_prefix="/events")
feeds = Blueprint("event_feeds", __name__)

FIELD_FOR = {
    "starts_at": "start_time",
    "ends_at": "end_time",
    "registration_deadline": "deadline_on",
    "email": "email",
}


def _tz():
    return zone(current_user.timezone)


def _require_events() -> None:
    if not can_use_events(current_user):
        abort(404)


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if is_safe_next(target) else default


def _form_error(form, exc: ServiceError) -> None:
    name = FIELD_FOR.get(exc.field or "", exc.field or "")
    if (
        name == "rrule"
        and getattr(form, "repeat", None) is not None
        and form.repeat.data != "custom"
    ):
        name = "repeat"
    target = next((f for f in form if f.short_name == name), None)
    if target is not None and target.type != "CSRFTokenField":
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _filters() -> queries.Filters:
    args = request.args
    kind = args.get("type", "")
    sector = args.get("sector", "")
    coalition = (args.get("coalition") or "")[:80]
    return queries.Filters(
        type=kind if kind in {t.value for t in EventType} else "",
        sector=sector if sector in {s.value for s in Sector} else "",
        coalition=coalition if coalition.replace("-", "").isalnum() else "",
        mine=args.get("mine") == "1",
    )


# ---------------------------------------------------------------- list and month


@bp.get("/")
@login_required
def index():
    _require_events()
    filters = _filters()
    past = request.args.get("when") == "past"
    lister = queries.past_page if past else queries.upcoming_page
    page = lister(current_user, filters, after=request.args.get("after"))
    regs = queries.registrations_by_event(current_user, [e.id for e in page.items])
    return render_template(
        "events/index.html",
        page=page,
        filters=filters,
        past=past,
        regs=regs,
        coalitions=queries.coalition_choices(),
        action_form=ActionForm(),
    )


def _month(value: str | None) -> date:
    today = utcnow().astimezone(_tz()).date()
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    except ValueError:
        pass
    return today.replace(day=1)


@bp.get("/calendar")
@login_required
def month():
    _require_events()
    tz, filters = _tz(), _filters()
    first = _month(request.args.get("month"))
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, time(), tzinfo=tz)
    end = datetime.combine(following, time(), tzinfo=tz)
    events = queries.in_range(current_user, filters, start, end)
    by_day: dict[date, list[Event]] = defaultdict(list)
    for event in events:
        day = max(event.starts_at.astimezone(tz).date(), first)
        last = min(
            (event.ends_at - timedelta(microseconds=1)).astimezone(tz).date(),
            following - timedelta(days=1),
        )
        while day <= last:
            by_day[day].append(event)
            day += timedelta(days=1)
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    previous = (first - timedelta(days=1)).replace(day=1)
    return render_template(
        "events/month.html",
        weeks=weeks,
        by_day=by_day,
        first=first,
        previous=previous,
        following=following,
        filters=filters,
        today=utcnow().astimezone(tz).date(),
        count=len(events),
        coalitions=queries.coalition_choices(),
    )


# ---------------------------------------------------------------- the event page


@bp.get("/<int:event_id>")
@login_required
def detail(event_id: int):
    event = get_event_or_404(current_user, event_id)
    registration = registration_of(current_user, event)
    position = registrations.waitlist_position(registration) if registration else None
    sessions = queries.series_events(current_user, event) if event.series_id else []
    forum_categories = []
    if (
        can_manage_event(current_user, event)
        and event.chat_closed_at
        and event.forum_thread_id is None
    ):
        forum_categories = forum_bridge.categories_for(current_user)
    forum_form = TranscriptForumForm()
    forum_form.category_id.choices = choices(forum_categories)
    return render_template(
        "events/detail.html",
        event=event,
        registration=registration,
        position=position,
        sessions=sessions,
        action_form=ActionForm(),
        resource_form=ResourceForm(),
        forum_form=forum_form,
        forum_categories=forum_categories,
        forum_thread=forum_bridge.describe(event.forum_thread_id),
        rule_text=recurrence.describe(event.series.rrule, event.timezone) if event.series else None,
        now=utcnow(),
        show_transcript=event.transcript is not None
        and event.transcript_target == TranscriptTarget.EVENT_PAGE.value,
    )


# ---------------------------------------------------------------- create and edit


def _prepare(form: EventForm, event: Event | None = None) -> None:
    zones = list(US_TIMEZONES)
    for extra in {current_user.timezone, event.timezone if event else None} - {None}:
        if extra not in {z for z, _ in zones}:
            zones.append((extra, extra))
    form.timezone.choices = choices(zones)
    hosts = queries.host_candidates()
    form.host_id.choices = choices((str(u.id), u.name) for u in hosts)
    speakers = {u.id: u for u in queries.speaker_candidates()}
    if event is not None:
        speakers.update({s.user.id: s.user for s in event.speakers if s.user is not None})
    form.speaker_ids.choices = choices(
        (u.id, f"{u.name} ({u.organization or u.role})") for u in speakers.values()
    )
    form.coalition_ids.choices = choices(
        (cid, name) for cid, _, name in queries.coalition_choices()
    )


def _defaults(form: EventForm) -> None:
    start = (
        (utcnow() + timedelta(days=7))
        .astimezone(_tz())
        .replace(hour=13, minute=0, second=0, microsecond=0)
    )
    form.starts_on.data = start.date()
    form.start_time.data = start.time()
    form.end_time.data = (start + timedelta(hours=1)).time()
    form.timezone.data = current_user.timezone
    form.host_id.data = str(current_user.id)
    form.join_opens_minutes.data = 15


def _fill(form: EventForm, event: Event) -> None:
    values = services.event_values(event)
    tz = zone(event.timezone)
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    for key in (
        "title",
        "description",
        "type",
        "timezone",
        "location",
        "join_url",
        "join_opens_minutes",
        "audience",
        "capacity",
        "requires_approval",
        "speaker_ids",
        "coalition_ids",
        "sectors",
    ):
        getattr(form, key).data = values[key]
    form.host_id.data = str(event.host_id or "")
    form.other_speakers.data = "\n".join(
        f"{s['name']}, {s['organization']}".rstrip(", ") for s in values["other_speakers"]
    )
    form.starts_on.data, form.start_time.data = start.date(), start.time()
    form.end_time.data = end.time()
    form.ends_on.data = end.date() if end.date() != start.date() else None
    if event.registration_deadline:
        deadline = event.registration_deadline.astimezone(tz)
        form.deadline_on.data, form.deadline_time.data = deadline.date(), deadline.time()


def _values(form: EventForm) -> dict:
    start = datetime.combine(form.starts_on.data, form.start_time.data)
    end = datetime.combine(form.ends_on.data or form.starts_on.data, form.end_time.data)
    deadline = None
    if form.deadline_on.data:
        deadline = datetime.combine(form.deadline_on.data, form.deadline_time.data or time(23, 59))
    values = {
        "title": form.title.data or "",
        "description": form.description.data or "",
        "type": form.type.data,
        "timezone": form.timezone.data,
        "starts_at": start,
        "ends_at": end,
        "location": form.location.data or "",
        "join_url": form.join_url.data or "",
        "join_opens_minutes": form.join_opens_minutes.data,
        "speaker_ids": form.speaker_ids.data or [],
        "other_speakers": [
            line for line in (form.other_speakers.data or "").splitlines() if line.strip()
        ],
        "audience": form.audience.data,
        "coalition_ids": form.coalition_ids.data or [],
        "sectors": form.sectors.data or [],
        "capacity": form.capacity.data,
        "registration_deadline": deadline,
        "requires_approval": form.requires_approval.data,
    }
    if current_user.is_admin and form.host_id.data:
        values["host_id"] = int(form.host_id.data)
    return values


def _rule(form: EventForm) -> str:
    preset = form.repeat.data or ""
    if not preset:
        return ""
    if preset == "custom":
        return form.rrule.data or " "  # empty: the service says a rule is needed
    start = datetime.combine(form.starts_on.data, form.start_time.data)
    return recurrence.preset_rule(
        preset, start, count=form.repeat_count.data, until=form.repeat_until.data
    )


def _render_form(form: EventForm, event: Event | None = None):
    return render_template(
        "events/form.html",
        form=form,
        event=event,
        error_list=error_list(form),
        tz_name=current_user.timezone,
    ), (400 if request.method == "POST" else 200)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_events()
    if not can_create_events(current_user):
        abort(403, description="Admins and coaches create events.")
    form = EventForm()
    _prepare(form)
    if request.method == "GET":
        _defaults(form)
    elif form.validate_on_submit():
        try:
            values = _values(form)
            values["rrule"] = _rule(form)
            event = services.create_event(current_user, values)
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(
                "The event is created."
                if not event.series_id
                else f"The series is created: {len(event.series.occurrences)} sessions so far.",
                "success",
            )
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    return _render_form(form)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    if event.is_cancelled:
        abort(409, description="A cancelled event cannot be changed.")
    form = EventForm()
    _prepare(form, event)
    if request.method == "GET":
        _fill(form, event)
        form.scope.data = request.args.get("scope", "one")
    elif form.validate_on_submit():
        try:
            services.update_event(
                current_user, event, _values(form), scope=form.scope.data or "one"
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(
                "The changes are saved; registrants were told of changes to the time, "
                "place or link.",
                "success",
            )
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    return _render_form(form, event)


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancelled = services.cancel_event(
                current_user, event, scope=form.scope.data or "one", reason=form.reason.data or ""
            )
        except ServiceError as exc:
            if exc.status not in (400, 409):
                raise
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            flash(
                f"Cancelled {len(cancelled)} session{'s' if len(cancelled) != 1 else ''}; "
                "registrants were told.",
                "info",
            )
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    return render_template(
        "events/cancel.html", event=event, form=form, error_list=error_list(form)
    ), (400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- registration


@bp.post("/<int:event_id>/register")
@login_required
def register(event_id: int):
    event = get_event_or_404(current_user, event_id)
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        registration = registrations.register(current_user, event)
    except ServiceError as exc:
        if exc.status != 409:
            raise
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_back(url_for("events.detail", event_id=event.id)), code=303)
    flash(
        {
            "registered": "You are registered. Reminders come 24 hours and 1 hour before.",
            "waitlisted": "The event is full: you are on the waitlist. You will be told if a "
            "seat opens.",
            "pending": "Your request is sent; the host approves registrations.",
        }[registration.status],
        "success",
    )
    return redirect(_back(url_for("events.detail", event_id=event.id)), code=303)


@bp.post("/<int:event_id>/unregister")
@login_required
def unregister(event_id: int):
    event = get_event_or_404(current_user, event_id)
    if not ActionForm().validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        registrations.cancel_registration(current_user, event)
    except ServiceError as exc:
        if exc.status != 409:
            raise
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("Your registration is cancelled.", "info")
    return redirect(_back(url_for("events.detail", event_id=event.id)), code=303)


@bp.get("/<int:event_id>/registrations")
@login_required
def registrations_page(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    rows = queries.registrations_of(event)
    return render_template(
        "events/registrations.html",
        event=event,
        rows=rows,
        invites=queries.invites_of(event),
        invite_form=InviteForm(),
        action_form=ActionForm(),
        now=utcnow(),
    )


@bp.get("/<int:event_id>/registrations.csv")
@login_required
def registrations_csv(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    tz_name = current_user.timezone
    rows = []
    position = 0
    for r in queries.registrations_of(event):
        position += r.status == "waitlisted"
        rows.append(
            [
                r.user.name,
                r.user.email,
                r.user.organization,
                r.user.role,
                r.status_label,
                localtime(r.queued_at, tz_name),
                position if r.status == "waitlisted" else None,
                ("yes" if r.did_attend else "no") if r.has_seat and event.has_started() else None,
                r.attendance_source or None,
            ]
        )
    header = [
        "Name",
        "Email",
        "Organization",
        "Role",
        "Status",
        f"Registered or requested ({tz_name})",
        "Waitlist position",
        "Attended",
        "Attendance recorded from",
    ]
    return csv_response(f"event-{event.id}-registrations.csv", header, rows)


@bp.post("/<int:event_id>/registrations/<int:registration_id>")
@login_required
def registration_action(event_id: int, registration_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    registration = get_registration_or_404(current_user, event, registration_id)
    form = RegistrationActionForm()
    if not form.validate_on_submit():
        abort(400, description="Choose approve, decline, attended, did not attend or as recorded.")
    action = form.action.data
    if action == "approve":
        registrations.approve(current_user, registration)
    elif action == "decline":
        registrations.decline(current_user, registration)
    else:
        registrations.set_attendance(
            current_user, registration, {"attended": True, "absent": False}.get(action)
        )
    flash(f"Saved for {registration.user.name}.", "success")
    return redirect(
        url_for(
            "events.registrations_page",
            event_id=event.id,
            _anchor=f"registration-{registration.id}",
        ),
        code=303,
    )


@bp.post("/<int:event_id>/invitations")
@login_required
def invite(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    form = InviteForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("events.registrations_page", event_id=event.id), code=303)
    try:
        row = services.invite(current_user, event, form.email.data)
    except ServiceError as exc:
        if exc.status not in (400, 409):
            raise
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"{row.user.name} is invited and was notified.", "success")
    return redirect(url_for("events.registrations_page", event_id=event.id), code=303)


# ---------------------------------------------------------------- resources and transcript


@bp.post("/<int:event_id>/resources")
@login_required
def add_resource(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    form = ResourceForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            services.add_resource(
                current_user, event, kind=form.kind.data, title=form.title.data, url=form.url.data
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash("The resource is added.", "success")
    return redirect(url_for("events.detail", event_id=event.id, _anchor="resources"), code=303)


@bp.post("/<int:event_id>/resources/<int:resource_id>/delete")
@login_required
def delete_resource(event_id: int, resource_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.delete_resource(current_user, event, resource_id)
    flash("The resource is removed.", "info")
    return redirect(url_for("events.detail", event_id=event.id, _anchor="resources"), code=303)


@bp.post("/<int:event_id>/chat/close")
@login_required
def close_chat(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    live.close_chat_now(current_user, event)
    flash("The chat is closed; its transcript is on the event page.", "info")
    return redirect(url_for("events.detail", event_id=event.id, _anchor="transcript"), code=303)


@bp.post("/<int:event_id>/transcript/forum")
@login_required
def transcript_to_forum(event_id: int):
    event = get_managed_event_or_404(current_user, event_id)
    form = TranscriptForumForm()
    form.category_id.choices = choices(forum_bridge.categories_for(current_user))
    if not form.validate_on_submit():
        abort(400, description="Choose a forum category.")
    url = live.post_transcript_to_forum(current_user, event, form.category_id.data)
    flash("The transcript is posted as a forum thread.", "success")
    return redirect(url, code=303)


# ---------------------------------------------------------------- the live page


@bp.get("/<int:event_id>/live")
@login_required
def live_page(event_id: int):
    event = get_event_or_404(current_user, event_id)
    if not is_participant(current_user, event):
        abort(403, description="The live page is for the event's registrants.")
    now = utcnow()
    if not can_enter_live(current_user, event, now):
        return render_template("events/live_closed.html", event=event, now=now)
    context = live.live_context(current_user, event, now)
    return render_template(
        "events/live.html",
        event=event,
        **context,
        can_mark=can_manage_event(current_user, event),
        close_form=ActionForm(),
    )


# ---------------------------------------------------------------- calendar files and feeds


def _ics_entries(events: list[Event]):
    return [
        (
            e,
            services.absolute_url("events.detail", event_id=e.id),
            services.absolute_url("events.live_page", event_id=e.id),
        )
        for e in events
    ]


@bp.get("/<int:event_id>.ics")
@login_required
def event_ics(event_id: int):
    event = get_event_or_404(current_user, event_id)
    cal = ics.calendar(_ics_entries([event]))
    return ics.response(cal, f"event-{event.id}.ics")


@bp.get("/series/<int:series_id>.ics")
@login_required
def series_ics(series_id: int):
    series = db.session.get(EventSeries, series_id)
    first = series.occurrences[0] if series is not None and series.occurrences else None
    events = queries.series_events(current_user, first) if first is not None else []
    if not events:
        abort(404)
    cal = ics.calendar(_ics_entries(events), name=events[0].title)
    return ics.response(cal, f"series-{series.id}.ics")


@bp.route("/feed", methods=["GET", "POST"])
@login_required
def feed():
    _require_events()
    form = FeedForm()
    new_url = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description="Choose reset or revoke.")
        if form.action.data == "reset":
            token = services.reset_feed_token(current_user)
            new_url = services.absolute_url("event_feeds.personal_feed", token=token)
        else:
            services.revoke_feed_token(current_user)
            flash("Your calendar feed is switched off; subscribed calendars stop updating.", "info")
            return redirect(url_for("events.feed"), code=303)
    return render_template(
        "events/feed.html",
        token=services.feed_token_of(current_user),
        new_url=new_url,
        form=ActionForm(),
    )


@feeds.get("/calendar/<token>.ics")
def personal_feed(token: str):
    """A personal feed for calendar apps: no login, the secret token is the credential."""
    user: User | None = services.user_for_feed_token(token)
    if user is None:
        abort(404)
    cal = ics.calendar(
        _ics_entries(queries.feed_events(user)),
        name=f"{user.name}: cop events",
        refresh_minutes=current_app.config.get("EVENTS_FEED_REFRESH_MINUTES", 60),
    )
    return ics.response(cal, "cop-events.ics", attachment=False, cache="private, max-age=300")
