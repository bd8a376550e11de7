"""The JSON API under /api/v1: bearer tokens, one error format, an OpenAPI document."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from marshmallow import Schema, fields

from cop.accounts.auth import bearer_token
from cop.core.errors import api_error
from cop.extensions import csrf

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKENLESS_PATHS = {"/api/v1/tokens", "/api/v1/openapi.json"}

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "e.g. unauthorized, invalid"})
    message = fields.String(required=True, metadata={"description": "for people"})
    details = fields.Dict(metadata={"description": "per-field messages, when there are any"})


class ErrorSchema(Schema):
    """The one error format of the API (`cop.core.errors.api_error`)."""

    error = fields.Nested(ErrorBodySchema, required=True)


def init_api(app: Flask) -> None:
    from cop.extensions import api

    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.options["security"] = [{"bearerAuth": []}]
    # flask-smorest documents its own error body; document the one cop really sends.
    api.spec.components.schemas.pop("Error", None)
    api.spec.components.schema("Error", schema=ErrorSchema)

    @app.before_request
    def _api_guard():
        if not request.path.startswith("/api/"):
            return None
        # A token that does not work is a 401 even where no token is needed (public reads):
        # the caller should know, rather than silently see only what is public. Asking for
        # a new token and reading the API's description stay open.
        if (
            bearer_token(request) is not None
            and not current_user.is_authenticated
            and request.path not in TOKENLESS_PATHS
        ):
            return api_error(401, "The token is invalid, expired or revoked.", "unauthorized")
        # A bearer token is not sent by browsers on their own: no CSRF check needed.
        # A session cookie is: a state change made with it needs the CSRF header.
        unsafe = request.method not in SAFE_METHODS
        if unsafe and bearer_token(request) is None and current_user.is_authenticated:
            csrf.protect()
        sends_body = request.method in {"POST", "PUT", "PATCH"} and request.content_length
        if sends_body and not request.is_json:
            return api_error(415, "Send JSON with Content-Type: application/json.")
        return None


def exempt_from_form_csrf(blueprint) -> None:
    csrf.exempt(blueprint)
