"""Expert directory pages: directory, profiles, requests, reports, CSV."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.accounts.forms import choices
from cop.coalitions.models import SECTOR_LABELS, STATES, Coalition
from cop.core.csvsafe import csv_response
from cop.core.errors import ServiceError
from cop.core.forms import error_list
from cop.core.models import utcnow
from cop.experts import queries, services
from cop.experts.forms import FollowUpForm, ProfileForm, RequestForm, StateForm
from cop.experts.models import AVAILABILITY_LABELS
from cop.experts.permissions import (
    can_browse_experts,
    can_create_outside_profile,
    can_edit_profile,
    can_have_own_profile,
    can_request,
    can_view_reports,
    get_profile_or_404,
    get_request_or_404,
    own_profile,
    report_scope,
    request_coalition_ids,
)
from cop.extensions import db

bp = Blueprint("experts", __name__, url_prefix="/experts")


def _require_browse() -> None:
    if not can_browse_experts(current_user):
        abort(404)


def _field_error(form, exc: ServiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors") and exc.field != "csrf_token":
        target.errors = [*target.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _filters() -> queries.Filters:
    args = request.args
    topics = {t.slug for t in queries.all_topics()}
    sector, state, availability = (
        args.get("sector", ""),
        args.get("state", "").upper(),
        args.get("availability", ""),
    )
    return queries.Filters(
        q=(args.get("q") or "").strip()[:100],
        topics=[t for t in args.getlist("topic") if t in topics][:10],
        tags=[t for t in (services.normalise_tag(x)[:40] for x in args.getlist("tag")) if t][:10],
        sector=sector if sector in {s.value for s in SECTOR_LABELS} else "",
        state=state if state in STATES else "",
        availability=availability if availability in {a.value for a in AVAILABILITY_LABELS} else "",
    )


# ---------------------------------------------------------------- directory and profiles


@bp.get("/")
@login_required
def directory():
    _require_browse()
    filters = _filters()
    page = queries.directory(filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "experts/directory.html",
        filters=filters,
        page=page,
        topics=queries.all_topics(),
        STATES=STATES,
        SECTOR_LABELS=SECTOR_LABELS,
        AVAILABILITY_LABELS=AVAILABILITY_LABELS,
        mine=own_profile(current_user) if can_have_own_profile(current_user) else None,
    )


@bp.get("/<int:profile_id>")
@login_required
def profile(profile_id: int):
    expert = get_profile_or_404(current_user, profile_id)
    return render_template("experts/profile.html", expert=expert, card=queries.card_for(expert))


def _prepare_profile_form(form: ProfileForm) -> None:
    services.ensure_default_topics()
    form.topics.choices = choices((t.slug, t.label) for t in queries.all_topics())


def _profile_values(form: ProfileForm) -> dict:
    return {
        "name": form.name.data,
        "title": form.title.data or "",
        "organization": form.organization.data or "",
        "bio": form.bio.data or "",
        "topics": form.topics.data or [],
        "tags": form.tags.data or "",
        "sectors": form.sectors.data or [],
        "states": form.states.data or [],
        "languages": form.languages.data or "",
        "help_modes": form.help_modes.data or [],
        "availability": form.availability.data,
        "monthly_capacity": form.monthly_capacity.data,
    }


def _fill(form: ProfileForm, expert) -> None:
    values = services.profile_values(expert)
    for key in (
        "name",
        "title",
        "organization",
        "bio",
        "topics",
        "sectors",
        "states",
        "help_modes",
        "availability",
        "monthly_capacity",
    ):
        getattr(form, key).data = values[key]
    form.tags.data = ", ".join(values["tags"])
    form.languages.data = ", ".join(values["languages"])


def _profile_form(expert, save, heading: str, cancel: str):
    form = ProfileForm()
    _prepare_profile_form(form)
    status = 200
    if request.method == "GET" and expert is not None:
        _fill(form, expert)
    elif request.method == "GET" and can_have_own_profile(current_user):
        form.name.data, form.organization.data, form.title.data = (
            current_user.name,
            current_user.organization,
            current_user.title,
        )
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                saved = save(_profile_values(form))
            except ServiceError as exc:
                db.session.rollback()
                _field_error(form, exc)
            else:
                flash("The profile is saved.", "success")
                return redirect(url_for("experts.profile", profile_id=saved.id), 303)
        status = 400
    return render_template(
        "experts/edit.html",
        form=form,
        expert=expert,
        heading=heading,
        cancel=cancel,
        error_list=error_list(form),
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_own():
    if not can_have_own_profile(current_user):
        abort(404)
    expert = own_profile(current_user)
    return _profile_form(
        expert,
        lambda values: services.save_own_profile(current_user, values),
        "Your expert profile",
        url_for("experts.directory"),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_outside():
    if not can_create_outside_profile(current_user):
        abort(404)
    return _profile_form(
        None,
        lambda v: services.create_outside_profile(current_user, v),
        "Add an expert from outside cop",
        url_for("experts.directory"),
    )


@bp.route("/<int:profile_id>/edit", methods=["GET", "POST"])
@login_required
def edit(profile_id: int):
    expert = get_profile_or_404(current_user, profile_id)
    if not can_edit_profile(current_user, expert):
        abort(403)
    return _profile_form(
        expert,
        lambda v: services.update_profile(current_user, expert, v),
        f"Edit the profile of {expert.name}",
        url_for("experts.profile", profile_id=expert.id),
    )


# ---------------------------------------------------------------- requests


def _coalitions() -> list[Coalition]:
    ids = request_coalition_ids(current_user)
    query = db.select(Coalition).order_by(Coalition.name)
    if ids is not None:
        query = query.where(Coalition.id.in_(ids))
    return list(db.session.execute(query).scalars())


@bp.route("/<int:profile_id>/request", methods=["GET", "POST"])
@login_required
def new_request(profile_id: int):
    expert = get_profile_or_404(current_user, profile_id)
    if not can_request(current_user, expert):
        abort(403)
    card = queries.card_for(expert)
    form = RequestForm()
    coalitions = _coalitions()
    form.coalition_id.choices = choices((c.id, c.name) for c in coalitions)
    if request.method == "GET" and len(coalitions) == 1:
        form.coalition_id.data = coalitions[0].id
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                req = services.create_request(
                    current_user,
                    expert,
                    {
                        "coalition_id": form.coalition_id.data,
                        "need": form.need.data,
                        "needed_by": form.needed_by.data,
                    },
                )
            except ServiceError as exc:
                db.session.rollback()
                _field_error(form, exc)
            else:
                flash(f"Your request is sent to {expert.name}.", "success")
                return redirect(url_for("experts.request_detail", request_id=req.id), 303)
        status = 400
    return render_template(
        "experts/request_form.html",
        form=form,
        expert=expert,
        card=card,
        error_list=error_list(form),
    ), status


@bp.get("/requests")
@login_required
def my_requests():
    _require_browse()
    return render_template("experts/requests.html", lists=queries.requests_for(current_user))


@bp.get("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    req = get_request_or_404(current_user, request_id)
    return render_template(
        "experts/request.html",
        req=req,
        state_form=StateForm(),
        followup_form=FollowUpForm(),
        ACTION_LABELS=services.ACTION_LABELS,
        today=utcnow().date(),
    )


@bp.post("/requests/<int:request_id>/state")
@login_required
def change_state(request_id: int):
    req = get_request_or_404(current_user, request_id)
    form = StateForm()
    if not form.validate_on_submit():
        return render_template(
            "experts/request.html",
            req=req,
            state_form=form,
            followup_form=FollowUpForm(),
            ACTION_LABELS=services.ACTION_LABELS,
            today=utcnow().date(),
            form_errors=error_list(form),
        ), 400
    try:
        services.change_state(
            current_user,
            req,
            form.state.data,
            note=form.note.data or "",
            meeting_on=form.meeting_on.data,
        )
    except ServiceError:
        db.session.rollback()
        raise
    flash(f"The request is now {req.state_label.lower()}.", "success")
    return redirect(url_for("experts.request_detail", request_id=req.id), 303)


@bp.post("/requests/<int:request_id>/follow-up")
@login_required
def followup(request_id: int):
    req = get_request_or_404(current_user, request_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return render_template(
            "experts/request.html",
            req=req,
            state_form=StateForm(),
            followup_form=form,
            ACTION_LABELS=services.ACTION_LABELS,
            today=utcnow().date(),
            form_errors=error_list(form),
        ), 400
    try:
        services.answer_followup(current_user, req, form.helped.data, form.changed.data or "")
    except ServiceError:
        db.session.rollback()
        raise
    flash("Thank you: your answer is saved.", "success")
    return redirect(url_for("experts.request_detail", request_id=req.id), 303)


# ---------------------------------------------------------------- reports


@bp.get("/reports")
@login_required
def reports():
    if not can_view_reports(current_user):
        abort(404)
    return render_template(
        "experts/reports.html",
        report=queries.report(report_scope(current_user)),
    )


@bp.get("/reports/requests.csv")
@login_required
def reports_csv():
    if not can_view_reports(current_user):
        abort(404)
    return csv_response(
        f"expert-requests-{utcnow():%Y-%m-%d}.csv",
        queries.CSV_HEADER,
        queries.report_csv_rows(report_scope(current_user)),
    )
