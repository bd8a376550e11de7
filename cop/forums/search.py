"""Full-text search over forum posts, behind one interface: `search(user, query, filters)`.

- SQLite (the embedded default): an FTS5 table `forum_posts_fts` (rowid = post id) with
  the opening post's thread title and each post's plain text, kept by triggers.
- PostgreSQL: a stored `tsvector` column `forum_posts.search_vector` with a GIN index,
  kept by a trigger (title weighted A, text B).

The triggers keep the index right on every write, edit, hide, delete, merge and title
change, whoever writes (services, bulk loads, migrations). The DDL is not expressible in
the ORM metadata: `install_search_schema(connection)` creates it; it runs after
`create_all` creates `forum_posts`, and a migration calls it for deployed databases.

User input never reaches the FTS syntax: it is cut into words, each searched as a quoted
phrase on FTS5 and through `plainto_tsquery` on PostgreSQL. Visibility is a WHERE clause
on the category ids the user may read, so private posts never leave the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy import event

from cop.accounts.models import User
from cop.coalitions.models import Coalition, Membership
from cop.core.pagination import decode_cursor, encode_cursor
from cop.core.timezones import zone
from cop.extensions import db
from cop.forums.markdown import HIGHLIGHT_END, HIGHLIGHT_START, clean_text
from cop.forums.models import Category, Post, Thread, ThreadTag
from cop.forums.permissions import visible_category_ids
from cop.forums.services import normalise_tag

FTS_TABLE = "forum_posts_fts"
PG_CONFIG = "english"
MAX_TERMS = 12
MAX_QUERY = 200
PAGE_SIZE = 20
MAX_OFFSET = 500
# Common words match a large share of a big forum: ranking every match costs a read per
# match (bm25's sizes, the tsvector), seconds at 1,000,000 posts. Both backends first take
# the WINDOW newest visible matches (FTS5 walks its doclist backwards; PostgreSQL scans the
# primary key backwards or the GIN index, whichever the planner prefers), then rank those.
# A query with fewer matches is ranked exactly; a common word ranks its recent matches.
WINDOW = 1000
# Names outside the ORM metadata (for Alembic's include_object, see docs/forums.md).
SEARCH_OBJECT_NAMES = frozenset(
    {
        FTS_TABLE,
        f"{FTS_TABLE}_data",
        f"{FTS_TABLE}_idx",
        f"{FTS_TABLE}_content",
        f"{FTS_TABLE}_docsize",
        f"{FTS_TABLE}_config",
        "search_vector",
        "ix_forum_posts_search_vector",
    }
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic (`env.py`, `compare_metadata`): ignore the search DDL the models do not
    describe, so autogenerate never proposes to drop it."""
    return not (reflected and compare_to is None and name in SEARCH_OBJECT_NAMES)


# Constant DDL (no user input); FTS_TABLE and PG_CONFIG name what it creates.
SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS forum_posts_fts USING fts5(title, body, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    """CREATE TRIGGER IF NOT EXISTS forum_posts_fts_insert AFTER INSERT ON forum_posts
    WHEN new.deleted_at IS NULL AND new.hidden_at IS NULL BEGIN
      INSERT INTO forum_posts_fts(rowid, title, body) VALUES (new.id,
        CASE WHEN new.number = 1 THEN coalesce((SELECT title FROM forum_threads
          WHERE id = new.thread_id), '') ELSE '' END,
        new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS forum_posts_fts_delete AFTER DELETE ON forum_posts BEGIN
      DELETE FROM forum_posts_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER IF NOT EXISTS forum_posts_fts_update
    AFTER UPDATE OF search_text, number, thread_id, deleted_at, hidden_at ON forum_posts BEGIN
      DELETE FROM forum_posts_fts WHERE rowid = old.id;
      INSERT INTO forum_posts_fts(rowid, title, body) SELECT new.id,
        CASE WHEN new.number = 1 THEN coalesce((SELECT title FROM forum_threads
          WHERE id = new.thread_id), '') ELSE '' END,
        new.search_text WHERE new.deleted_at IS NULL AND new.hidden_at IS NULL;
    END""",
    """CREATE TRIGGER IF NOT EXISTS forum_threads_fts_title AFTER UPDATE OF title
    ON forum_threads BEGIN
      UPDATE forum_posts_fts SET title = new.title WHERE rowid IN
        (SELECT id FROM forum_posts WHERE thread_id = new.id AND number = 1);
    END""",
]

PG_DDL = [
    "ALTER TABLE forum_posts ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS ix_forum_posts_search_vector ON forum_posts "
    "USING gin (search_vector)",
    """CREATE OR REPLACE FUNCTION forum_posts_search_vector() RETURNS trigger AS $$
    BEGIN
      IF NEW.deleted_at IS NOT NULL OR NEW.hidden_at IS NOT NULL THEN
        NEW.search_vector := NULL;
      ELSE
        NEW.search_vector :=
          setweight(to_tsvector('english', CASE WHEN NEW.number = 1 THEN coalesce(
            (SELECT title FROM forum_threads WHERE id = NEW.thread_id), '') ELSE '' END), 'A')
          || setweight(to_tsvector('english', coalesce(NEW.search_text, '')), 'B');
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS forum_posts_search_vector ON forum_posts",
    """CREATE TRIGGER forum_posts_search_vector BEFORE INSERT OR UPDATE OF search_text, number,
    thread_id, deleted_at, hidden_at ON forum_posts FOR EACH ROW
    EXECUTE FUNCTION forum_posts_search_vector()""",
    """CREATE OR REPLACE FUNCTION forum_threads_title_search() RETURNS trigger AS $$
    BEGIN
      UPDATE forum_posts SET search_text = search_text WHERE thread_id = NEW.id AND number = 1;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS forum_threads_title_search ON forum_threads",
    """CREATE TRIGGER forum_threads_title_search AFTER UPDATE OF title ON forum_threads
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION forum_threads_title_search()""",
]


def install_search_schema(connection: sa.Connection) -> None:
    """Create the full-text index and its triggers (idempotent); then index what exists."""
    statements = PG_DDL if connection.dialect.name == "postgresql" else SQLITE_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)
    reindex(connection)


def uninstall_search_schema(connection: sa.Connection) -> None:
    """For a migration's downgrade."""
    if connection.dialect.name == "postgresql":
        for statement in [
            "DROP TRIGGER IF EXISTS forum_threads_title_search ON forum_threads",
            "DROP TRIGGER IF EXISTS forum_posts_search_vector ON forum_posts",
            "DROP FUNCTION IF EXISTS forum_threads_title_search()",
            "DROP FUNCTION IF EXISTS forum_posts_search_vector()",
            "DROP INDEX IF EXISTS ix_forum_posts_search_vector",
            "ALTER TABLE forum_posts DROP COLUMN IF EXISTS search_vector",
        ]:
            connection.exec_driver_sql(statement)
    else:
        for name in (
            "forum_posts_fts_insert",
            "forum_posts_fts_delete",
            "forum_posts_fts_update",
            "forum_threads_fts_title",
        ):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS forum_posts_fts")


def reindex(connection: sa.Connection) -> None:
    """Rebuild the index from the posts (after a bulk load with triggers off, or a restore)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("UPDATE forum_posts SET search_text = search_text")
        return
    connection.exec_driver_sql("DELETE FROM forum_posts_fts")
    connection.exec_driver_sql(
        "INSERT INTO forum_posts_fts(rowid, title, body) SELECT p.id, CASE WHEN p.number = 1 "
        "THEN t.title ELSE '' END, p.search_text FROM forum_posts p JOIN forum_threads t "
        "ON t.id = p.thread_id WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL"
    )


@event.listens_for(Post.__table__, "after_create")
def _after_create(target, connection, **kw):
    install_search_schema(connection)


@event.listens_for(Post.__table__, "before_drop")
def _before_drop(target, connection, **kw):
    uninstall_search_schema(connection)


# ---------------------------------------------------------------- the query side


@dataclass
class SearchFilters:
    category: str = ""  # slug
    coalition: str = ""  # slug: its private category, or posts by its members
    author: str = ""  # a user id, or part of a name
    tag: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # or "newest"

    @property
    def active(self) -> bool:
        return any(
            [self.category, self.coalition, self.author, self.tag, self.date_from, self.date_to]
        )


@dataclass
class SearchResult:
    post_id: int
    number: int
    thread_id: int
    thread_title: str
    title_html: Markup
    snippet_html: Markup
    category_name: str
    category_slug: str
    author_id: int | None
    author_name: str | None
    created_at: datetime
    is_question: bool
    is_accepted: bool


@dataclass
class SearchPage:
    results: list[SearchResult]
    terms: list[str]
    next_cursor: str | None = None
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def search_terms(query: str | None) -> list[str]:
    """The words of a query: any punctuation or operator is just text between words."""
    terms: list[str] = []
    for raw in clean_text((query or "")[:MAX_QUERY]).split():
        if any(ch.isalnum() for ch in raw) and raw not in terms:
            terms.append(raw)
    return terms[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """Each word as a quoted FTS5 phrase, all required: no operator survives quoting."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def highlight(text: str | None) -> Markup:
    """Escape highlighter output, then turn its private markers into <mark>."""
    escaped = str(escape(text or ""))
    marked = escaped.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>")
    return Markup(marked)  # noqa: S704 - escaped above; only our <mark> tags added  # nosec B704


def search(
    user: User,
    query: str | None,
    filters: SearchFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    category_ids: list[int] | None = None,
) -> SearchPage:
    """Posts the user may read that match every word of the query, best first.
    `category_ids`, if given, must come from `visible_category_ids(user)` (saves a query)."""
    filters = filters or SearchFilters()
    terms = search_terms(query)
    offset = _offset(cursor)
    if category_ids is None:
        category_ids = visible_category_ids(user)
    if not terms or not category_ids or offset >= MAX_OFFSET:
        return SearchPage(results=[], terms=terms, offset=offset)
    limit = max(1, min(limit, 50))
    conditions = _conditions(user, category_ids, filters)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _search_postgresql(terms, conditions, filters.sort, offset, limit + 1)
    else:
        rows = _search_sqlite(terms, conditions, filters.sort, offset, limit + 1)
    more = len(rows) > limit
    results = [_result(row) for row in rows[:limit]]
    next_offset = offset + limit
    return SearchPage(
        results=results,
        terms=terms,
        offset=offset,
        next_cursor=encode_cursor([next_offset]) if more and next_offset < MAX_OFFSET else None,
    )


def _offset(cursor: str | None) -> int:
    values = decode_cursor(cursor)
    if values and isinstance(values[0], int) and values[0] > 0:
        return min(values[0], MAX_OFFSET)
    return 0


def _conditions(user: User, category_ids: list[int], filters: SearchFilters) -> list:
    filters = SearchFilters(
        **{k: clean_text(v) if isinstance(v, str) else v for k, v in vars(filters).items()}
    )
    conditions = [
        Thread.category_id.in_(category_ids),
        Thread.deleted_at.is_(None),
        Post.deleted_at.is_(None),
        Post.hidden_at.is_(None),
    ]
    if filters.category:
        conditions.append(Category.slug == filters.category)
    if filters.coalition:
        coalition_id = (
            sa.select(Coalition.id).where(Coalition.slug == filters.coalition).scalar_subquery()
        )
        conditions.append(
            sa.or_(
                Category.coalition_id == coalition_id,
                Post.author_id.in_(
                    sa.select(Membership.user_id).where(Membership.coalition_id == coalition_id)
                ),
            )
        )
    if filters.author:
        author = filters.author.strip()
        if author.isdigit():
            conditions.append(Post.author_id == int(author))
        else:
            like = "%" + author.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(
                Post.author_id.in_(sa.select(User.id).where(User.name.ilike(like, escape="\\")))
            )
    if filters.tag:
        conditions.append(
            Thread.id.in_(
                sa.select(ThreadTag.thread_id).where(ThreadTag.tag == normalise_tag(filters.tag))
            )
        )
    tz = zone(getattr(user, "timezone", None))
    if filters.date_from:
        conditions.append(Post.created_at >= datetime.combine(filters.date_from, time(), tzinfo=tz))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tzinfo=tz)
        conditions.append(Post.created_at < end)
    return conditions


def _columns():
    return [
        Post.id,
        Post.number,
        Post.thread_id,
        Post.created_at,
        Post.author_id,
        Thread.title.label("thread_title"),
        Thread.kind,
        Thread.accepted_post_id,
        Category.name.label("category_name"),
        Category.slug.label("category_slug"),
        User.name.label("author_name"),
    ]


def _joined(stmt):
    return (
        stmt.join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .outerjoin(User, User.id == Post.author_id)
    )


def _in_order(rows, sort: str, *, best_rank_first):
    """ORDER BY for rows with columns pid, rank and created: newest first, or best rank
    first (bm25: lower is better; ts_rank_cd: higher), the newest post breaking ties."""
    if sort == "newest":
        return rows.c.created.desc(), rows.c.pid.desc()
    return best_rank_first(rows.c.rank), rows.c.pid.desc()


def _page(window, sort: str, offset: int, limit: int, *, best_rank_first):
    """The requested page of the window (pid, rank, created), as a subquery."""
    return (
        sa.select(window.c.pid, window.c.rank, window.c.created)
        .order_by(*_in_order(window, sort, best_rank_first=best_rank_first))
        .limit(limit)
        .offset(offset)
        .subquery()
    )


def _search_sqlite(terms, conditions, sort, offset, limit):
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    fts_ref = sa.literal_column(FTS_TABLE)
    match = fts_ref.op("MATCH")(fts5_query(terms))
    rank = sa.func.bm25(fts_ref, 10.0, 1.0)
    # The newest WINDOW visible matches, ranked; then the page of them in order.
    window = (
        _joined(
            sa.select(Post.id.label("pid"), rank.label("rank"), Post.created_at.label("created"))
            .select_from(fts)
            .join(Post, Post.id == fts.c.rowid)
        )
        .where(match, *conditions)
        .order_by(fts.c.rowid.desc())
        .limit(WINDOW)
        .subquery()
    )
    page = _page(window, sort, offset, limit, best_rank_first=sa.asc)
    # snippet() and highlight() need the MATCH again, once per row of the page (a rowid
    # lookup each). The order comes from the page's own columns: bm25() here would
    # recount the word's matches over the whole index at every lookup (~90 ms for a
    # common word at 1,000,000 posts).
    snippet = sa.func.snippet(fts_ref, 1, HIGHLIGHT_START, HIGHLIGHT_END, "…", 32)
    title = sa.func.highlight(fts_ref, 0, HIGHLIGHT_START, HIGHLIGHT_END)
    stmt = _joined(
        sa.select(*_columns(), snippet.label("snippet"), title.label("title_hl"))
        .select_from(page)
        .join(fts, fts.c.rowid == page.c.pid)
        .join(Post, Post.id == page.c.pid)
    ).where(match)
    order = _in_order(page, sort, best_rank_first=sa.asc)
    return db.session.execute(stmt.order_by(*order)).all()


def _search_postgresql(terms, conditions, sort, offset, limit):
    query = sa.func.plainto_tsquery(PG_CONFIG, " ".join(terms))
    vector = sa.literal_column("forum_posts.search_vector")
    rank = sa.func.ts_rank_cd(vector, query).label("rank")
    window = _joined(
        sa.select(Post.id.label("pid"), rank, Post.created_at.label("created")).select_from(Post)
    ).where(vector.op("@@")(query), *conditions)
    # The WINDOW newest matches by id (posts get their ids in the order they are written),
    # as on SQLite: the planner walks the primary key backwards for a common word or takes
    # the GIN index for a rare one. Ordering the window by created_at instead made it walk
    # that index backwards for every word, rare ones too: a second at 1,000,000 posts.
    window = window.order_by(Post.id.desc()).limit(WINDOW).subquery()
    page = _page(window, sort, offset, limit, best_rank_first=sa.desc)
    options = (
        f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords=40, "
        'MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
    )
    snippet = sa.func.ts_headline(PG_CONFIG, Post.search_text, query, options)
    title = sa.func.ts_headline(
        PG_CONFIG,
        Thread.title,
        query,
        f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, HighlightAll=true",
    )
    outer_order = _in_order(page, sort, best_rank_first=sa.desc)
    stmt = _joined(
        sa.select(
            *_columns(),
            snippet.label("snippet"),
            sa.case((Post.number == 1, title), else_=Thread.title).label("title_hl"),
        )
        .select_from(page)
        .join(Post, Post.id == page.c.pid)
    ).order_by(*outer_order)
    return db.session.execute(stmt).all()


def _result(row) -> SearchResult:
    title_hl = row.title_hl if row.number == 1 and row.title_hl else row.thread_title
    return SearchResult(
        post_id=row.id,
        number=row.number,
        thread_id=row.thread_id,
        thread_title=row.thread_title,
        title_html=highlight(title_hl),
        snippet_html=highlight(row.snippet),
        category_name=row.category_name,
        category_slug=row.category_slug,
        author_id=row.author_id,
        author_name=row.author_name,
        created_at=row.created_at,
        is_question=row.kind == "question",
        is_accepted=row.accepted_post_id == row.id,
    )
