"""Settings, read from the environment with working defaults.

`create_app()` picks the class from `COP_ENV` (development, production, test).
Every value is read when the class is instantiated, not at import, so tests and
commands can change the environment before building an app.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def instance_path() -> Path:
    return Path(os.environ.get("COP_INSTANCE_PATH", ROOT / "instance")).resolve()


def dev_secret_key(folder: Path) -> str:
    """A key generated once and kept under instance/, so sessions survive restarts."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    ENV_NAME = "development"
    TESTING = False

    def __init__(self) -> None:
        inst = instance_path()
        self.INSTANCE_PATH = str(inst)
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or self.default_secret_key(inst)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{inst / 'cop.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE") or "threading"
        # Several deployments (or test runs) can share one Redis with distinct channels.
        self.SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "cop-socketio")
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "cop")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per 15 minutes")

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "cop <no-reply@cop.example.org>")
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

        self.SESSION_COOKIE_NAME = "cop_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_HOURS", 24 * 14) * 3600
        self.REMEMBER_COOKIE_DURATION = 0
        self.WTF_CSRF_TIME_LIMIT = _int("CSRF_TIME_LIMIT_SECONDS", 8 * 3600)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

        self.INVITATION_TTL_HOURS = _int("INVITATION_TTL_HOURS", 7 * 24)
        self.PASSWORD_RESET_TTL_SECONDS = _int("PASSWORD_RESET_TTL_SECONDS", 3600)
        self.API_TOKEN_TTL_DAYS = _int("API_TOKEN_TTL_DAYS", 90)
        # argon2id cost; tests lower it, production keeps the library's defaults.
        self.ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
        self.ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)

        self.API_TITLE = "cop API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def default_secret_key(self, folder: Path) -> str:
        return dev_secret_key(folder)


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
        self.PREFERRED_URL_SCHEME = "https"
        if "SOCKETIO_ASYNC_MODE" not in os.environ:
            self.SOCKETIO_ASYNC_MODE = "gevent"

    def default_secret_key(self, folder: Path) -> str:
        raise RuntimeError(
            "SECRET_KEY is not set: production refuses to start without one "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("TEST_DATABASE_URL", "sqlite://")
        )
        self.SOCKETIO_ASYNC_MODE = "threading"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = None
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.SERVER_NAME = None


CONFIGS = {"development": Config, "production": ProductionConfig, "test": TestConfig}


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_config(name: str | None = None) -> Config:
    name = name or os.environ.get("COP_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"Unknown COP_ENV {name!r}; use one of {', '.join(CONFIGS)}") from None
