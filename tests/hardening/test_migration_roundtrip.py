"""Every migration upgrades, downgrades and upgrades again on a populated database, and no
row of a table that outlives the downgrade is lost or changed.

Walking the revisions from base to head: at each revision every table of the models
that exists and is empty gets a few rows (tests/hardening/dbstate.py guesses them from
the column types, foreign keys and CHECK constraints), then the migration is undone and
done again. The rows of every table (and column) that exists one revision earlier must
come through both steps unchanged. New migrations and tables are picked up on their own.
"""

from __future__ import annotations

import pytest

from tests.hardening.dbstate import (
    common_part,
    differences,
    fill_empty_tables,
    separate_app_on_new_database,
    snapshot,
)

# Flask-Migrate's stock env.py tries Flask-SQLAlchemy's deprecated get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")

# Tables the generic row-maker cannot fill (name: why). Keep it empty when you can.
UNFILLABLE: dict[str, str] = {}
IGNORED = {"alembic_version"}  # its one row is the revision itself


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from cop.extensions import migrate

    script = ScriptDirectory.from_config(migrate.get_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def _state(db) -> dict:
    if db.engine.dialect.name == "sqlite":  # migrations run with foreign keys off there
        with db.engine.connect() as conn:
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        assert not broken, f"rows whose parent is gone: {broken[:5]}"
    return {k: v for k, v in snapshot(db.engine).items() if k not in IGNORED}


def test_each_migration_down_and_up_again_keeps_every_row(tmp_path_factory, monkeypatch, app):
    from flask_migrate import downgrade, upgrade

    from cop.extensions import db

    with separate_app_on_new_database(tmp_path_factory, monkeypatch):
        revisions = _revisions()
        assert revisions, "no migrations found"
        for i, revision in enumerate(revisions):
            previous = revisions[i - 1] if i else "base"
            upgrade(revision=revision)
            left_empty = set(fill_empty_tables(db.engine, db.metadata)) - set(UNFILLABLE)
            assert not left_empty, (
                f"at {revision} no row could be made for {left_empty}: "
                "teach tests/hardening/dbstate.py or list them in UNFILLABLE"
            )
            before = _state(db)

            downgrade(revision=previous)
            down = _state(db)
            lost = differences(common_part(before, down), common_part(down, before))
            assert not lost, f"downgrading {revision} -> {previous} changed rows:\n" + "\n".join(
                lost
            )

            upgrade(revision=revision)
            again = _state(db)
            lost = differences(common_part(before, down), common_part(again, down))
            assert not lost, f"{previous} -> {revision} again changed rows:\n" + "\n".join(lost)
            assert set(again) == set(before), f"{revision} again: other tables than the first time"
