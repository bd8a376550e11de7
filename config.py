"""Settings, read from the environment with working defaults.

`create_app()` picks the class from `COP_ENV` (development, production, test).
Every value is read when the class is instantiated, not at import, so tests and
commands can change the environment before building an app.
"""

from __future__ import annotations

import contextlib
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


def _list(name: str) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()]


def instance_path() -> Path:
    return Path(os.environ.get("COP_INSTANCE_PATH", ROOT / "instance")).resolve()


def dev_secret_key(folder: Path) -> str:
    """A key generated once and kept under instance/, so sessions survive restarts.

    The file is written whole, readable by the owner only, and published with a hard link
    that fails if another process got there first: concurrent starts agree on one key.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    key = _read_key(path)
    if key:
        return key
    path.unlink(missing_ok=True)  # empty or unreadable: replace it
    tmp = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


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
        if not self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # One gevent process serves many requests and sockets at once: a bigger pool
            # than SQLAlchemy's 5 + 10 (docs/deployment.md sizes it against max_connections).
            self.SQLALCHEMY_ENGINE_OPTIONS.update(
                pool_size=_int("DB_POOL_SIZE", 10), max_overflow=_int("DB_MAX_OVERFLOW", 20)
            )
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE") or "threading"
        # Several deployments (or test runs) can share one Redis with distinct channels.
        self.SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "cop-socketio")
        # Origins allowed at the Socket.IO handshake. None means "same origin only" to
        # python-engineio; an empty list would switch the check off entirely, so never use [].
        self.SOCKETIO_CORS_ORIGINS = _list("SOCKETIO_CORS_ORIGINS") or None
        # Largest Engine.IO packet accepted (bytes): a 4,000-character message at 4 bytes a
        # character, JSON-escaped, fits well; bigger frames close the connection.
        self.SOCKETIO_MAX_HTTP_BUFFER_SIZE = _int("SOCKETIO_MAX_HTTP_BUFFER_SIZE", 64 * 1024)

        # Partner commitments (cop/commitments, docs/commitments.md).
        self.COMMITMENTS_SUBMIT_LIMIT = os.environ.get("COMMITMENTS_SUBMIT_LIMIT", "10 per hour")
        self.COMMITMENTS_MIN_FILL_SECONDS = _int("COMMITMENTS_MIN_FILL_SECONDS", 3)
        self.COMMITMENTS_REPORT_INTERVAL_DAYS = _int("COMMITMENTS_REPORT_INTERVAL_DAYS", 91)
        self.COMMITMENTS_UNCONFIRMED_DAYS = _int("COMMITMENTS_UNCONFIRMED_DAYS", 14)
        # Chat (cop/chat, docs/chat-protocol.md).
        self.CHAT_MAX_BODY = _int("CHAT_MAX_BODY", 4000)
        self.CHAT_SEND_RATE = os.environ.get("CHAT_SEND_RATE", "20 per 10 seconds")
        # Forum flood control: new threads and replies per user (cop/forums/services.py).
        self.FORUM_POST_RATE = os.environ.get("FORUM_POST_RATE", "10 per minute")
        self.CHAT_HISTORY_PAGE_MAX = _int("CHAT_HISTORY_PAGE_MAX", 500)
        self.CHAT_TYPING_INTERVAL = float(os.environ.get("CHAT_TYPING_INTERVAL", "2"))
        # How often each server process re-checks its sockets' sessions, tokens and rooms.
        # With CHAT_ACCESS_FULL_SWEEP_SECONDS > 0 (opt-in, e.g. 30) a pass re-checks only
        # when the access-change log has a new row or a credential expired, and re-checks
        # everything that often whatever the log says: a change made outside the app (by
        # hand in psql) is then seen within that time, not within CHAT_ACCESS_CHECK_SECONDS.
        self.CHAT_ACCESS_CHECK_SECONDS = float(os.environ.get("CHAT_ACCESS_CHECK_SECONDS", "0.5"))
        self.CHAT_ACCESS_FULL_SWEEP_SECONDS = float(
            os.environ.get("CHAT_ACCESS_FULL_SWEEP_SECONDS", "0")
        )
        # Presence changes are batched per room for this long (0: sent at once).
        self.CHAT_PRESENCE_INTERVAL = float(os.environ.get("CHAT_PRESENCE_INTERVAL", "1"))
        self.CHAT_DM_MAX_MEMBERS = _int("CHAT_DM_MAX_MEMBERS", 8)
        self.CHAT_MUTE_MAX_MINUTES = _int("CHAT_MUTE_MAX_MINUTES", 7 * 24 * 60)
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "cop")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per 15 minutes")
        # Per IP: looser, since a whole office may share one address.
        self.LOGIN_IP_FAILURE_LIMIT = os.environ.get("LOGIN_IP_FAILURE_LIMIT", "30 per 15 minutes")

        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "cop <no-reply@cop.example.org>"
        )
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
        # The email outbox (cop.notifications): retries with exponential backoff, then "failed".
        self.MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
        self.MAIL_RETRY_BASE_SECONDS = _int("MAIL_RETRY_BASE_SECONDS", 60)
        self.MAIL_RETRY_MAX_SECONDS = _int("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
        self.MAIL_CLAIM_SECONDS = _int("MAIL_CLAIM_SECONDS", 300)
        self.MAIL_KEEP_SENT_DAYS = _int("MAIL_KEEP_SENT_DAYS", 30)
        self.UNSUBSCRIBE_TOKEN_DAYS = _int("UNSUBSCRIBE_TOKEN_DAYS", 90)
        # Background jobs (reminders, digests, outbox): in `cop serve` unless turned off,
        # and in any number of `flask cop worker` processes.
        self.JOBS_EMBEDDED = _bool("JOBS_EMBEDDED", True)
        self.JOBS_INTERVAL_SECONDS = _int("JOBS_INTERVAL_SECONDS", 15)
        self.JOBS_PERIODIC_SECONDS = _int("JOBS_PERIODIC_SECONDS", 60)
        self.JOBS_LEASE_SECONDS = _int("JOBS_LEASE_SECONDS", 600)

        self.SESSION_COOKIE_NAME = "cop_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_HOURS", 24 * 14) * 3600
        self.REMEMBER_COOKIE_DURATION = 0
        self.WTF_CSRF_TIME_LIMIT = _int("CSRF_TIME_LIMIT_SECONDS", 8 * 3600)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
        # Behind a reverse proxy (docs/deployment.md): how many proxies in front of the app
        # set X-Forwarded-For/-Proto/-Host. 0 (the default) trusts none of those headers.
        self.PROXY_FIX = _int("PROXY_FIX", 0)
        # A name for this process (e.g. "app-a"), sent as X-Cop-Instance on every response
        # so an operator (and tests/deploy) can tell which backend answered. Off when empty.
        self.INSTANCE_NAME = os.environ.get("COP_INSTANCE_NAME") or None

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


TEST_SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  # nosec B105  # tests only


class TestConfig(Config):
    __test__ = False  # not a pytest test class, whatever its name
    ENV_NAME = "test"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = TEST_SECRET_KEY  # the same in every run, whatever the environment
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("TEST_DATABASE_URL", "sqlite://")
        )
        self.SOCKETIO_ASYNC_MODE = "threading"
        self.CHAT_PRESENCE_INTERVAL = 0.0
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAIL_SERVER = None
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.SERVER_NAME = None

    def default_secret_key(self, folder: Path) -> str:
        return TEST_SECRET_KEY


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
