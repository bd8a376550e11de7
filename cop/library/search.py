"""Full-text search over library resources, the same way the forums search posts
(cop/forums/search.py): an FTS5 table on SQLite, a `tsvector` column with a GIN index on
PostgreSQL, both kept by triggers; user input cut into words (the forums' `search_terms`)
and quoted, never passed as query syntax. It indexes the title (weighted first) and
`search_text`: the summary and the text extracted from the current PDF.

`install_search_schema(connection)` creates the DDL (after `create_all` makes the table,
and from the migration); `include_object` keeps Alembic from proposing to drop it.
"""

from __future__ import annotations

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import event

from cop.extensions import db
from cop.forums.markdown import HIGHLIGHT_END, HIGHLIGHT_START
from cop.forums.search import fts5_query, highlight, search_terms
from cop.library.models import Resource

FTS_TABLE = "library_resources_fts"
PG_CONFIG = "english"
SEARCH_OBJECT_NAMES = frozenset(
    {
        FTS_TABLE,
        f"{FTS_TABLE}_data",
        f"{FTS_TABLE}_idx",
        f"{FTS_TABLE}_content",
        f"{FTS_TABLE}_docsize",
        f"{FTS_TABLE}_config",
        "ix_library_resources_search_vector",
    }
)
SEARCH_COLUMN = ("library_resources", "search_vector")

__all__ = ["search_terms", "matching", "snippets", "install_search_schema", "include_object"]


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: ignore the search DDL the models do not describe."""
    if not (reflected and compare_to is None):
        return True
    if name in SEARCH_OBJECT_NAMES:
        return False
    if type_ == "column" and name == "search_vector":
        table = getattr(getattr(obj, "table", None), "name", None)
        return table != SEARCH_COLUMN[0]
    return True


SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS library_resources_fts USING fts5(title, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    """CREATE TRIGGER IF NOT EXISTS library_resources_fts_insert AFTER INSERT
    ON library_resources BEGIN
      INSERT INTO library_resources_fts(rowid, title, body)
      VALUES (new.id, new.title, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS library_resources_fts_delete AFTER DELETE
    ON library_resources BEGIN
      DELETE FROM library_resources_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS library_resources_fts_update
    AFTER UPDATE OF title, search_text ON library_resources BEGIN
      DELETE FROM library_resources_fts WHERE rowid = old.id;
      INSERT INTO library_resources_fts(rowid, title, body)
      VALUES (new.id, new.title, new.search_text);
    END""",
]

PG_DDL = [
    "ALTER TABLE library_resources ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS ix_library_resources_search_vector ON library_resources "
    "USING gin (search_vector)",
    """CREATE OR REPLACE FUNCTION library_resources_search_vector() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.search_text, '')), 'B');
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS library_resources_search_vector ON library_resources",
    """CREATE TRIGGER library_resources_search_vector BEFORE INSERT OR UPDATE OF title,
    search_text ON library_resources FOR EACH ROW
    EXECUTE FUNCTION library_resources_search_vector()""",
]


def install_search_schema(connection: sa.Connection) -> None:
    """Create the index and its triggers (idempotent); then index what exists."""
    statements = PG_DDL if connection.dialect.name == "postgresql" else SQLITE_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)
    reindex(connection)


def uninstall_search_schema(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        for statement in [
            "DROP TRIGGER IF EXISTS library_resources_search_vector ON library_resources",
            "DROP FUNCTION IF EXISTS library_resources_search_vector()",
            "DROP INDEX IF EXISTS ix_library_resources_search_vector",
            "ALTER TABLE library_resources DROP COLUMN IF EXISTS search_vector",
        ]:
            connection.exec_driver_sql(statement)
    else:
        for name in (
            "library_resources_fts_insert",
            "library_resources_fts_delete",
            "library_resources_fts_update",
        ):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS library_resources_fts")


def reindex(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("UPDATE library_resources SET search_text = search_text")
        return
    connection.exec_driver_sql("DELETE FROM library_resources_fts")
    connection.exec_driver_sql(
        "INSERT INTO library_resources_fts(rowid, title, body) "
        "SELECT id, title, search_text FROM library_resources"
    )


@event.listens_for(Resource.__table__, "after_create")
def _after_create(target, connection, **kw):
    install_search_schema(connection)


@event.listens_for(Resource.__table__, "before_drop")
def _before_drop(target, connection, **kw):
    uninstall_search_schema(connection)


# ---------------------------------------------------------------- the query side


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def matching(terms: list[str]):
    """(condition, rank expression) restricting resources to those matching every word.
    The rank orders best first when sorted ascending."""
    if _is_postgresql():
        query = sa.func.plainto_tsquery(PG_CONFIG, " ".join(terms))
        vector = sa.literal_column("library_resources.search_vector")
        return vector.op("@@")(query), -sa.func.ts_rank_cd(vector, query)
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    fts_ref = sa.literal_column(FTS_TABLE)
    ranked = (
        sa.select(fts.c.rowid.label("rid"), sa.func.bm25(fts_ref, 10.0, 1.0).label("r"))
        .select_from(fts)
        .where(fts_ref.op("MATCH")(fts5_query(terms)))
        .subquery()
    )
    rank = sa.select(ranked.c.r).where(ranked.c.rid == Resource.id).scalar_subquery()
    return Resource.id.in_(sa.select(ranked.c.rid)), rank


def snippets(terms: list[str], ids: list[int]) -> dict[int, Markup]:
    """A highlighted excerpt of each resource's text around the words (one query)."""
    if not terms or not ids:
        return {}
    if _is_postgresql():
        query = sa.func.plainto_tsquery(PG_CONFIG, " ".join(terms))
        options = (
            f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords=35, "
            'MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
        )
        rows = db.session.execute(
            sa.select(
                Resource.id, sa.func.ts_headline(PG_CONFIG, Resource.search_text, query, options)
            ).where(Resource.id.in_(ids))
        ).all()
    else:
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        fts_ref = sa.literal_column(FTS_TABLE)
        rows = db.session.execute(
            sa.select(
                fts.c.rowid, sa.func.snippet(fts_ref, 1, HIGHLIGHT_START, HIGHLIGHT_END, "…", 24)
            )
            .select_from(fts)
            .where(fts_ref.op("MATCH")(fts5_query(terms)), fts.c.rowid.in_(ids))
        ).all()
    return {rid: highlight(text) for rid, text in rows if text}
