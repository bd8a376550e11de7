"""Coaching endpoints: session logs, action items, quarterly summary figures.

The same predicates as the pages: a session another coalition's member asks for is a 404,
and private notes are absent from every payload a coalition member receives."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.coaching import analysis, queries, services
from cop.coaching.models import CoachingSession
from cop.coaching.permissions import (
    can_log_for,
    can_use_coaching,
    can_view_analysis,
    can_view_private_notes,
    get_action_item_or_404,
    get_coalition_log_or_404,
    get_session_or_404,
)
from cop.coaching.schemas import (
    ActionItemQuerySchema,
    ActionItemSchema,
    ActionItemUpdateSchema,
    NewActionItemSchema,
    SessionCreateSchema,
    SessionPageSchema,
    SessionQuerySchema,
    SessionSchema,
    SessionUpdateSchema,
    SummaryQuerySchema,
    SummarySchema,
)
from cop.core.errors import PermissionDenied

blp = Blueprint(
    "coaching_api",
    __name__,
    url_prefix="/api/v1",
    description="Coaching session logs, action items and summary figures",
)
exempt_from_form_csrf(blp)

NEW_SESSION_DEFAULTS = {
    "attendee_ids": [],
    "other_attendees": "",
    "topics": [],
    "need": "",
    "outcome": "",
    "next_session_on": None,
    "private_notes": "",
}


class _AsSeenBy:
    """A session as the viewer may see it: without `private_notes` unless they coach it.

    marshmallow leaves out a field whose attribute is missing, so the key is absent."""

    def __init__(self, session: CoachingSession, show_notes: bool):
        self._session = session
        self._show_notes = show_notes

    def __getattr__(self, name: str):
        if name == "private_notes" and not self._show_notes:
            raise AttributeError(name)
        return getattr(self._session, name)


def _seen(session: CoachingSession) -> _AsSeenBy:
    return _AsSeenBy(session, can_view_private_notes(current_user, session.coalition))


def _require_coaching() -> None:
    if not can_use_coaching(current_user):
        abort(404)


def _items_and_closures(data: dict) -> tuple[list[services.NewActionItem], list[int]]:
    items = [
        services.NewActionItem(i["description"], i["owner_id"], i.get("due_on"))
        for i in data.pop("action_items", [])
    ]
    return items, data.pop("close_item_ids", [])


@blp.route("/coaching/sessions")
class Sessions(MethodView):
    @login_required
    @blp.arguments(SessionQuerySchema, location="query")
    @blp.response(200, SessionPageSchema)
    def get(self, args):
        """Session logs you may see, newest first (keyset pages)."""
        _require_coaching()
        coalition = (
            get_coalition_log_or_404(current_user, args["coalition"]) if args["coalition"] else None
        )
        page = queries.api_sessions_page(
            current_user,
            coalition=coalition,
            after=args["after"],
            filters=queries.HistoryFilters(topic=args["topic"], q=args["q"]),
        )
        return {"items": [_seen(s) for s in page.items], "next_cursor": page.next_cursor}

    @login_required
    @blp.arguments(SessionCreateSchema)
    @blp.response(201, SessionSchema)
    @blp.alt_response(403, description="Not a coach of the coalition")
    @blp.alt_response(404, description="No such coalition, or not yours")
    def post(self, data):
        """Log a session (coaches of the coalition, admins), with new action items."""
        coalition = get_coalition_log_or_404(current_user, data.pop("coalition"))
        if not can_log_for(current_user, coalition):
            raise PermissionDenied("Only the coalition's coaches and admins log its sessions.")
        items, close = _items_and_closures(data)
        data.setdefault("coach_ids", [current_user.id] if current_user.is_coach else [])
        session = services.log_session(
            current_user,
            coalition,
            {**NEW_SESSION_DEFAULTS, **data},
            items=items,
            close_item_ids=close,
        )
        return _seen(session)


@blp.route("/coaching/sessions/<int:session_id>")
class SessionItem(MethodView):
    @login_required
    @blp.response(200, SessionSchema)
    def get(self, session_id: int):
        """One session log."""
        return _seen(get_session_or_404(current_user, session_id))

    @login_required
    @blp.arguments(SessionUpdateSchema)
    @blp.response(200, SessionSchema)
    def patch(self, data, session_id: int):
        """Change some fields of a session log; add action items."""
        session = get_session_or_404(current_user, session_id)
        items, close = _items_and_closures(data)
        services.update_session(current_user, session, data, items=items, close_item_ids=close)
        return _seen(session)

    @login_required
    @blp.response(204)
    def delete(self, session_id: int):
        """Delete a session log and its action items (the audit log keeps them)."""
        services.delete_session(current_user, get_session_or_404(current_user, session_id))


@blp.route("/coaching/sessions/<int:session_id>/action-items")
class SessionActionItems(MethodView):
    @login_required
    @blp.arguments(NewActionItemSchema)
    @blp.response(201, ActionItemSchema)
    def post(self, data, session_id: int):
        """Add an action item to a session; its owner is notified."""
        session = get_session_or_404(current_user, session_id)
        return services.add_action_item(
            current_user,
            session,
            services.NewActionItem(data["description"], data["owner_id"], data.get("due_on")),
        )


@blp.route("/coaching/action-items")
class ActionItems(MethodView):
    @login_required
    @blp.arguments(ActionItemQuerySchema, location="query")
    @blp.response(200, ActionItemSchema(many=True))
    def get(self, args):
        """Action items you may see: by coalition, owner ('me' or an id) and status."""
        _require_coaching()
        coalition = (
            get_coalition_log_or_404(current_user, args["coalition"]) if args["coalition"] else None
        )
        owner = args["owner"]
        owner_id = current_user.id if owner == "me" else (int(owner) if owner else None)
        return queries.api_items(
            current_user, coalition=coalition, owner_id=owner_id, status=args["status"] or None
        )


@blp.route("/coaching/action-items/<int:item_id>")
class ActionItemResource(MethodView):
    @login_required
    @blp.response(200, ActionItemSchema)
    def get(self, item_id: int):
        """One action item."""
        return get_action_item_or_404(current_user, item_id)

    @login_required
    @blp.arguments(ActionItemUpdateSchema)
    @blp.response(200, ActionItemSchema)
    def patch(self, data, item_id: int):
        """Mark done, drop or reopen (owner, leads, coaches); change the rest (coaches)."""
        item = get_action_item_or_404(current_user, item_id)
        return services.update_action_item(
            current_user,
            item,
            status=data.get("status"),
            description=data.get("description"),
            owner_id=data.get("owner_id"),
            due_on=data.get("due_on", services.UNSET),
        )


@blp.route("/coaching/summary")
class Summary(MethodView):
    @login_required
    @blp.arguments(SummaryQuerySchema, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args):
        """A quarter's sessions and hours by modality and topic, per coalition (coaches:
        their coalitions; admins: all), coalitions not reached, action items opened and closed."""
        if not can_view_analysis(current_user):
            raise PermissionDenied("The coaching summary is for coaches and program staff.")
        quarter = analysis.Quarter.parse(args["quarter"]) or analysis.Quarter.containing(
            services.utcnow()
        )
        coalition = None
        if args["coalition"]:
            coalition = get_coalition_log_or_404(current_user, args["coalition"])
            if not can_log_for(current_user, coalition):
                abort(404)
        summary, _ = analysis.summary_for(current_user, quarter, coalition)
        return summary_payload(summary)


def _tallies(pairs) -> list[dict]:
    return [
        {"key": key, "label": label, "sessions": t.sessions, "hours": round(t.hours, 2)}
        for key, label, t in pairs
    ]


def summary_payload(summary: analysis.Summary) -> dict:
    from cop.coaching.models import MODALITY_LABELS

    modality_keys = {label: m.value for m, label in MODALITY_LABELS.items()}
    start, end = summary.quarter.bounds()
    return {
        "quarter": summary.quarter.key,
        "starts_at": start,
        "ends_at": end,
        "reporting_time_zone": analysis.reporting_tz_name(),
        "sessions": summary.total.sessions,
        "hours": round(summary.total.hours, 2),
        "coalitions_in_scope": len(summary.coalitions),
        "coalitions_reached": summary.reached_count,
        "not_reached": [c.slug for c in summary.not_reached],
        "action_items_opened": summary.items_opened,
        "action_items_done": summary.items_done,
        "action_items_dropped": summary.items_dropped,
        "by_modality": _tallies(
            (modality_keys[label], label, t) for label, t in summary.by_modality
        ),
        "by_topic": _tallies((label, label, t) for label, t in summary.by_topic),
        "coalitions": [
            {
                "slug": f.coalition.slug,
                "name": f.coalition.name,
                "sessions": f.total.sessions,
                "hours": round(f.total.hours, 2),
                "reached": f.reached,
                "action_items_opened": f.items_opened,
                "action_items_done": f.items_done,
                "action_items_dropped": f.items_dropped,
                "by_modality": _tallies(
                    (m, MODALITY_LABELS[m], t) for m, t in sorted(f.by_modality.items())
                ),
                "by_topic": _tallies((label, label, t) for label, t in sorted(f.by_topic.items())),
            }
            for f in summary.coalitions
        ],
    }
