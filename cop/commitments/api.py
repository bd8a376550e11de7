"""Commitment endpoints: submit, list accepted (public), totals, review, report progress."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.commitments import queries, services
from cop.commitments.permissions import (
    can_review,
    get_reviewable_or_404,
    get_visible_commitment_or_404,
    is_owner,
)
from cop.commitments.schemas import (
    CommitmentAllTotalsSchema,
    CommitmentInputSchema,
    CommitmentListQuerySchema,
    CommitmentPageSchema,
    CommitmentProgressInputSchema,
    CommitmentReviewQuerySchema,
    CommitmentReviewSchema,
    CommitmentSchema,
    PublicCommitmentSchema,
)
from cop.commitments.views import submit_limit
from cop.core.errors import api_error
from cop.extensions import limiter

blp = Blueprint(
    "commitments_api",
    __name__,
    url_prefix="/api/v1",
    description="Partner commitments: submit, list, review, report progress",
)
exempt_from_form_csrf(blp)


def _invalid(exc: services.Invalid):
    return api_error(422, exc.message, "invalid", {k: [v] for k, v in exc.errors.items()})


PRIVATE = set(CommitmentSchema._declared_fields) - set(PublicCommitmentSchema._declared_fields)


class _Public:
    """A commitment without its private fields (marshmallow leaves out missing ones)."""

    def __init__(self, commitment):
        self._commitment = commitment

    def __getattr__(self, name: str):
        if name in PRIVATE:
            raise AttributeError(name)
        return getattr(self._commitment, name)


@blp.route("/commitments")
class Commitments(MethodView):
    @blp.arguments(CommitmentListQuerySchema, location="query")
    @blp.response(200, CommitmentPageSchema)
    def get(self, args):
        """Accepted commitments (public, no token needed), by organization name, with the
        totals of the filtered set."""
        filters = queries.Filters(args["sector"], args["state"], args["org_type"])
        page = queries.accepted_page(filters, after=args["after"])
        return {
            "items": page.items,
            "next_cursor": page.next_cursor,
            "totals": queries.totals(filters),
        }

    @login_required
    @limiter.shared_limit(submit_limit, scope="commitments-submit")
    @blp.arguments(CommitmentInputSchema)
    @blp.response(201, CommitmentSchema)
    @blp.alt_response(422, description="Invalid input: nothing was stored")
    @blp.alt_response(429, description="Too many submissions from this address")
    def post(self, data):
        """Submit a commitment as the signed-in user: it goes straight to review."""
        try:
            return services.submit(current_user, services.CommitmentInput(**data))
        except services.Invalid as exc:
            return _invalid(exc)


@blp.route("/commitments/totals")
class Totals(MethodView):
    @blp.response(200, CommitmentAllTotalsSchema)
    def get(self):
        """Totals of the accepted commitments, overall, by sector and by state (public)."""
        return {
            "overall": queries.totals(),
            "by_sector": queries.by_sector(),
            "by_state": queries.by_state(),
        }


@blp.route("/commitments/<int:commitment_id>")
class CommitmentItem(MethodView):
    @blp.response(200, CommitmentSchema)
    def get(self, commitment_id: int):
        """One commitment: accepted ones for everyone (without contact details); all of it
        for admins and the user who submitted it."""
        commitment = get_visible_commitment_or_404(current_user, commitment_id)
        if can_review(current_user) or is_owner(current_user, commitment):
            return commitment
        return _Public(commitment)


@blp.route("/commitments/review")
class ReviewQueue(MethodView):
    @login_required
    @blp.arguments(CommitmentReviewQuerySchema, location="query")
    @blp.response(200, CommitmentSchema(many=True))
    def get(self, args):
        """The review queue (admins): commitments in one state, oldest first."""
        if not can_review(current_user):
            abort(404)
        return queries.review_list(args["status"])


@blp.route("/commitments/<int:commitment_id>/review")
class Review(MethodView):
    @login_required
    @blp.arguments(CommitmentReviewSchema)
    @blp.response(200, CommitmentSchema)
    @blp.alt_response(409, description="Not waiting for review")
    def post(self, data, commitment_id: int):
        """Accept, ask for changes (message required) or decline (admins)."""
        commitment = get_reviewable_or_404(current_user, commitment_id)
        return services.review(current_user, commitment, data["decision"], data["message"])


@blp.route("/commitments/<int:commitment_id>/progress")
class Progress(MethodView):
    @blp.arguments(CommitmentProgressInputSchema)
    @blp.response(201, CommitmentSchema)
    @blp.alt_response(401, description="Neither a token nor a signed-in owner")
    @blp.alt_response(422, description="Invalid figures: nothing was stored")
    def post(self, data, commitment_id: int):
        """Report progress (figures to date): with the emailed link's `token`, or as the user
        who submitted the commitment (or an admin) with a bearer token."""
        token = data.pop("token")
        actor = current_user if current_user.is_authenticated else None
        if token:
            commitment = services.commitment_for_token(token, "report")
            if commitment.id != commitment_id:
                abort(404)
            actor = None
        elif actor is None:
            abort(401, description="Send the token of the emailed link, or a bearer token.")
        else:
            commitment = get_visible_commitment_or_404(actor, commitment_id)
        try:
            services.report_progress(
                commitment, services.ProgressInput(**data), actor=actor, via="api"
            )
        except services.Invalid as exc:
            return _invalid(exc)
        return commitment
