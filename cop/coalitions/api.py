"""Coalition endpoints."""

from __future__ import annotations

from functools import wraps

from flask import abort, url_for
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.coalitions import queries
from cop.coalitions.permissions import can_view_directory, get_coalition_or_404
from cop.coalitions.schemas import CoalitionDetailSchema, CoalitionQuerySchema, CoalitionSchema

blp = Blueprint("coalitions_api", __name__, url_prefix="/api/v1", description="Coalitions")
exempt_from_form_csrf(blp)


def directory_visible(view):
    """404 before anything else (argument checks included) for who may not see coalitions."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not can_view_directory(current_user):
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def _with_url(coalition):
    coalition.url = url_for("coalitions.detail", slug=coalition.slug, _external=False)
    return coalition


@blp.route("/coalitions")
class Coalitions(MethodView):
    @login_required
    @directory_visible
    @blp.arguments(CoalitionQuerySchema, location="query")
    @blp.response(200, CoalitionSchema(many=True))
    def get(self, args):
        """The coalition directory, filtered by text, state, sector and track."""
        return [_with_url(c) for c in queries.directory(queries.DirectoryFilters(**args))]


@blp.route("/coalitions/<slug>")
class CoalitionItem(MethodView):
    @login_required
    @blp.response(200, CoalitionDetailSchema)
    def get(self, slug: str):
        """One coalition with its members and coaches."""
        coalition = _with_url(get_coalition_or_404(current_user, slug))
        members = queries.members_of(coalition)
        coalition.members = [m.user for m in members]
        coalition.leads = [m.user_id for m in members if m.is_lead]
        coalition.coaches = queries.coaches_of(coalition)
        return coalition
