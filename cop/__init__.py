"""cop: a community-of-practice platform for a national workforce program."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import ROOT, Config, load_config

__version__ = "0.1.0"

# Feature packages beyond accounts and coalitions. Each has `init_app(app)` in its
# __init__.py that imports its models and registers its blueprints, API, sockets, CLI,
# notification kinds and navigation entries. Order matters only for the navigation.
FEATURES = (
    "notifications",
    "forums",
    "chat",
    "events",
    "coaching",
    "experts",
    "reporting",
    "library",
    "commitments",
)


def create_app(config: Config | type | dict[str, Any] | str | None = None) -> Flask:
    """Build an app: config -> extensions -> blueprints -> sockets -> CLI -> errors -> templates."""
    cfg = _resolve_config(config)
    app = Flask(
        __name__,
        instance_path=cfg.get("INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(cfg)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_features(app)
    _register_sockets(app)
    _register_cli(app)
    _register_errors(app)
    _register_template_helpers(app)
    _init_deployment(app)
    return app


def _resolve_config(config) -> dict[str, Any]:
    if config is None or isinstance(config, str):
        config = load_config(config)
    elif isinstance(config, type):
        config = config()
    if isinstance(config, dict):
        base = {k: v for k, v in vars(load_config("development")).items() if k.isupper()}
        base.update(config)
        return base
    values = {k: getattr(config, k) for k in dir(config) if k.isupper()}
    return values


def _configure_logging(app: Flask) -> None:
    """INFO and above from cop's loggers reach stderr (mail in development goes there)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    level = app.config.get("LOG_LEVEL", "INFO")
    logging.getLogger("cop").setLevel(level)
    app.logger.setLevel(level)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, enforced foreign keys, wait instead of failing."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _init_extensions(app: Flask) -> None:
    from cop.accounts import auth
    from cop.core import security
    from cop.extensions import api, csrf, db, limiter, login_manager, migrate, socketio

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    auth.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config.get("SOCKETIO_CHANNEL", "cop-socketio"),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS", []),
        manage_session=False,
    )
    security.init_app(app)
    from cop.core.text import install_nul_guard

    install_nul_guard()
    _import_models()


def _import_models() -> None:
    """Every model module, so metadata (and migrations) see all tables."""
    import cop.accounts.models  # noqa: F401
    import cop.coalitions.models  # noqa: F401
    import cop.core.audit  # noqa: F401
    import cop.notifications.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from cop.accounts.api import blp as accounts_api
    from cop.accounts.views import bp as accounts_bp
    from cop.api import init_api
    from cop.coalitions.api import blp as coalitions_api
    from cop.coalitions.views import bp as coalitions_bp
    from cop.core.views import bp as core_bp
    from cop.extensions import api

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(coalitions_bp)
    init_api(app)
    api.register_blueprint(accounts_api)
    api.register_blueprint(coalitions_api)


def _register_features(app: Flask) -> None:
    import importlib
    import importlib.util

    app.extensions.setdefault("cop_nav", [])
    app.extensions.setdefault("cop_background_tasks", [])
    only = app.config.get("COP_FEATURES") or os.environ.get("COP_FEATURES")
    names = [n for n in FEATURES if not only or n in only.split(",")]
    for name in names:
        if importlib.util.find_spec(f"cop.{name}") is None:
            continue
        module = importlib.import_module(f"cop.{name}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)


def add_nav_item(app: Flask, endpoint: str, label: str, visible=None) -> None:
    """A primary-navigation entry; `visible(user) -> bool` decides who sees it."""
    app.extensions.setdefault("cop_nav", []).append((endpoint, label, visible))


def add_background_task(app: Flask, target) -> None:
    """A long-running task `target(app)` that `cop serve` starts in the same process."""
    app.extensions.setdefault("cop_background_tasks", []).append(target)


def _init_deployment(app: Flask) -> None:
    """Behind a reverse proxy (PROXY_FIX = trusted hops): client address, scheme and host
    from X-Forwarded-*; the outermost WSGI layer, so Socket.IO's handshake sees them too.
    INSTANCE_NAME: an X-Cop-Instance header naming the process (docs/deployment.md)."""
    hops = app.config.get("PROXY_FIX") or 0
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    name = app.config.get("INSTANCE_NAME")
    if name:

        @app.after_request
        def _instance_header(response):
            response.headers["X-Cop-Instance"] = name
            return response


def _register_sockets(app: Flask) -> None:
    from cop.core.sockets import register as register_core_sockets

    register_core_sockets()


def _register_cli(app: Flask) -> None:
    from cop.cli import cop_group

    app.cli.add_command(cop_group)


def _register_errors(app: Flask) -> None:
    from cop.core import errors

    errors.init_app(app)


def _register_template_helpers(app: Flask) -> None:
    from cop.core.templating import init_app

    init_app(app)
