"""Commitment pages: the public form and list, totals, signed-link pages, the review queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.commitments import queries, services
from cop.commitments.charts import paired_bars
from cop.commitments.forms import CommitmentForm, ProgressForm, ReviewForm
from cop.commitments.models import NUMBERS, ORG_TYPE_LABELS, Status
from cop.commitments.permissions import (
    can_report_progress,
    can_review,
    get_reviewable_or_404,
    get_visible_commitment_or_404,
    is_owner,
)
from cop.core.errors import ServiceError
from cop.core.forms import error_list
from cop.extensions import limiter

bp = Blueprint("commitments", __name__, url_prefix="/commitments")


def submit_limit() -> str:
    """Submissions per IP address (the HTML form and the API share it)."""
    return current_app.config.get("COMMITMENTS_SUBMIT_LIMIT", "10 per hour")


def _signed_in() -> bool:
    return bool(current_user.is_authenticated and current_user.active)


def show_errors(form, exc: ServiceError) -> None:
    """A service's refusal next to its fields (all of them for Invalid)."""
    errors = getattr(exc, "errors", None) or {exc.field or "": exc.message}
    for name, message in errors.items():
        target = getattr(form, name, None) if name else None
        if target is not None and hasattr(target, "errors") and name != "website":
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)


# ---------------------------------------------------------------- public pages


@bp.get("/")
def index():
    filters = queries.Filters.parse(request.args)
    page = queries.accepted_page(filters, after=request.args.get("after"))
    return render_template(
        "commitments/index.html",
        filters=filters,
        page=page,
        totals=queries.totals(filters),
        numbers=NUMBERS,
        org_types=ORG_TYPE_LABELS,
        mine=queries.submitted_by(current_user) if _signed_in() else [],
    )


@bp.get("/totals")
def totals():
    sectors = queries.by_sector()
    people = [
        (
            t.label,
            t.pledged("people_to_train") + t.pledged("people_to_hire"),
            t.so_far("people_to_train") + t.so_far("people_to_hire"),
        )
        for t in sectors
    ]
    chart = paired_bars(
        "sector-people",
        "People to train or hire, by sector",
        "For each sector, the people the accepted commitments pledge to train or hire, and "
        "those reported trained or hired so far. The tables below give every number.",
        people,
    )
    return render_template(
        "commitments/totals.html",
        numbers=NUMBERS,
        overall=queries.totals(),
        sectors=sectors,
        states=queries.by_state(),
        sector_chart=chart,
    )


@bp.get("/<int:commitment_id>")
def detail(commitment_id: int):
    commitment = get_visible_commitment_or_404(current_user, commitment_id)
    private = can_review(current_user) or is_owner(current_user, commitment)
    return render_template("commitments/detail.html", commitment=commitment, private=private)


@bp.route("/new", methods=["GET", "POST"])
@limiter.shared_limit(submit_limit, scope="commitments-submit", methods=["POST"])
def new():
    form = CommitmentForm()
    signed_in = _signed_in()
    if request.method == "GET":
        form.started.data = services.form_stamp()
        if signed_in:
            form.contact_name.data = current_user.name
            form.contact_email.data = current_user.email
        return render_template("commitments/form.html", form=form, errors=[], signed_in=signed_in)
    status = 400
    if form.validate():
        try:
            if not signed_in:
                services.check_not_spam(form.website.data, form.started.data)
            services.submit(current_user if signed_in else None, form.to_input())
        except ServiceError as exc:
            status = exc.status if exc.status == 429 else 400
            show_errors(form, exc)
        else:
            return redirect(url_for(".thanks", via="review" if signed_in else "email"), 303)
    if not form.started.data:  # keep the time of the first showing: it is what counts
        form.started.data = services.form_stamp()
    return render_template(
        "commitments/form.html", form=form, errors=error_list(form), signed_in=signed_in
    ), status


@bp.get("/thanks")
def thanks():
    return render_template(
        "commitments/thanks.html", via="review" if request.args.get("via") == "review" else "email"
    )


@bp.get("/confirm/<token>")
def confirm(token: str):
    commitment = services.confirm(token)
    return render_template("commitments/confirmed.html", commitment=commitment)


@bp.route("/edit/<token>", methods=["GET", "POST"])
def edit(token: str):
    commitment = services.commitment_for_token(token, "edit")
    if commitment.status != Status.CHANGES_REQUESTED:
        return render_template("commitments/closed.html", commitment=commitment), 409
    form = CommitmentForm()
    if request.method == "GET":
        form.fill(commitment)
        return render_template("commitments/edit.html", form=form, errors=[], commitment=commitment)
    if form.validate():
        try:
            services.resubmit(
                commitment, form.to_input(), actor=current_user if _signed_in() else None
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            return redirect(url_for(".thanks", via="review"), 303)
    return render_template(
        "commitments/edit.html", form=form, errors=error_list(form), commitment=commitment
    ), 400


def _progress(commitment, actor, via: str, action: str):
    form = ProgressForm()
    if request.method == "POST" and form.validate():
        try:
            services.report_progress(commitment, form.to_input(), actor=actor, via=via)
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            flash("Thank you: your progress report is saved and the totals are updated.", "success")
            return redirect(url_for(".detail", commitment_id=commitment.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "commitments/progress.html",
        form=form,
        commitment=commitment,
        errors=error_list(form),
        action=action,
    ), status


@bp.route("/progress/<token>", methods=["GET", "POST"])
def progress_by_link(token: str):
    commitment = services.commitment_for_token(token, "report")
    if commitment.status != Status.ACCEPTED:
        return render_template("commitments/closed.html", commitment=commitment), 409
    return _progress(commitment, None, "link", url_for(".progress_by_link", token=token))


@bp.route("/<int:commitment_id>/progress", methods=["GET", "POST"])
@login_required
def progress(commitment_id: int):
    commitment = get_visible_commitment_or_404(current_user, commitment_id)
    if not can_report_progress(current_user, commitment):
        abort(403)
    return _progress(
        commitment, current_user, "account", url_for(".progress", commitment_id=commitment.id)
    )


# ---------------------------------------------------------------- review (admins)


@bp.get("/review")
@login_required
def review_queue():
    if not can_review(current_user):
        abort(404)
    status = request.args.get("status", Status.SUBMITTED)
    if status not in {s.value for s in queries.REVIEW_STATUSES}:
        status = Status.SUBMITTED
    return render_template(
        "commitments/review_queue.html",
        status=Status(status),
        items=queries.review_list(status),
        counts=queries.status_counts(),
        statuses=queries.REVIEW_STATUSES,
    )


@bp.route("/review/<int:commitment_id>", methods=["GET", "POST"])
@login_required
def review(commitment_id: int):
    commitment = get_reviewable_or_404(current_user, commitment_id)
    form = ReviewForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                services.review(
                    current_user, commitment, form.decision.data or "", form.message.data or ""
                )
            except ServiceError as exc:
                show_errors(form, exc)
                status = exc.status if exc.status == 409 else 400
            else:
                flash(
                    f"Done: {commitment.org_name}'s commitment is now "
                    f"{commitment.status_label.lower()}.",
                    "success",
                )
                return redirect(url_for(".review_queue"), 303)
    return render_template(
        "commitments/review.html", commitment=commitment, form=form, errors=error_list(form)
    ), status
