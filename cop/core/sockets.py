"""The default Socket.IO namespace: authenticated by the session cookie or an API token.

Feature namespaces (chat, notifications) follow the same rule in their own sockets.py.
"""

from __future__ import annotations

from flask import request
from flask_socketio import Namespace

from cop.extensions import socketio


def socket_user(auth: dict | None):
    """The user behind a Socket.IO connection: the login session, else `auth.token`."""
    from flask_login import current_user

    from cop.accounts.auth import user_for_api_token

    if current_user.is_authenticated and current_user.active:
        return current_user._get_current_object()
    token = auth.get("token") if isinstance(auth, dict) else None
    return user_for_api_token(token) if isinstance(token, str) else None


class RootNamespace(Namespace):
    def on_connect(self, auth=None):
        user = socket_user(auth)
        if user is None:
            return False
        # A private room per user: features emit to it (e.g. notification counts).
        from flask_socketio import join_room

        join_room(f"user:{user.id}", sid=request.sid)
        return True

    def on_ping(self, data=None):
        return {"ok": True}


def register() -> None:
    if not any(ns.namespace == "/" for ns in socketio.namespace_handlers):
        socketio.on_namespace(RootNamespace("/"))
