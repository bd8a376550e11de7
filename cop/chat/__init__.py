"""Real-time chat: coalition, sector, lounge, direct-message and event rooms over Socket.IO
(/chat), with catch-up by seq over HTTP. Protocol: docs/chat-protocol.md."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from cop import add_background_task, add_nav_item
    from cop.chat import (
        access_log,
        models,  # noqa: F401 - the tables, for metadata and migrations
    )
    from cop.chat.api import blp as chat_api
    from cop.chat.cli import register_cli
    from cop.chat.connections import ChatState, access_watchdog
    from cop.chat.permissions import TEMPLATE_PREDICATES, can_use_chat
    from cop.chat.sockets import register as register_namespace
    from cop.chat.views import bp
    from cop.extensions import api, socketio

    app.register_blueprint(bp)
    api.register_blueprint(chat_api)
    app.extensions["chat"] = ChatState(app)
    access_log.watch_credentials()
    access_log.install()
    register_namespace()
    if socketio.server is not None:
        # Fit the Engine.IO packet limit to chat's largest legitimate message (the default
        # is 1 MB). Read per packet by python-engineio, so setting it here takes effect.
        socketio.server.eio.max_http_buffer_size = app.config.get(
            "SOCKETIO_MAX_HTTP_BUFFER_SIZE", 64 * 1024
        )
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    add_nav_item(app, "chat.index", "Chat", can_use_chat)
    add_background_task(app, access_watchdog)
    register_cli()
    _connect_logout_signal()


def _on_login_session_ended(sender, session_id=None, **extra) -> None:
    from cop.chat.connections import login_session_ended

    login_session_ended(session_id)


def _connect_logout_signal() -> None:
    from cop.core.signals import login_session_ended

    # Weak references would drop a module-level function only at shutdown; connect once.
    login_session_ended.connect(_on_login_session_ended)
