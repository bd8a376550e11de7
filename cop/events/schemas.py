"""Events API schemas (OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cop.coalitions.models import Sector
from cop.coalitions.schemas import PersonSchema
from cop.events.models import (
    DESCRIPTION_MAX,
    LOCATION_MAX,
    MAX_CAPACITY,
    MAX_JOIN_OPENS_MINUTES,
    REASON_MAX,
    RULE_MAX,
    TITLE_MAX,
    URL_MAX,
    Audience,
    EventType,
    MarkKind,
    RegistrationStatus,
)

TYPES = [t.value for t in EventType]
AUDIENCES = [a.value for a in Audience]
SECTORS = [s.value for s in Sector]
STATUSES = [s.value for s in RegistrationStatus]
LOCAL_TIME = (
    "ISO 8601. With a UTC offset, or without one to mean the wall-clock time in `timezone`."
)


class SpeakerSchema(Schema):
    user_id = fields.Integer(allow_none=True)
    name = fields.String()
    organization = fields.String()


class OtherSpeakerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    organization = fields.String(load_default="", validate=validate.Length(max=200))


class MyRegistrationSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": STATUSES})
    waitlist_position = fields.Integer(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer()
    uid = fields.String(metadata={"description": "the iCalendar UID"})
    sequence = fields.Integer(metadata={"description": "the iCalendar SEQUENCE"})
    title = fields.String()
    description = fields.String(metadata={"description": "markdown"})
    description_html = fields.String()
    type = fields.String(metadata={"enum": TYPES})
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})
    cancel_reason = fields.String()
    starts_at = fields.DateTime(metadata={"description": "UTC"})
    ends_at = fields.DateTime(metadata={"description": "UTC"})
    timezone = fields.String(metadata={"description": "the organizer's IANA time zone"})
    location = fields.String()
    join_url = fields.String(
        allow_none=True,
        metadata={
            "description": "only for participants, from `join_opens_at` until the end; else null"
        },
    )
    join_opens_at = fields.DateTime()
    host = fields.Nested(PersonSchema, allow_none=True)
    speakers = fields.List(fields.Nested(SpeakerSchema))
    audience = fields.String(metadata={"enum": AUDIENCES})
    coalitions = fields.List(fields.String(), metadata={"description": "slugs"})
    sectors = fields.List(fields.String())
    capacity = fields.Integer(allow_none=True)
    seats_left = fields.Integer(allow_none=True)
    registered_count = fields.Integer()
    waitlist_count = fields.Integer()
    registration_deadline = fields.DateTime(allow_none=True)
    requires_approval = fields.Boolean()
    series_id = fields.Integer(allow_none=True)
    rrule = fields.String(allow_none=True, metadata={"description": "the series' RFC 5545 rule"})
    my_registration = fields.Nested(MyRegistrationSchema, allow_none=True)
    url = fields.String()
    ics_url = fields.String()
    live_url = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `after` for the next page"}
    )


class EventQuerySchema(Schema):
    type = fields.String(load_default="", validate=validate.OneOf(["", *TYPES]))
    sector = fields.String(load_default="", validate=validate.OneOf(["", *SECTORS]))
    coalition = fields.String(
        load_default="",
        validate=validate.Length(max=80),
        metadata={"description": "a coalition slug"},
    )
    mine = fields.Boolean(
        load_default=False, metadata={"description": "only events I host or registered for"}
    )
    start = fields.AwareDateTime(
        load_default=None,
        metadata={"description": "events ending after this (with a UTC offset); default: now"},
    )
    end = fields.AwareDateTime(
        load_default=None, metadata={"description": "events starting before this"}
    )
    after = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError("end must be after start.", "end")


class EventUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=TITLE_MAX))
    description = fields.String(validate=validate.Length(max=DESCRIPTION_MAX))
    type = fields.String(validate=validate.OneOf(TYPES))
    timezone = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "IANA name, e.g. America/Los_Angeles"},
    )
    starts_at = fields.DateTime(metadata={"description": LOCAL_TIME})
    ends_at = fields.DateTime(metadata={"description": LOCAL_TIME})
    location = fields.String(validate=validate.Length(max=LOCATION_MAX))
    join_url = fields.String(validate=validate.Length(max=URL_MAX))
    join_opens_minutes = fields.Integer(validate=validate.Range(0, MAX_JOIN_OPENS_MINUTES))
    host_id = fields.Integer(metadata={"description": "admins only; default: you"})
    speaker_ids = fields.List(fields.Integer())
    other_speakers = fields.List(fields.Nested(OtherSpeakerSchema))
    audience = fields.String(validate=validate.OneOf(AUDIENCES))
    coalitions = fields.List(fields.String(), metadata={"description": "slugs"})
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS)))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(1, MAX_CAPACITY))
    registration_deadline = fields.DateTime(allow_none=True, metadata={"description": LOCAL_TIME})
    requires_approval = fields.Boolean()
    scope = fields.String(
        load_default="one",
        validate=validate.OneOf(["one", "series"]),
        metadata={
            "description": "for a session of a series: this one only, or it and every later one"
        },
    )


class EventCreateSchema(EventUpdateSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    timezone = fields.String(required=True, validate=validate.Length(max=64))
    starts_at = fields.DateTime(required=True, metadata={"description": LOCAL_TIME})
    ends_at = fields.DateTime(required=True, metadata={"description": LOCAL_TIME})
    rrule = fields.String(
        load_default="",
        validate=validate.Length(max=RULE_MAX),
        metadata={
            "description": "an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10: creates a series"
        },
    )


class CancelSchema(Schema):
    scope = fields.String(load_default="one", validate=validate.OneOf(["one", "series"]))
    reason = fields.String(load_default="", validate=validate.Length(max=REASON_MAX))


class CancelResultSchema(Schema):
    cancelled = fields.List(fields.Integer(), metadata={"description": "event ids"})


class RegistrationSchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    user = fields.Nested(PersonSchema)
    email = fields.String()
    status = fields.String(metadata={"enum": STATUSES})
    queued_at = fields.DateTime(metadata={"description": "registered or requested at"})
    registered_at = fields.DateTime(allow_none=True)
    waitlist_position = fields.Integer(allow_none=True)
    joined_at = fields.DateTime(allow_none=True)
    attended = fields.Boolean(
        allow_none=True, metadata={"description": "the host's correction; null: as recorded"}
    )
    did_attend = fields.Boolean()
    attendance_source = fields.String(metadata={"description": "live_page, chat or host"})


class MyRegistrationResultSchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    status = fields.String(metadata={"enum": STATUSES})
    waitlist_position = fields.Integer(allow_none=True)


class RegistrationUpdateSchema(Schema):
    action = fields.String(validate=validate.OneOf(["approve", "decline"]))
    attended = fields.Boolean(allow_none=True)


class AttendeeSchema(Schema):
    user = fields.Nested(PersonSchema)
    attended = fields.Boolean()
    source = fields.String()
    joined_at = fields.DateTime(allow_none=True)


class AttendanceSchema(Schema):
    event_id = fields.Integer()
    registered = fields.Integer()
    attended = fields.Integer()
    people = fields.List(fields.Nested(AttendeeSchema))


class MarkSchema(Schema):
    message_id = fields.Integer()
    pin = fields.Boolean()
    question = fields.Boolean()


class MarkUpdateSchema(Schema):
    message_id = fields.Integer(required=True, strict=True)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in MarkKind]))
    on = fields.Boolean(load_default=True)
