"""What a database holds, table by table, for the backup and migration round-trip tests.

Everything is found by reflection (every table, every column, the full-text tables too),
so tables that new features add are compared without anyone listing them here.
"""

from __future__ import annotations

import logging.config
import re
import warnings
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

Snapshot = dict[str, tuple[tuple[str, ...], list[tuple]]]


def snapshot(engine: sa.Engine) -> Snapshot:
    """{table: (column names, rows sorted)} for every table of the database."""
    result: Snapshot = {}
    with engine.connect() as conn:
        # One catalog query for all tables (a query per table is slow on PostgreSQL).
        all_columns = sa.inspect(conn).get_multi_columns()
        for (_, name), columns in sorted(all_columns.items()):
            names = tuple(c["name"] for c in columns)
            table = sa.table(name, *(sa.column(c) for c in names))
            rows = [tuple(row) for row in conn.execute(sa.select(table))]
            result[name] = (names, sorted(rows, key=repr))
    return result


def common_part(snap: Snapshot, other: Snapshot) -> Snapshot:
    """`snap` cut down to the tables and columns `other` has too."""
    out: Snapshot = {}
    for name, (columns, rows) in snap.items():
        if name not in other:
            continue
        keep = [i for i, c in enumerate(columns) if c in other[name][0]]
        out[name] = (
            tuple(columns[i] for i in keep),
            sorted((tuple(row[i] for i in keep) for row in rows), key=repr),
        )
    return out


def differences(expected: Snapshot, actual: Snapshot) -> list[str]:
    """One line per table whose columns or rows differ (empty when equal)."""
    lines = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual or name not in expected:
            lines.append(f"{name}: only in {'expected' if name in expected else 'actual'}")
            continue
        (cols_e, rows_e), (cols_a, rows_a) = expected[name], actual[name]
        if cols_e != cols_a:
            lines.append(f"{name}: columns {cols_e} != {cols_a}")
        elif rows_e != rows_a:
            lines.append(
                f"{name}: {len(rows_e)} rows expected, {len(rows_a)} found, "
                f"e.g. {next((r for r in rows_e if r not in rows_a), None)!r}"
            )
    return lines


def row_counts(snap: Snapshot) -> dict[str, int]:
    return {name: len(rows) for name, (_, rows) in snap.items()}


@contextmanager
def separate_app_on_new_database(tmp_path_factory, monkeypatch, *, backend: str | None = None):
    """A second app (see tests/core/test_config.py) on a new, empty database; yields it
    inside its app context. The session `app` and its database are left alone."""
    from config import TestConfig
    from tests.conftest import BACKEND, fresh_database_url
    from tests.core.test_config import build_separate_app

    # migrations/env.py calls logging.config.fileConfig, which would disable the app's
    # loggers for the rest of the run (as in tests/core/test_migrations.py).
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    with fresh_database_url(tmp_path_factory, backend or BACKEND) as url:
        monkeypatch.setenv("TEST_DATABASE_URL", url)
        with build_separate_app(TestConfig) as other, other.app_context():
            yield other


# ----------------------------------------------------------------- filling empty tables

_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def _allowed_values(table: sa.Table, column: sa.Column) -> list[str]:
    """String literals of the CHECK constraints that name the column (`x IN ('a', 'b')`)."""
    values: list[str] = []
    for constraint in table.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            text = str(constraint.sqltext)
            if re.search(rf"\b{re.escape(column.name)}\b", text):
                values += [v.replace("''", "'") for v in _QUOTED.findall(text)]
    return values


def _value(table: sa.Table, column: sa.Column, parents: dict, n: int, rich: bool):
    """A value for the column of row n; `rich` tries awkward text and JSON first.
    `parents`: column -> a few ids of the row it references (for foreign keys)."""
    if column.foreign_keys:
        ids = parents[column.name]
        return ids[n % len(ids)] if ids else None
    allowed = _allowed_values(table, column)
    if allowed:
        return allowed[n % len(allowed)]
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):  # e.g. an aware-UTC DateTime
        kind = kind.impl_instance
    enums = getattr(kind, "enums", None)
    if enums:
        return enums[n % len(enums)]
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return None
    # Later columns get later times, so that `ends_at > starts_at` and the like hold.
    at = datetime(2026, 3, 2, 15, 30, tzinfo=UTC) + timedelta(
        days=n, minutes=list(table.columns).index(column)
    )
    text = f"fill-{table.name[:20]}-{n}"
    if rich:
        text = f"{n}-{table.name} «ünï» 'q' \"d\" \\ ✓ 🙂\nline 2"
    samples = {
        bool: n % 2 == 1,
        int: n + 1,
        float: 1.5,
        Decimal: Decimal(n + 1) / 4,
        str: text,
        datetime: at,
        date: at.date(),
        time: at.time(),
        dict: {"k": [1, "ü", None]} if rich else {},
        list: ["ü", 1] if rich else [],
    }
    for kind_, sample in samples.items():
        if issubclass(python_type, kind_):
            if kind_ is str and getattr(kind, "length", None):
                return sample[: kind.length]
            return sample
    return None


def fill_empty_tables(engine: sa.Engine, metadata: sa.MetaData, rows: int = 2) -> list[str]:
    """Put a few rows into every table of `metadata` (the models) that exists in the database
    and is empty, parents first, with values guessed from the column types, foreign keys and
    CHECK constraints. A row the database refuses is skipped. Returns the tables left empty."""
    empty = []
    with engine.connect() as conn:
        all_columns = sa.inspect(conn).get_multi_columns()
        # At an older revision a table may lack columns the models have now.
        in_database = {
            name: {c["name"] for c in columns} for (_, name), columns in all_columns.items()
        }
        for table in metadata.sorted_tables:
            if table.name not in in_database or _count(conn, table):
                continue
            columns = [
                c
                for c in table.columns
                if c.name in in_database[table.name]
                and not (c.primary_key and isinstance(c.type, sa.Integer) and not c.foreign_keys)
            ]
            parents = {c.name: _parents(conn, c) for c in columns if c.foreign_keys}
            for n in range(rows):
                for rich in (True, False):
                    values = {c.name: _value(table, c, parents, n, rich) for c in columns}
                    if _insert(conn, table, {k: v for k, v in values.items() if v is not None}):
                        break
            if not _count(conn, table):
                empty.append(table.name)
        conn.commit()
    return empty


def _parents(conn: sa.Connection, column: sa.Column) -> list:
    target = next(iter(column.foreign_keys)).column
    return conn.execute(sa.select(target).order_by(target).limit(5)).scalars().all()


def _insert(conn: sa.Connection, table: sa.Table, values: dict) -> bool:
    """Insert one row in a savepoint; False when the database refuses it."""
    try:
        with conn.begin_nested(), warnings.catch_warnings():
            # a composite key whose parent row is missing: the insert fails anyway
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            conn.execute(table.insert().values(**values))
    except (sa.exc.DBAPIError, sa.exc.StatementError):
        return False  # a constraint the guesses miss: fewer rows, still a test
    return True


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
