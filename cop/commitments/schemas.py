"""Commitment API schemas (OpenAPI document)."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from cop.coalitions.models import STATES
from cop.commitments.models import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    NOTE_MAX,
    NUMBERS,
    ORG_NAME_MAX,
    PHONE_MAX,
    TITLE_MAX,
    Status,
)
from cop.commitments.services import DECISIONS, ORG_TYPES, SECTORS


def _number(key: str, description: str = "") -> fields.Integer:
    label, _, limit = NUMBERS[key]
    return fields.Integer(
        allow_none=True,
        load_default=None,
        strict=True,
        validate=validate.Range(0, limit, error=f"{label}: from 0 to {limit:,}."),
        metadata={
            "description": description or f"{label} (0 to {limit:,}); null if it does not apply"
        },
    )


class CommitmentProgressReportSchema(Schema):
    id = fields.Integer()
    reported_at = fields.DateTime()
    trained = fields.Integer(allow_none=True)
    hired = fields.Integer(allow_none=True)
    slots_filled = fields.Integer(allow_none=True)
    dollars_spent = fields.Integer(allow_none=True)


class PublicCommitmentSchema(Schema):
    """What everyone sees of an accepted commitment (no contact details)."""

    id = fields.Integer()
    org_name = fields.String()
    org_type = fields.String(metadata={"enum": ORG_TYPES})
    title = fields.String()
    description = fields.String(metadata={"description": "markdown"})
    description_html = fields.String()
    sectors = fields.List(fields.String(metadata={"enum": SECTORS}))
    states = fields.List(fields.String(), metadata={"description": "USPS codes"})
    people_to_train = fields.Integer(allow_none=True)
    people_to_hire = fields.Integer(allow_none=True)
    apprenticeship_slots = fields.Integer(allow_none=True)
    dollars = fields.Integer(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    accepted_at = fields.DateTime(allow_none=True)
    trained = fields.Integer(allow_none=True, metadata={"description": "latest report"})
    hired = fields.Integer(allow_none=True, metadata={"description": "latest report"})
    slots_filled = fields.Integer(allow_none=True, metadata={"description": "latest report"})
    dollars_spent = fields.Integer(allow_none=True, metadata={"description": "latest report"})
    last_report_at = fields.DateTime(allow_none=True)
    url = fields.Function(lambda c: url_for("commitments.detail", commitment_id=c.id))


class CommitmentSchema(PublicCommitmentSchema):
    """The full record: for admins and the user who submitted it."""

    status = fields.String(metadata={"enum": [s.value for s in Status]})
    contact_name = fields.String()
    contact_email = fields.String()
    contact_phone = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_message = fields.String()
    reports = fields.List(fields.Nested(CommitmentProgressReportSchema))


class CommitmentInputSchema(Schema):
    org_name = fields.String(required=True, validate=validate.Length(1, ORG_NAME_MAX))
    org_type = fields.String(required=True, validate=validate.OneOf(ORG_TYPES))
    title = fields.String(required=True, validate=validate.Length(1, TITLE_MAX))
    description = fields.String(
        required=True,
        validate=validate.Length(1, DESCRIPTION_MAX),
        metadata={"description": "markdown"},
    )
    sectors = fields.List(
        fields.String(validate=validate.OneOf(SECTORS)),
        required=True,
        validate=validate.Length(1, len(SECTORS)),
    )
    states = fields.List(
        fields.String(validate=validate.OneOf(sorted(STATES))),
        required=True,
        validate=validate.Length(1, len(STATES)),
    )
    people_to_train = _number("people_to_train")
    people_to_hire = _number("people_to_hire")
    apprenticeship_slots = _number("apprenticeship_slots")
    dollars = _number("dollars")
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    contact_name = fields.String(required=True, validate=validate.Length(1, NAME_MAX))
    contact_email = fields.String(required=True, validate=validate.Length(3, EMAIL_MAX))
    contact_phone = fields.String(load_default="", validate=validate.Length(0, PHONE_MAX))


class CommitmentListQuerySchema(Schema):
    sector = fields.String(load_default="", validate=validate.OneOf(["", *SECTORS]))
    state = fields.String(load_default="", validate=validate.OneOf(["", *sorted(STATES)]))
    org_type = fields.String(load_default="", validate=validate.OneOf(["", *ORG_TYPES]))
    after = fields.String(load_default=None, validate=validate.Length(max=500))


class CommitmentTotalsSchema(Schema):
    label = fields.String()
    count = fields.Integer()
    figures = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "pledged: people_to_train, people_to_hire, apprenticeship_slots, "
            "dollars; to date: trained, hired, slots_filled, dollars_spent"
        },
    )


class CommitmentPageSchema(Schema):
    items = fields.List(fields.Nested(PublicCommitmentSchema))
    next_cursor = fields.String(allow_none=True)
    totals = fields.Nested(CommitmentTotalsSchema, metadata={"description": "of the filtered set"})


class CommitmentAllTotalsSchema(Schema):
    overall = fields.Nested(CommitmentTotalsSchema)
    by_sector = fields.List(fields.Nested(CommitmentTotalsSchema))
    by_state = fields.List(fields.Nested(CommitmentTotalsSchema))


class CommitmentReviewQuerySchema(Schema):
    status = fields.String(
        load_default=Status.SUBMITTED.value, validate=validate.OneOf([s.value for s in Status])
    )


class CommitmentReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(list(DECISIONS)))
    message = fields.String(load_default="", validate=validate.Length(0, MESSAGE_MAX))


class CommitmentProgressInputSchema(Schema):
    token = fields.String(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={
            "description": "the signed token of the emailed link; not needed with a bearer token "
            "of the user who submitted the commitment"
        },
    )
    trained = _number("people_to_train", "people trained to date")
    hired = _number("people_to_hire", "people hired to date")
    slots_filled = _number("apprenticeship_slots", "apprenticeship slots filled to date")
    dollars_spent = _number("dollars", "dollars spent to date")
    note = fields.String(load_default="", validate=validate.Length(0, NOTE_MAX))
