"""One error format: JSON `{"error": {"code", "message"}}` under /api/, HTML pages elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}


class ServiceError(Exception):
    """A use case refused: carries a user-facing message and an HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if status:
            self.status = status
        if code:
            self.code = code


class PermissionDenied(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None, details=None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    if details:
        body["error"]["details"] = details
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cop"'
    return response


def _protocol_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """Headers the error carries besides its body (Allow on a 405, WWW-Authenticate...)."""
    return [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]


def _handle_http(exc: HTTPException):
    if exc.response is not None:  # abort(response): the response is already made
        return exc.response
    status = exc.code or 500
    if wants_json():
        details = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            details = data["messages"]
        message = exc.description or "Error"
        if status == 422:
            message = "The request body or query is invalid."
        response = api_error(status, message, details=details)
        response.headers.extend(_protocol_headers(exc))
        return response
    if isinstance(exc, CSRFError):
        message = "Your form expired or was sent from another site. Reload the page and try again."
    else:
        message = exc.description
    template = f"errors/{status}.html" if status in (403, 404, 429) else "errors/generic.html"
    body = render_template(template, status=status, title=exc.name, message=message)
    return body, status, _protocol_headers(exc)


def _handle_service(exc: ServiceError):
    if wants_json():
        details = {exc.field: [exc.message]} if exc.field else None
        return api_error(exc.status, exc.message, exc.code, details)
    return (
        render_template(
            "errors/generic.html", status=exc.status, title="Not done", message=exc.message
        ),
        exc.status,
    )


def _handle_out_of_range(exc: Exception):
    """A number too large for the database (SQLite raises OverflowError when binding it,
    PostgreSQL a DataError) or for date arithmetic comes from the request: 422, not 500."""
    from flask import current_app

    current_app.logger.warning("Out-of-range value in a request: %s", str(exc)[:200])
    message = "A value in the request is out of range."
    if wants_json():
        return api_error(422, message)
    return render_template(
        "errors/generic.html", status=422, title="Not done", message=message
    ), 422


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    return _handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(ServiceError, _handle_service)
    app.register_error_handler(OverflowError, _handle_out_of_range)
    app.register_error_handler(sa_exc.DataError, _handle_out_of_range)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
