"""Chat pages. Server-rendered first (history, sidebar, a form that posts without
JavaScript); static/js/chat.js takes over with the /chat socket."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.chat import queries, services
from cop.chat.forms import DeleteMessageForm, DirectForm, MessageForm
from cop.chat.models import ChatMessage
from cop.chat.permissions import (
    can_moderate_room,
    can_post_in_room,
    can_use_chat,
    get_room_or_404,
)
from cop.core.errors import ServiceError
from cop.extensions import db

bp = Blueprint("chat", __name__, url_prefix="/chat")
HISTORY_ON_PAGE = 50


def _rooms():
    if services.default_rooms_missing():
        services.ensure_default_rooms()
    return queries.rooms_for(current_user)


@bp.get("/")
@login_required
def index():
    if not can_use_chat(current_user):
        abort(404)
    return render_template("chat/index.html", rooms=_rooms(), current_room=None)


def _render_room(room, form: MessageForm, status: int = 200):
    rooms = _rooms()
    name = next((r.name for r in rooms if r.room.id == room.id), room.name)
    messages = queries.latest_messages(room, HISTORY_ON_PAGE)
    if not form.client_id.data:
        form.client_id.data = uuid.uuid4().hex
    return render_template(
        "chat/room.html",
        room=room,
        room_name=name,
        rooms=rooms,
        messages=messages,
        form=form,
        delete_form=DeleteMessageForm(),
        last_read_seq=queries.last_read_seq(current_user, room),
        can_post=can_post_in_room(current_user, room),
        can_moderate=can_moderate_room(current_user, room),
        max_body=current_app.config["CHAT_MAX_BODY"],
    ), status


@bp.get("/rooms/<int:room_id>")
@login_required
def room(room_id: int):
    return _render_room(get_room_or_404(current_user, room_id), MessageForm(formdata=None))


@bp.post("/rooms/<int:room_id>/messages")
@login_required
def send(room_id: int):
    """The no-JavaScript way to post (same service, same idempotency)."""
    room = get_room_or_404(current_user, room_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_room(room, form, 400)
    try:
        result = services.send_message(
            current_user, room.id, form.body.data, form.client_id.data or uuid.uuid4().hex
        )
    except ServiceError as exc:
        db.session.rollback()
        form.body.errors = [*form.body.errors, exc.message]
        return _render_room(room, form, exc.status)
    return redirect(
        url_for("chat.room", room_id=room.id, _anchor=f"message-{result.message.seq}"), code=303
    )


@bp.post("/messages/<int:message_id>/delete")
@login_required
def delete(message_id: int):
    if not DeleteMessageForm().validate_on_submit():
        abort(400)
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        abort(404)
    room = get_room_or_404(current_user, message.room_id)
    services.delete_message(current_user, message.id)
    flash("Message deleted.", "success")
    return redirect(url_for("chat.room", room_id=room.id), code=303)


@bp.route("/direct", methods=["GET", "POST"])
@login_required
def direct():
    """Find people and start a direct conversation (1:1 or a small group)."""
    q = (request.args.get("q") or "").strip()[:100]
    people = queries.people_to_message(current_user, q) if q or request.method == "POST" else []
    form = DirectForm()
    form.user_ids.choices = [
        (u.id, f"{u.name}, {u.organization}" if u.organization else u.name) for u in people
    ]
    if request.method == "POST":
        if form.validate_on_submit() and form.user_ids.data:
            room = services.get_or_create_dm(current_user, form.user_ids.data)
            return redirect(url_for("chat.room", room_id=room.id), code=303)
        flash("Choose at least one person.", "error")
        return redirect(url_for("chat.direct", q=q), code=303)
    return render_template(
        "chat/direct.html", q=q, people=people, form=form, rooms=_rooms(), current_room=None
    )
