"""Coalition directory, coalition pages, coach and member management (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.accounts.models import User
from cop.coalitions import queries, services
from cop.coalitions.forms import AssignCoachForm, PostButtonForm
from cop.coalitions.models import STATES, Membership, Sector, Track
from cop.coalitions.permissions import (
    can_manage_coalition,
    can_view_coalition_private,
    can_view_directory,
    get_coalition_or_404,
)
from cop.extensions import db

bp = Blueprint("coalitions", __name__, url_prefix="/coalitions")


def _filters() -> queries.DirectoryFilters:
    args = request.args
    return queries.DirectoryFilters(
        q=(args.get("q") or "").strip()[:100],
        state=args.get("state") if args.get("state") in STATES else "",
        sector=args.get("sector") if args.get("sector") in {s.value for s in Sector} else "",
        track=args.get("track") if args.get("track") in {t.value for t in Track} else "",
    )


@bp.get("/")
@login_required
def directory():
    if not can_view_directory(current_user):
        abort(404)
    filters = _filters()
    return render_template(
        "coalitions/directory.html",
        coalitions=queries.directory(filters),
        filters=filters,
        state_counts=queries.state_counts(),
    )


@bp.get("/<slug>")
@login_required
def detail(slug: str):
    coalition = get_coalition_or_404(current_user, slug)
    form = AssignCoachForm()
    if can_manage_coalition(current_user, coalition):
        form.offer(queries.assignable_coaches(coalition))
    return render_template(
        "coalitions/detail.html",
        coalition=coalition,
        members=queries.members_of(coalition),
        coaches=queries.coaches_of(coalition),
        assign_form=form,
        button=PostButtonForm(),
        show_private=can_view_coalition_private(current_user, coalition),
    )


@bp.post("/<slug>/coaches")
@login_required
def assign_coach(slug: str):
    coalition = get_coalition_or_404(current_user, slug)
    if not can_manage_coalition(current_user, coalition):
        abort(404)
    form = AssignCoachForm()
    form.offer(queries.assignable_coaches(coalition))
    if not form.validate_on_submit():
        flash("Choose a coach from the list.", "error")
        return redirect(url_for("coalitions.detail", slug=slug), code=303)
    coach = db.session.get(User, form.coach_id.data)
    services.assign_coach(current_user, coalition, coach)
    flash(f"{coach.name} now coaches {coalition.name}.", "success")
    return redirect(url_for("coalitions.detail", slug=slug), code=303)


@bp.post("/<slug>/coaches/<int:coach_id>/remove")
@login_required
def unassign_coach(slug: str, coach_id: int):
    coalition = get_coalition_or_404(current_user, slug)
    coach = db.session.get(User, coach_id)
    if not can_manage_coalition(current_user, coalition) or coach is None:
        abort(404)
    PostButtonForm().validate_on_submit() or abort(400)
    services.unassign_coach(current_user, coalition, coach)
    flash(f"{coach.name} no longer coaches {coalition.name}.", "info")
    return redirect(url_for("coalitions.detail", slug=slug), code=303)


def _membership_or_404(slug: str, user_id: int) -> Membership:
    coalition = get_coalition_or_404(current_user, slug)
    if not can_manage_coalition(current_user, coalition):
        abort(404)
    membership = db.session.execute(
        db.select(Membership).where(
            Membership.coalition_id == coalition.id, Membership.user_id == user_id
        )
    ).scalar_one_or_none()
    if membership is None:
        abort(404)
    PostButtonForm().validate_on_submit() or abort(400)
    return membership


@bp.post("/<slug>/members/<int:user_id>/lead")
@login_required
def toggle_lead(slug: str, user_id: int):
    membership = _membership_or_404(slug, user_id)
    services.set_lead(current_user, membership, not membership.is_lead)
    flash("The coalition's leads are updated.", "success")
    return redirect(url_for("coalitions.detail", slug=slug), code=303)


@bp.post("/<slug>/members/<int:user_id>/remove")
@login_required
def remove_member(slug: str, user_id: int):
    membership = _membership_or_404(slug, user_id)
    name = membership.user.name
    services.remove_member(current_user, membership)
    flash(f"{name} is no longer a member.", "info")
    return redirect(url_for("coalitions.detail", slug=slug), code=303)
