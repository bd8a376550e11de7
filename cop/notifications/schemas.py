from __future__ import annotations

from marshmallow import Schema, fields, validate

from cop.notifications.kinds import Delivery

DELIVERIES = [d.value for d in Delivery]


class NotificationActorSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    excerpt = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "the local path of the thing it is about"})
    subject_type = fields.String()
    subject_id = fields.Integer(allow_none=True)
    actor = fields.Nested(NotificationActorSchema, allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read = fields.Function(lambda n: n.read_at is not None)


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(load_default=False)
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    next_cursor = fields.String(allow_none=True)
    unread_count = fields.Integer()


class NotificationUnreadCountSchema(Schema):
    unread_count = fields.Integer()


class NotificationMarkReadSchema(Schema):
    ids = fields.List(
        fields.Integer(),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "notification ids to mark read"},
    )
    all = fields.Boolean(load_default=False, metadata={"description": "mark every one read"})


class NotificationMarkReadResultSchema(NotificationUnreadCountSchema):
    marked = fields.Integer()


class NotificationKindPreferenceSchema(Schema):
    key = fields.String()
    label = fields.String()
    group = fields.String()
    default = fields.String(validate=validate.OneOf(DELIVERIES))
    delivery = fields.String(validate=validate.OneOf(DELIVERIES))


class NotificationPreferencesSchema(Schema):
    kinds = fields.List(fields.Nested(NotificationKindPreferenceSchema))
    digest_hour = fields.Integer(metadata={"description": "0-23, in `timezone`"})
    weekly_day = fields.Integer(metadata={"description": "0 Monday ... 6 Sunday"})
    timezone = fields.String(metadata={"description": "the user's time zone (profile)"})
    deliveries = fields.List(fields.String(), metadata={"description": "the possible values"})


class NotificationPreferencesUpdateSchema(Schema):
    kinds = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf(DELIVERIES)),
        load_default=dict,
        metadata={"description": 'kind key -> delivery, e.g. {"mention": "daily"}'},
    )
    digest_hour = fields.Integer(load_default=None, validate=validate.Range(min=0, max=23))
    weekly_day = fields.Integer(load_default=None, validate=validate.Range(min=0, max=6))
