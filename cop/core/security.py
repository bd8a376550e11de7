"""Tokens, safe redirects and response headers."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 digests: a leaked table grants nothing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_safe_next(target: str | None) -> bool:
    """Only local absolute paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def reject_nul_bytes():
    """No text input may hold a NUL byte: PostgreSQL refuses it (a 500), SQLite truncates it."""
    if "\x00" in request.path or _has_nul(list(request.args.items(multi=True))):
        abort(400, description="The request contains a NUL character.")
    if request.method in {"POST", "PUT", "PATCH"}:
        if request.mimetype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            if _has_nul(list(request.form.items(multi=True))):
                abort(400, description="The form contains a NUL character.")
        elif request.is_json and _has_nul(request.get_json(silent=True)):
            abort(400, description="The JSON body contains a NUL character.")
    return None


def init_app(app: Flask) -> None:
    app.before_request(reject_nul_bytes)
    app.after_request(set_security_headers)
