from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    name = fields.String(load_default="", validate=validate.Length(max=80))


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "Shown once; send as 'Authorization: Bearer'"})


class MembershipSchema(Schema):
    slug = fields.String(attribute="coalition.slug")
    name = fields.String(attribute="coalition.name")
    is_lead = fields.Boolean()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    organization = fields.String()
    title = fields.String()
    timezone = fields.String()
    initials = fields.String()
    coalitions = fields.List(fields.Nested(MembershipSchema))
    coached_coalitions = fields.List(fields.String(), metadata={"description": "slugs"})
