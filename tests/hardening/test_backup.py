"""`flask --app wsgi cop backup PATH` / `cop restore PATH` (cop/core/backup.py).

One scenario on the backend under test (SQLite: the online backup API; PostgreSQL:
pg_dump/pg_restore): a migrated database with rows in every table (awkward text, JSON,
times; tests/hardening/dbstate.py makes them, so new features' tables are included) is
backed up, emptied and restored; every table, the full-text index and alembic_version
included, comes back with the same rows, and the app can write again. (seed_demo would
be more lifelike but takes 10-40 s on PostgreSQL.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.hardening.dbstate import (
    differences,
    fill_empty_tables,
    row_counts,
    separate_app_on_new_database,
    snapshot,
)

pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


def _empty_every_table(db) -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def _hold_open(db):
    """Another process with a connection to the database, as a running app would have."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        code = (
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('select count(*) from users').fetchone(); print('ready', flush=True); "
            "time.sleep(60)"
        )
        args = [sys.executable, "-c", code, url.database]
    else:
        code = (
            "import sys, time, psycopg; c = psycopg.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)"
        )
        args = [
            sys.executable,
            "-c",
            code,
            url.set(drivername="postgresql").render_as_string(hide_password=False),
        ]
    holder = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_backup_then_restore_gives_back_every_row(tmp_path_factory, monkeypatch, tmp_path, app):
    from flask_migrate import upgrade

    from cop.accounts.models import User
    from cop.extensions import db

    with separate_app_on_new_database(tmp_path_factory, monkeypatch) as other:
        upgrade()
        assert fill_empty_tables(db.engine, db.metadata, rows=5) == []
        before = snapshot(db.engine)
        empty = [name for name in db.metadata.tables if not row_counts(before)[name]]
        assert not empty, empty
        cli = other.test_cli_runner()
        path = tmp_path / "cop.backup"

        result = cli.invoke(args=["cop", "backup", str(path)])
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 0

        _empty_every_table(db)
        holder = _hold_open(db)
        try:
            refused = cli.invoke(args=["cop", "restore", str(path)])
            assert refused.exit_code != 0 and "--force" in refused.output, refused.output
            result = cli.invoke(args=["cop", "restore", "--force", str(path)])
            assert result.exit_code == 0, result.output
        finally:
            holder.kill()
            holder.wait()
            holder.stdout.close()

        after = snapshot(db.engine)
        assert row_counts(after) == row_counts(before)
        assert differences(before, after) == []

        # The restored database takes new rows (PostgreSQL: sequences came back too).
        db.session.add(
            User(
                email="after.restore@test.example.org",
                name="After Restore",
                role="guest",
                password_hash="x",
            )
        )
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == (
            row_counts(before)["users"] + 1
        )


def test_restore_refuses_what_is_not_a_backup(tmp_path_factory, monkeypatch, tmp_path, app):
    with separate_app_on_new_database(tmp_path_factory, monkeypatch) as other:
        junk = tmp_path / "junk.backup"
        junk.write_text("not a backup")
        result = other.test_cli_runner().invoke(args=["cop", "restore", "--force", str(junk)])
        assert result.exit_code != 0
        assert "is not a" in result.output and "backup" in result.output
