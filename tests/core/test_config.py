"""Settings: defaults, the instance folder, secrets, production guards, database URLs.

`separate_app` builds a second app in this process without disturbing the session `app`
fixture: `create_app` re-binds the module-level extensions (Socket.IO server, limiter,
API spec), so their state is saved first and put back afterwards.
"""

from __future__ import annotations

import copy
import stat
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from config import (
    Config,
    ProductionConfig,
    TestConfig,
    dev_secret_key,
    load_config,
    normalise_database_url,
)

APP_ENV = (
    "SECRET_KEY",
    "DATABASE_URL",
    "TEST_DATABASE_URL",
    "COP_ENV",
    "SESSION_COOKIE_SECURE",
    "SOCKETIO_ASYNC_MODE",
    "REDIS_URL",
)


def _rebound_extensions():
    """The extensions whose state `init_app` replaces: Socket.IO, the limiter, the API."""
    from cop.extensions import api, limiter, socketio

    return (api, limiter, socketio)


def _snapshot(obj) -> dict:
    return {
        k: copy.copy(v) if isinstance(v, dict | list | set) else v for k, v in vars(obj).items()
    }


@contextmanager
def build_separate_app(config=TestConfig):
    """A second app (its config read from the environment now); extension state restored.

    Use it through the `separate_app` fixture, after the session app exists: what is
    restored is the state the session app left, import-time registrations included.
    """
    from cop import create_app
    from cop.extensions import db, socketio

    saved = [(ext, _snapshot(ext)) for ext in _rebound_extensions()]
    namespaces = [(ns, getattr(ns, "server", None)) for ns in socketio.namespace_handlers]
    other = None
    try:
        other = create_app(config)
        yield other
    finally:
        if other is not None:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
        for ext, state in saved:
            vars(ext).clear()
            vars(ext).update(state)
        for ns, server in namespaces:
            ns.server = server


@pytest.fixture
def separate_app(app):
    """separate_app(ConfigClass) -> context manager yielding a second, self-contained app."""
    return build_separate_app


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No app setting from the outer environment; a fresh instance folder."""
    for name in APP_ENV:
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("COP_INSTANCE_PATH", str(instance))
    return instance


# ---------------------------------------------------------------- defaults


def test_default_database_is_an_sqlite_file_under_the_instance_path(clean_env):
    cfg = Config()
    folder = clean_env.resolve()
    assert str(folder) == cfg.INSTANCE_PATH
    assert "sqlite:///" + str(folder / "cop.db") == cfg.SQLALCHEMY_DATABASE_URI
    # An absolute path: four slashes, independent of the working directory.
    assert cfg.SQLALCHEMY_DATABASE_URI.startswith("sqlite:////")


def test_the_app_uses_the_instance_path_and_creates_it(clean_env, separate_app):
    with separate_app(Config) as other:
        assert other.instance_path == str(clean_env.resolve())
        assert clean_env.is_dir()
        assert other.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/cop.db")
        assert other.config["TESTING"] is False


def test_settings_come_from_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("INVITATION_TTL_HOURS", "5")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("MAIL_USE_TLS", "yes")
    cfg = Config()
    assert cfg.SQLALCHEMY_DATABASE_URI == "sqlite:////tmp/elsewhere.db"
    assert cfg.INVITATION_TTL_HOURS == 5
    assert cfg.RATELIMIT_ENABLED is False
    assert cfg.MAIL_USE_TLS is True
    assert cfg.SESSION_COOKIE_SECURE is False
    assert cfg.SESSION_COOKIE_HTTPONLY is True
    assert cfg.SESSION_COOKIE_SAMESITE == "Lax"


def test_cop_env_picks_the_config_class(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert type(load_config()) is Config
    monkeypatch.setenv("COP_ENV", "production")
    assert type(load_config()) is ProductionConfig
    assert type(load_config("test")) is TestConfig
    with pytest.raises(RuntimeError, match="Unknown COP_ENV 'staging'"):
        load_config("staging")


# ---------------------------------------------------------------- SQLite


def _pragma(app, name: str):
    from cop.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.text(f"PRAGMA {name}")).scalar()


def test_sqlite_file_connections_use_wal_and_foreign_keys(clean_env, separate_app):
    with separate_app(Config) as other:
        assert _pragma(other, "journal_mode") == "wal"
        assert _pragma(other, "foreign_keys") == 1
        assert _pragma(other, "busy_timeout") == 5000


def test_the_test_database_uses_wal_on_the_sqlite_backend(app):
    from cop.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("WAL is an SQLite setting; this run uses PostgreSQL")
    assert _pragma(app, "journal_mode") == "wal"


# ---------------------------------------------------------------- secrets


def test_dev_secret_key_is_generated_once_and_kept(clean_env):
    first = Config().SECRET_KEY
    second = Config().SECRET_KEY
    assert first == second
    assert len(first) >= 40
    path = clean_env / "secret_key"
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_dev_secret_key_survives_a_second_app(clean_env, separate_app):
    with separate_app(Config) as other:
        first = other.config["SECRET_KEY"]
    with separate_app(Config) as other:
        assert other.config["SECRET_KEY"] == first


def test_dev_secret_keys_differ_between_instances(tmp_path):
    assert dev_secret_key(tmp_path / "a") != dev_secret_key(tmp_path / "b")


def test_an_empty_secret_key_file_is_replaced(tmp_path):
    tmp_path.joinpath("secret_key").write_text("")
    key = dev_secret_key(tmp_path)
    assert len(key) >= 40
    assert dev_secret_key(tmp_path) == key


def test_secret_key_from_the_environment_wins_and_writes_no_file(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert Config().SECRET_KEY == "from-the-environment"
    assert not (clean_env / "secret_key").exists()


def test_test_config_writes_no_secret_file(clean_env):
    assert TestConfig().SECRET_KEY == "test-secret-key-not-for-production"
    assert not (clean_env / "secret_key").exists()


# ---------------------------------------------------------------- production


def test_production_refuses_to_start_without_secret_key(clean_env):
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        ProductionConfig()
    from cop import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    assert not (clean_env / "secret_key").exists()


def test_production_refuses_an_empty_secret_key(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(RuntimeError):
        ProductionConfig()


def test_production_starts_with_a_secret_key_and_secure_cookies(
    clean_env, monkeypatch, separate_app
):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("SOCKETIO_ASYNC_MODE", "threading")  # gevent is for `cop serve`
    cfg = ProductionConfig()
    assert cfg.SECRET_KEY == "s" * 48
    assert cfg.SESSION_COOKIE_SECURE is True
    assert cfg.PREFERRED_URL_SCHEME == "https"
    with separate_app(ProductionConfig) as other:
        assert other.config["SECRET_KEY"] == "s" * 48
        assert other.config["SESSION_COOKIE_SECURE"] is True
        assert other.config["TESTING"] is False
        response = other.test_client().get("/login")
        assert response.status_code == 200
        cookie = response.headers.get("Set-Cookie", "")
        assert "cop_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_production_defaults_to_gevent_for_socketio(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    assert ProductionConfig().SOCKETIO_ASYNC_MODE == "gevent"
    monkeypatch.setenv("SOCKETIO_ASYNC_MODE", "threading")
    assert ProductionConfig().SOCKETIO_ASYNC_MODE == "threading"


def test_production_cookie_security_can_be_turned_off_explicitly(clean_env, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert ProductionConfig().SESSION_COOKIE_SECURE is False


# ---------------------------------------------------------------- database URLs


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/cop", "postgresql+psycopg://u:p@db.example:5432/cop"),
        ("postgresql://u:p@db.example/cop", "postgresql+psycopg://u:p@db.example/cop"),
        ("postgresql+psycopg://u@h/cop", "postgresql+psycopg://u@h/cop"),
        ("sqlite:////abs/cop.db", "sqlite:////abs/cop.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_urls_are_normalised(given, expected):
    assert normalise_database_url(given) == expected


def test_postgres_urls_from_the_environment_use_psycopg(clean_env, monkeypatch, separate_app):
    monkeypatch.setenv("DATABASE_URL", "postgres://cop:secret@127.0.0.1/cop")
    assert Config().SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://cop:secret@127.0.0.1/cop"
    monkeypatch.setenv("TEST_DATABASE_URL", "postgres://cop@127.0.0.1/cop_test")
    assert TestConfig().SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://cop@127.0.0.1/cop_test"
    with separate_app(Config) as other:
        from cop.extensions import db

        with other.app_context():
            assert db.engine.url.drivername == "postgresql+psycopg"


# ---------------------------------------------------------------- no migrations in create_app


def test_create_app_runs_no_migrations(clean_env, monkeypatch, tmp_path_factory, separate_app):
    from cop.extensions import db
    from tests.conftest import fresh_database_url

    with fresh_database_url(tmp_path_factory) as url:
        monkeypatch.setenv("TEST_DATABASE_URL", url)
        with separate_app(TestConfig) as other, other.app_context():
            assert other.test_client().get("/healthz").status_code == 200
            tables = sa.inspect(db.engine).get_table_names()
            assert tables == []


def test_separate_app_restores_the_session_app(app, clean_env, separate_app):
    from cop.extensions import api, limiter, socketio

    before = (socketio.server, limiter._storage, api.spec, api._app)
    with separate_app(TestConfig) as other:
        assert socketio.server is not before[0]
        assert api._app is other
    assert (socketio.server, limiter._storage, api.spec, api._app) == before
    assert all(ns.server is socketio.server for ns in socketio.namespace_handlers)
