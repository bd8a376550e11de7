from __future__ import annotations

from marshmallow import Schema, fields, validate

from cop.coalitions.models import STATES, Sector, Track


class CoalitionQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    state = fields.String(load_default="", validate=validate.OneOf(["", *STATES]))
    sector = fields.String(
        load_default="", validate=validate.OneOf(["", *[s.value for s in Sector]])
    )
    track = fields.String(load_default="", validate=validate.OneOf(["", *[t.value for t in Track]]))


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    organization = fields.String()
    title = fields.String()


class CoalitionSchema(Schema):
    slug = fields.String()
    name = fields.String()
    lead_organization = fields.String()
    track = fields.String()
    states = fields.List(fields.String(), attribute="state_codes")
    sectors = fields.List(fields.String(), attribute="sector_codes")
    partners = fields.List(fields.String())
    member_count = fields.Integer()
    url = fields.String()


class CoalitionDetailSchema(CoalitionSchema):
    description_html = fields.String()
    members = fields.List(fields.Nested(PersonSchema))
    leads = fields.List(fields.Integer(), metadata={"description": "user ids of the leads"})
    coaches = fields.List(fields.Nested(PersonSchema))
