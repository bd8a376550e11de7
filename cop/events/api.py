"""Events endpoints: list (filters, date range), one event, create/update/cancel (hosts and
admins), register/cancel, registrations and attendance (hosts), the host's chat marks.

The same predicates as the pages: an event one may not see is a 404, the video-call link
is null unless one is a participant and the live page is open."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, url_for
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.coalitions.models import Coalition
from cop.core.errors import PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.events import live, queries, registrations, services
from cop.events.models import Event, Registration
from cop.events.permissions import (
    can_create_events,
    can_see_join_link,
    can_use_events,
    get_event_or_404,
    registration_of,
)
from cop.events.schemas import (
    AttendanceSchema,
    CancelResultSchema,
    CancelSchema,
    EventCreateSchema,
    EventPageSchema,
    EventQuerySchema,
    EventSchema,
    EventUpdateSchema,
    MarkSchema,
    MarkUpdateSchema,
    MyRegistrationResultSchema,
    RegistrationSchema,
    RegistrationUpdateSchema,
)
from cop.extensions import db

blp = Blueprint(
    "events_api",
    __name__,
    url_prefix="/api/v1",
    description="Events: calendars, registrations, attendance",
)
exempt_from_form_csrf(blp)


def _require_events() -> None:
    if not can_use_events(current_user):
        abort(404)


def event_payload(
    event: Event, registration: Registration | None = None, *, mine: bool = True
) -> dict[str, Any]:
    """An event as the current user may see it."""
    now = utcnow()
    if mine:
        registration = registration or registration_of(current_user, event)
    reg = None
    if registration is not None:
        reg = {
            "id": registration.id,
            "status": registration.status,
            "waitlist_position": registrations.waitlist_position(registration)
            if registration.status == "waitlisted"
            else None,
        }
    return {
        "id": event.id,
        "uid": event.uid,
        "sequence": event.sequence,
        "title": event.title,
        "description": event.description,
        "description_html": event.description_html,
        "type": event.type,
        "status": event.status,
        "cancel_reason": event.cancel_reason,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "location": event.location,
        "join_url": event.join_url if can_see_join_link(current_user, event, now) else None,
        "join_opens_at": event.opens_at,
        "host": event.host,
        "speakers": [
            {"user_id": s.user_id, "name": s.name, "organization": s.organization}
            for s in event.speakers
        ],
        "audience": event.audience,
        "coalitions": [c.slug for c in event.coalitions],
        "sectors": event.sectors,
        "capacity": event.capacity,
        "seats_left": event.seats_left,
        "registered_count": event.registered_count,
        "waitlist_count": event.waitlist_count,
        "registration_deadline": event.registration_deadline,
        "requires_approval": event.requires_approval,
        "series_id": event.series_id,
        "rrule": event.series.rrule if event.series_id else None,
        "my_registration": reg,
        "url": url_for("events.detail", event_id=event.id),
        "ics_url": url_for("events.event_ics", event_id=event.id),
        "live_url": url_for("events.live_page", event_id=event.id),
        "created_at": event.created_at,
        "updated_at": event.updated_at,
    }


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """API fields as the services take them (coalition slugs to ids)."""
    values = dict(data)
    values.pop("scope", None)
    if "coalitions" in values:
        slugs = values.pop("coalitions") or []
        found = dict(
            db.session.execute(
                sa.select(Coalition.slug, Coalition.id).where(Coalition.slug.in_(slugs))
            ).all()
        )
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ServiceError(f"No coalition {missing[0]!r}.", code="invalid", field="coalitions")
        values["coalition_ids"] = [found[s] for s in slugs]
    if "other_speakers" in values:
        values["other_speakers"] = list(values["other_speakers"] or [])
    return values


@blp.route("/events")
class Events(MethodView):
    @login_required
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args):
        """Events you may see that end after `start` (default: now), soonest first;
        filter by type, sector, coalition, `end`, and `mine`."""
        _require_events()
        filters = queries.Filters(
            type=args["type"],
            sector=args["sector"],
            coalition=args["coalition"],
            mine=args["mine"],
            end=args["end"],
        )
        page = queries.upcoming_page(
            current_user,
            filters,
            after=args["after"],
            now=args["start"] or utcnow(),
            limit=args["limit"],
        )
        regs = queries.registrations_by_event(current_user, [e.id for e in page.items])
        return {
            "items": [event_payload(e, regs.get(e.id), mine=False) for e in page.items],
            "next_cursor": page.next_cursor,
        }

    @login_required
    @blp.arguments(EventCreateSchema)
    @blp.response(201, EventSchema)
    @blp.alt_response(403, description="Not an admin or coach")
    def post(self, data):
        """Create an event (admins and coaches); with `rrule`, a series (the first session
        is returned)."""
        _require_events()
        if not can_create_events(current_user):
            raise PermissionDenied("Only admins and coaches create events.")
        return event_payload(services.create_event(current_user, _values(data)))


@blp.route("/events/<int:event_id>")
class EventItem(MethodView):
    @login_required
    @blp.response(200, EventSchema)
    def get(self, event_id: int):
        """One event."""
        return event_payload(get_event_or_404(current_user, event_id))

    @login_required
    @blp.arguments(EventUpdateSchema)
    @blp.response(200, EventSchema)
    def patch(self, data, event_id: int):
        """Change an event (its host and admins); `scope: series` changes every later
        session of its series too."""
        event = get_event_or_404(current_user, event_id)
        services.update_event(current_user, event, _values(data), scope=data.get("scope", "one"))
        return event_payload(event)


@blp.route("/events/<int:event_id>/cancel")
class EventCancel(MethodView):
    @login_required
    @blp.arguments(CancelSchema)
    @blp.response(200, CancelResultSchema)
    def post(self, data, event_id: int):
        """Cancel an event, or every session of its series still to come (`scope: series`).
        Registrants are told; feeds publish STATUS:CANCELLED."""
        event = get_event_or_404(current_user, event_id)
        cancelled = services.cancel_event(
            current_user, event, scope=data["scope"], reason=data["reason"]
        )
        return {"cancelled": [e.id for e in cancelled]}


def _mine(registration: Registration) -> dict[str, Any]:
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "status": registration.status,
        "waitlist_position": registrations.waitlist_position(registration),
    }


@blp.route("/events/<int:event_id>/registration")
class MyRegistration(MethodView):
    @login_required
    @blp.response(201, MyRegistrationResultSchema)
    @blp.alt_response(409, description="Already registered, closed, cancelled or over")
    def post(self, event_id: int):
        """Register: a seat, the waitlist when full, or a request when the host approves."""
        event = get_event_or_404(current_user, event_id)
        return _mine(registrations.register(current_user, event))

    @login_required
    @blp.response(200, MyRegistrationResultSchema)
    def delete(self, event_id: int):
        """Cancel my registration; the next person on the waitlist gets the seat."""
        event = get_event_or_404(current_user, event_id)
        return _mine(registrations.cancel_registration(current_user, event))


def _managed(event_id: int) -> Event:
    from cop.events.permissions import can_manage_event

    event = get_event_or_404(current_user, event_id)
    if not can_manage_event(current_user, event):
        raise PermissionDenied("Only the event's host and admins see its registrations.")
    return event


def _registration_row(registration: Registration, position: int | None) -> dict[str, Any]:
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "user": registration.user,
        "email": registration.user.email,
        "status": registration.status,
        "queued_at": registration.queued_at,
        "registered_at": registration.registered_at,
        "waitlist_position": position,
        "joined_at": registration.joined_at,
        "attended": registration.attended,
        "did_attend": registration.did_attend,
        "attendance_source": registration.attendance_source,
    }


@blp.route("/events/<int:event_id>/registrations")
class Registrations(MethodView):
    @login_required
    @blp.response(200, RegistrationSchema(many=True))
    def get(self, event_id: int):
        """Everyone registered (hosts and admins): seats, then the waitlist in order, then
        requests and declined."""
        rows, position = [], 0
        for r in queries.registrations_of(_managed(event_id)):
            position += r.status == "waitlisted"
            rows.append(_registration_row(r, position if r.status == "waitlisted" else None))
        return rows


@blp.route("/events/<int:event_id>/registrations/<int:registration_id>")
class RegistrationItem(MethodView):
    @login_required
    @blp.arguments(RegistrationUpdateSchema)
    @blp.response(200, RegistrationSchema)
    def patch(self, data, event_id: int, registration_id: int):
        """Approve or decline (`action`), or correct attendance (`attended`: true, false,
        or null for as recorded)."""
        event = _managed(event_id)
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            abort(404)
        if data.get("action") == "approve":
            registrations.approve(current_user, registration)
        elif data.get("action") == "decline":
            registrations.decline(current_user, registration)
        if "attended" in data:
            registrations.set_attendance(current_user, registration, data["attended"])
        return _registration_row(registration, registrations.waitlist_position(registration))


@blp.route("/events/<int:event_id>/attendance")
class Attendance(MethodView):
    @login_required
    @blp.response(200, AttendanceSchema)
    def get(self, event_id: int):
        """Who attended (hosts and admins): recorded from the live page and the chat, as
        corrected by the host."""
        event = _managed(event_id)
        seated = [r for r in queries.registrations_of(event) if r.has_seat]
        people = [
            {
                "user": r.user,
                "attended": r.did_attend,
                "source": r.attendance_source,
                "joined_at": r.joined_at,
            }
            for r in seated
        ]
        return {
            "event_id": event.id,
            "registered": len(seated),
            "attended": sum(p["attended"] for p in people),
            "people": people,
        }


@blp.route("/events/<int:event_id>/chat-marks")
class ChatMarks(MethodView):
    @login_required
    @blp.response(200, MarkSchema(many=True))
    def get(self, event_id: int):
        """The host's pins and questions in the event's chat (participants)."""
        from cop.events.permissions import is_participant

        event = get_event_or_404(current_user, event_id)
        if not is_participant(current_user, event):
            raise PermissionDenied("The live event is for its registrants.")
        return live.marks_payload(event)

    @login_required
    @blp.arguments(MarkUpdateSchema)
    @blp.response(200, MarkSchema(many=True))
    def post(self, data, event_id: int):
        """Pin or unpin a message, mark or unmark a question for the speakers (the host)."""
        event = get_event_or_404(current_user, event_id)
        return live.set_mark(current_user, event, data["message_id"], data["kind"], data["on"])
