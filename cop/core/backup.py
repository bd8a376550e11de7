"""Backup and restore of the whole database: `flask --app wsgi cop backup|restore PATH`.

SQLite: the online backup API of the standard library's sqlite3 module (a consistent copy
while the app runs). Restore copies the backup into the live file with the same API, so
the file is replaced page by page, never left half-written; it refuses while another
process has the database open, unless `force` (people then see the restored data on
their next request).

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists
--single-transaction` (a failed restore changes nothing). Both run as subprocesses with an
argument list, never through a shell; the password travels in PGPASSWORD, never on the
command line. Restore refuses while other sessions are connected, unless `force`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore: argument lists, no shell
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from cop.core.errors import ServiceError

# libpq settings a database URL's query string may carry, passed as environment variables.
_PG_QUERY_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


class BackupError(ServiceError):
    """A backup or restore that could not be done; the message says why."""


class DatabaseInUse(BackupError):
    """Restore refused: other processes or sessions have the database open (see `force`)."""

    status = 409
    code = "conflict"


def backup(database_url: str | URL, path: str | os.PathLike) -> Path:
    """Write a backup of the database at `database_url` to `path`; returns the path."""
    url = make_url(database_url)
    target = Path(path)
    if target.is_dir():
        raise BackupError(f"{target} is a directory: name the backup file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(url), target)
    elif url.get_backend_name() == "postgresql":
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--file",
                str(target),
                *_pg_args(url),
            ],
            url,
        )
    else:
        raise BackupError(f"No backup for {url.get_backend_name()} databases.")
    return target


def restore(
    database_url: str | URL,
    path: str | os.PathLike,
    *,
    force: bool = False,
    engine: sa.Engine | None = None,
) -> None:
    """Replace the database's content with the backup at `path`.

    `engine` is the app's own engine: its pooled connections are closed first, so they
    do not count as "open connections" (they would also hold stale state).
    """
    url = make_url(database_url)
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    if engine is not None:
        engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(source, _sqlite_path(url), force=force)
    elif url.get_backend_name() == "postgresql":
        _pg_restore(source, url, force=force)
    else:
        raise BackupError(f"No restore for {url.get_backend_name()} databases.")


# ---------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database).resolve()


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    with target:
        source.backup(target)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupError(f"No SQLite database at {database}.")
    if target.resolve() == database:
        raise BackupError("The backup file cannot be the database itself.")
    # Read-only: a backup never creates or changes the database it copies.
    src = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    dst = sqlite3.connect(tmp)
    try:
        _sqlite_copy(src, dst)
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)  # the backup file appears whole or not at all


def _check_sqlite_backup(source: Path) -> None:
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not an SQLite backup ({exc}).") from None
    if not result or result[0] != "ok":
        raise BackupError(f"{source} fails SQLite's integrity check: {result}.")


def _sqlite_restore(source: Path, database: Path, *, force: bool) -> None:
    if source.resolve() == database:
        raise BackupError("The backup file cannot be the database itself.")
    _check_sqlite_backup(source)
    holders = _processes_holding(database)
    if holders and not force:
        raise DatabaseInUse(
            f"{database} is open in other processes (pid {', '.join(map(str, holders))}): "
            "stop the app first, or restore anyway with --force."
        )
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(database, timeout=30)
    try:
        _sqlite_copy(src, dst)
    finally:
        dst.close()
        src.close()


def _processes_holding(database: Path) -> list[int]:
    """Other processes with the database (or its journal) open: Linux /proc, else a lock test."""
    names = {str(database), f"{database}-wal", f"{database}-journal"}
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return [0] if _sqlite_locked(database) else []
    me = os.getpid()
    holders = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if any(os.readlink(fd) in names for fd in (entry / "fd").iterdir()):
                holders.append(int(entry.name))
        except OSError:  # gone, or not ours to look at
            continue
    return sorted(holders)


def _sqlite_locked(database: Path) -> bool:
    conn = sqlite3.connect(database, timeout=0)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        conn.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


# ---------------------------------------------------------------------------- PostgreSQL


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (PostgreSQL client tools).")
    return found


def _pg_args(url: URL) -> list[str]:
    """Connection options for pg_dump/pg_restore; the password goes in the environment."""
    if not url.database:
        raise BackupError("The database URL names no database.")
    args = []
    host = url.host or url.query.get("host")
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return [*args, "--no-password", "--dbname", url.database]


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, name in _PG_QUERY_ENV.items():
        if key in url.query:
            env[name] = str(url.query[key])
    return env


def _run(args: list[str], url: URL) -> None:
    result = subprocess.run(  # noqa: S603  # nosec B603  # a found tool, argument list, no shell
        args, env=_pg_env(url), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _other_sessions(url: URL) -> int:
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        engine.dispose()


def _pg_restore(source: Path, url: URL, *, force: bool) -> None:
    try:
        _run([_tool("pg_restore"), "--list", str(source)], url)  # a readable archive, or stop
    except BackupError as exc:
        raise BackupError(f"{source} is not a PostgreSQL backup ({exc.message}).") from None
    others = _other_sessions(url)
    if others and not force:
        raise DatabaseInUse(
            f"{others} other session(s) are connected to {url.database}: stop the "
            "app first, or restore anyway with --force."
        )
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *_pg_args(url),
            str(source),
        ],
        url,
    )
