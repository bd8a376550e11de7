"""Expert directory endpoints: search, profiles, own profile, requests and their states.

The same predicates as the pages: guests get 404; a request is visible to its parties, the
coalition's coaches and admins only."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.coalitions.models import Coalition
from cop.core.errors import ServiceError
from cop.experts import queries, services
from cop.experts.permissions import (
    can_browse_experts,
    can_have_own_profile,
    get_profile_or_404,
    get_request_or_404,
    own_profile,
)
from cop.experts.schemas import (
    DirectoryPageSchema,
    DirectoryQuerySchema,
    ExpertSchema,
    FollowUpSchema,
    ProfileInputSchema,
    RequestCreateSchema,
    RequestListSchema,
    RequestSchema,
    RequestUpdateSchema,
)
from cop.extensions import db

blp = Blueprint(
    "experts_api",
    __name__,
    url_prefix="/api/v1",
    description="The expert directory and introduction requests",
)
exempt_from_form_csrf(blp)


def _require_browse() -> None:
    if not can_browse_experts(current_user):
        abort(404)


@blp.route("/experts")
class Experts(MethodView):
    @login_required
    @blp.arguments(DirectoryQuerySchema, location="query")
    @blp.response(200, DirectoryPageSchema)
    def get(self, args):
        """Search the directory: text, areas of expertise, tags, sector, state, availability;
        best match first, with each expert's activity record."""
        _require_browse()
        filters = queries.Filters(
            q=args["q"].strip(),
            topics=args["topic"][:10],
            tags=[services.normalise_tag(t) for t in args["tag"][:10] if t.strip()],
            sector=args["sector"],
            state=args["state"],
            availability=args["availability"],
        )
        return queries.directory(filters, page=args["page"])


@blp.route("/experts/<int:profile_id>")
class ExpertItem(MethodView):
    @login_required
    @blp.response(200, ExpertSchema)
    def get(self, profile_id: int):
        """One expert profile."""
        return get_profile_or_404(current_user, profile_id)


@blp.route("/experts/me")
class OwnProfile(MethodView):
    @login_required
    @blp.response(200, ExpertSchema)
    def get(self):
        """Your own expert profile (experts with an account)."""
        if not can_have_own_profile(current_user):
            abort(404)
        profile = own_profile(current_user)
        if profile is None:
            abort(404, "You have no profile yet: PUT one.")
        return profile

    @login_required
    @blp.arguments(ProfileInputSchema)
    @blp.response(200, ExpertSchema)
    def put(self, data):
        """Create or update your own profile; fields left out keep their value."""
        if not can_have_own_profile(current_user):
            abort(404)
        try:
            return services.save_own_profile(current_user, data)
        except ServiceError:
            db.session.rollback()
            raise


@blp.route("/experts/<int:profile_id>/requests")
class ExpertRequests(MethodView):
    @login_required
    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestSchema)
    @blp.alt_response(403, description="Not someone who may ask for an introduction")
    @blp.alt_response(409, description="The expert is not available or at capacity (members)")
    def post(self, data, profile_id: int):
        """Ask the expert for an introduction, for your coalition (coaches: one of theirs)."""
        profile = get_profile_or_404(current_user, profile_id)
        coalition = db.session.execute(
            sa.select(Coalition).where(Coalition.slug == data["coalition"])
        ).scalar_one_or_none()
        try:
            return services.create_request(
                current_user,
                profile,
                {
                    "coalition_id": coalition.id if coalition else None,
                    "need": data["need"],
                    "needed_by": data["needed_by"],
                },
            )
        except ServiceError:
            db.session.rollback()
            raise


@blp.route("/expert-requests")
class MyRequests(MethodView):
    @login_required
    @blp.response(200, RequestListSchema)
    def get(self):
        """Your requests: made, answered by you, and (coaches) your coalitions'."""
        _require_browse()
        return queries.requests_for(current_user)


@blp.route("/expert-requests/<int:request_id>")
class RequestItem(MethodView):
    @login_required
    @blp.response(200, RequestSchema)
    def get(self, request_id: int):
        """One request and its history."""
        return get_request_or_404(current_user, request_id)

    @login_required
    @blp.arguments(RequestUpdateSchema)
    @blp.response(200, RequestSchema)
    @blp.alt_response(403, description="Not a party to the request, nor its coach")
    @blp.alt_response(409, description="Not a step the state machine allows from here")
    def patch(self, data, request_id: int):
        """Move the request one step: accepted or declined (with a note), scheduled,
        completed, closed without a meeting."""
        req = get_request_or_404(current_user, request_id)
        try:
            return services.change_state(
                current_user, req, data["state"], note=data["note"], meeting_on=data["meeting_on"]
            )
        except ServiceError:
            db.session.rollback()
            raise


@blp.route("/expert-requests/<int:request_id>/follow-up")
class FollowUp(MethodView):
    @login_required
    @blp.arguments(FollowUpSchema)
    @blp.response(200, RequestSchema)
    def post(self, data, request_id: int):
        """The requester's answer after completion: did it help, what changed."""
        req = get_request_or_404(current_user, request_id)
        try:
            return services.answer_followup(current_user, req, data["helped"], data["changed"])
        except ServiceError:
            db.session.rollback()
            raise
