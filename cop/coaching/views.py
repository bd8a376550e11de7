"""Coaching pages: dashboard, coalition history, session form, action items, analysis, CSV."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.accounts.forms import choices
from cop.accounts.permissions import get_profile_or_404
from cop.coaching import analysis, exports, queries, services
from cop.coaching.forms import (
    ActionItemEditForm,
    DeleteForm,
    ItemStatusForm,
    SessionForm,
    TopicForm,
)
from cop.coaching.models import CoachingSession, CoachingTopic
from cop.coaching.permissions import (
    can_edit_action_item,
    can_edit_session,
    can_export,
    can_log_for,
    can_manage_topics,
    can_update_action_item,
    can_use_coaching,
    can_view_analysis,
    get_action_item_or_404,
    get_coalition_log_or_404,
    get_session_or_404,
    is_coaching_staff,
)
from cop.coalitions.models import Coalition
from cop.core.errors import ServiceError
from cop.core.models import utcnow
from cop.core.security import is_safe_next
from cop.core.timezones import zone
from cop.extensions import db

bp = Blueprint("coaching", __name__, url_prefix="/coaching")


def _tz():
    return zone(current_user.timezone)


def _today() -> date:
    return utcnow().astimezone(_tz()).date()


def _stale_days() -> int:
    return int(current_app.config.get("COACHING_STALE_DAYS", 30))


def _form_error(form, exc: ServiceError) -> None:
    """Show a service's refusal next to its field (items-2-owner_id is a row's owner)."""
    name = {"started_at": "held_on"}.get(exc.field or "", exc.field or "")
    target = form
    for part in name.split("-") if name.startswith("items-") else [name]:
        if part.isdigit():  # a row of the FieldList: its inner form holds the fields
            target = target[int(part)].form
        else:
            target = next((f for f in target if f.short_name == part), None)
        if target is None:
            break
    if target is not None and target is not form and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def error_list(form) -> list[tuple[str, str, str]]:
    """(field id, label, message) of every error, in page order, for the error summary."""
    found = [("", "", message) for message in form.form_errors]

    def walk(fields, row: str = ""):
        for f in fields:
            if f.type == "FieldList":
                for i, entry in enumerate(f.entries, start=1):
                    walk(entry, f"Action item {i}: ")
            elif f.type == "FormField":
                walk(f, row)
            elif f.type != "CSRFTokenField":
                found.extend(
                    (f.id, row + str(f.label.text), m) for m in f.errors if isinstance(m, str)
                )
            elif f.errors:
                found.append(
                    (
                        "",
                        "",
                        "The form expired or was not sent from this site. Please submit it again.",
                    )
                )

    walk(form)
    return found


# ---------------------------------------------------------------- dashboard


@bp.get("/")
@login_required
def index():
    if not can_use_coaching(current_user):
        abort(404)
    today, now = _today(), utcnow()
    my_items = queries.open_items_for_person(current_user, current_user)
    if is_coaching_staff(current_user):
        board = queries.dashboard(current_user, today=today, now=now, stale_days=_stale_days())
        return render_template(
            "coaching/dashboard.html", board=board, my_items=my_items, today=today
        )
    board = queries.dashboard(
        current_user,
        today=today,
        now=now,
        stale_days=_stale_days(),
        coalitions=queries.visible_coalitions(current_user),
    )
    return render_template("coaching/overview.html", board=board, my_items=my_items, today=today)


# ---------------------------------------------------------------- history and sessions


@bp.get("/coalitions/<slug>")
@login_required
def history(slug: str):
    coalition = get_coalition_log_or_404(current_user, slug)
    topics = queries.all_topics()
    topic = request.args.get("topic", "")
    filters = queries.HistoryFilters(
        topic=topic if topic in {t.slug for t in topics} else "",
        q=(request.args.get("q") or "").strip()[:100],
    )
    page = queries.history_page(current_user, coalition, filters, after=request.args.get("after"))
    return render_template(
        "coaching/history.html",
        coalition=coalition,
        page=page,
        filters=filters,
        topics=topics,
        today=_today(),
        open_items=queries.open_items_for_coalition(coalition),
        status_form=ItemStatusForm(),
    )


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):
    session = get_session_or_404(current_user, session_id)
    return render_template(
        "coaching/session.html",
        session=session,
        coalition=session.coalition,
        today=_today(),
        status_form=ItemStatusForm(),
    )


def _prepare(
    form: SessionForm, coalition: Coalition, session: CoachingSession | None = None, open_items=()
) -> None:
    """The choices of the session form: this coalition's people, coaches and topics."""
    services.ensure_default_topics()  # a fresh database: the start list (once)
    current_coaches = queries.coalition_coaches(coalition)
    current_members = queries.coalition_members(coalition)
    coaches = {u.id: u for u in current_coaches}
    if current_user.is_admin:
        coaches[current_user.id] = current_user
    members = current_members
    if session is not None:  # people who left keep their place on old sessions
        coaches.update({u.id: u for u in session.coaches})
        members = sorted(
            {u.id: u for u in [*members, *session.attendees]}.values(), key=lambda u: u.name
        )
    form.coach_ids.choices = choices(
        (u.id, u.name) for u in sorted(coaches.values(), key=lambda u: u.name)
    )
    form.attendee_ids.choices = choices((u.id, u.name) for u in members)
    kept = {t.slug for t in session.topics} if session is not None else set()
    form.topics.choices = choices(
        (t.slug, t.label + ("" if t.active else " (retired)"))
        for t in queries.all_topics()
        if t.active or t.slug in kept
    )
    owners = [("", "Choose an owner")]
    owners += [(str(u.id), f"{u.name} (coalition)") for u in current_members]
    owners += [(str(u.id), f"{u.name} (coach)") for u in current_coaches]
    for entry in form["items"]:
        entry.form.owner_id.choices = choices(owners)
    form.close_item_ids.choices = choices(
        (i.id, f"{i.description} ({i.owner.name})") for i in open_items
    )


def _defaults(form: SessionForm, coalition: Coalition) -> None:
    """A new session right after a call: it started about an hour ago, on video, like the
    last one, with the same people."""
    start = (utcnow() - timedelta(hours=1)).astimezone(_tz())
    start = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    last = queries.last_session(coalition)
    form.held_on.data = start.date()
    form.start_time.data = start.time()
    form.duration_minutes.data = 60
    form.modality.data = last.modality if last else "video"
    form.initiated_by.data = "coach"
    if current_user.is_coach:
        form.coach_ids.data = [current_user.id]
    elif last is not None:
        form.coach_ids.data = [u.id for u in last.coaches]
    member_ids = {value for value, *_ in form.attendee_ids.choices}
    form.attendee_ids.data = [u.id for u in last.attendees if u.id in member_ids] if last else []


def _values(form: SessionForm) -> dict:
    started_at = None
    if form.held_on.data and form.start_time.data:
        started_at = datetime.combine(form.held_on.data, form.start_time.data, tzinfo=_tz())
    return {
        "started_at": started_at,
        "duration_minutes": form.duration_minutes.data,
        "modality": form.modality.data,
        "initiated_by": form.initiated_by.data,
        "coach_ids": form.coach_ids.data or [],
        "attendee_ids": form.attendee_ids.data or [],
        "other_attendees": form.other_attendees.data or "",
        "topics": form.topics.data or [],
        "need": form.need.data or "",
        "summary": form.summary.data or "",
        "outcome": form.outcome.data or "",
        "next_session_on": form.next_session_on.data,
        "private_notes": form.private_notes.data or "",
    }


def _new_items(form: SessionForm) -> list[services.NewActionItem]:
    rows = [entry.form for entry in form["items"]]
    return [
        services.NewActionItem(
            row.description.data or "", row.owner_id.data or None, row.due_on.data
        )
        for row in rows
        if not row.is_blank
    ]


def _render_form(form, coalition, session=None, open_items=()):
    """The session form; reached after a POST only when the POST was refused."""
    return render_template(
        "coaching/form.html",
        form=form,
        coalition=coalition,
        session=session,
        open_items=open_items,
        error_list=error_list(form),
        tz_name=current_user.timezone,
    ), (400 if request.method == "POST" else 200)


@bp.route("/coalitions/<slug>/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(slug: str):
    coalition = get_coalition_log_or_404(current_user, slug)
    if not can_log_for(current_user, coalition):
        abort(403, description="Only the coalition's coaches and admins log its sessions.")
    open_items = queries.open_items_for_coalition(coalition)
    form = SessionForm()
    _prepare(form, coalition, open_items=open_items)
    if request.method == "GET":
        _defaults(form, coalition)
    elif form.validate_on_submit():
        try:
            session = services.log_session(
                current_user,
                coalition,
                _values(form),
                items=_new_items(form),
                close_item_ids=form.close_item_ids.data,
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash("The session is logged.", "success")
            return redirect(url_for("coaching.session_detail", session_id=session.id), code=303)
    return _render_form(form, coalition, open_items=open_items)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    session = get_session_or_404(current_user, session_id)
    if not can_edit_session(current_user, session):
        abort(403, description="Only the coalition's coaches and admins edit its sessions.")
    coalition = session.coalition
    open_items = [
        i for i in queries.open_items_for_coalition(coalition) if i.session_id != session.id
    ]
    if request.method == "GET":
        local = session.started_at.astimezone(_tz())
        values = services.session_values(session)
        values.update(
            held_on=local.date(), start_time=local.time().replace(second=0, microsecond=0)
        )
        form = SessionForm(data=values)
    else:
        form = SessionForm()
    _prepare(form, coalition, session, open_items=open_items)
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_session(
                current_user,
                session,
                _values(form),
                items=_new_items(form),
                close_item_ids=form.close_item_ids.data,
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash("The session log is saved.", "success")
            return redirect(url_for("coaching.session_detail", session_id=session.id), code=303)
    return _render_form(form, coalition, session, open_items=open_items)


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
@login_required
def delete_session(session_id: int):
    session = get_session_or_404(current_user, session_id)
    if not can_edit_session(current_user, session):
        abort(403, description="Only the coalition's coaches and admins delete its sessions.")
    form = DeleteForm()
    if form.validate_on_submit():
        slug = session.coalition.slug
        services.delete_session(current_user, session)
        flash("The session log is deleted. The audit log keeps what it said.", "info")
        return redirect(url_for("coaching.history", slug=slug), code=303)
    return render_template("coaching/delete.html", session=session, form=form)


# ---------------------------------------------------------------- action items


@bp.get("/action-items")
@login_required
def my_items():
    if not can_use_coaching(current_user):
        abort(404)
    return render_template(
        "coaching/action_items.html",
        person=current_user,
        today=_today(),
        items=queries.open_items_for_person(current_user, current_user),
        status_form=ItemStatusForm(),
    )


@bp.get("/people/<int:user_id>/action-items")
@login_required
def person_items(user_id: int):
    if not is_coaching_staff(current_user) and user_id != current_user.id:
        abort(404)
    person = get_profile_or_404(current_user, user_id)
    return render_template(
        "coaching/action_items.html",
        person=person,
        today=_today(),
        items=queries.open_items_for_person(current_user, person),
        status_form=ItemStatusForm(),
    )


@bp.post("/action-items/<int:item_id>/status")
@login_required
def item_status(item_id: int):
    item = get_action_item_or_404(current_user, item_id)
    if not can_update_action_item(current_user, item):
        abort(
            403,
            description="Only the owner, the coalition's leads and its coaches update "
            "this action item.",
        )
    form = ItemStatusForm()
    if not form.validate_on_submit():
        abort(400, description="Choose open, done or dropped.")
    services.update_action_item(current_user, item, status=form.status.data)
    flash(f"The action item is {item.status_label.lower()}.", "success")
    target = request.form.get("next", "")
    if not is_safe_next(target):
        target = url_for("coaching.session_detail", session_id=item.session_id)
    return redirect(target, code=303)


@bp.route("/action-items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):
    item = get_action_item_or_404(current_user, item_id)
    if not can_edit_action_item(current_user, item):
        abort(403, description="Only the coalition's coaches and admins change action items.")
    form = ActionItemEditForm(
        data={
            "description": item.description,
            "owner_id": str(item.owner_id),
            "due_on": item.due_on,
            "status": item.status,
        }
        if request.method == "GET"
        else None
    )
    people = [
        (str(u.id), f"{u.name} (coalition)") for u in queries.coalition_members(item.coalition)
    ]
    people += [(str(u.id), f"{u.name} (coach)") for u in queries.coalition_coaches(item.coalition)]
    form.owner_id.choices = choices(people)
    if form.validate_on_submit():
        try:
            services.update_action_item(
                current_user,
                item,
                description=form.description.data,
                owner_id=form.owner_id.data or None,
                due_on=form.due_on.data,
                status=form.status.data,
            )
        except ServiceError as exc:
            if exc.status != 400:
                raise
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash("The action item is saved.", "success")
            return redirect(
                url_for("coaching.session_detail", session_id=item.session_id), code=303
            )
    return render_template(
        "coaching/item_edit.html", item=item, form=form, error_list=error_list(form)
    ), (400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- analysis and exports


def _staff_only(message: str) -> None:
    if not (can_view_analysis(current_user) and can_export(current_user)):
        abort(403, description=message)


def _quarter_and_coalition():
    quarter = analysis.Quarter.parse(request.args.get("quarter")) or analysis.Quarter.containing(
        utcnow()
    )
    slug = request.args.get("coalition") or ""
    coalition = None
    if slug:
        coalition = get_coalition_log_or_404(current_user, slug)
        if not can_log_for(current_user, coalition):
            abort(404)
    return quarter, coalition


def _quarter_choices(chosen: analysis.Quarter) -> list[analysis.Quarter]:
    """The current quarter and the eleven before it, newest first (and the chosen one)."""
    quarters = set(analysis.Quarter.containing(utcnow()).recent(12)) | {chosen}
    return sorted(quarters, reverse=True)


@bp.get("/analysis")
@login_required
def analysis_page():
    _staff_only("The coaching analysis is for coaches and program staff.")
    quarter, coalition = _quarter_and_coalition()
    summary, quarters = analysis.summary_for(current_user, quarter, coalition)
    return render_template(
        "coaching/analysis.html",
        summary=summary,
        quarter=quarter,
        coalition=coalition,
        trend=quarters,
        coalitions=queries.coalitions_for_logging(current_user),
        quarter_choices=_quarter_choices(quarter),
        charts=analysis.charts(summary, quarters),
        fmt_hours=analysis.fmt_hours,
    )


@bp.get("/export/sessions.csv")
@login_required
def export_sessions():
    _staff_only(
        "Exports are for coaches and program staff; coalition members see their logs "
        "on the coalition's coaching page."
    )
    quarter, coalition = _quarter_and_coalition()
    if request.args.get("quarter") == "all":
        quarter = None
    return exports.sessions_csv(current_user, quarter, coalition)


@bp.get("/export/summary.csv")
@login_required
def export_summary():
    _staff_only("Exports are for coaches and program staff.")
    quarter, coalition = _quarter_and_coalition()
    return exports.summary_csv(current_user, quarter, coalition)


# ---------------------------------------------------------------- topics (admins)


@bp.route("/topics", methods=["GET", "POST"])
@login_required
def topics():
    if not can_manage_topics(current_user):
        abort(404)
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = services.add_topic(current_user, form.label.data)
        except ServiceError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            flash(f"The topic “{topic.label}” is added.", "success")
            return redirect(url_for("coaching.topics"), code=303)
    services.ensure_default_topics()
    return render_template(
        "coaching/topics.html",
        form=form,
        topics=queries.all_topics(),
        button=DeleteForm(),
        error_list=error_list(form),
    ), (400 if request.method == "POST" else 200)


@bp.post("/topics/<int:topic_id>")
@login_required
def update_topic(topic_id: int):
    topic = db.session.get(CoachingTopic, topic_id)
    if topic is None or not can_manage_topics(current_user):
        abort(404)
    form = TopicForm()
    action = request.form.get("action")
    try:
        if action == "rename":
            if not form.validate_on_submit():
                raise ServiceError(" ".join(e for errs in form.errors.values() for e in errs))
            services.update_topic(current_user, topic, label=form.label.data)
        elif action in ("retire", "restore"):
            DeleteForm().validate_on_submit() or abort(400)
            services.update_topic(current_user, topic, active=action == "restore")
        else:
            abort(400)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("The topic list is saved.", "success")
    return redirect(url_for("coaching.topics"), code=303)
