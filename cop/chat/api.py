"""Chat over HTTP: the room list, catch-up by seq, and the same send as the socket."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from cop.api import exempt_from_form_csrf
from cop.chat import events, queries, services
from cop.chat.permissions import get_room_or_404
from cop.chat.schemas import (
    ChatEditMessageSchema,
    ChatMessageSchema,
    ChatMessagesPageSchema,
    ChatMessagesQuerySchema,
    ChatMuteResultSchema,
    ChatMuteSchema,
    ChatNewDirectSchema,
    ChatNewMessageSchema,
    ChatReadSchema,
    ChatReadStateSchema,
    ChatRoomSchema,
)
from cop.core.errors import ServiceError

blp = Blueprint("chat_api", __name__, url_prefix="/api/v1", description="Chat")
exempt_from_form_csrf(blp)


def _room_row(row: queries.RoomRow) -> dict:
    room = row.room
    return {
        "id": room.id,
        "kind": room.kind,
        "name": row.name,
        "last_seq": room.last_seq,
        "last_edit_seq": room.last_edit_seq,
        "last_read_seq": row.last_read_seq,
        "unread": row.unread,
        "url": url_for("chat.room", room_id=room.id),
    }


@blp.route("/rooms")
class Rooms(MethodView):
    @login_required
    @blp.response(200, ChatRoomSchema(many=True))
    def get(self):
        """Your rooms, with the last seq, your read position and unread count of each."""
        if services.default_rooms_missing():
            services.ensure_default_rooms()
        return [_room_row(row) for row in queries.rooms_for(current_user)]


@blp.route("/rooms/<int:room_id>/messages")
class RoomMessages(MethodView):
    @login_required
    @blp.arguments(ChatMessagesQuerySchema, location="query")
    @blp.response(200, ChatMessagesPageSchema)
    def get(self, args, room_id: int):
        """Catch up (after_seq), page back (before_seq) or fetch edits (edited_after).

        Ascending, at most 500 a page; deleted messages come as tombstones, so seq has no
        gaps. `has_more` says another page follows in the same direction."""
        room = get_room_or_404(current_user, room_id)
        limit = min(args["limit"], current_app.config["CHAT_HISTORY_PAGE_MAX"])
        given = [k for k in ("after_seq", "before_seq", "edited_after") if k in args]
        if len(given) > 1:
            raise ServiceError(
                "Give one of after_seq, before_seq or edited_after.", status=422, code="invalid"
            )
        if "before_seq" in args:
            rows = queries.messages_before(room, args["before_seq"], limit + 1)
            has_more, rows = len(rows) > limit, rows[-limit:]
        elif "edited_after" in args:
            rows = queries.messages_edited_after(room, args["edited_after"], limit + 1)
            has_more, rows = len(rows) > limit, rows[:limit]
        else:
            rows = queries.messages_after(room, args.get("after_seq", 0), limit + 1)
            has_more, rows = len(rows) > limit, rows[:limit]
        return {
            "room": {
                "id": room.id,
                "kind": room.kind,
                "name": queries.room_name_for(current_user, room),
                "last_seq": room.last_seq,
                "last_edit_seq": room.last_edit_seq,
            },
            "messages": [events.message_payload(m) for m in rows],
            "has_more": has_more,
        }

    @login_required
    @blp.arguments(ChatNewMessageSchema)
    @blp.response(201, ChatMessageSchema)
    @blp.alt_response(
        200,
        schema=ChatMessageSchema,
        description="The same client_id again: the "
        "message stored the first time, nothing new created",
    )
    def post(self, data, room_id: int):
        """Send a message: same rules and idempotency (client_id) as the socket's send."""
        result = services.send_message(current_user, room_id, data["body"], data["client_id"])
        return result.as_payload(), 201 if result.created else 200


@blp.route("/rooms/<int:room_id>/read")
class RoomRead(MethodView):
    @login_required
    @blp.arguments(ChatReadSchema)
    @blp.response(200, ChatReadStateSchema)
    def post(self, data, room_id: int):
        """Mark the room read up to seq (never moves backwards)."""
        return services.mark_read(current_user, room_id, data["seq"])


@blp.route("/rooms/<int:room_id>/mutes")
class RoomMutes(MethodView):
    @login_required
    @blp.arguments(ChatMuteSchema)
    @blp.response(201, ChatMuteResultSchema)
    def post(self, data, room_id: int):
        """Moderators: mute someone in the room for some minutes (audit-logged)."""
        mute = services.mute_user(
            current_user, room_id, data["user_id"], data["minutes"], data["reason"]
        )
        return {"room_id": mute.room_id, "user_id": mute.user_id, "until": events.iso(mute.until)}


@blp.route("/rooms/<int:room_id>/mutes/<int:user_id>")
class RoomMute(MethodView):
    @login_required
    @blp.response(204)
    def delete(self, room_id: int, user_id: int):
        """Moderators: lift a mute."""
        services.unmute_user(current_user, room_id, user_id)


@blp.route("/messages/<int:message_id>")
class Message(MethodView):
    @login_required
    @blp.arguments(ChatEditMessageSchema)
    @blp.response(200, ChatMessageSchema)
    def patch(self, data, message_id: int):
        """Edit your own message."""
        return events.message_payload(services.edit_message(current_user, message_id, data["body"]))

    @login_required
    @blp.response(200, ChatMessageSchema)
    def delete(self, message_id: int):
        """Delete your own message (moderators: any in their rooms)."""
        return events.message_payload(services.delete_message(current_user, message_id))


@blp.route("/dms")
class DirectMessages(MethodView):
    @login_required
    @blp.arguments(ChatNewDirectSchema)
    @blp.response(200, ChatRoomSchema)
    def post(self, data):
        """The direct-message room with these people (created the first time)."""
        room = services.get_or_create_dm(current_user, data["user_ids"])
        row = queries.RoomRow(
            room,
            queries.room_name_for(current_user, room),
            queries.last_read_seq(current_user, room),
        )
        return _room_row(row)
