"""Shapes of chat data: Socket.IO payload checks and the API's marshmallow schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cop.core.errors import ServiceError

# The fields each client event may carry. Anything else (author, seq, id, created_at...)
# is refused rather than ignored: the server alone sets those.
SOCKET_FIELDS = {
    "join": {"room_id"},
    "leave": {"room_id"},
    "send": {"room_id", "body", "client_id"},
    "edit": {"message_id", "body"},
    "delete": {"message_id"},
    "typing": {"room_id"},
    "read": {"room_id", "seq"},
    "presence": {"room_id"},
    "mute": {"room_id", "user_id", "minutes", "reason"},
    "unmute": {"room_id", "user_id"},
}


def socket_payload(event: str, data) -> dict:
    if not isinstance(data, dict):
        raise ServiceError(
            f"'{event}' expects an object like {{{', '.join(sorted(SOCKET_FIELDS[event]))}}}.",
            code="invalid",
        )
    unknown = sorted(set(data) - SOCKET_FIELDS[event])
    if unknown:
        raise ServiceError(
            f"Unknown field(s) in '{event}': {', '.join(map(str, unknown))[:200]}. "
            "The server sets ids, authors, seq and times itself.",
            code="invalid",
        )
    return data


class ChatPersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ChatMessageSchema(Schema):
    id = fields.Integer()
    room_id = fields.Integer()
    seq = fields.Integer(metadata={"description": "1, 2, 3... per room, no gaps"})
    client_id = fields.String()
    author = fields.Nested(ChatPersonSchema)
    body = fields.String(metadata={"description": "markdown source ('' once deleted)"})
    body_html = fields.String(metadata={"description": "sanitised HTML ('' once deleted)"})
    created_at = fields.String()
    edited_at = fields.String(allow_none=True)
    deleted = fields.Boolean()
    edit_seq = fields.Integer(allow_none=True)


class ChatRoomSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    last_seq = fields.Integer()
    last_edit_seq = fields.Integer()
    last_read_seq = fields.Integer()
    unread = fields.Integer()
    url = fields.String()


class ChatRoomRefSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    last_seq = fields.Integer()
    last_edit_seq = fields.Integer()


class ChatMessagesQuerySchema(Schema):
    after_seq = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "messages with seq > after_seq, ascending (catch-up)"},
    )
    before_seq = fields.Integer(
        validate=validate.Range(min=1),
        metadata={
            "description": "the `limit` messages just before before_seq, ascending (history)"
        },
    )
    edited_after = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "messages edited or deleted after this edit_seq"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ChatMessagesPageSchema(Schema):
    room = fields.Nested(ChatRoomRefSchema)
    messages = fields.List(fields.Nested(ChatMessageSchema))
    has_more = fields.Boolean()


class ChatNewMessageSchema(Schema):
    body = fields.String(required=True)
    client_id = fields.String(
        required=True,
        metadata={
            "description": "the client's idempotency key: the same value again returns the "
            "stored message"
        },
    )


class ChatEditMessageSchema(Schema):
    body = fields.String(required=True)


class ChatReadSchema(Schema):
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class ChatReadStateSchema(Schema):
    room_id = fields.Integer()
    last_read_seq = fields.Integer()
    unread = fields.Integer()


class ChatMuteSchema(Schema):
    user_id = fields.Integer(required=True, strict=True)
    minutes = fields.Integer(required=True, strict=True)
    reason = fields.String(load_default="")


class ChatMuteResultSchema(Schema):
    room_id = fields.Integer()
    user_id = fields.Integer()
    until = fields.String()


class ChatNewDirectSchema(Schema):
    user_ids = fields.List(
        fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=20)
    )
