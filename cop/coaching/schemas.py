"""Coaching API schemas (OpenAPI document)."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from cop.coaching.models import (
    DESCRIPTION_MAX,
    OTHER_ATTENDEES_MAX,
    TEXT_MAX,
    Initiator,
    ItemStatus,
    Modality,
)
from cop.coalitions.schemas import PersonSchema

MODALITIES = [m.value for m in Modality]
INITIATORS = [i.value for i in Initiator]
STATUSES = [s.value for s in ItemStatus]


class ActionItemSchema(Schema):
    id = fields.Integer()
    session_id = fields.Integer()
    coalition = fields.Function(lambda i: i.coalition.slug, metadata={"description": "slug"})
    description = fields.String()
    owner = fields.Nested(PersonSchema)
    due_on = fields.Date(allow_none=True)
    status = fields.String(metadata={"enum": STATUSES})
    closed_at = fields.DateTime(
        allow_none=True, metadata={"description": "when it was marked done or dropped"}
    )
    closed_by = fields.Nested(PersonSchema, allow_none=True)
    created_at = fields.DateTime()
    url = fields.Function(
        lambda i: url_for("coaching.session_detail", session_id=i.session_id) + f"#item-{i.id}"
    )


class SessionSchema(Schema):
    id = fields.Integer()
    coalition = fields.Function(lambda s: s.coalition.slug, metadata={"description": "slug"})
    coalition_name = fields.Function(lambda s: s.coalition.name)
    started_at = fields.DateTime(metadata={"description": "UTC"})
    duration_minutes = fields.Integer()
    modality = fields.String(metadata={"enum": MODALITIES})
    initiated_by = fields.String(metadata={"enum": INITIATORS})
    coaches = fields.List(fields.Nested(PersonSchema))
    attendees = fields.List(fields.Nested(PersonSchema))
    other_attendees = fields.String()
    topics = fields.Function(
        lambda s: [t.slug for t in s.topics], metadata={"description": "topic slugs"}
    )
    need = fields.String()
    summary = fields.String(metadata={"description": "markdown"})
    summary_html = fields.String()
    outcome = fields.String(metadata={"description": "markdown"})
    outcome_html = fields.String()
    next_session_on = fields.Date(allow_none=True)
    private_notes = fields.String(
        metadata={
            "description": "Only for the coalition's coaches and admins; absent for everyone else"
        }
    )
    action_items = fields.List(fields.Nested(ActionItemSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    url = fields.Function(lambda s: url_for("coaching.session_detail", session_id=s.id))


class SessionPageSchema(Schema):
    items = fields.List(fields.Nested(SessionSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `after` for the next page"}
    )


class SessionQuerySchema(Schema):
    coalition = fields.String(load_default="", validate=validate.Length(max=80))
    topic = fields.String(load_default="", validate=validate.Length(max=80))
    q = fields.String(load_default="", validate=validate.Length(max=100))
    after = fields.String(load_default=None, validate=validate.Length(max=500))


class NewActionItemSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=DESCRIPTION_MAX))
    owner_id = fields.Integer(required=True)
    due_on = fields.Date(load_default=None, allow_none=True)


class SessionUpdateSchema(Schema):
    started_at = fields.AwareDateTime(metadata={"description": "with a UTC offset"})
    duration_minutes = fields.Integer(metadata={"description": "1 to 1440"})
    modality = fields.String(validate=validate.OneOf(MODALITIES))
    initiated_by = fields.String(validate=validate.OneOf(INITIATORS))
    coach_ids = fields.List(fields.Integer())
    attendee_ids = fields.List(fields.Integer())
    other_attendees = fields.String(validate=validate.Length(max=OTHER_ATTENDEES_MAX))
    topics = fields.List(fields.String(), metadata={"description": "topic slugs"})
    need = fields.String(validate=validate.Length(max=TEXT_MAX))
    summary = fields.String(validate=validate.Length(max=TEXT_MAX))
    outcome = fields.String(validate=validate.Length(max=TEXT_MAX))
    next_session_on = fields.Date(allow_none=True)
    private_notes = fields.String(validate=validate.Length(max=TEXT_MAX))
    action_items = fields.List(
        fields.Nested(NewActionItemSchema),
        load_default=list,
        metadata={"description": "new action items to add"},
    )
    close_item_ids = fields.List(
        fields.Integer(),
        load_default=list,
        metadata={"description": "open items of the coalition to mark done"},
    )


class SessionCreateSchema(SessionUpdateSchema):
    coalition = fields.String(required=True, metadata={"description": "slug"})
    started_at = fields.AwareDateTime(required=True, metadata={"description": "with a UTC offset"})
    duration_minutes = fields.Integer(required=True)
    modality = fields.String(required=True, validate=validate.OneOf(MODALITIES))
    initiated_by = fields.String(load_default="coach", validate=validate.OneOf(INITIATORS))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    coach_ids = fields.List(
        fields.Integer(), metadata={"description": "defaults to you, when you are a coach"}
    )


class ActionItemQuerySchema(Schema):
    coalition = fields.String(load_default="", validate=validate.Length(max=80))
    owner = fields.String(
        load_default="",
        metadata={"description": "'me' or a user id"},
        validate=validate.Regexp(r"^(|me|\d{1,10})$"),
    )
    status = fields.String(load_default="open", validate=validate.OneOf(["", *STATUSES]))


class ActionItemUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    description = fields.String(validate=validate.Length(min=1, max=DESCRIPTION_MAX))
    owner_id = fields.Integer()
    due_on = fields.Date(allow_none=True)


class SummaryQuerySchema(Schema):
    quarter = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(|\d{4}-?Q[1-4])$"),
        metadata={"description": "e.g. 2026Q1; default: the current one"},
    )
    coalition = fields.String(load_default="", validate=validate.Length(max=80))


class TallySchema(Schema):
    key = fields.String()
    label = fields.String()
    sessions = fields.Integer()
    hours = fields.Float()


class CoalitionFiguresSchema(Schema):
    slug = fields.String()
    name = fields.String()
    sessions = fields.Integer()
    hours = fields.Float()
    reached = fields.Boolean()
    action_items_opened = fields.Integer()
    action_items_done = fields.Integer()
    action_items_dropped = fields.Integer()
    by_modality = fields.List(fields.Nested(TallySchema))
    by_topic = fields.List(fields.Nested(TallySchema))


class SummarySchema(Schema):
    quarter = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(metadata={"description": "exclusive"})
    reporting_time_zone = fields.String()
    sessions = fields.Integer()
    hours = fields.Float()
    coalitions_in_scope = fields.Integer()
    coalitions_reached = fields.Integer()
    not_reached = fields.List(fields.String(), metadata={"description": "slugs"})
    action_items_opened = fields.Integer()
    action_items_done = fields.Integer()
    action_items_dropped = fields.Integer()
    by_modality = fields.List(fields.Nested(TallySchema))
    by_topic = fields.List(fields.Nested(TallySchema))
    coalitions = fields.List(fields.Nested(CoalitionFiguresSchema))
