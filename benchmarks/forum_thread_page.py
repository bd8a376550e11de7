"""Forum thread page latency against forum size: 1,000 to 100,000 posts (1,000,000 with
--million), on SQLite and, if reachable, PostgreSQL.

For each size, a fresh database is bulk-loaded (Core executemany; the full-text triggers
run, so the search index is real), then the same 50-post thread pages are requested
through the Flask test client, logged in, next to a bare hello-world Flask app in the same
process: median and spread (min to max) of the repetitions, and SQL statements per page.

    .venv/bin/python benchmarks/forum_thread_page.py            # 1k, 10k, 100k
    .venv/bin/python benchmarks/forum_thread_page.py --million  # and 1M (minutes)
    .venv/bin/python benchmarks/forum_thread_page.py --sizes 1000 --no-postgres

PostgreSQL: COP_TEST_PG_ADMIN_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/
postgres); a temporary database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "COP_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
POSTS_PER_THREAD = 100
TARGET_POSTS = 400  # the measured thread: long enough for a middle page
CHUNK = 10_000
PASSWORD = "benchmark-password-1"  # noqa: S105 - a throwaway local account

_VOCABULARY = (
    "apprenticeship employer sponsor recruit women veterans rural broadband fiber "
    "splicing solar installer line worker transit maintenance battery semiconductor "
    "credential OSHA stipend childcare transportation outreach cohort retention wage "
    "placement quarterly report measure target coalition coach partner college union "
    "curriculum instructor pre-apprenticeship mentor tool kit harness climbing school "
    "advisory board hiring pathway certification exam enrollment dropout support "
    "services budget grant compliance narrative employment earnings exit"
)
WORDS = _VOCABULARY.split()


@contextmanager
def sqlite_url():
    with tempfile.TemporaryDirectory(prefix="cop-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


@contextmanager
def postgres_url():
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cop_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def make_app(url: str, instance: str):
    from cop import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "benchmark",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
            "MAIL_SERVER": None,
        }
    )


def load(app, posts: int, rng: random.Random) -> int:
    """Create the schema, a coalition and a reader, then `posts` posts; returns the id of
    the measured thread."""
    from cop.accounts import services as accounts
    from cop.coalitions import services as coalitions
    from cop.extensions import db
    from cop.forums.models import REACTION_KEYS, Category, Post, Reaction, Thread
    from cop.forums.services import ensure_default_categories

    with app.app_context():
        db.create_all()
        coalition = coalitions.create_coalition(
            None,
            slug="bench",
            name="Benchmark Coalition (demo)",
            lead_organization="Bench",
            track="development",
            states=["OH"],
            sectors=["broadband"],
        )
        reader = accounts.create_user(
            None,
            email="reader@bench.example.org",
            name="Bench Reader",
            role="member",
            password=PASSWORD,
            coalition=coalition,
        )
        ensure_default_categories()
        category_ids = list(
            db.session.execute(sa.select(Category.id).where(Category.kind == "community")).scalars()
        )
        authors = [
            accounts.create_user(
                None,
                email=f"author{i}@bench.example.org",
                name=f"Author {i}",
                role="member",
                password=PASSWORD,
                coalition=coalition,
            ).id
            for i in range(20)
        ]
        authors.append(reader.id)
        sizes = [TARGET_POSTS]
        remaining = posts - TARGET_POSTS
        while remaining > 0:
            sizes.append(min(POSTS_PER_THREAD, remaining))
            remaining -= sizes[-1]
        start = datetime.now(UTC) - timedelta(days=365)
        threads = [
            {
                "category_id": category_ids[i % len(category_ids)],
                "author_id": rng.choice(authors),
                "title": f"Thread {i}: " + " ".join(rng.choices(WORDS, k=6)),
                "kind": "discussion",
                "pinned": False,
                "locked": False,
                "created_at": start + timedelta(minutes=i),
                "last_post_number": n,
                "reply_count": n - 1,
                "last_post_at": start + timedelta(minutes=i, seconds=n),
                "last_poster_id": authors[0],
            }
            for i, n in enumerate(sizes)
        ]
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Thread.__table__), threads)
            ids = list(conn.execute(sa.select(Thread.id).order_by(Thread.id)).scalars())
        rows = []
        with db.engine.begin() as conn:
            for thread_id, n, thread in zip(ids, sizes, threads, strict=True):
                for number in range(1, n + 1):
                    text = " ".join(rng.choices(WORDS, k=rng.randint(25, 60)))
                    rows.append(
                        {
                            "thread_id": thread_id,
                            "number": number,
                            "author_id": rng.choice(authors),
                            "body": text,
                            "body_html": f"<p>{text}</p>",
                            "search_text": text,
                            "created_at": thread["created_at"] + timedelta(seconds=number),
                            "version": 1,
                        }
                    )
                    if len(rows) >= CHUNK:
                        conn.execute(sa.insert(Post.__table__), rows)
                        rows = []
            if rows:
                conn.execute(sa.insert(Post.__table__), rows)
            # Reactions on the measured thread: a few people on most posts.
            post_ids = conn.execute(sa.select(Post.id).where(Post.thread_id == ids[0])).scalars()
            reactions = [
                {"post_id": pid, "user_id": uid, "kind": kind, "created_at": start}
                for pid in post_ids
                for uid in rng.sample(authors, 3)
                for kind in rng.sample(REACTION_KEYS, 2)
            ]
            conn.execute(sa.insert(Reaction.__table__), reactions)
            conn.exec_driver_sql("ANALYZE")
        return ids[0]


def login(client) -> None:
    response = client.post(
        "/login", data={"email": "reader@bench.example.org", "password": PASSWORD}
    )
    assert response.status_code == 303, response.status_code


def measure(client, url: str, repetitions: int, requests: int) -> list[float]:
    """Mean milliseconds per request, once per repetition."""
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    results = []
    for _ in range(repetitions):
        began = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        results.append((time.perf_counter() - began) * 1000 / requests)
    return results


def count_statements(app, client, url: str) -> int:
    from cop.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def hello_app() -> Flask:
    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "Hello, world")
    return app


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})"


def run(backend: str, url: str, posts: int, args, rng) -> dict:
    with tempfile.TemporaryDirectory(prefix="cop-bench-inst-") as instance:
        app = make_app(url, instance)
        began = time.perf_counter()
        target = load(app, posts, rng)
        loaded = time.perf_counter() - began
        client = app.test_client()
        login(client)
        first = f"/forums/t/{target}"
        middle = f"/forums/t/{target}?after={TARGET_POSTS // 2}"
        row = {
            "backend": backend,
            "posts": posts,
            "load_s": loaded,
            "first": measure(client, first, args.repeat, args.requests),
            "middle": measure(client, middle, args.repeat, args.requests),
            "hello": measure(hello_app().test_client(), "/", args.repeat, args.requests),
            "queries": count_statements(app, client, middle),
        }
        from cop.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated post counts")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 posts")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (at least 3)")
    parser.add_argument("--requests", type=int, default=30, help="requests per repetition")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    args.repeat = max(args.repeat, 3)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.million:
        sizes.append(1_000_000)
    backends = [("sqlite", sqlite_url)]
    if not args.no_postgres and postgres_reachable():
        backends.append(("postgresql", postgres_url))
    elif not args.no_postgres:
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: SQLite only.")
    os.environ.setdefault("COP_INSTANCE_PATH", tempfile.mkdtemp(prefix="cop-bench-"))
    rng = random.Random(4)
    rows = []
    for backend, factory in backends:
        for posts in sizes:
            with factory() as url:
                row = run(backend, url, max(posts, TARGET_POSTS), args, rng)
            rows.append(row)
            print(f"  {backend} {posts:>9,} posts loaded in {row['load_s']:.1f}s", flush=True)
    print()
    print(
        f"Thread page (50 posts), ms per request: median (min-max) of {args.repeat} "
        f"repetitions x {args.requests} requests, Flask test client, one process."
    )
    header = (
        f"| {'backend':<10} | {'posts':>9} | {'page 1':>22} | {'middle page':>22} "
        f"| {'hello world':>22} | {'SQL':>3} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(
            f"| {r['backend']:<10} | {r['posts']:>9,} | {fmt(r['first']):>22} | "
            f"{fmt(r['middle']):>22} | {fmt(r['hello']):>22} | {r['queries']:>3} |"
        )


if __name__ == "__main__":
    main()
