"""Account endpoints: tokens and the current user."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from cop.accounts import auth, services
from cop.accounts.models import ApiToken
from cop.accounts.schemas import (
    MeSchema,
    NewTokenSchema,
    TokenRequestSchema,
    TokenSchema,
)
from cop.api import exempt_from_form_csrf
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core.models import utcnow
from cop.extensions import db, limiter

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Accounts and tokens")
exempt_from_form_csrf(blp)


def _failed(response) -> bool:
    return response.status_code == 401


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, NewTokenSchema)
    @blp.alt_response(401, description="Wrong email or password")
    @blp.alt_response(429, description="Too many failed attempts")
    @limiter.limit(auth.login_ip_limit, deduct_when=_failed)
    @limiter.shared_limit(
        auth.login_limit, "login-email", key_func=auth.login_email_key, deduct_when=_failed
    )
    def post(self, data):
        """Exchange email and password for a bearer token."""
        user = services.authenticate(data["email"], data["password"])
        if user is None:
            abort(401, description="Wrong email or password.")
        token, raw = services.create_api_token(user, name=data.get("name", ""))
        # The response schema serialises: hand it values, not an already dumped dict.
        fields = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at")
        return {**{f: getattr(token, f) for f in fields}, "token": raw}

    @login_required
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """List your active tokens."""
        return (
            db.session.execute(
                sa.select(ApiToken)
                .where(
                    ApiToken.user_id == current_user.id,
                    ApiToken.revoked_at.is_(None),
                    ApiToken.expires_at > utcnow(),
                )
                .order_by(ApiToken.created_at.desc())
            )
            .scalars()
            .all()
        )


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @login_required
    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke one of your tokens."""
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != current_user.id:
            abort(404, description="No such token.")
        services.revoke_api_token(current_user, token)


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @login_required
    @blp.response(204)
    def delete(self):
        """Revoke the token this request is made with."""
        token_id = getattr(current_user, "current_token_id", None)
        token = db.session.get(ApiToken, token_id) if token_id else None
        if token is None:
            abort(400, description="This request was not made with a token.")
        services.revoke_api_token(current_user, token)


@blp.route("/me")
class Me(MethodView):
    @login_required
    @blp.response(200, MeSchema)
    def get(self):
        """The authenticated user."""
        user = current_user._get_current_object()
        memberships = (
            db.session.execute(
                sa.select(Membership)
                .options(selectinload(Membership.coalition))
                .where(Membership.user_id == user.id)
            )
            .scalars()
            .all()
        )
        coached = (
            db.session.execute(
                sa.select(Coalition.slug)
                .join(CoachAssignment, CoachAssignment.coalition_id == Coalition.id)
                .where(CoachAssignment.coach_id == user.id)
                .order_by(Coalition.slug)
            )
            .scalars()
            .all()
        )
        # Values for the response schema to serialise (it dumps; do not dump twice).
        data = {f: getattr(user, f) for f in ME_FIELDS}
        data["coalitions"] = memberships
        data["coached_coalitions"] = list(coached)
        return data


ME_FIELDS = ("id", "email", "name", "role", "organization", "title", "timezone", "initials")
