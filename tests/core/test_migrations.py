"""`flask db upgrade` on an empty database gives exactly the models' schema.

Each test builds its own app on a new, empty database (an SQLite file, or a new PostgreSQL
database when COP_TEST_DB=postgresql) through `separate_app`, which restores the
module-level extensions afterwards, so the session `app` is untouched.
"""

from __future__ import annotations

import logging.config

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from config import TestConfig
from tests.conftest import fresh_database_url
from tests.core.test_config import build_separate_app

# Flask-Migrate's stock env.py tries Flask-SQLAlchemy's deprecated get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")


@pytest.fixture
def migrated_app(app, monkeypatch, tmp_path_factory):
    """A separate app on a new, empty database, with `flask db upgrade` not yet run."""
    # migrations/env.py calls logging.config.fileConfig, which would disable every logger
    # that exists already (the app's, the mail module's) for the rest of the test run.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    with fresh_database_url(tmp_path_factory) as url:
        monkeypatch.setenv("TEST_DATABASE_URL", url)
        with build_separate_app(TestConfig) as other, other.app_context():
            yield other


def _diff(db) -> list:
    with db.engine.connect() as conn:
        from cop.forums.search import include_object as forums_include
        from cop.library.search import include_object as library_include

        def include_object(*args):
            return forums_include(*args) and library_include(*args)

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        return compare_metadata(context, db.metadata)


def _summary(diff) -> list[str]:
    """One line per difference: the operation and the table (and column) it is about."""
    lines = []
    for entry in diff:
        for op in entry if isinstance(entry, list) else [entry]:
            name, *args = op
            if name.endswith("_table"):
                target = args[0].name
            elif name.endswith("_column"):
                target = (
                    f"{args[1]}.{args[2].name}"
                    if name != "modify_column"
                    else (f"{args[1]}.{args[2]}")
                )
            else:
                obj = args[0] if args else None
                table = getattr(getattr(obj, "table", None), "name", "")
                target = f"{table}:{getattr(obj, 'name', obj)}"
            lines.append(f"{name} {target}")
    return lines


def _tables(db) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_gives_exactly_the_models_schema(migrated_app):
    from flask_migrate import upgrade

    from cop.extensions import db

    assert _tables(db) == set()
    upgrade()
    diff = _summary(_diff(db))
    assert diff == [], "the migrations and the models differ:\n" + "\n".join(diff)


def test_downgrade_to_base_and_upgrade_again(migrated_app):
    from flask_migrate import downgrade, upgrade

    from cop.extensions import db

    upgrade()
    downgrade(revision="base")
    assert _tables(db) <= {"alembic_version"}
    upgrade()
    assert _summary(_diff(db)) == []


def test_migrations_have_a_single_head(migrated_app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config as MigrateConfig  # noqa: F401 - the package exports it

    from cop.extensions import migrate

    config = migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads} (merge them)"


def test_logging_still_works_after_migrating(migrated_app, caplog):
    from flask_migrate import upgrade

    upgrade()
    with caplog.at_level(logging.INFO, logger="cop.mail"):
        logging.getLogger("cop.mail").info("still logging")
    assert "still logging" in caplog.text
    assert not logging.getLogger("cop.mail").disabled
