"""PROXY_FIX (trust X-Forwarded-* from N proxies, off by default) and INSTANCE_NAME."""

from __future__ import annotations

import pytest
from flask import Flask, request

from cop import _init_deployment


def _app(**config) -> Flask:
    app = Flask("proxy-test")
    app.config.update(config)

    @app.get("/who")
    def who():
        return f"{request.remote_addr} {request.scheme} {request.host}"

    _init_deployment(app)
    return app


FORWARDED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "cop.example.org",
}


@pytest.mark.parametrize(
    ("hops", "expected"),
    [
        (0, "127.0.0.1 http localhost"),  # the default: headers ignored
        (1, "203.0.113.9 https cop.example.org"),  # behind nginx
    ],
)
def test_forwarded_headers_are_trusted_only_with_proxy_fix(hops, expected):
    client = _app(PROXY_FIX=hops).test_client()
    response = client.get("/who", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.text == expected
    assert "X-Cop-Instance" not in response.headers


def test_instance_name_header():
    response = _app(INSTANCE_NAME="app-a").test_client().get("/who")
    assert response.headers["X-Cop-Instance"] == "app-a"
