"""Expert directory API schemas (OpenAPI document)."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from cop.coalitions.models import STATES, Sector
from cop.coalitions.schemas import PersonSchema
from cop.experts.models import (
    BIO_MAX,
    CAPACITY_MAX,
    CHANGED_MAX,
    NAME_MAX,
    NEED_MAX,
    NOTE_MAX,
    ORG_MAX,
    TITLE_MAX,
    Availability,
    Helped,
    HelpMode,
    RequestState,
)

AVAILABILITIES = [a.value for a in Availability]
HELP_MODES = [m.value for m in HelpMode]
STATES_ENUM = [s.value for s in RequestState]
SECTORS = [s.value for s in Sector]


class ActivitySchema(Schema):
    events_spoken = fields.Integer(metadata={"description": "events spoken at (started)"})
    answers_accepted = fields.Integer(metadata={"description": "accepted forum answers"})
    connections_completed = fields.Integer()


class ExpertSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    initials = fields.String()
    organization = fields.String()
    title = fields.String()
    bio = fields.String(metadata={"description": "markdown"})
    bio_html = fields.String(metadata={"description": "sanitised HTML, rendered on save"})
    outside = fields.Boolean(
        attribute="is_outside", metadata={"description": "someone outside cop (no account)"}
    )
    topics = fields.Function(
        lambda p: [t.slug for t in p.topics], metadata={"description": "coaching topic slugs"}
    )
    tags = fields.List(fields.String())
    sectors = fields.List(fields.String())
    states = fields.List(fields.String())
    languages = fields.List(fields.String())
    help_modes = fields.List(fields.String(validate=validate.OneOf(HELP_MODES)))
    availability = fields.String(metadata={"enum": AVAILABILITIES})
    monthly_capacity = fields.Integer()
    url = fields.Function(lambda p: url_for("experts.profile", profile_id=p.id))


class CardSchema(Schema):
    expert = fields.Nested(ExpertSchema, attribute="profile")
    score = fields.Integer(metadata={"description": "relevance (docs/experts.md)"})
    activity = fields.Nested(ActivitySchema)
    at_capacity = fields.Boolean()
    takes_requests = fields.Boolean(
        metadata={"description": "members may ask directly (else only through a coach)"}
    )


class DirectoryPageSchema(Schema):
    items = fields.List(fields.Nested(CardSchema), attribute="cards")
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


class DirectoryQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    topic = fields.List(fields.String(validate=validate.Length(max=80)), load_default=list)
    tag = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    sector = fields.String(load_default="", validate=validate.OneOf(["", *SECTORS]))
    state = fields.String(load_default="", validate=validate.OneOf(["", *STATES]))
    availability = fields.String(load_default="", validate=validate.OneOf(["", *AVAILABILITIES]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


class ProfileInputSchema(Schema):
    """Fields left out keep their value (a new profile starts from the account's name)."""

    name = fields.String(validate=validate.Length(max=NAME_MAX))
    organization = fields.String(validate=validate.Length(max=ORG_MAX))
    title = fields.String(validate=validate.Length(max=TITLE_MAX))
    bio = fields.String(validate=validate.Length(max=BIO_MAX), metadata={"description": "markdown"})
    topics = fields.List(fields.String(), metadata={"description": "coaching topic slugs"})
    tags = fields.List(fields.String())
    sectors = fields.List(fields.String(validate=validate.OneOf(SECTORS)))
    states = fields.List(fields.String(validate=validate.OneOf(list(STATES))))
    languages = fields.List(fields.String())
    help_modes = fields.List(fields.String(validate=validate.OneOf(HELP_MODES)))
    availability = fields.String(validate=validate.OneOf(AVAILABILITIES))
    monthly_capacity = fields.Integer(validate=validate.Range(min=0, max=CAPACITY_MAX))


class ExpertBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    organization = fields.String()
    title = fields.String()
    outside = fields.Boolean(attribute="is_outside")
    url = fields.Function(lambda p: url_for("experts.profile", profile_id=p.id))


class ChangeSchema(Schema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    note = fields.String()
    actor = fields.Nested(PersonSchema, allow_none=True)
    created_at = fields.DateTime()


class RequestSchema(Schema):
    id = fields.Integer()
    expert = fields.Nested(ExpertBriefSchema, attribute="profile")
    coalition = fields.Function(lambda r: r.coalition.slug, metadata={"description": "slug"})
    requester = fields.Nested(PersonSchema, allow_none=True)
    on_behalf = fields.Boolean(metadata={"description": "a coach asked for the coalition"})
    need = fields.String()
    needed_by = fields.Date(allow_none=True)
    state = fields.String(metadata={"enum": STATES_ENUM})
    decline_note = fields.String()
    meeting_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    followup_helped = fields.String(allow_none=True)
    followup_changed = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))
    url = fields.Function(lambda r: url_for("experts.request_detail", request_id=r.id))


class RequestCreateSchema(Schema):
    coalition = fields.String(
        required=True,
        validate=validate.Length(min=1, max=80),
        metadata={"description": "the slug of the coalition"},
    )
    need = fields.String(required=True, validate=validate.Length(max=NEED_MAX))
    needed_by = fields.Date(load_default=None, allow_none=True)


class RequestUpdateSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(STATES_ENUM))
    note = fields.String(load_default="", validate=validate.Length(max=NOTE_MAX))
    meeting_on = fields.Date(load_default=None, allow_none=True)


class FollowUpSchema(Schema):
    helped = fields.String(required=True, validate=validate.OneOf([h.value for h in Helped]))
    changed = fields.String(load_default="", validate=validate.Length(max=CHANGED_MAX))


class RequestListSchema(Schema):
    made = fields.List(fields.Nested(RequestSchema))
    answering = fields.List(fields.Nested(RequestSchema))
    coalitions = fields.List(
        fields.Nested(RequestSchema),
        metadata={"description": "coaches: their coalitions' requests"},
    )
