"""Logging in and out, with server-side session records and bearer tokens for the API.

The signed cookie holds only a random session token; the database keeps its hash.
Logging out deletes the row, so a copied cookie stops working at once.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, request, session
from flask_login import current_user, login_user, logout_user

from cop.accounts.models import ApiToken, User, UserSession
from cop.core.models import utcnow
from cop.core.security import hash_token, new_token
from cop.core.signals import login_session_ended
from cop.extensions import db, login_manager

# Do not write last_seen_at on every request: once per this interval is enough.
TOUCH_INTERVAL = timedelta(minutes=5)


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the server-side session row is the protection
    login_manager.user_loader(load_user_from_session)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized():
    from flask import abort, flash, redirect, url_for

    if request.path.startswith("/api/"):
        abort(401, description="Authentication required: send 'Authorization: Bearer <token>'.")
    flash(login_manager.login_message, "info")
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def load_user_from_session(token: str) -> User | None:
    # An API request that names a bearer token is about that token only: a session
    # cookie riding along must not stand in for a bad token (nor skip the CSRF check).
    if request.path.startswith("/api/") and bearer_token(request) is not None:
        return None
    return user_for_session_token(token)


def user_for_session_token(token: str | None) -> User | None:
    if not token:
        return None
    now = utcnow()
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(token), UserSession.expires_at > now)
    ).first()
    if row is None:
        return None
    user_session, user = row
    if not user.active:
        return None
    user.current_session_id = user_session.id
    user.current_token_id = None
    user.current_credential_expires_at = user_session.expires_at
    user._login_token = token
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        user_session.last_seen_at = now
        db.session.commit()
    return user


def load_user_from_request(req) -> User | None:
    """Bearer tokens authenticate API requests only."""
    if not req.path.startswith("/api/"):
        return None
    return user_for_api_token(bearer_token(req))


def bearer_token(req) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def user_for_api_token(raw: str | None) -> User | None:
    if not raw:
        return None
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
    ).scalar_one_or_none()
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        token.last_used_at = now
        db.session.commit()
    user = token.user
    user.current_token_id = token.id
    user.current_session_id = None
    user.current_credential_expires_at = token.expires_at
    return user


def login_limit() -> str:
    """How many failed logins an email (and an address) may have: LOGIN_FAILURE_LIMIT."""
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def login_ip_limit() -> str:
    """How many failed logins one IP address may have: LOGIN_IP_FAILURE_LIMIT (looser)."""
    return current_app.config.get("LOGIN_IP_FAILURE_LIMIT", "30 per 15 minutes")


def login_email_key() -> str:
    """Rate-limit key of a login attempt: the email tried, from the form or the JSON body.

    The login page and POST /api/v1/tokens share it (one scope), so the API is no way
    around the throttle of the page.
    """
    email = request.form.get("email")
    if email is None and request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email") if isinstance(data, dict) else None
    return "login-email:" + (email if isinstance(email, str) else "").strip().lower()[:254]


def start_session(user: User) -> str:
    """Open a new server-side session for the user and log them in on this request."""
    token = new_token()
    lifetime = timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"])
    record = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=utcnow() + lifetime,
        user_agent=(request.user_agent.string or "")[:255],
        ip=(request.remote_addr or "")[:64],
    )
    db.session.add(record)
    # Logging in again on a logged-in browser replaces its session rather than adding one.
    previous = getattr(current_user, "current_session_id", None)
    if previous is not None:
        db.session.execute(sa.delete(UserSession).where(UserSession.id == previous))
    user.last_login_at = utcnow()
    db.session.commit()
    session.clear()  # a new session at login: nothing from before carries over
    session.permanent = True
    user._login_token = token
    user.current_session_id = record.id
    user.current_credential_expires_at = record.expires_at
    login_user(user)
    return token


def end_session(user: User) -> None:
    if user.current_session_id is not None:
        # Chat (and any feature with live connections) drops that session's sockets now.
        login_session_ended.send(user, session_id=user.current_session_id)
        db.session.execute(sa.delete(UserSession).where(UserSession.id == user.current_session_id))
        db.session.commit()
    logout_user()
    session.clear()


def end_all_sessions(user: User, *, keep_session_id: int | None = None) -> None:
    """Delete the user's sessions (all but one, if given); the caller commits."""
    stmt = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session_id is not None:
        stmt = stmt.where(UserSession.id != keep_session_id)
    db.session.execute(stmt)
